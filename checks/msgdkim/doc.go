// Package msgdkim is the msg-dkim check: it verifies every DKIM-Signature
// of a message (RFC 6376; RSA and Ed25519, RFC 8463) with go-msgauth's
// dkim package, looking keys up through the run's DNS client so every
// lookup keeps its timeout, and says why each failing signature fails.
//
// A signature that cannot be verified because a key lookup failed for a
// reason that may pass (a timeout, SERVFAIL) is undecided, never failed:
// when no signature passes and one is undecided, the check has status
// error. The check publishes a typed Fact (which signatures passed, their
// d= domains and signed header fields) for msg-dmarc and msg-unsubscribe.
package msgdkim
