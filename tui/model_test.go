package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
)

// drive executes cmd and feeds its messages back into the model until no
// command is left or the program would quit.
func drive(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	for steps := 0; cmd != nil; steps++ {
		if steps > 10000 {
			t.Fatal("drive: too many steps")
		}
		msg := cmd()
		switch msg := msg.(type) {
		case nil:
			return m
		case tea.BatchMsg:
			for _, c := range msg {
				m = drive(t, m, c)
			}
			return m
		case tea.QuitMsg:
			return m
		}
		var next tea.Model
		next, cmd = m.Update(msg)
		m = next.(Model)
	}
	return m
}

// press sends keys to the model, running no command.
func press(m Model, ks ...string) Model {
	for _, k := range ks {
		next, _ := m.Update(keyMsg(k))
		m = next.(Model)
	}
	return m
}

// times is k n times, for press.
func times(k string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = k
	}
	return ks
}

// ran returns a model whose run of every check, through sr, was driven to
// its end with the messages the program receives.
func ran(t *testing.T, o Options, sr *scriptedRun) Model {
	t.Helper()
	o.Run, o.AutoStart = sr.run, true
	m := New(context.Background(), testOptions(o))
	return drive(t, m, m.Init())
}

// finished returns a model whose run ended with the fixture report.
func finished(t *testing.T, o Options) Model {
	t.Helper()
	return ran(t, o, finishedRun())
}

// runAgain makes the next run of sr (the model's RunFunc) end with rep and
// err, starts it with R and drives it to its end.
func runAgain(t *testing.T, m Model, sr *scriptedRun, rep *checks.Report, err error) Model {
	t.Helper()
	sr.events, sr.report, sr.err = nil, rep, err
	next, cmd := m.Update(keyMsg("R"))
	return drive(t, next.(Model), cmd)
}

// sent returns m after a test send from the dashboard (Options.Send) ran
// to its end, back on the dashboard.
func sent(t *testing.T, m Model) Model {
	t.Helper()
	next, cmd := m.Update(keyMsg("s"))
	m = drive(t, next.(Model), cmd)
	if m.State() != "trace" || m.Trace() == nil {
		t.Fatalf("s did not send: state %s trace %v", m.State(), m.Trace())
	}
	return press(m, "esc")
}

func TestDashboardKeys(t *testing.T) {
	m := finished(t, Options{})
	if m.State() != "dashboard" {
		t.Fatalf("state %s", m.State())
	}
	m = press(m, "j", "j", "j")
	if m.dash.cursor != 3 {
		t.Fatalf("cursor after jjj = %d", m.dash.cursor)
	}
	m = press(m, "k")
	if m.dash.cursor != 2 {
		t.Fatalf("cursor after k = %d", m.dash.cursor)
	}
	m = press(m, "up", "up", "up", "up")
	if m.dash.cursor != 0 {
		t.Fatalf("cursor clamps at the top: %d", m.dash.cursor)
	}
	for range 20 {
		m = press(m, "down")
	}
	if m.dash.cursor != len(fixtureChecks)-1 {
		t.Fatalf("cursor clamps at the bottom: %d", m.dash.cursor)
	}
	m = press(m, "g")
	m = press(m, jTo("spf")...)
	m = press(m, "enter")
	if m.State() != "detail" || m.detail.checkID != "spf" {
		t.Fatalf("enter: state %s check %q", m.State(), m.detail.checkID)
	}
	if v := m.View(); !strings.Contains(v, "spf.all-pass") || !strings.Contains(v, "why") || !strings.Contains(v, "fix") {
		t.Fatalf("detail view:\n%s", v)
	}
	m = press(m, "esc")
	if m.State() != "dashboard" {
		t.Fatalf("esc: state %s", m.State())
	}
	m = press(m, "right")
	m = press(m, "left")
	if m.State() != "dashboard" {
		t.Fatalf("→ then ←: state %s", m.State())
	}
}

func TestTabCyclesPanes(t *testing.T) {
	m := finished(t, Options{})
	var seen []string
	for range 4 {
		m = press(m, "tab")
		seen = append(seen, m.State())
	}
	if got := strings.Join(seen, ","); got != "spf,matrix,dashboard,spf" {
		t.Fatalf("tab order without a send: %s", got)
	}
	m = press(m, "shift+tab")
	if m.State() != "dashboard" {
		// shift+tab is a KeyShiftTab, not runes; send it as such.
		next, _ := m.Update(tea.KeyMsg{Type: tea.KeyShiftTab})
		m = next.(Model)
	}
	// When a send can happen, the send pane joins the cycle.
	m = finished(t, Options{Send: fakeSend})
	seen = nil
	for range 4 {
		m = press(m, "tab")
		seen = append(seen, m.State())
	}
	if got := strings.Join(seen, ","); got != "spf,matrix,trace,dashboard" {
		t.Fatalf("tab order with a send: %s", got)
	}
}

func TestHelpToggle(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "?")
	if v := m.View(); !m.full || !strings.Contains(v, "Reading the screen") || !strings.Contains(v, "re-run all") {
		t.Fatalf("? did not open the help:\n%s", v)
	}
	m = press(m, "?")
	if m.full {
		t.Fatal("? did not close the help")
	}
	m = press(m, "?", "esc")
	if m.full || m.State() != "dashboard" {
		t.Fatalf("esc closes the help and stays: full=%v state=%s", m.full, m.State())
	}
}

func TestFilterFindings(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "/")
	if m.State() != "detail" || !m.detail.filtering() || m.detail.checkID != "" {
		t.Fatalf("/ opens the filter over every finding: state %s filtering %v", m.State(), m.detail.filtering())
	}
	for _, r := range "relay" {
		m = press(m, string(r))
	}
	v := m.View()
	if m.detail.shown != 1 || !strings.Contains(v, "smtp.open-relay") || strings.Contains(v, "spf.lookup-limit") {
		t.Fatalf("filter relay: shown %d\n%s", m.detail.shown, v)
	}
	// q is text while typing, not quit.
	m = press(m, "q")
	if m.quitting || m.detail.filter != "relayq" || m.detail.shown != 0 {
		t.Fatalf("q while filtering: quitting=%v filter=%q shown=%d", m.quitting, m.detail.filter, m.detail.shown)
	}
	if v := m.View(); !strings.Contains(v, `no finding matches "relayq"`) {
		t.Fatalf("empty filter result:\n%s", v)
	}
	next, _ := m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
	m = next.(Model)
	m = press(m, "enter")
	if m.detail.filtering() || m.detail.filter != "relay" {
		t.Fatalf("enter applies the filter: filtering=%v filter=%q", m.detail.filtering(), m.detail.filter)
	}
	if v := m.View(); !strings.Contains(v, fmt.Sprintf(`1 of %d findings match "relay"`, totalFindings(fixtureReport()))) {
		t.Fatalf("status line:\n%s", v)
	}
	m = press(m, "/", "esc")
	if m.detail.filter != "" || m.detail.shown != m.detail.total {
		t.Fatalf("esc clears the filter: %q %d/%d", m.detail.filter, m.detail.shown, m.detail.total)
	}
	m = press(m, "esc", "q")
	if !m.quitting {
		t.Fatal("q on the dashboard does not quit")
	}
}

func TestCtrlCQuitsWhileFiltering(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "/", "x", "ctrl+c")
	if !m.quitting {
		t.Fatal("ctrl+c while typing a filter does not quit")
	}
}

func TestRerun(t *testing.T) {
	run := finishedRun()
	run.calls = make(chan []string, 10)
	m := New(context.Background(), testOptions(Options{Run: run.run, AutoStart: true}))
	m = drive(t, m, m.Init())
	if ids := <-run.calls; ids != nil {
		t.Fatalf("first run ids = %v", ids)
	}
	if m.Running() || m.Report() == nil || len(m.Report().Results) != len(fixtureChecks) {
		t.Fatalf("after the first live: livening %v report %v", m.Running(), m.Report())
	}
	m = press(m, "j", "j")
	next, cmd := m.Update(keyMsg("r"))
	m = next.(Model)
	if r := m.live.byID["spf"]; !r.running || r.res != nil {
		t.Fatal("r does not mark the check as running")
	}
	if r := m.live.byID["dns"]; r.running || r.res == nil {
		t.Fatal("r touched another check")
	}
	m = drive(t, m, cmd)
	if ids := <-run.calls; len(ids) != 1 || ids[0] != "spf" {
		t.Fatalf("r ran %v", ids)
	}
	if r := m.live.byID["spf"]; r.running || r.status != checks.StatusFail {
		t.Fatalf("spf after the re-live: livening %v status %s", r.running, r.status)
	}
	if got := len(m.Report().Results); got != len(fixtureChecks) {
		t.Fatalf("report after a partial re-run has %d results", got)
	}
	// From the detail pane too.
	m = press(m, "enter")
	next, cmd = m.Update(keyMsg("r"))
	m = drive(t, next.(Model), cmd)
	if ids := <-run.calls; len(ids) != 1 || ids[0] != "spf" {
		t.Fatalf("r in detail ran %v", ids)
	}
	m = press(m, "esc")
	next, cmd = m.Update(keyMsg("R"))
	m = drive(t, next.(Model), cmd)
	if ids := <-run.calls; ids != nil {
		t.Fatalf("R ran %v", ids)
	}
}

// blockingRun emits its events, then waits for cancellation and says so.
type blockingRun struct {
	scriptedRun
	started   chan struct{} // closed when the run begins
	cancelled chan struct{}
}

func newBlockingRun() *blockingRun {
	return &blockingRun{scriptedRun: scriptedRun{events: fixtureEvents()[:3], block: true}, started: make(chan struct{}), cancelled: make(chan struct{})}
}

func (b *blockingRun) run(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
	close(b.started)
	defer close(b.cancelled)
	return b.scriptedRun.run(ctx, domain, ids, emit)
}

func TestQuitCancelsInFlightRun(t *testing.T) {
	br := newBlockingRun()
	m := New(context.Background(), testOptions(Options{Run: br.run, AutoStart: true}))
	// Read the first batch of events (the run goroutine starts here).
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	next, _ := m.Update(listen(h)())
	m = next.(Model)
	if !m.Running() {
		t.Fatal("no run in flight")
	}
	next, cmd := m.Update(keyMsg("q"))
	m = next.(Model)
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit")
	}
	select {
	case <-br.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("q did not cancel the run")
	}
	rep, err := m.finish()
	if err != nil || rep == nil {
		t.Fatalf("finish: %v %v", rep, err)
	}
	for _, r := range rep.Results {
		if r.Status != checks.StatusError {
			t.Fatalf("cancelled check %s has status %s", r.ID, r.Status)
		}
	}
	if code := report.ExitCode(checks.SevFail, rep); code != report.ExitCouldNotRun {
		t.Fatalf("exit code of a cancelled run = %d", code)
	}
}

func TestFinishWithoutStartedRun(t *testing.T) {
	// The program ended before the run's command ran: finish must not wait.
	br := newBlockingRun()
	m := New(context.Background(), testOptions(Options{Run: br.run, AutoStart: true}))
	done := make(chan struct{})
	go func() {
		m.finish()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("finish waited for a run that never started")
	}
}

func TestRerunAllSupersedes(t *testing.T) {
	br := newBlockingRun()
	m := New(context.Background(), testOptions(Options{Run: br.run, AutoStart: true}))
	var first *runHandle
	for _, x := range m.runs {
		first = x
	}
	first.start()
	next, _ := m.Update(keyMsg("R"))
	m = next.(Model)
	select {
	case <-br.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("R did not cancel the run in flight")
	}
	if len(m.runs) != 1 {
		t.Fatalf("%d runs in flight after R", len(m.runs))
	}
	// Late events of the superseded run are ignored.
	next, _ = m.Update(runMsg{gen: first.gen, evs: fixtureEvents()})
	if next.(Model).live.byID["spf"].res != nil {
		t.Fatal("an event of a superseded run was applied")
	}
	for _, h := range m.runs {
		h.cancel()
	}
}

func TestRunProgramQuitsAndCancels(t *testing.T) {
	br := newBlockingRun()
	pr, pw := io.Pipe()
	defer pw.Close()
	type out struct {
		rep *checks.Report
		err error
	}
	done := make(chan out, 1)
	go func() {
		rep, err := Run(context.Background(), testOptions(Options{Run: br.run, AutoStart: true}), tea.WithInput(pr), tea.WithOutput(io.Discard))
		done <- out{rep, err}
	}()
	// q while the run is in flight (a q before it starts quits with no
	// report at all, which the CLI maps to exit 3 too).
	select {
	case <-br.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not start")
	}
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.rep == nil || report.ExitCode(checks.SevFail, o.rep) != report.ExitCouldNotRun {
			t.Fatalf("report of a run cancelled by q: %+v", o.rep)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after q")
	}
	select {
	case <-br.cancelled:
	default:
		t.Fatal("Run returned while the run was still in flight")
	}
}

func TestDemoPicker(t *testing.T) {
	run := finishedRun()
	run.calls = make(chan []string, 4)
	var domains []string
	rf := func(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
		domains = append(domains, domain)
		return run.run(ctx, domain, ids, emit)
	}
	o := testOptions(Options{Run: rf, Demo: []DemoDomain{{"good.example", "healthy"}, {"broken.example", "many problems"}}})
	m := New(context.Background(), o)
	if m.State() != "demo" || !strings.Contains(m.View(), "many problems") {
		t.Fatalf("demo starts on the picker: %s\n%s", m.State(), m.View())
	}
	m = press(m, "j")
	next, cmd := m.Update(keyMsg("enter"))
	m = drive(t, next.(Model), cmd)
	if m.State() != "dashboard" || m.domain != "broken.example" || len(domains) != 1 || domains[0] != "broken.example" {
		t.Fatalf("picked: state %s domain %q runs %v", m.State(), m.domain, domains)
	}
	m = press(m, "esc")
	if m.State() != "demo" {
		t.Fatalf("esc from the dashboard returns to the picker: %s", m.State())
	}
}

func TestMatrixTranscript(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "tab", "tab")
	if m.State() != "matrix" || len(m.matrix.rows) != 2 {
		t.Fatalf("matrix: state %s rows %d", m.State(), len(m.matrix.rows))
	}
	m = press(m, "enter")
	if v := m.View(); m.State() != "transcript" || !strings.Contains(v, "S: 220 host.broken.example ESMTP") || !strings.Contains(v, "C: EHLO ") {
		t.Fatalf("transcript:\n%s", v)
	}
	m = press(m, "esc", "j", "enter")
	if v := m.View(); !strings.Contains(v, "No transcript for this server") {
		t.Fatalf("an MX host without an address has no transcript:\n%s", v)
	}
	m = press(m, "esc")
	if m.State() != "matrix" {
		t.Fatalf("esc from a transcript: %s", m.State())
	}
}

func TestSPFFold(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "tab")
	if n := len(m.spf.visible()); n != 9 {
		t.Fatalf("%d nodes visible", n)
	}
	m = press(m, "j", "enter") // include:_spf.bulk.example and its three includes
	if n := len(m.spf.visible()); n != 6 {
		t.Fatalf("enter folds: %d nodes visible", n)
	}
	m = press(m, "enter", "left")
	if n := len(m.spf.visible()); n != 6 || m.State() != "spf" {
		t.Fatalf("← folds: %d nodes visible, state %s", n, m.State())
	}
	m = press(m, "left")
	if m.State() != "dashboard" {
		t.Fatalf("← on a folded node goes back: %s", m.State())
	}
}

func TestTraceRedactsAuth(t *testing.T) {
	for in, want := range map[string]string{
		"AUTH PLAIN dXNlcgB1c2VyAHNlY3JldA==": "AUTH PLAIN ***",
		"AUTH LOGIN":                          "AUTH LOGIN",
		"dXNlcg==":                            "***",
		"c2VjcmV0":                            "***",
		"*":                                   "*",
	} {
		if got := redactAuth(in); got != want {
			t.Errorf("redactAuth(%q) = %q, want %q", in, got, want)
		}
	}
	// A send whose AUTH step carries credentials (the engine redacts them;
	// the trace pane must too).
	auth := fixtureSteps()[6]
	auth.Client = []string{"AUTH PLAIN dXNlcgB1c2VyAHNlY3JldA==", "c2VjcmV0"}
	authSend := func(ctx context.Context, domain string, onStep send.StepFunc) (*send.Trace, error) {
		onStep(auth)
		return &send.Trace{Steps: []send.Step{auth}, Result: send.ResultDelivered, DurationMs: 120}, nil
	}
	m := New(context.Background(), testOptions(Options{Send: authSend}))
	next, cmd := m.Update(keyMsg("s"))
	m = drive(t, next.(Model), cmd)
	m = press(m, "enter")
	if v := m.View(); strings.Contains(v, "c2VjcmV0") || strings.Contains(v, "dXNlcgB1") || !strings.Contains(v, "AUTH PLAIN ***") {
		t.Fatalf("AUTH not redacted:\n%s", v)
	}
}

func TestHostileTextIsEscaped(t *testing.T) {
	res := checks.Result{ID: "smtp", Status: checks.StatusFail, Findings: []checks.Finding{{
		ID: "smtp.banner-rejected", Severity: checks.SevFail, Subject: "mx\x1b[2J", Message: "554 \x1b]0;pwned\x07 go away",
		Evidence: &checks.Evidence{SMTP: []checks.Line{{Dir: checks.DirServer, Text: "554 \x1b[31mred"}}},
	}}}
	m := ran(t, Options{}, &scriptedRun{report: withResult(res)})
	m = press(m, jTo("smtp")...)
	m = press(m, "enter")
	v := m.View()
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
	if !strings.Contains(v, `\x1b[2J`) {
		t.Fatalf("escaped subject not shown:\n%s", v)
	}
}

// TestLayoutFits: every screen fills the terminal exactly and no line is
// wider than it, from 60×16 to 200×50; 80×24 included.
func TestLayoutFits(t *testing.T) {
	sizes := [][2]int{{80, 24}, {60, 16}, {100, 30}, {200, 50}, {40, 10}}
	sr := finishedRun()
	m := sent(t, ran(t, Options{Send: fakeSend}, sr))
	// A run that ends in err, with the fixture's results (the rows are
	// shared by the copies of the model this test forks).
	failed := func(m Model, err error) Model { return runAgain(t, m, sr, fixtureReport(), err) }
	screens := map[string]func(Model) Model{
		"dashboard":   func(m Model) Model { return m },
		"detail":      func(m Model) Model { return press(m, "j", "j", "enter") },
		"all":         func(m Model) Model { return press(m, "/", "s", "enter") },
		"spf":         func(m Model) Model { return press(m, "tab") },
		"matrix":      func(m Model) Model { return press(m, "tab", "tab") },
		"transcript":  func(m Model) Model { return press(m, "tab", "tab", "enter") },
		"trace":       func(m Model) Model { return press(m, "tab", "tab", "tab", "enter", "k", "enter") },
		"help":        func(m Model) Model { return press(m, "?") },
		"untrusted":   func(m Model) Model { return failed(m, untrustedErr()) },
		"unreachable": func(m Model) Model { return failed(m, unreachableErr()) },
		"run error":   func(m Model) Model { return failed(m, errors.New(strings.Repeat("a reason that goes on ", 30))) },
	}
	for _, sz := range sizes {
		for name, open := range screens {
			next, _ := m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			mm := open(next.(Model))
			w, h := mm.width, mm.height
			v := mm.View()
			lines := strings.Split(v, "\n")
			if len(lines) != h {
				t.Errorf("%s at %dx%d: %d lines, want %d", name, sz[0], sz[1], len(lines), h)
			}
			for i, l := range lines {
				if lw := ansi.StringWidth(l); lw > w {
					t.Errorf("%s at %dx%d: line %d is %d wide: %q", name, sz[0], sz[1], i, lw, l)
				}
			}
		}
	}
}

func TestPlainTerminal(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tt := range []struct {
		name           string
		getenv         func(string) string
		noColor, ascii bool
	}{
		{"utf-8", env("LANG", "en_US.UTF-8"), false, false},
		{"utf8 spelling", env("LANG", "C.utf8"), false, false},
		{"C locale", env("LANG", "C"), false, true},
		{"no locale", env(), false, true},
		{"LC_ALL wins", env("LANG", "en_US.UTF-8", "LC_ALL", "POSIX"), false, true},
		{"LC_CTYPE", env("LC_CTYPE", "de_DE.UTF-8"), false, false},
		{"NO_COLOR", env("LANG", "en_US.UTF-8", "NO_COLOR", "1"), true, false},
	} {
		nc, a := PlainTerminal(tt.getenv)
		if nc != tt.noColor || a != tt.ascii {
			t.Errorf("%s: noColor %v ascii %v, want %v %v", tt.name, nc, a, tt.noColor, tt.ascii)
		}
	}
}

// TestASCIIGlyphs: a non-UTF-8 terminal gets nothing but ASCII on every
// screen.
func TestASCIIGlyphs(t *testing.T) {
	m := sent(t, finished(t, Options{ASCII: true, Send: fakeSend}))
	for _, ks := range [][]string{nil, {"enter"}, {"tab"}, {"tab", "tab"}, {"tab", "tab", "tab", "enter"}, {"?"}} {
		v := press(m, ks...).View()
		for i, r := range v {
			if r >= utf8.RuneSelf {
				t.Fatalf("keys %v: non-ASCII %q at %d:\n%s", ks, r, i, v)
			}
		}
	}
	// The badges stay readable without colour.
	if v := m.View(); !strings.Contains(v, "[FAIL]") || !strings.Contains(v, "[WARN]") || !strings.Contains(v, "[SKIP]") {
		t.Fatalf("badges:\n%s", v)
	}
}

func TestFirstFrameFast(t *testing.T) {
	run := newBlockingRun() // the fixture's real run is not part of the frame
	start := time.Now()
	m := New(context.Background(), testOptions(Options{AutoStart: true, Run: run.run}))
	_ = m.View()
	budget := 50 * time.Millisecond
	if raceEnabled {
		budget = 500 * time.Millisecond // the race detector slows everything several times
	}
	if d := time.Since(start); d > budget {
		t.Fatalf("first frame after %s, want under %s", d, budget)
	}
	m.finish()
}

// fakeSend replays the fixture steps.
func fakeSend(ctx context.Context, domain string, onStep send.StepFunc) (*send.Trace, error) {
	for _, s := range fixtureSteps() {
		if ctx.Err() != nil {
			break
		}
		onStep(s)
	}
	return fixtureTrace(), nil
}

func TestSendFromDashboard(t *testing.T) {
	m := finished(t, Options{Send: fakeSend})
	next, cmd := m.Update(keyMsg("s"))
	m = next.(Model)
	if m.State() != "trace" || !m.trace.running {
		t.Fatalf("s: state %s running %v", m.State(), m.trace.running)
	}
	m = drive(t, m, cmd)
	if m.trace.running || m.Trace() == nil || len(m.trace.steps) != len(fixtureSteps()) {
		t.Fatalf("after the send: running %v steps %d trace %v", m.trace.running, len(m.trace.steps), m.Trace())
	}
	if v := m.View(); !strings.Contains(v, "delivered queue id 4XyZ12") || !strings.Contains(v, "end-of-data") {
		t.Fatalf("trace view:\n%s", v)
	}
}

func TestRunSend(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	type out struct {
		tr  *send.Trace
		err error
	}
	done := make(chan out, 1)
	// q once the send is over and its result is on screen: pressed before,
	// q rightly quits with no trace (the test flaked in CI that way).
	var screen strings.Builder
	var mu sync.Mutex
	or, ow := io.Pipe()
	defer ow.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := or.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		tr, err := RunSend(context.Background(), testOptions(Options{Domain: "good.example", Send: fakeSend}), tea.WithInput(pr), tea.WithOutput(ow))
		done <- out{tr, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		shown := strings.Contains(screen.String(), "delivered")
		mu.Unlock()
		if shown {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send's result never reached the screen")
		}
		time.Sleep(5 * time.Millisecond) // a bounded poll of the screen
	}
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil || o.tr == nil || o.tr.Result != send.ResultDelivered {
			t.Fatalf("RunSend: %+v %v", o.tr, o.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunSend did not return after q")
	}
}

// TestResizeRewraps: the detail pane re-wraps its text at the new width.
func TestResizeRewraps(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, "j", "j", "enter")
	next, _ := m.Update(tea.WindowSizeMsg{Width: 50, Height: 30})
	m = next.(Model)
	v := m.View()
	for i, l := range strings.Split(v, "\n") {
		if w := ansi.StringWidth(l); w > 50 {
			t.Fatalf("line %d is %d wide after the resize: %q", i, w, l)
		}
	}
	if !strings.Contains(v, "why  +all lets every server on the internet\n") {
		t.Fatalf("detail not re-wrapped:\n%s", v)
	}
}

// TestNoColor: NO_COLOR drops every colour but keeps the layout.
func TestNoColor(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.TrueColor)
		v := finished(t, Options{Renderer: r, NoColor: noColor}).View()
		hasColour := strings.Contains(v, "\x1b[38;")
		if hasColour == noColor {
			t.Fatalf("NoColor=%v: colour codes present %v\n%q", noColor, hasColour, v)
		}
		if !strings.Contains(v, "[FAIL]") {
			t.Fatalf("NoColor=%v: badges missing", noColor)
		}
	}
}

// TestActiveIsDrawn: on every screen, the pane that takes the keys
// (Model.active) is the pane View draws (Model.paneView).
func TestActiveIsDrawn(t *testing.T) {
	m := sent(t, finished(t, Options{Send: fakeSend}))
	m = press(m, "tab", "tab", "enter", "esc", "esc") // a transcript was opened
	m = press(m, "enter", "esc")                      // a detail was opened
	seen := map[string]state{}
	for s := stateDemo; s.String() != "unknown"; s++ { // every screen, the last added too
		m.state = s
		got, want := m.active().view(), m.paneView()
		if got != want {
			t.Errorf("%s: active draws\n%s\nView draws\n%s", s, got, want)
		}
		if o, dup := seen[want]; dup {
			t.Errorf("%s and %s draw the same: the test cannot tell them apart", o, s)
		}
		seen[want] = s
	}
}

// totalFindings counts the findings of a report.
func totalFindings(rep *checks.Report) int {
	n := 0
	for _, r := range rep.Results {
		n += len(r.Findings)
	}
	return n
}
