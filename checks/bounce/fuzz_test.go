package bounce

import (
	"regexp"
	"testing"
)

var statusShape = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// FuzzParse checks that Parse never panics and that what it returns keeps
// its shapes: bounded recipients, known categories, codes that look like
// codes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(dsn("x", "Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n")))
	f.Add([]byte("From: MAILER-DAEMON@x.example\r\nSubject: failure notice\r\n\r\n<a@b.example>:\r\nRemote host said: 550 5.7.26 DMARC\r\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n--x--"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!"))
	f.Add([]byte("{\"notificationType\":\"Complaint\",\"emailAddress\":\"a@b.example\"}"))
	known := map[Category]bool{}
	for _, c := range Categories {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if r == nil {
			t.Fatal("nil report")
		}
		if err != nil && err != ErrTooLarge {
			t.Fatalf("error %v", err)
		}
		if len(r.Recipients) > MaxRecipients {
			t.Fatalf("%d recipients", len(r.Recipients))
		}
		for _, rc := range r.Recipients {
			if !known[rc.Category] {
				t.Fatalf("category %q", rc.Category)
			}
			if rc.Status != "" && !statusShape.MatchString(rc.Status) {
				t.Fatalf("status %q", rc.Status)
			}
			if rc.Reply != "" && (len(rc.Reply) != 3 || rc.Reply[0] < '2' || rc.Reply[0] > '5') {
				t.Fatalf("reply %q", rc.Reply)
			}
		}
	})
}
