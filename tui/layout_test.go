package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/smtpwire"
)

func resized(m Model, w, h int) Model {
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

func fits(t *testing.T, name string, m Model) string {
	t.Helper()
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != m.height {
		t.Errorf("%s: %d lines, want %d", name, len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("%s: line %d is %d wide (max %d): %q", name, i, w, m.width, l)
		}
	}
	return v
}

// TestWideDashboardShowsDetail: from 160 columns the dashboard shows the
// selected check's findings beside the list, following the cursor.
func TestWideDashboardShowsDetail(t *testing.T) {
	m := resized(finished(t, Options{}), 170, 40)
	v := fits(t, "wide", m)
	if !strings.Contains(v, "DNS and DNSSEC (dns)") || !strings.Contains(v, "dns.single-ns") {
		t.Fatalf("the selected check's detail is not beside the list:\n%s", v)
	}
	m = press(m, jTo("spf")...)
	v = fits(t, "wide spf", m)
	if !strings.Contains(v, "SPF (spf)") || !strings.Contains(v, "spf.all-pass") || !strings.Contains(v, "mtasts   MTA-STS policy") {
		t.Fatalf("after moving to spf:\n%s", v)
	}
	// Narrower, the list takes the screen alone.
	if v := fits(t, "narrow", resized(m, 120, 40)); strings.Contains(v, "spf.all-pass") {
		t.Fatalf("the detail is beside the list at 120 columns:\n%s", v)
	}
}

// TestNarrowKeepsVerdictAndLastColumns: at 60 columns the header's
// verdict and the matrix's last columns (STS, BL) stay on screen; the
// less important columns give way first.
func TestNarrowKeepsVerdictAndLastColumns(t *testing.T) {
	m := resized(finished(t, Options{}), 60, 20)
	v := fits(t, "dashboard", m)
	if head := strings.SplitN(v, "\n", 2)[0]; !strings.Contains(head, "[FAIL]") {
		t.Fatalf("the verdict is not in the header at 60 columns: %q", head)
	}
	m = press(m, "tab", "tab")
	v = fits(t, "matrix", m)
	hdr := strings.Split(v, "\n")[2]
	for _, col := range []string{"STLS", "CERT", "STS", "BL"} {
		if !strings.Contains(hdr, col) {
			t.Errorf("column %s hidden at 60 columns: %q", col, hdr)
		}
	}
	if strings.Contains(hdr, "EHLO") {
		t.Errorf("EHLO kept before the verdict columns at 60 columns: %q", hdr)
	}
	// While the run goes, the header says how far it is.
	br := newBlockingRun()
	m = resized(New(t.Context(), testOptions(Options{Run: br.run, AutoStart: true})), 60, 20)
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	next, _ := m.Update(listen(h)())
	m = next.(Model)
	if head := strings.SplitN(fits(t, "running", m), "\n", 2)[0]; !strings.Contains(head, "running") {
		t.Errorf("the progress is not in the header at 60 columns: %q", head)
	}
	m.finish()
}

// TestLongLinesWrap: a transcript line longer than the screen wraps; no
// word of it is cut.
func TestLongLinesWrap(t *testing.T) {
	long := "554 5.7.1 Service unavailable; client host [192.0.2.1] blocked using zen.example; see https://www.example.org/query/ip/192.0.2.1 for the reason and how to be delisted"
	rep := fixtureReport()
	r := resultOf(t, rep, "smtp")
	d := *dataOf[smtp.Data](&checkRow{res: r})
	d.Hosts = append([]smtp.Host(nil), d.Hosts...)
	h := d.Hosts[0]
	h.Addresses = append([]smtp.Address(nil), h.Addresses...)
	h.Addresses[0].Transcript = []smtpwire.Entry{{Dir: checks.DirServer, Text: long}}
	d.Hosts[0] = h
	r.Data = d
	m := resized(ran(t, Options{}, &scriptedRun{report: rep}), 60, 20)
	m = press(m, "tab", "tab", "enter")
	v := fits(t, "transcript", m)
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(squeeze(v), squeeze(long)) {
		t.Fatalf("the long line is cut from the transcript:\n%s", v)
	}
	// The send trace's expanded lines too.
	long2 := "250-" + strings.Repeat("VERYLONGEXTENSIONNAME ", 8)
	sendLong := func(ctx context.Context, domain string, onStep send.StepFunc) (*send.Trace, error) {
		steps := fixtureSteps()
		steps[3].Server = []string{long2}
		for _, s := range steps {
			onStep(s)
		}
		tr := fixtureTrace()
		tr.Steps = steps
		return tr, nil
	}
	m = resized(New(t.Context(), testOptions(Options{Domain: "good.example", Send: sendLong})), 60, 30)
	next, cmd := m.Update(keyMsg("s"))
	m = drive(t, next.(Model), cmd)
	m = press(m, "g", "j", "j", "j", "enter") // ehlo
	v = fits(t, "trace", m)
	if n := strings.Count(v, "VERYLONGEXTENSIONNAME"); n != 8 {
		t.Fatalf("%d of 8 words of the long line shown:\n%s", n, v)
	}
}

// TestRunningRowSaysWhatItWaitsFor: a running check without findings says
// which check it waits for, or its time against --check-timeout.
func TestRunningRowSaysWhatItWaitsFor(t *testing.T) {
	evs := []checks.Event{
		{Kind: checks.EventStarted, CheckID: "mx", At: at(0)},
		{Kind: checks.EventStarted, CheckID: "smtp", At: at(0)},
	}
	o := Options{Run: (&scriptedRun{events: evs, block: true}).run, AutoStart: true, CheckTimeout: 30 * time.Second,
		Checks: []CheckInfo{{ID: "mx"}, {ID: "smtp", Needs: []string{"mx"}}}}
	m := New(t.Context(), testOptions(o))
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	next, _ := m.Update(listen(h)())
	m = next.(Model)
	m.live.now = at(12000)
	v := m.View()
	if !strings.Contains(v, "running 12.0s / 30.0s") || !strings.Contains(v, "waiting for mx") {
		t.Fatalf("running rows:\n%s", v)
	}
	m.finish()
}

// TestRunningRowSaysWhichWait: a check that says what it waits for (the
// smtp check, through its sessions) shows that wait with the time waited
// against the wait's own bound, not the whole check's.
func TestRunningRowSaysWhichWait(t *testing.T) {
	evs := []checks.Event{
		{Kind: checks.EventStarted, CheckID: "smtp", At: at(0)},
		{Kind: checks.EventProgress, CheckID: "smtp", At: at(3000),
			Progress: &checks.Progress{Text: "connected, waiting for the greeting", Since: at(3000), Limit: 30 * time.Second}},
	}
	o := Options{Run: (&scriptedRun{events: evs, block: true}).run, AutoStart: true, CheckTimeout: 2 * time.Minute,
		Checks: []CheckInfo{{ID: "smtp"}}}
	m := New(t.Context(), testOptions(o))
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	next, _ := m.Update(listen(h)()) // the scripted events arrive as one batch
	m = next.(Model)
	m = resized(m, 120, 20)
	m.live.now = at(15000)
	v := m.View()
	if !strings.Contains(v, "connected, waiting for the greeting 12.0s / 30.0s") {
		t.Fatalf("running row:\n%s", v)
	}
	m.finish()
}
