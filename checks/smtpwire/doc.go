// Package smtpwire is mxray's SMTP client session: github.com/emersion/go-smtp's
// client wrapped at the boundary so that every wait has a deadline (the
// greeting its own), a cancelled context aborts the exchange, every reply
// is read through one bounded reader (ReplyConn: whole lines only, at most
// MaxReplyLines lines and MaxReplyBytes octets), the TLS handshake after
// STARTTLS is explicit and timed, errors are in plain words (*Error), and
// both directions of the conversation are recorded with direction marks.
//
// The smtp and tls checks use it to probe MX hosts, through one fan-out over
// hosts and addresses (ProbeMX) and one tally of how the connections went
// (Count, Tally.Port25Blocked); the opening of a session up to TLS
// (Opening) is what the tls check judges, read from the smtp check's
// session. `mxray send` uses it to deliver a message. Transcript lines are
// escaped by mxray's one rule, safetext.Line. Nothing here decides whether a server is healthy:
// findings are derived from the typed results (replies, stages, TLS state),
// never by parsing the transcript, which is for people.
package smtpwire
