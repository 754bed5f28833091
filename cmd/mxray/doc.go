// Command mxray diagnoses email deliverability: MX, SPF, DKIM, DMARC, TLS,
// MTA-STS, DANE, blocklists and SMTP behaviour of a domain.
//
//	mxray check example.com [flags]
//	mxray demo
//	mxray explain mx.cname
//	mxray version
//
// Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
// 2 usage or input error; 3 a check could not decide (and nothing failed).
package main
