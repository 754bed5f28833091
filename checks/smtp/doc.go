// Package smtp implements the "smtp" check: it talks to every address of
// every MX host on port 25 the way a sending MTA would — wait for the
// greeting, EHLO, STARTTLS when offered, then VRFY, MAIL FROM:<>, RCPT to
// postmaster (RFC 5321 §4.5.1) and an open-relay probe, then a second
// transaction from a sender that is new on every run (the greylisting
// probe, see prober.probes), never DATA — and checks the reverse DNS of
// each address: missing, not forward-confirmed, or a generic name a
// provider gives consumer addresses (ptr.Generic). Every stage is timed
// and the transcript kept as evidence.
//
// A 4xx reply to VRFY, MAIL or RCPT is retried at once. It is greylisting
// (smtp.greylisted, info) when its words say so, when the retry is
// accepted, or when only the new sender is deferred where the null sender
// was not; otherwise, when the retry fails too, a temporary failure
// (smtp.deferred, warn).
//
// The opening of each session, up to the TLS handshake and the EHLO inside
// TLS, is the tls check's too: the check publishes it (FactKey) as soon as
// it is over, and the tls check judges that handshake instead of opening a
// session of its own. The fan-out over hosts and addresses and the tally
// of how the connections went are smtpwire's (ProbeMX, Count), shared with
// the tls check.
//
// A timeout is never reported as a misconfiguration: when every address
// times out, the check says that port 25 is probably blocked on this
// network (severity error, "could not test").
package smtp
