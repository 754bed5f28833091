package msgbounce_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgbounce"
)

// recipient is one recipient block of a generated DSN.
type recipient struct {
	addr, action, status, diag string
}

// dsn writes an RFC 3464 multipart/report as a Postfix-like MTA sends it.
func dsn(rs ...recipient) []byte {
	var b strings.Builder
	b.WriteString("Return-Path: <>\r\nReceived: by mx.sender.test (Postfix) id 4XyZ; Sat,  5 Dec 2026 10:00:01 +0000 (UTC)\r\n")
	b.WriteString("Date: Sat,  5 Dec 2026 10:00:01 +0000 (UTC)\r\nFrom: MAILER-DAEMON@mx.sender.test (Mail Delivery System)\r\n")
	b.WriteString("Subject: Undelivered Mail Returned to Sender\r\nTo: alice@sender.test\r\nMessage-Id: <20261205100001.4XyZ@mx.sender.test>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n")
	b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n")
	b.WriteString("--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.sender.test\r\nArrival-Date: Sat,  5 Dec 2026 09:59:58 +0000 (UTC)\r\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; %s\r\nOriginal-Recipient: rfc822;%s\r\nAction: %s\r\nStatus: %s\r\nRemote-MTA: dns; mx.rcpt.test\r\nDiagnostic-Code: smtp; %s\r\n",
			r.addr, r.addr, r.action, r.status, r.diag)
	}
	b.WriteString("\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Alice <alice@sender.test>\r\nTo: bob@rcpt.test\r\nSubject: quarterly report\r\nMessage-ID: <q4@sender.test>\r\n\r\n--B--\r\n")
	return []byte(b.String())
}

func run(t *testing.T, raw []byte) checks.Result {
	t.Helper()
	w := mailtest.New(t, "")
	env, err := w.Env(checks.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := message.Parse(raw, message.Options{})
	r := checks.Runner{Env: env, Checks: []checks.Check{msgbounce.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: m.FromDomain, Message: m})
	return rep.Results[0]
}

func summary(res checks.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s\n", res.EffectiveStatus())
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s %s host=%s subject=%s\n  %s\n", f.Severity, f.ID, f.Host, f.Subject, f.Message)
	}
	for _, it := range checks.DescribeData(res.Data) {
		fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("  ", it.Depth), it.Label, it.Value)
	}
	return b.String()
}

// TestFindings: one DSN per category; case name = finding ID = golden name.
func TestFindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id, reply, status, diag string
	}{
		{"msg-bounce.authentication", "550", "5.7.515", "Access denied, sending domain sender.test does not meet the required authentication level"},
		{"msg-bounce.dmarc", "550", "5.7.26", "Unauthenticated email from sender.test is not accepted due to domain's DMARC policy"},
		{"msg-bounce.spf", "550", "5.7.27", "The SPF check failed for the sending domain"},
		{"msg-bounce.dkim", "550", "5.7.30", "DKIM signature missing or invalid: the message must be signed by DKIM"},
		{"msg-bounce.ptr", "550", "5.7.25", "The IP address sending this message does not have a PTR record setup"},
		{"msg-bounce.tls", "530", "5.7.10", "Must issue a STARTTLS command first: TLS required"},
		{"msg-bounce.blocklist", "554", "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"},
		{"msg-bounce.reputation", "421", "4.7.28", "Our system has detected an unusual rate of unsolicited mail originating from your IP address"},
		{"msg-bounce.rate", "450", "4.2.1", "rate limit exceeded: too many messages"},
		{"msg-bounce.content", "552", "5.7.1", "Message rejected as spam by Content Filtering"},
		{"msg-bounce.mailbox", "550", "5.1.1", "The email account that you tried to reach does not exist"},
		{"msg-bounce.policy", "550", "5.7.1", "Relaying denied by policy: recipient not allowed"},
		{"msg-bounce.other", "550", "5.0.0", "something odd happened here, really"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			res := run(t, dsn(recipient{"bob@rcpt.test", "failed", tc.status, tc.reply + " " + tc.status + " " + tc.diag}))
			if len(res.Findings) != 1 || res.Findings[0].ID != tc.id || res.Findings[0].Severity != checks.SevFail {
				t.Fatalf("findings %+v, want one %s fail", res.Findings, tc.id)
			}
			f := res.Findings[0]
			if f.Host != "mx.rcpt.test" || f.Subject != "bob@rcpt.test" || !strings.Contains(f.Message, tc.status) || f.Evidence == nil {
				t.Errorf("finding %+v", f)
			}
			golden.Check(t, "msgbounce/"+tc.id+".txt", []byte(summary(res)))
		})
	}
}

// TestDelayedOnlyWarns: a delay is retried by the sending server.
func TestDelayedOnlyWarns(t *testing.T) {
	t.Parallel()
	res := run(t, dsn(
		recipient{"a@rcpt.test", "delayed", "4.2.1", "450 4.2.1 rate limit exceeded: too many messages"},
		recipient{"b@rcpt.test", "delivered", "2.0.0", "250 2.0.0 Ok"},
	))
	if len(res.Findings) != 1 || res.Findings[0].ID != "msg-bounce.rate" || res.Findings[0].Severity != checks.SevWarn || res.EffectiveStatus() != checks.StatusWarn {
		t.Fatalf("findings %+v", res.Findings)
	}
	if !strings.Contains(res.Findings[0].Message, "delayed") {
		t.Errorf("message %q", res.Findings[0].Message)
	}
}

// TestOneFindingPerCategory: several recipients refused for one reason are
// one finding that names them.
func TestOneFindingPerCategory(t *testing.T) {
	t.Parallel()
	var rs []recipient
	for i := range 7 {
		rs = append(rs, recipient{fmt.Sprintf("u%d@rcpt.test", i), "failed", "5.1.1", "550 5.1.1 The email account that you tried to reach does not exist"})
	}
	res := run(t, dsn(rs...))
	if len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "and 2 more") {
		t.Fatalf("findings %+v", res.Findings)
	}
}

// TestNotABounce: an ordinary message, and a domain run, are not
// applicable: skip with the reason, never pass.
func TestNotABounce(t *testing.T) {
	t.Parallel()
	res := run(t, []byte("From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: hi\r\n\r\nhello\r\n"))
	if res.Status != checks.StatusSkip || !strings.Contains(res.Skip, "not a bounce") {
		t.Errorf("status %s (%q)", res.Status, res.Skip)
	}
	w := mailtest.New(t, "")
	env, _ := w.Env(checks.Options{Timeout: time.Second})
	r := checks.Runner{Env: env, Checks: []checks.Check{msgbounce.Check{}}}
	if got := r.Run(context.Background(), checks.Target{Domain: "example.com"}).Results[0]; got.Status != checks.StatusSkip {
		t.Errorf("domain run: status %s", got.Status)
	}
}

// TestCatalogue: every finding ID has a Why and a Fix and a case above.
func TestCatalogue(t *testing.T) {
	src, err := os.ReadFile("msgbounce_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range (msgbounce.Check{}).Findings() {
		if d.Why == "" || d.Fix == "" || d.Title == "" || !d.Severity.Valid() {
			t.Errorf("%s: incomplete catalogue entry %+v", d.ID, d)
		}
		if !strings.Contains(string(src), `"`+d.ID+`"`) {
			t.Errorf("%s has no case", d.ID)
		}
	}
}

// TestCorpus runs the check over the 307 real labelled bounces: it never
// panics or errs, and every bounce whose recipients failed gets a fail
// finding of the category the decoder gave.
func TestCorpus(t *testing.T) {
	t.Parallel()
	dir := conformance.Dir(t, "bounces")
	files, err := filepath.Glob(filepath.Join(dir, "eml", "*"))
	if err != nil || len(files) == 0 {
		conformance.Missing(t, "no bounces under %s", dir)
		return
	}
	w := mailtest.New(t, "")
	env, _ := w.Env(checks.Options{Timeout: time.Second})
	r := checks.Runner{Env: env, Checks: []checks.Check{msgbounce.Check{}}}
	counts := map[checks.Status]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := message.Parse(raw, message.Options{})
		res := r.Run(context.Background(), checks.Target{Domain: m.FromDomain, Message: m}).Results[0]
		counts[res.EffectiveStatus()]++
		if res.Status == checks.StatusError {
			t.Errorf("%s: error %q", filepath.Base(f), res.Err)
		}
		d, ok := res.Data.(msgbounce.Data)
		if !ok {
			continue
		}
		for _, rc := range d.Bounce.Recipients {
			if rc.Action == "failed" {
				found := false
				for _, fd := range res.Findings {
					found = found || (fd.ID == "msg-bounce."+string(rc.Category) && fd.Severity == checks.SevFail)
				}
				if !found {
					t.Errorf("%s: %s failed (%s) but no fail finding of its category: %v", filepath.Base(f), rc.Address, rc.Category, res.Findings)
				}
			}
		}
	}
	t.Logf("%d bounces: %v", len(files), counts)
}

// TestCorpusBounces: the DSNs of testdata/messages, in the shapes Gmail,
// Microsoft, Yahoo and Postfix send, are decoded into the category whose
// fix applies, with the enhanced status code kept.
func TestCorpusBounces(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, id, status string
		sev              checks.Severity
	}{
		{"bounce-gmail-dmarc", "msg-bounce.dmarc", "5.7.26", checks.SevFail},
		{"bounce-microsoft-515", "msg-bounce.authentication", "5.7.515", checks.SevFail},
		{"bounce-yahoo-deferred", "msg-bounce.reputation", "4.7.0", checks.SevWarn},
		{"bounce-postfix-mailbox", "msg-bounce.mailbox", "5.1.1", checks.SevFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, messagetest.Raw(t, tc.name))
			if len(res.Findings) != 1 || res.Findings[0].ID != tc.id || res.Findings[0].Severity != tc.sev {
				t.Fatalf("findings %+v, want one %s %s", res.Findings, tc.id, tc.sev)
			}
			d, ok := res.Data.(msgbounce.Data)
			if !ok || len(d.Bounce.Recipients) != 1 || d.Bounce.Recipients[0].Status != tc.status {
				t.Errorf("data %+v: want the status %s kept", res.Data, tc.status)
			}
		})
	}
}

// TestTooLargeIsNotApplicable: a message over the bounce reader's limit
// (analyze takes up to 50 MB) is not a bounce to read: skip with the
// reason, never an error with the parser's words.
func TestTooLargeIsNotApplicable(t *testing.T) {
	t.Parallel()
	raw := append([]byte("From: a@sender.test\r\nSubject: big\r\n\r\n"), bytes.Repeat([]byte("x"), 17<<20)...)
	res := run(t, raw)
	if res.Status != checks.StatusSkip || !strings.Contains(res.Skip, "larger than a bounce is read") || strings.Contains(res.Skip, "bounce:") {
		t.Errorf("status %s, skip %q, error %q", res.Status, res.Skip, res.Err)
	}
}
