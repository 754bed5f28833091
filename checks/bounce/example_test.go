package bounce_test

import (
	"fmt"

	"github.com/mxray/mxray/checks/bounce"
)

func ExampleParse() {
	msg := "From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n" +
		"<bob@gmail.example>: host gmail-smtp-in.l.google.com[192.0.2.26] said:\r\n" +
		"    550-5.7.26 Unauthenticated email from sender.example is not accepted due to\r\n" +
		"    550 5.7.26 domain's DMARC policy. (in reply to end of DATA command)\r\n"
	rep, err := bounce.Parse([]byte(msg))
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Recipients {
		fmt.Println(rep.Format, r.Address, r.Reply, r.Status, r.Category)
	}
	// Output:
	// text bob@gmail.example 550 5.7.26 dmarc
}
