// Package dkim implements the "dkim" check: the DKIM key records
// (RFC 6376 §3.6.1; ed25519 per RFC 8463) published for the selectors given
// with --selector and for a built-in list of common selectors probed
// concurrently, with RFC 8020 NXDOMAIN cut-off at _domainkey. Each key is
// parsed, decoded and measured.
package dkim
