// Package policytest holds the test helpers shared by the policy-record
// checks (dkim, dmarc, mtasts, tlsrpt, bimi): running checks against a
// mailtest world and rendering findings for golden files without the
// parts that vary between runs (round-trip times, loopback ports).
package policytest
