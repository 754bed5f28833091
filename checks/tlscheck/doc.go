// Package tlscheck implements the "tls" check: STARTTLS on every address of
// every MX host, an explicit and timed TLS handshake, the certificate chain
// verified against the trusted roots and the MX host name, expiry, key
// strength, whether TLS 1.0/1.1 are still accepted, and DANE (RFC 7672).
//
// The handshake it judges is the smtp check's: it reads the opening of the
// smtp check's session with each address (smtp.FactKey) instead of opening
// one of its own, so both checks cost one connection per address, and
// opens a second one only for the TLS 1.0/1.1 probe. Without the smtp
// check in the run (no Registry to resolve Needs), it opens its own.
//
// Severity follows context, as a sending MTA would judge: a certificate
// that fails PKIX validation is a warning under opportunistic TLS, and a
// failure when MTA-STS is in enforce mode or DANE applies and does not
// authenticate the server. When a DNSSEC-signed TLSA record does
// authenticate it (a DANE-EE record ignores the certificate's names and
// dates, RFC 7672 §3.1.1), the PKIX findings (untrusted, name mismatch,
// expired) matter only to MTA-STS senders: info when the domain has no
// MTA-STS policy, warn under a policy in testing mode, fail under enforce.
//
// The check also judges the domain's MTA-STS policy (mtasts.FactKey)
// against what it found: tls.mtasts-would-fail names every address of an
// MX host the policy covers that an MTA-STS sender would refuse (no
// STARTTLS, a failed handshake, a certificate that fails PKIX validation),
// and each host's data carries its MTA-STS verdict (Host.MTASTS). Under
// --no-smtp nothing about TLS is decided, so none of this is reported.
package tlscheck
