// Package tagval parses the tag=value lists that DNS policy records share
// (DKIM keys, RFC 6376 §3.2; DMARC, RFC 7489 §6.4; MTA-STS and TLS-RPT TXT
// records, RFC 8461 §3.1 and RFC 8460 §3; BIMI assertion records).
//
// The parser is lenient where receivers are lenient and reports every
// deviation as a Problem, so each check can decide which ones matter. It is
// bounded: records are capped in length and tag count, and hostile input
// (NUL bytes, thousands of tags) yields problems, never a panic.
package tagval
