// Package message reads an email message for the message checks (msg-*):
// the header fields in order, the From, To, Subject, Message-ID, Date and
// Return-Path, the Received chain with the hop whose client address the
// checks trust, and the Authentication-Results header fields.
//
// The raw bytes are kept as they arrived: DKIM and ARC verify them, and a
// re-serialised header would break their signatures. Everything else is
// derived from them, within Limits, and never panics on hostile input: a
// message over a limit is read as far as the limit and says which limit it
// hit (Message.Limit).
//
// The package does no network I/O and imports nothing of package checks:
// checks.Target carries a *Message for message runs.
package message
