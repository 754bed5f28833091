// Package msgbounce is the msg-bounce check: it decodes a bounce (an RFC
// 3464 delivery status notification, or one of the text formats common MTAs
// and mailbox providers send) with package bounce, and says per category of
// failure what the sender should change, keeping each recipient's enhanced
// status code, SMTP reply and diagnostic text as the evidence.
//
// It runs on message targets only (mxray analyze, mxray receive); for a
// domain, or a message that is not a bounce, it is not applicable.
package msgbounce
