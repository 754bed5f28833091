// Package mailcanon splits a raw message into its header fields and body
// and canonicalises them the way DKIM (RFC 6376 §3.4) and ARC (RFC 8617,
// which reuses DKIM's algorithms) sign them. It also parses the strict
// tag=value lists of signature header fields (RFC 6376 §3.2).
//
// go-msgauth keeps its canonicalisation private; this package is small,
// bounded and shared by the message checks (ARC now, DKIM lints later).
// Everything works on the raw bytes: re-serialised headers break
// signatures.
package mailcanon
