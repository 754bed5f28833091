// Package dmarc implements the "dmarc" check: discovery of the DMARC record
// that applies to a domain (RFC 9989 §4.10 tree walk, compared with the
// RFC 7489 §6.6.3 organisational-domain fallback), a lint of its tags, and
// the authorisation of external report destinations (RFC 7489 §7.1).
//
// Records are fetched through the run's DNS client and parsed here;
// github.com/emersion/go-msgauth/dmarc's strict RFC 7489 parser is used as a
// second opinion on compatibility. Its Lookup (system resolver, no
// fallback) is never used.
package dmarc
