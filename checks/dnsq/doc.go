// Package dnsq is mxray's DNS client, built on github.com/miekg/dns.
//
// One Client serves one run. It sends every query with EDNS0 and the DO bit,
// reports the AD bit, retries over TCP when an answer is truncated, fails over
// between servers, and caches every (name, type) with single-flight so that
// however many checks ask, each question goes on the wire once per run.
//
// It keeps the outcomes apart that other tools conflate: a successful answer
// (records, NODATA or NXDOMAIN) is an *Answer; a timeout, SERVFAIL, REFUSED or
// unreachable server is an error (ErrTimeout, ErrServFail, ErrRefused,
// ErrUnreachable), so a failure is never mistaken for "no record".
package dnsq
