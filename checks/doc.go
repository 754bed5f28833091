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
//	profile   "profile": mailbox providers' sender rules (--profile), read from the other checks' facts
//
// The message checks (mxray analyze, mxray receive), listed by
// all.MessageChecks; Target.Message holds the message:
//
//	msgheaders   "msg-headers": RFC 5322 and what mailbox providers reject in a header
//	msgdkim      "msg-dkim": every DKIM-Signature verified, with lints
//	msgspf       "msg-spf": check_host() for the trusted hop's client address
//	msgdmarc     "msg-dmarc": DMARC of the From domain, SPF and DKIM alignment
//	msgarc       "msg-arc": the ARC chain (RFC 8617)
//	msgauthres   "msg-authres": trusted receivers' Authentication-Results beside mxray's own
//	msgunsub     "msg-unsubscribe": List-Unsubscribe and one-click (RFC 2369, 8058) of bulk mail
//	msgbounce    "msg-bounce": a bounce decoded and classified, with what to change
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
//	message   a received message: header fields, Received chain, trusted hop, Authentication-Results
//	arc       RFC 8617 ARC verification and sealing over raw bytes
//	bounce    RFC 3464 DSNs and common bounce formats, classified by cause
//	internal/mailcanon   bounded header splitting and DKIM canonicalisation
//	golden, leakcheck, internal/conformance, internal/policytest,
//	message/messagetest   test support
package checks
