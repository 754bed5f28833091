package bounce

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/internal/policytest"
)

// dsn builds a multipart/report DSN with a human-readable part and one
// per-recipient group per entry of groups.
func dsn(human string, groups ...string) string {
	var b strings.Builder
	b.WriteString("From: Mail Delivery System <MAILER-DAEMON@mx.sender.example>\r\n" +
		"To: alice@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\n" + human + "\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.sender.example\r\n")
	for _, g := range groups {
		b.WriteString("\r\n" + g)
	}
	b.WriteString("\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@sender.example\r\nTo: bob@gmail.example\r\nSubject: hi\r\n\r\n--B--\r\n")
	return b.String()
}

func TestParse(t *testing.T) {
	cases := []struct {
		name     string
		msg      string
		format   Format
		want     []Recipient // compared on address, action, status, reply, category, remote MTA
		reporter string
	}{
		{name: "dsn-gmail-dmarc", format: FormatDSN, reporter: "mx.sender.example",
			msg: dsn("The mail system rejected it.",
				"Final-Recipient: rfc822; bob@gmail.example\r\nAction: failed\r\nStatus: 5.7.26\r\nRemote-MTA: dns; gmail-smtp-in.l.google.com\r\n"+
					"Diagnostic-Code: smtp; 550-5.7.26 Unauthenticated email from sender.example is not accepted due to\r\n"+
					" 550-5.7.26 domain's DMARC policy. Please contact the administrator of\r\n 550 5.7.26 sender.example domain.\r\n"),
			want: []Recipient{{Address: "bob@gmail.example", Action: ActionFailed, Status: "5.7.26", Reply: "550", Category: CategoryDMARC, RemoteMTA: "gmail-smtp-in.l.google.com"}}},
		{name: "dsn-gmail-unauthenticated", format: FormatDSN,
			msg: dsn("", "Final-Recipient: rfc822; bob@gmail.example\r\nAction: failed\r\nStatus: 5.7.26\r\n"+
				"Diagnostic-Code: smtp; 550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users\r\n"),
			want: []Recipient{{Address: "bob@gmail.example", Action: ActionFailed, Status: "5.7.26", Reply: "550", Category: CategoryAuthentication}}},
		{name: "dsn-microsoft-5.7.515", format: FormatDSN,
			msg: dsn("", "Final-Recipient: rfc822; carol@outlook.example\r\nAction: failed\r\nStatus: 5.7.515\r\n"+
				"Diagnostic-Code: smtp; 550 5.7.515 Access denied, sending domain sender.example doesn't meet the required authentication level.\r\n"),
			want: []Recipient{{Address: "carol@outlook.example", Action: ActionFailed, Status: "5.7.515", Reply: "550", Category: CategoryAuthentication}}},
		{name: "dsn-two-recipients-generic-status", format: FormatDSN,
			msg: dsn("", "Final-Recipient: rfc822; a@x.example\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 5.1.1 <a@x.example>: Recipient address rejected: User unknown\r\n",
				"Final-Recipient: rfc822; b@x.example\r\nAction: delayed\r\nStatus: 4.0.0\r\nDiagnostic-Code: smtp; 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to user complaints\r\n"),
			want: []Recipient{
				{Address: "a@x.example", Action: ActionFailed, Status: "5.1.1", Reply: "550", Category: CategoryMailbox},
				{Address: "b@x.example", Action: ActionDelayed, Status: "4.7.0", Reply: "421", Category: CategoryReputation},
			}},
		{name: "dsn-ptr", format: FormatDSN,
			msg:  dsn("", "Final-Recipient: rfc822; d@y.example\r\nAction: failed\r\nStatus: 5.7.25\r\nDiagnostic-Code: smtp; 550 5.7.25 The IP address sending this message does not have a PTR record setup\r\n"),
			want: []Recipient{{Address: "d@y.example", Action: ActionFailed, Status: "5.7.25", Reply: "550", Category: CategoryPTR}}},
		{name: "dsn-blocklist", format: FormatDSN,
			msg:  dsn("", "Final-Recipient: rfc822; e@z.example\r\nAction: failed\r\nStatus: 5.7.1\r\nDiagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org\r\n"),
			want: []Recipient{{Address: "e@z.example", Action: ActionFailed, Status: "5.7.1", Reply: "554", Category: CategoryBlocklist}}},
		{name: "dsn-tls-required", format: FormatDSN,
			msg:  dsn("", "Final-Recipient: rfc822; f@z.example\r\nAction: failed\r\nStatus: 5.7.10\r\nDiagnostic-Code: smtp; 530 5.7.10 Must issue a STARTTLS command first\r\n"),
			want: []Recipient{{Address: "f@z.example", Action: ActionFailed, Status: "5.7.10", Reply: "530", Category: CategoryTLS}}},
		{name: "text-postfix", format: FormatText,
			msg: "From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n" +
				"<bob@example.net>: host mx.example.net[192.0.2.5] said: 550 5.7.1 Message rejected as\r\n    spam by Content Filtering. (in reply to end of DATA command)\r\n",
			want: []Recipient{{Address: "bob@example.net", Action: ActionFailed, Status: "5.7.1", Reply: "550", Category: CategoryContent}}},
		{name: "text-exim-failed-recipients-header", format: FormatText,
			msg: "From: Mail Delivery System <Mailer-Daemon@mx.sender.example>\r\nTo: alice@sender.example\r\nX-Failed-Recipients: bob@example.net\r\n" +
				"Subject: Mail delivery failed: returning message to sender\r\n\r\nThe following address(es) failed:\r\n\r\n  bob@example.net\r\n" +
				"    host mx.example.net [192.0.2.5]\r\n    SMTP error from remote mail server after RCPT TO:<bob@example.net>:\r\n    550 5.1.1 <bob@example.net>: No such user\r\n" +
				"\r\n------ This is a copy of the message, including all the headers. ------\r\nTo: someone@else.example\r\n\r\n452 4.2.2 not this\r\n",
			want: []Recipient{{Address: "bob@example.net", Action: ActionFailed, Status: "5.1.1", Reply: "550", Category: CategoryMailbox}}},
		{name: "text-qmail", format: FormatText,
			msg: "From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: failure notice\r\n\r\n" +
				"Hi. This is the qmail-send program at mx.sender.example.\r\n<bob@example.net>:\r\n192.0.2.5 does not like recipient.\r\n" +
				"Remote host said: 550 Mailbox quota exceeded\r\nGiving up on 192.0.2.5.\r\n\r\n--- Below this line is a copy of the message.\r\n\r\nFrom: alice@sender.example\r\n",
			want: []Recipient{{Address: "bob@example.net", Action: ActionFailed, Reply: "550", Category: CategoryMailbox}}},
		{name: "text-rate-deferred", format: FormatText,
			msg: "From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: Delayed Mail (still being retried)\r\n\r\n" +
				"<bob@example.net>: host mx.example.net said: 421 4.7.28 Our system has detected an unusual rate of unsolicited mail\r\n",
			want: []Recipient{{Address: "bob@example.net", Action: ActionDelayed, Status: "4.7.28", Reply: "421", Category: CategoryReputation}}},
		{name: "feedback-arf", format: FormatFeedback,
			msg: "From: abuse@isp.example\r\nTo: fbl@sender.example\r\nSubject: FW: hi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n" +
				"--F\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\nOriginal-Rcpt-To: <bob@isp.example>\r\n" +
				"--F\r\nContent-Type: message/rfc822\r\n\r\nFrom: alice@sender.example\r\nTo: bob@isp.example\r\n\r\nhello\r\n--F--\r\n",
			want: []Recipient{{Address: "bob@isp.example", Category: CategoryReputation}}},
		{name: "auto-reply", format: FormatAutoReply,
			msg:  "From: Bob <bob@example.net>\r\nTo: alice@sender.example\r\nSubject: Out of Office: hi\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n",
			want: []Recipient{{Address: "bob@example.net", Category: CategoryOther}}},
		{name: "not-a-bounce", format: FormatNone,
			msg: "From: Bob <bob@example.net>\r\nTo: alice@sender.example\r\nSubject: lunch\r\n\r\nSee you at 12.\r\n"},
		{name: "lf-only-and-bad-boundary", format: FormatDSN,
			msg: "From: MAILER-DAEMON@x.example\nSubject: Returned mail\nContent-Type: multipart/report; boundary=\"NOPE\"\n\n" +
				"Final-Recipient: rfc822; g@x.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n",
			want: []Recipient{{Address: "g@x.example", Action: ActionFailed, Status: "5.2.2", Reply: "552", Category: CategoryMailbox}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Parse([]byte(tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Format != tc.format {
				t.Fatalf("format %s, want %s (%+v)", rep.Format, tc.format, rep)
			}
			if tc.reporter != "" && rep.ReportingMTA != tc.reporter {
				t.Errorf("reporting MTA %q, want %q", rep.ReportingMTA, tc.reporter)
			}
			if tc.format == FormatDSN && tc.name == "dsn-gmail-dmarc" && (rep.Original == nil || rep.Original.To != "bob@gmail.example" || rep.Original.Subject != "hi") {
				t.Errorf("original %+v", rep.Original)
			}
			if len(rep.Recipients) != len(tc.want) {
				t.Fatalf("%d recipients, want %d: %+v", len(rep.Recipients), len(tc.want), rep.Recipients)
			}
			for i, w := range tc.want {
				g := rep.Recipients[i]
				got := Recipient{Address: g.Address, Action: g.Action, Status: g.Status, Reply: g.Reply, Category: g.Category, RemoteMTA: g.RemoteMTA}
				if got != w {
					t.Errorf("recipient %d:\n got %+v\nwant %+v\n(diagnostic %q)", i, got, w, g.Diagnostic)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name, status, reply, text string
		want                      Category
	}{
		{"gmail-5.7.26-dmarc", "5.7.26", "550", "Unauthenticated email from x is not accepted due to domain's DMARC policy", CategoryDMARC},
		{"gmail-5.7.26-spf", "5.7.26", "550", "the sender's SPF record does not authorize the IP", CategorySPF},
		{"gmail-5.7.27-spf", "5.7.27", "550", "SPF", CategorySPF},
		{"gmail-5.7.30-dkim", "5.7.30", "550", "DKIM signature did not verify", CategoryDKIM},
		{"gmail-5.7.40-dmarc-missing", "5.7.40", "550", "", CategoryDMARC},
		{"gmail-5.7.29-tls", "5.7.29", "421", "", CategoryTLS},
		{"gmail-4.7.28-rate-spam", "4.7.28", "421", "", CategoryReputation},
		{"gmail-4.7.23-ptr", "4.7.23", "451", "", CategoryPTR},
		{"gmail-5.7.24-suspicious-spf", "5.7.24", "550", "", CategorySPF},
		{"gmail-4.7.31-dmarc", "4.7.31", "421", "", CategoryDMARC},
		{"microsoft-ou-001-spamhaus", "", "550", "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. (S3150) OU-001", CategoryBlocklist},
		{"microsoft-rp-001-rate", "", "421", "RP-001 (BAY004-MC1F12) Unfortunately, some messages from x weren't sent", CategoryRate},
		{"microsoft-sc-001-reputation", "", "550", "SC-001 (CO1NET8) Unfortunately, messages from x weren't sent", CategoryReputation},
		{"microsoft-dy-001-dynamic-ip", "", "550", "DY-001 (COL004-MC4F11) Unfortunately, messages from 192.0.2.1 weren't sent", CategoryPTR},
		{"yahoo-ts01", "", "421", "[TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints", CategoryReputation},
		{"yahoo-5.7.9", "5.7.9", "554", "Message not accepted for policy reasons", CategoryAuthentication},
		{"ptr-text", "4.7.1", "450", "Client host rejected: cannot find your hostname", CategoryPTR},
		{"mailbox-full", "5.2.2", "552", "Mailbox full", CategoryMailbox},
		{"user-unknown-but-listed", "5.1.1", "550", "blocked using zen.spamhaus.org", CategoryBlocklist},
		{"size", "5.3.4", "552", "Message size exceeds fixed maximum message size", CategoryContent},
		{"relay", "5.7.1", "554", "Relay access denied", CategoryPolicy},
		{"timeout", "4.4.1", "", "Connection timed out", CategoryOther},
		{"nothing", "", "", "", CategoryOther},
		{"generic-5.7", "5.7.1", "550", "Go away", CategoryPolicy},
		{"wrapped-phrase", "5.7.1", "550", "550-5.7.1 Messages with multiple\r\n550 5.7.1 addresses in From: header are not accepted", CategoryContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.status, tc.reply, tc.text); got != tc.want {
				t.Errorf("Classify(%q, %q, %q) = %s, want %s", tc.status, tc.reply, tc.text, got, tc.want)
			}
		})
	}
}

// TestFixes: every category has its own fix, in plain words.
func TestFixes(t *testing.T) {
	seen := map[string]Category{}
	for _, c := range Categories {
		f := c.Fix()
		if f == "" {
			t.Errorf("%s: no fix", c)
		}
		if o, dup := seen[f]; dup {
			t.Errorf("%s and %s share a fix", c, o)
		}
		seen[f] = c
		if p := policytest.PlainProblems(f); len(p) > 0 {
			t.Errorf("%s: %v", c, p)
		}
	}
}

// TestHostile: bounded in size, depth and parts; never a panic.
func TestHostile(t *testing.T) {
	nest := func(depth int) string {
		var b strings.Builder
		b.WriteString("From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
		for i := 1; i <= depth; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
		}
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; deep@x.example\r\nStatus: 5.1.1\r\n", depth)
		return b.String()
	}
	many := "From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" +
		strings.Repeat("--m\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; r@x.example\r\nStatus: 5.1.1\r\n", 10*MaxParts)
	cases := []struct {
		name  string
		msg   []byte
		check func(t *testing.T, r *Report, err error)
	}{
		{"too-large", bytes.Repeat([]byte("x"), MaxInput+1), func(t *testing.T, r *Report, err error) {
			if err != ErrTooLarge || r.Format != FormatNone {
				t.Errorf("format %s, err %v", r.Format, err)
			}
		}},
		{"shallow-nesting-read", []byte(nest(MaxDepth - 1)), func(t *testing.T, r *Report, err error) {
			if len(r.Recipients) != 1 {
				t.Errorf("recipients %+v", r.Recipients)
			}
		}},
		{"deep-nesting-not-followed", []byte(nest(50)), func(t *testing.T, r *Report, err error) {
			if r.Format == FormatDSN {
				t.Errorf("followed %d levels", 50)
			}
		}},
		{"many-parts", []byte(many), func(t *testing.T, r *Report, err error) {
			if len(r.Recipients) > MaxRecipients {
				t.Errorf("%d recipients", len(r.Recipients))
			}
		}},
		{"many-addresses", []byte("From: MAILER-DAEMON@x.example\r\nSubject: failure\r\n\r\n" + strings.Repeat("<a@b.example> 550 5.1.1 no\r\n<c@d.example>\r\n", 5000)), func(t *testing.T, r *Report, err error) {
			if len(r.Recipients) > MaxRecipients {
				t.Errorf("%d recipients", len(r.Recipients))
			}
		}},
		{"garbage", []byte("\x00\xff\r\n\r\n--\r\n:::"), func(t *testing.T, r *Report, err error) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.msg)
			if r == nil {
				t.Fatal("nil report")
			}
			tc.check(t, r, err)
		})
	}
}

// TestOrdinaryMessageIsNoBounce: a message with addresses, version numbers
// and reply-like numbers in its body is not a bounce unless a mail system
// wrote it (a bounce sender or subject, the null Return-Path,
// X-Failed-Recipients): it used to be read as a text bounce, reporting the
// address in its signature as refused.
func TestOrdinaryMessageIsNoBounce(t *testing.T) {
	raw := []byte("From: Alice <alice@sender.example>\r\nTo: bob@rcpt.example\r\nSubject: Release notes\r\n" +
		"Return-Path: <alice@sender.example>\r\n\r\n" +
		"Hi Bob,\r\n\r\nversion 2.5.0 is out; 550 users upgraded. Total: 499 tickets closed.\r\n" +
		"Questions: write to support@vendor.example or carol@sender.example.\r\n")
	r, err := Parse(raw)
	if err != nil || r.Format != FormatNone || len(r.Recipients) != 0 {
		t.Fatalf("format %s, recipients %+v, err %v: an ordinary message read as a bounce", r.Format, r.Recipients, err)
	}
	// The same text from MAILER-DAEMON with the null sender is a bounce.
	bounced := []byte("From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Return-Path: <>\r\n\r\n<carol@rcpt.example>: host mx.rcpt.example said: 550 5.1.1 User unknown\r\n")
	if r, _ := Parse(bounced); r.Format != FormatText || len(r.Recipients) != 1 {
		t.Fatalf("format %s, recipients %+v: a text bounce not read", r.Format, r.Recipients)
	}
}
