// Package arc validates the Authenticated Received Chain of a message
// (RFC 8617): the ARC sets that forwarders and mailing lists add so that a
// receiver can see which authentication results a message had before it
// was forwarded.
//
// Verify reads the raw message bytes (never a re-serialised header) and:
//
//   - gathers ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results
//     by instance (i=) and checks the structure: one of each per instance,
//     instances 1..N with no gap, at most 50, well-formed tags;
//   - checks the cv= values: none at instance 1, pass afterwards, and any
//     cv=fail ends the chain;
//   - verifies the newest ARC-Message-Signature like a DKIM signature
//     (relaxed/simple header and body canonicalisation, bh=, rsa-sha256 or
//     ed25519-sha256, RSA keys of at least 1024 bits);
//   - verifies every ARC-Seal over the ARC sets up to its own, in order
//     (RFC 8617 §5.1.1);
//   - and, for a passing chain, finds the oldest instance whose message
//     signature still verifies.
//
// Keys are fetched through a caller-given LookupTXT, so the caller's DNS
// client (DNSLookup adapts checks/dnsq) keeps its timeouts and cache. A
// missing key fails the chain (permerror); a lookup that fails
// temporarily gives temperror, never fail. Input is bounded: header
// field count and size, body size and the number of ARC header fields.
//
// Seal adds an ARC set (RFC 8617 §5.1) for tests, corpus generators and
// `mxray receive`-style forwarders; it never looks anything up: the
// caller passes the cv= its own Verify found.
//
// Conformance: the ValiMail ARC validation suite, 174 of its 175 tests
// (one, ams_fields_c_na, expects a signature made with relaxed headers to
// verify under the RFC's simple/simple default; see conformance_test.go),
// and its signing suite, 17 of 17 (signatures byte for byte).
package arc
