// Package spf implements the "spf" check and an RFC 7208 SPF engine: a
// parser that reports syntax errors with their position, check_host() with
// the RFC's processing limits (10 DNS-querying terms, 2 void lookups, 10
// names per mx/ptr), temperror and permerror exactly as the RFC defines
// them, explanations and the full macro language; and a static analysis of
// the published record (the include/redirect tree with the lookup cost of
// every branch).
//
// The evaluator is tested against the openspf conformance suites, served
// through a real DNS server (see conformance_test.go).
package spf
