package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// untrustedErr is what the CLI's trust decision returns for a resolver that
// denies the root zone.
func untrustedErr() *dnsq.UntrustedError {
	return &dnsq.UntrustedError{
		Servers: []string{"127.0.0.1:53"},
		Reason: "it answers NXDOMAIN for the root zone and returns addresses for names under .invalid, " +
			"which no honest recursive resolver does: a filtering, captive-portal or broken resolver rewrites its answers",
		Queries: []dnsq.Query{
			{Name: ".", Type: "NS", Server: "127.0.0.1:53", Proto: "udp", Rcode: "NXDOMAIN", RTTMs: 3.1},
			{Name: "mxray-probe-7f3a.invalid.", Type: "A", Server: "127.0.0.1:53", Proto: "udp", Rcode: "NOERROR", Answers: 1, RTTMs: 4.7},
		},
	}
}

// unreachableErr is the trust decision for resolvers that never answered.
func unreachableErr() *dnsq.UntrustedError {
	return &dnsq.UntrustedError{
		Servers:     []string{"192.0.2.53:53", "[2001:db8::53]:53"},
		Unreachable: true,
		Reason:      "no answer to 6 queries within 10s (3 tries per resolver, over UDP and TCP)",
		Queries: []dnsq.Query{
			{Name: ".", Type: "NS", Server: "192.0.2.53:53", Proto: "udp", Rcode: "TIMEOUT", RTTMs: 2000, Err: "i/o timeout"},
			{Name: ".", Type: "NS", Server: "[2001:db8::53]:53", Proto: "udp", Rcode: "UNREACHABLE", RTTMs: 0.4, Err: "network is unreachable"},
		},
	}
}

// failingRun emits the events of the fixture's first checks and then
// returns rep and err, as a run whose trust decision came back negative.
func failingRun(rep *checks.Report, err error) RunFunc {
	return func(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
		for _, e := range fixtureEvents()[:12] {
			emit(e)
		}
		return rep, err
	}
}

func TestGoldenErrors(t *testing.T) {
	for _, tt := range []struct {
		name, wait string
		resolvers  []string
		rep        *checks.Report
		err        error
	}{
		// Wrapped by the CLI, with a report beside it: still no verdict.
		{"untrusted_resolver", "DNS resolver cannot be trusted", nil, fixtureReport(), fmt.Errorf("check broken.example: %w", untrustedErr())},
		{"resolver_no_answer", "DNS resolver does not answer", unreachableErr().Servers, nil, unreachableErr()},
		{"run_error", "The checks could not run", nil, nil, errors.New("dnsq: --resolver 192.0.2.1:5353: cannot open a UDP socket: " +
			"socket: address family not supported by protocol (the system has no IPv4 stack; give an IPv6 resolver with --resolver)")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tm := startTM(t, Options{Run: failingRun(tt.rep, tt.err), AutoStart: true, Resolvers: tt.resolvers})
			waitFor(t, tm, tt.wait)
			m, v := finalView(t, tm)
			teatest.RequireEqualOutput(t, []byte(v))
			if !errors.Is(m.Err(), tt.err) {
				t.Fatalf("Err() = %v, want %v", m.Err(), tt.err)
			}
			var ue *dnsq.UntrustedError
			if errors.As(tt.err, &ue) && m.Report() != nil {
				t.Fatal("Report() gives a verdict drawn from an untrusted resolver")
			}
		})
	}
}

// errModel is a model whose run ended with err (and rep).
func errModel(t *testing.T, rep *checks.Report, err error) Model {
	t.Helper()
	m := New(context.Background(), testOptions(Options{Run: failingRun(rep, err), AutoStart: true}))
	return drive(t, m, m.Init())
}

func TestUntrustedBlocks(t *testing.T) {
	m := errModel(t, fixtureReport(), untrustedErr())
	if !m.errShown || m.untrusted() == nil {
		t.Fatalf("untrusted error not shown: %v", m.Err())
	}
	if m.Report() != nil {
		t.Fatal("Report() gives a verdict drawn from an untrusted resolver")
	}
	// Nothing but reading and quitting: no pane, no re-run, no filter.
	for _, k := range []string{"tab", "enter", "r", "R", "/", "s", "e", "E", "y", "x", "left", "h", "j", "k"} {
		next, cmd := m.Update(keyMsg(k))
		mm := next.(Model)
		if !mm.errShown || mm.quitting || mm.Running() || mm.State() != "dashboard" {
			t.Fatalf("key %q on the untrusted screen: shown %v quitting %v running %v state %s", k, mm.errShown, mm.quitting, mm.Running(), mm.State())
		}
		if cmd != nil {
			if _, ok := cmd().(tea.QuitMsg); ok {
				t.Fatalf("key %q quits", k)
			}
		}
		if v := mm.View(); strings.Contains(v, "[FAIL]") || strings.Contains(v, "[PASS]") {
			t.Fatalf("key %q: a verdict is on the untrusted screen:\n%s", k, v)
		}
	}
	for _, k := range []string{"esc", "q", "ctrl+c"} {
		next, cmd := m.Update(keyMsg(k))
		if !next.(Model).quitting || cmd == nil {
			t.Fatalf("%s does not quit the untrusted screen", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%s does not quit the untrusted screen", k)
		}
	}
	// The help opens and closes over it.
	m = press(m, "?")
	if !m.full {
		t.Fatal("? does not open the help")
	}
	m = press(m, "esc")
	if m.full || m.quitting || !m.errShown {
		t.Fatalf("esc closes the help first: full %v quitting %v", m.full, m.quitting)
	}
}

// TestUntrustedWhileFiltering: the error arrives while the user types a
// filter; q then quits instead of being typed.
func TestUntrustedWhileFiltering(t *testing.T) {
	sr := finishedRun()
	m := ran(t, Options{}, sr)
	sr.events, sr.report, sr.err = nil, nil, untrustedErr()
	next, cmd := m.Update(keyMsg("R")) // the run that will end in the error
	m = press(next.(Model), "/", "x")
	if !m.typing() {
		t.Fatal("not typing a filter")
	}
	m = drive(t, m, cmd)
	if v := m.View(); !strings.Contains(v, "DNS resolver cannot be trusted") {
		t.Fatalf("untrusted screen not shown over the filter:\n%s", v)
	}
	m = press(m, "q")
	if !m.quitting {
		t.Fatal("q was typed into the filter under the untrusted screen")
	}
}

// screenBuffer collects a program's output for bounded polling.
type screenBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *screenBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// waitText polls until text was written, for at most 5 s.
func (b *screenBuffer) waitText(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		ok := bytes.Contains(b.buf.Bytes(), []byte(text))
		b.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond) // a poll interval, not a synchronisation
	}
	t.Fatalf("%q never shown", text)
}

func TestRunReturnsUntrusted(t *testing.T) {
	for _, rep := range []*checks.Report{nil, fixtureReport()} {
		ue := untrustedErr()
		pr, pw := io.Pipe()
		type out struct {
			rep *checks.Report
			err error
		}
		done := make(chan out, 1)
		screen := &screenBuffer{}
		go func() {
			o := testOptions(Options{Run: failingRun(rep, fmt.Errorf("run: %w", ue)), AutoStart: true})
			r, err := Run(context.Background(), o, tea.WithInput(pr), tea.WithOutput(screen))
			done <- out{r, err}
		}()
		// Quit once the error is on screen (q before the run started would
		// rightly end without one).
		screen.waitText(t, "DNS resolver cannot be trusted")
		if _, err := pw.Write([]byte("q")); err != nil {
			t.Fatal(err)
		}
		select {
		case o := <-done:
			var got *dnsq.UntrustedError
			if o.rep != nil || !errors.As(o.err, &got) || got != ue {
				t.Fatalf("Run with report %v: %v, %v; want no report and the untrusted error", rep != nil, o.rep, o.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after q")
		}
		pw.Close()
	}
}

func TestRunErrorScreen(t *testing.T) {
	long := "the run could not start: " + strings.Repeat("every word of this reason matters to the user ", 8) + "THE END"
	m := errModel(t, nil, errors.New(long))
	v := m.View()
	if !m.errShown || !strings.Contains(v, "The checks could not run") || !strings.Contains(v, "THE END") {
		t.Fatalf("run error not shown in full:\n%s", v)
	}
	if got := strings.Join(strings.Fields(v), " "); !strings.Contains(got, strings.Join(strings.Fields(long), " ")) {
		t.Fatalf("the error is cut:\n%s", v)
	}
	// esc shows the checks; the status line says how to read the error.
	m = press(m, "esc")
	if v := m.View(); m.errShown || !strings.Contains(v, "press E to read why") {
		t.Fatalf("esc: shown %v\n%s", m.errShown, v)
	}
	m = press(m, "E")
	if !m.errShown {
		t.Fatal("E does not show the error again")
	}
	// R runs again and clears the error.
	next, cmd := m.Update(keyMsg("R"))
	m = next.(Model)
	if m.errShown || m.Err() != nil || !m.Running() {
		t.Fatalf("R: shown %v err %v running %v", m.errShown, m.Err(), m.Running())
	}
	m = drive(t, m, cmd)
	if !m.errShown || m.Err() == nil {
		t.Fatal("the second run's error is not shown")
	}
}

// TestLongRunErrorScrolls: an error longer than the screen scrolls; nothing
// is cut.
func TestLongRunErrorScrolls(t *testing.T) {
	var words []string
	for i := range 400 {
		words = append(words, fmt.Sprintf("w%03d", i))
	}
	m := errModel(t, nil, errors.New(strings.Join(words, " ")))
	seen := map[string]bool{}
	for range 100 {
		for _, w := range strings.Fields(m.View()) {
			seen[w] = true
		}
		m = press(m, "j")
	}
	for _, w := range words {
		if !seen[w] {
			t.Fatalf("%s never shown while scrolling", w)
		}
	}
}

func TestInterrupted(t *testing.T) {
	sr := finishedRun()
	m := ran(t, Options{}, sr)
	rep := fixtureReport()
	for i := range rep.Results {
		if id := rep.Results[i].ID; id == "smtp" || id == "tls" || id == "dnsbl" {
			rep.Results[i].Status = checks.StatusError
			rep.Results[i].Err = "interrupted"
			rep.Results[i].Data = nil
			if id != "smtp" {
				rep.Results[i].Findings = nil
			}
		}
	}
	m = runAgain(t, m, sr, rep, nil)
	v := m.View()
	for _, want := range []string{"[INT ]", "interrupted", "3 interrupted"} {
		if !strings.Contains(v, want) {
			t.Fatalf("%q missing:\n%s", want, v)
		}
	}
	// Only the checks that decided count for the overall status: spf failed.
	if got := m.overall(); got != checks.StatusFail {
		t.Fatalf("overall %s", got)
	}
	m = press(m, jTo("tls")...)
	m = press(m, "enter")
	if v := m.View(); !strings.Contains(v, "[INT ]") || !strings.Contains(strings.Join(strings.Fields(v), " "), "not a verdict") ||
		strings.Contains(v, "[ERR ]") || strings.Contains(v, "nothing to report") {
		t.Fatalf("detail of an interrupted check:\n%s", v)
	}
}

// TestQuitMarksUnfinishedInterrupted: a run stopped by q without a report
// leaves its unfinished checks interrupted, not failed.
func TestQuitMarksUnfinishedInterrupted(t *testing.T) {
	release := make(chan struct{})
	run := func(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
		emit(fixtureEvents()[0])
		<-ctx.Done()
		close(release)
		return nil, ctx.Err()
	}
	m := New(context.Background(), testOptions(Options{Run: run, AutoStart: true}))
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	next, _ := m.Update(listen(h)())
	m = next.(Model)
	next, _ = m.Update(keyMsg("q"))
	m = next.(Model)
	<-release
	if _, err := m.finish(); err != nil {
		t.Fatalf("the cancellation q asked for is reported as the run's error: %v", err)
	}
	if r := m.live.byID["dns"]; !r.interrupted {
		t.Fatalf("dns after q: status %s interrupted %v", r.status, r.interrupted)
	}
}

func TestNotDecidedShownWhole(t *testing.T) {
	reason := "not decided: depends on mx (example.com MX: the resolver answered SERVFAIL for example.com MX after 3 tries over UDP and TCP, " +
		"so the mail servers of the domain are unknown and nothing that depends on them could be judged)"
	res := checks.Result{ID: "smtp", Title: "SMTP handshake", Status: checks.StatusError, Err: reason}
	m := ran(t, Options{}, &scriptedRun{report: withResult(res)})
	m = press(m, jTo("smtp")...)
	m = press(m, "enter")
	for _, w := range []int{80, 50, 120} {
		next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
		v := next.(Model).View()
		got := strings.Join(strings.Fields(v), " ")
		if !strings.Contains(got, reason) {
			t.Fatalf("width %d: the reason is cut:\n%s", w, v)
		}
	}
}

// interruptedReport is the fixture run stopped by the user while smtp, tls
// and dnsbl were still running (smtp had found the open relay), with dkim
// not decided because of a dependency.
func interruptedReport() *checks.Report {
	rep := fixtureReport()
	for i := range rep.Results {
		r := &rep.Results[i]
		switch r.ID {
		case "smtp", "tls", "dnsbl":
			r.Status, r.Err, r.Data = checks.StatusError, "interrupted", nil
			if r.ID != "smtp" {
				r.Findings = nil
			}
		case "dkim":
			r.Status, r.Findings, r.Data = checks.StatusError, nil, nil
			r.Err = "not decided: depends on dns (broken.example SOA: the resolver answered SERVFAIL after 3 tries over UDP and TCP, " +
				"so whether the domain exists is unknown)"
		}
	}
	return rep
}

func TestGoldenInterrupted(t *testing.T) {
	t.Run("interrupted_run", func(t *testing.T) {
		tm := startTM(t, Options{Run: (&scriptedRun{report: interruptedReport()}).run, AutoStart: true})
		waitFor(t, tm, "3 interrupted")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("detail_not_decided", func(t *testing.T) {
		tm := startTM(t, Options{Run: (&scriptedRun{report: interruptedReport()}).run, AutoStart: true})
		waitFor(t, tm, "3 interrupted")
		keys(tm, jTo("dkim")...)
		keys(tm, "enter")
		waitFor(t, tm, "not decided: depends on dns")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
}
