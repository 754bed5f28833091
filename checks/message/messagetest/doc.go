// Package messagetest runs the message checks against the message corpus
// under testdata/messages: messages signed with the keys of a mailtest
// DNS world whose zone (testdata/messages/zone.txt) publishes them. The
// corpus is written by this package's generator test (go test
// ./checks/message/messagetest -update).
package messagetest
