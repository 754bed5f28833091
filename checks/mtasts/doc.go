// Package mtasts implements the "mtasts" check: the _mta-sts TXT record
// and the policy served at https://mta-sts.<domain>/.well-known/mta-sts.txt
// (RFC 8461), fetched strictly (no redirects, validated certificate,
// text/plain, 64 KiB cap, short timeout), parsed, and matched against the
// domain's MX hosts. It publishes *Fact for the tls and tlsrpt checks.
package mtasts
