// Package msgauthres is the msg-authres check: it reads every
// Authentication-Results field of a message (RFC 8601), trusts only those
// written by a receiver the user named (checks.Target.AuthservIDs, the
// --authserv-id flag: anyone on the path can write such a field, RFC 8601
// §5), and sets the receiver's dkim, spf, dmarc and arc results beside
// mxray's own, flagging where they disagree.
//
// mxray's own results come from the message checks' typed facts, one
// source per method (see sources): a method without a source is shown
// with the receiver's result only. A source whose check is not in the
// run, or had nothing to test, leaves the receiver's result uncompared.
package msgauthres
