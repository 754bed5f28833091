// Package checks is the mxray check engine: the types every check shares
// (Target, Env, Finding, Result, Report), the finding catalogue (Def), the
// status arithmetic, and the Runner that executes checks concurrently,
// exchanges their typed facts (FactKey) and reports each root cause once
// (RootCause). It knows nothing of terminals or output formats: package
// report encodes its results and package tui renders its events.
//
// # Which room is which
//
// The checks, one package each, listed in report order by checks/all:
//
//	dnscheck  "dns": the domain exists, its name servers, DNSSEC (AD, authenticated DS denial)
//	mx        "mx": MX records, null MX, implicit MX, the addresses of every MX host
//	spf       "spf": RFC 7208 record analysis and the check_host() engine
//	dkim      "dkim": DKIM key records at given and common selectors
//	dmarc     "dmarc": DMARC discovery (RFC 9989 tree walk, RFC 7489 fallback) and policy
//	mtasts    "mtasts": the MTA-STS record and the HTTPS policy
//	tlsrpt    "tlsrpt": the SMTP TLS reporting record
//	bimi      "bimi": the BIMI record and its SVG logo
//	smtp      "smtp": every MX address on port 25: banner, EHLO, relay, postmaster...
//	tlscheck  "tls": STARTTLS, certificates and DANE of every MX address
//	dnsbl     "dnsbl": MX addresses, --ip addresses and the domain on blocklists
//	ptr       "ptr": reverse DNS of the --ip sending addresses (PTR, FCrDNS, generic names)
//
// The infrastructure they stand on:
//
//	dnsq      the DNS client: cache, single-flight, failover, trust probe, evidence log
//	smtpwire  the SMTP client session over go-smtp: bounded replies, deadlines, transcripts
//	send      one traced test message (mxray send)
//	tagval    tag=value records (DKIM, DMARC, MTA-STS, TLS-RPT, BIMI)
//	safetext  the one escaping rule for network text shown to people
//	mailtest  a fake mail world on loopback for tests and the demo (DNS, SMTP, HTTPS, DNSBL, a CA)
//	demo      the demo world's domains, zones and servers
//	golden, leakcheck, internal/conformance, internal/policytest   test support
package checks
