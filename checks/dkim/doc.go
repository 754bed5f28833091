// Package dkim implements the "dkim" check: the DKIM key records
// (RFC 6376 §3.6.1; ed25519 per RFC 8463) published for the selectors given
// with --selector and for guessed ones, with RFC 8020 NXDOMAIN cut-off at
// _domainkey. Each key is parsed, decoded and measured.
//
// Selectors cannot be listed, so they are guessed, each guess one DNS
// query asked at once (the DNS client's in-flight bound is the only
// limit). The guesses depend on --dkim-probe (checks.Options.DKIMProbe):
// the selectors of the mail providers that the domain's own SPF includes
// and MX hosts name (the providers table, each entry with its sources),
// plus about a dozen generic ones (common) or a built-in list of about 70
// (full, the default for one domain). Outside full, finding no key is a
// note, not a warning: none among the probed selectors proves nothing.
package dkim
