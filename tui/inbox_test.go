package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/report"
)

// inboxMessage is a corpus message as mxray receive hands it to the list:
// a real run of the message checks, with the SMTP session it came in.
func inboxMessage(t *testing.T, id, name, helo string, at time.Time) (InboxMessage, Options) {
	t.Helper()
	o, run := messageRun(t, name)
	info := o.Message
	info.SMTP = &report.SMTPSession{ClientIP: netip.MustParseAddr("127.0.0.1"), HELO: helo, MailFrom: "bounce@" + name + ".example", ReceivedAt: at}
	return InboxMessage{ID: id, Info: info, Report: run.report}, o
}

// TestGoldenInbox pins the test inbox's list (mxray receive on a
// terminal): two messages, newest first, the header saying where the
// inbox listens and that --count is reached; enter opens the newest
// message's dashboard, whose Headers pane shows the SMTP session; esc goes
// back to the list.
func TestGoldenInbox(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	first, o := inboxMessage(t, "message 1", "good", "client.good.example", at)
	second, _ := inboxMessage(t, "message 2", "from-missing", "client.other.example", at.Add(time.Minute))
	ch := make(chan InboxMessage, 2)
	ch <- first
	ch <- second
	close(ch)
	opts := testOptions(Options{Checks: o.Checks, Inbox: &InboxOptions{Messages: ch, Listen: "127.0.0.1:2525", STARTTLS: true, Count: 2}})
	tm := teatest.NewTestModel(t, New(context.Background(), opts), teatest.WithInitialTermSize(120, 24))
	waitFor(t, tm, "2 of 2 received, press q")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "not a bounce")
	tm.Send(keyMsg("tab")) // the Headers pane, with the SMTP session
	waitFor(t, tm, "as mxray receive saw it")
	tm.Send(keyMsg("esc"))
	tm.Send(keyMsg("esc"))
	waitFor(t, tm, "CLIENT IP")
	m, v := finalView(t, tm)
	if m.State() != "domains" {
		t.Errorf("state %s after esc, want the list", m.State())
	}
	if i, j := strings.Index(v, "15:05:05"), strings.Index(v, "15:04:05"); i < 0 || j < 0 || i > j {
		t.Errorf("want the newest message first:\n%s", v)
	}
	teatest.RequireEqualOutput(t, []byte(v))
}

// TestGoldenInboxDashboard pins the dashboard a received message opens:
// the message checks and the header naming the message.
func TestGoldenInboxDashboard(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	first, o := inboxMessage(t, "message 1", "good", "client.good.example", at)
	ch := make(chan InboxMessage, 1)
	ch <- first
	defer close(ch) // the inbox ends with the test
	opts := testOptions(Options{Checks: o.Checks, Inbox: &InboxOptions{Messages: ch, Listen: "127.0.0.1:2525"}})
	tm := teatest.NewTestModel(t, New(context.Background(), opts), teatest.WithInitialTermSize(120, 24))
	waitFor(t, tm, "1 received")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "not a bounce")
	m, v := finalView(t, tm)
	if m.State() != "dashboard" {
		t.Errorf("state %s after enter, want the dashboard", m.State())
	}
	teatest.RequireEqualOutput(t, []byte(v))
}

// TestInboxRowBounded: a client's huge Subject or HELO is clipped in the
// row the list keeps of every message, on a rune boundary.
func TestInboxRowBounded(t *testing.T) {
	long := strings.Repeat("é", 1000)
	r := inboxRowOf(&report.MessageInfo{SMTP: &report.SMTPSession{HELO: long, MailFrom: long}})
	for _, f := range []string{r.helo, r.mailFrom} {
		if len(f) > maxRowField || !utf8.ValidString(f) {
			t.Errorf("field of %d bytes (valid %v)", len(f), utf8.ValidString(f))
		}
	}
}

// TestInboxOpenGone: a message whose full report is no longer kept (or
// that could not be analysed) stays in the list; enter says why nothing
// opens.
func TestInboxOpenGone(t *testing.T) {
	ch := make(chan InboxMessage, maxCachedReports+2)
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	first, o := inboxMessage(t, "message 0", "good", "client.good.example", at)
	ch <- InboxMessage{ID: "broken", Info: first.Info, Err: errors.New("the resolver cannot be trusted")}
	for i := range maxCachedReports + 1 {
		im := first
		im.ID = fmt.Sprintf("message %d", i)
		ch <- im
	}
	close(ch)
	m := New(t.Context(), testOptions(Options{Checks: o.Checks, Inbox: &InboxOptions{Messages: ch, Listen: "127.0.0.1:2525"}}))
	cmd := m.Init()
	for cmd != nil {
		msg, ok := cmd().(inboxMsg)
		if !ok {
			break
		}
		cmd = m.inboxDone(msg)
	}
	if n, c := len(m.multi.entries), m.multi.cache.len(); n != maxCachedReports+2 || c != maxCachedReports {
		t.Fatalf("%d entries, %d reports kept; want %d and %d", n, c, maxCachedReports+2, maxCachedReports)
	}
	for name, want := range map[string]string{"broken": "could not be analysed", "message 0": "kept in full"} {
		m.flash = ""
		m.openListed(name)
		if !strings.Contains(m.flash, want) || m.state != stateDomains {
			t.Errorf("open %s: flash %q, state %s", name, m.flash, m.State())
		}
	}
	m.openListed("message 200")
	if m.state != stateDashboard {
		t.Errorf("the newest message did not open: %s", m.State())
	}
}
