package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/report"
)

// corpusDir is the message corpus (written by go test
// ./checks/message/messagetest -update). messagetest itself is not
// imported: its golden package's -update flag collides with teatest's.
const corpusDir = "../testdata/messages"

// corpusBase is the root and TLD zone under the corpus zone.
const corpusBase = `
$ORIGIN .
$TTL 300
.          IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
example.   IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
test.      IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
`

// corpusNow is the corpus's clock (messagetest's), so that signatures are
// judged as when the corpus was written.
var corpusNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// messageRun is a real run of the message checks over the corpus message
// name (testdata/messages) in the corpus's DNS world, normalised like the
// demo world's runs, with the options mxray analyze gives the TUI.
func messageRun(t *testing.T, name string) (Options, *scriptedRun) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, name+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	zone, err := os.ReadFile(filepath.Join(corpusDir, "zone.txt"))
	if err != nil {
		t.Fatal(err)
	}
	w := mailtest.New(t, corpusBase+string(zone))
	env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	env.Now = func() time.Time { return corpusNow }
	m := message.Parse(raw, message.Options{})
	r := &checks.Runner{Env: env, Checks: all.MessageChecks(), Registry: all.MessageChecks()}
	rep := r.Run(context.Background(), checks.Target{Domain: m.FromDomain, Input: m.FromDomain, Message: m})
	for _, res := range rep.Results {
		if res.Err != "" {
			t.Fatalf("the %s check could not decide: %s", res.ID, res.Err)
		}
	}
	normalise(rep)
	var rows []CheckInfo
	for _, c := range all.MessageChecks() {
		rows = append(rows, CheckInfo{ID: c.ID(), Title: c.Title(), Needs: c.Needs()})
	}
	o := Options{Domain: m.FromDomain, Checks: rows, Message: &report.MessageInfo{Message: m}}
	return o, &scriptedRun{events: eventsOf(rep), report: rep}
}

// TestGoldenHeaders pins a message run of the corpus's good.eml: the
// dashboard names the message instead of a domain, and the Headers pane
// lists its fields and its Received chain with the trusted hop marked.
func TestGoldenHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want string
	}{
		{"message_dashboard", nil, "DNS queries"},
		{"headers_fields", []string{"tab"}, "Header fields"},
		{"headers_trusted_hop", []string{"tab", "n"}, "trusted hop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, run := messageRun(t, "good")
			o.Run, o.AutoStart = run.run, true
			tm := startTM(t, o)
			keys(tm, tc.keys...)
			waitFor(t, tm, tc.want)
			_, v := finalView(t, tm)
			teatest.RequireEqualOutput(t, []byte(v))
		})
	}
}

// TestHeadersTabs: a message run offers the Headers pane and not the
// panes of a domain's checks; n reaches the trusted hop; esc goes back.
func TestHeadersTabs(t *testing.T) {
	o, run := messageRun(t, "good")
	m := ran(t, o, run)
	if v := m.View(); !strings.Contains(v, "message from alice@sender.example") || !strings.Contains(v, "Quarterly report") {
		t.Errorf("the header does not name the message:\n%s", v)
	}
	var seen []string
	for range 4 {
		m = press(m, "tab")
		seen = append(seen, m.State())
	}
	if strings.Join(seen, " ") != "headers dashboard headers dashboard" {
		t.Errorf("tab goes through %v, want the headers and the dashboard only", seen)
	}
	m = press(m, "tab")
	if !strings.Contains(m.View(), "Header fields") {
		t.Errorf("the headers pane shows no hop:\n%s", m.View())
	}
	msg := o.Message.Message
	if msg.TrustedHop < 0 {
		t.Fatal("good.eml has no trusted hop")
	}
	m = press(m, times("n", msg.TrustedHop+1)...)
	if v := m.View(); !strings.Contains(v, "trusted hop") || !strings.Contains(v, msg.Trusted().ClientIP.String()) {
		t.Errorf("n does not reach the trusted hop:\n%s", v)
	}
	m = press(m, "esc")
	if m.State() != "dashboard" {
		t.Errorf("esc: the screen is %s, want dashboard", m.State())
	}
}

// TestHeadersHostile: header text reaches the screen escaped, and a flood
// of fields and hops is bounded.
func TestHeadersHostile(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: \"\x1b[2J\" <evil@x.example>\r\nSubject: hi\x1b]52;c;Zm9v\x07there\r\n")
	for range 500 {
		b.WriteString("Received: from a\x1b[31m ([192.0.2.1]) by b; Fri, 02 Jan 2026 15:04:02 +0000\r\n")
		b.WriteString("List-Id: <\x1b[1mlist>\r\n")
	}
	b.WriteString("\r\nbody\r\n")
	msg := message.Parse([]byte(b.String()), message.Options{})
	m := New(t.Context(), testOptions(Options{Domain: "x.example", Message: &report.MessageInfo{Message: msg}}))
	m = press(m, "tab")
	for _, v := range []string{m.View(), strings.Join(m.headers.lines, "\n")} {
		if strings.ContainsAny(v, "\x1b\x07") {
			t.Fatalf("a control character from the message reached the screen:\n%q", v)
		}
	}
	if n := len(m.headers.lines); n > 2000 {
		t.Errorf("%d lines for 500 hops: not bounded", n)
	}
}
