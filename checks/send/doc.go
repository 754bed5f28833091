// Package send delivers one test message over SMTP and traces every protocol
// step: DNS, connect, banner, EHLO, STARTTLS and the TLS handshake, AUTH,
// MAIL, RCPT, DATA, the message itself and QUIT. Each step carries its start
// offset, its duration and the lines each side sent, kept apart by direction
// (also after STARTTLS). AUTH payloads never appear in a trace: they are
// replaced by "***".
//
// A UI follows a send live through Options.OnStep, called once per finished
// step in order; the same steps end up in Trace.Steps.
package send
