// Package msgheaders is the msg-headers check: a message's header judged
// by RFC 5322 and by what mailbox providers reject (one From with one
// address, a Message-ID, a valid Date, single-instance fields once, a
// bounded header).
package msgheaders
