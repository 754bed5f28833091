package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
)

// keyBurst is keys typed so fast (or pasted) that the terminal delivers them
// as one message.
func keyBurst(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestKeyBurstMovesPerKey(t *testing.T) {
	m := finished(t, Options{})
	next, _ := m.Update(keyBurst("jjj"))
	m = next.(Model)
	if m.dash.cursor != 3 {
		t.Fatalf("jjj in one message moved to %d, want 3", m.dash.cursor)
	}
	next, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("kk"), Paste: true})
	m = next.(Model)
	if m.dash.cursor != 1 {
		t.Fatalf("pasted kk moved to %d, want 1", m.dash.cursor)
	}
	// A burst that opens the filter types the rest into it.
	next, _ = m.Update(keyBurst("/relay"))
	m = next.(Model)
	if !m.detail.filtering() || m.detail.filter != "relay" {
		t.Fatalf("/relay in one message: filtering %v filter %q", m.detail.filtering(), m.detail.filter)
	}
	// q in a burst quits and the keys after it are not acted on.
	m = press(finished(t, Options{}), "j")
	next, _ = m.Update(keyBurst("qjj"))
	if m = next.(Model); !m.quitting || m.dash.cursor != 1 {
		t.Fatalf("qjj: quitting %v cursor %d", m.quitting, m.dash.cursor)
	}
}

func TestTopBottomKeys(t *testing.T) {
	m := finished(t, Options{})
	last := len(fixtureChecks) - 1
	for _, k := range []tea.KeyMsg{keyMsg("G"), {Type: tea.KeyEnd}} {
		m.dash.cursor = 0
		next, _ := m.Update(k)
		if c := next.(Model).dash.cursor; c != last {
			t.Errorf("%s: cursor %d, want %d", k, c, last)
		}
	}
	for _, k := range []tea.KeyMsg{keyMsg("g"), {Type: tea.KeyHome}} {
		m.dash.cursor = last
		next, _ := m.Update(k)
		if c := next.(Model).dash.cursor; c != 0 {
			t.Errorf("%s: cursor %d, want 0", k, c)
		}
	}
	// The SPF tree and the matrix too.
	m = press(finished(t, Options{}), "tab", "G")
	if want := len(m.spf.visible()) - 1; m.spf.cursor != want {
		t.Errorf("G in the SPF tree: %d, want %d", m.spf.cursor, want)
	}
	m = press(m, "tab", "G")
	if want := len(m.matrix.rows) - 1; m.matrix.cursor != want {
		t.Errorf("G in the matrix: %d, want %d", m.matrix.cursor, want)
	}
}

func TestNextFinding(t *testing.T) {
	m := finished(t, Options{})
	m = press(m, jTo("spf")...)
	m = press(m, "enter")
	if n := len(m.detail.shownF); n < 3 {
		t.Fatalf("spf shows %d findings", n)
	}
	for i := 1; i < 3; i++ {
		m = press(m, "n")
		if got := m.detail.currentIndex(); got != i {
			t.Fatalf("after %d n: finding %d", i, got)
		}
		if m.detail.vp.YOffset != m.detail.offsets[i] {
			t.Fatalf("finding %d starts at line %d, the view at %d", i, m.detail.offsets[i], m.detail.vp.YOffset)
		}
	}
	m = press(m, "N")
	if got := m.detail.currentIndex(); got != 1 {
		t.Fatalf("N: finding %d, want 1", got)
	}
	if v := m.View(); !strings.Contains(v, "at 2 of ") {
		t.Fatalf("status line does not say which finding:\n%s", v)
	}
	m = press(m, "G")
	if !m.detail.vp.AtBottom() {
		t.Fatal("G does not go to the end")
	}
	m = press(m, "g")
	if m.detail.vp.YOffset != 0 {
		t.Fatal("g does not go to the top")
	}
	// On the dashboard n goes to the next check with a finding above
	// info; good.example has none, so the cursor stays.
	g := ran(t, Options{Domain: "good.example"}, &scriptedRun{report: goodReport()})
	if g = press(g, "n"); g.dash.cursor != 0 {
		t.Fatalf("n on good.example moved to %d", g.dash.cursor)
	}
	b := press(finished(t, Options{}), "n")
	if b.dash.cursor != 1 {
		t.Fatalf("n on broken.example: %d, want 1 (mx)", b.dash.cursor)
	}
	// In the SPF tree n goes to the next node that breaks a limit or
	// could not be evaluated; in the matrix to the next address with a
	// problem.
	b = press(b, "tab", "n")
	if v := b.spf.visible(); b.spf.cursor == 0 || !(v[b.spf.cursor].n.hot() || v[b.spf.cursor].n.n.Error != "") {
		t.Fatalf("n in the SPF tree: node %d", b.spf.cursor)
	}
	b = press(b, "N")
	if b.spf.cursor != 0 {
		t.Fatalf("N in the SPF tree back to the root (hot): %d", b.spf.cursor)
	}
}

func TestContextualHelp(t *testing.T) {
	o := testOptions(Options{Demo: []DemoDomain{{"good.example", "healthy"}}, Run: finishedRun().run})
	m := press(New(context.Background(), o), "?")
	v := m.View()
	for _, no := range []string{"re-run", "filter", "send test", "export"} {
		if strings.Contains(v, no) {
			t.Errorf("the picker's help offers %q:\n%s", no, v)
		}
	}
	// A send-only screen: no esc back, no tab.
	m = New(context.Background(), testOptions(Options{Domain: "good.example", Send: fakeSend, AutoSend: true}))
	m = drive(t, m, m.Init())
	if h := m.hintView(); strings.Contains(h, "esc") || strings.Contains(h, "panes") || strings.Contains(h, "re-run") {
		t.Errorf("send-only screen's hints offer a key that does nothing: %s", h)
	}
	if v := press(m, "?").View(); strings.Contains(v, "back") || strings.Contains(v, "pane") || strings.Contains(v, "re-run") {
		t.Errorf("send-only screen's help offers a key that does nothing:\n%s", v)
	}
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	m := finished(t, Options{ExportDir: dir})
	m = press(m, "e")
	if !m.asking || !strings.Contains(m.View(), "t text") {
		t.Fatalf("e does not ask for a format:\n%s", m.View())
	}
	m = press(m, "esc")
	if m.asking || !strings.Contains(m.View(), "export cancelled") {
		t.Fatalf("esc does not cancel the export:\n%s", m.View())
	}
	var paths []string
	for _, f := range []struct{ key, ext, want string }{
		{"j", "json", `"schema": "mxray/v1"`},
		{"m", "md", "broken.example"},
		{"t", "txt", "broken.example: FAIL"},
		{"t", "txt", "broken.example: FAIL"}, // the same second: a new name, never over the first
	} {
		next, cmd := press(m, "e").Update(keyMsg(f.key))
		m = drive(t, next.(Model), cmd)
		if v := m.View(); !strings.Contains(v, "report written to ") {
			t.Fatalf("%s: no confirmation:\n%s", f.key, v)
		}
		path := strings.TrimPrefix(m.flash, "report written to ")
		paths = append(paths, path)
		if !strings.HasPrefix(filepath.Base(path), "mxray-broken.example-20260102-150405") || filepath.Ext(path) != "."+f.ext {
			t.Fatalf("%s: file name %s", f.key, path)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(path)))
		if err != nil || !strings.Contains(string(b), f.want) {
			t.Fatalf("%s: %v\n%.300s", f.key, err, b)
		}
	}
	if paths[2] == paths[3] {
		t.Fatalf("the second text export overwrote the first: %s", paths[2])
	}
	// From another screen of the domain too.
	m = press(finished(t, Options{ExportDir: dir}), "tab", "tab", "e")
	if !m.asking || m.State() != "matrix" {
		t.Fatalf("e on the matrix: asking %v state %s", m.asking, m.State())
	}
	// Nothing to export before a run ended.
	m = New(context.Background(), testOptions(Options{ExportDir: dir}))
	if m = press(m, "e"); m.asking || !strings.Contains(m.View(), "nothing to export") {
		t.Fatalf("e without a report:\n%s", m.View())
	}
	// A directory that cannot be written says so in plain words.
	m = press(finished(t, Options{ExportDir: filepath.Join(dir, "missing")}), "e")
	next, cmd := m.Update(keyMsg("j"))
	if m = drive(t, next.(Model), cmd); !strings.Contains(m.View(), "export failed") || !strings.Contains(m.flash, "the directory does not exist") {
		t.Fatalf("export to a missing directory: %s", m.flash)
	}
}

func TestCopyFix(t *testing.T) {
	var got []string
	cp := func(s string) error { got = append(got, s); return nil }
	m := finished(t, Options{Copy: cp})
	m = press(m, jTo("spf")...)
	next, cmd := m.Update(keyMsg("y"))
	m = drive(t, next.(Model), cmd)
	rep := fixtureReport()
	spf := resultOf(t, rep, "spf")
	if len(got) != 1 || got[0] != spf.Findings[0].Fix {
		t.Fatalf("y on the dashboard copied %q, want the worst finding's fix %q", got, spf.Findings[0].Fix)
	}
	if v := m.View(); !strings.Contains(v, "copied the fix of "+spf.Findings[0].ID) {
		t.Fatalf("no confirmation:\n%s", v)
	}
	// In the detail, the finding at the top of the view.
	m = press(m, "enter", "n")
	next, cmd = m.Update(keyMsg("y"))
	m = drive(t, next.(Model), cmd)
	if len(got) != 2 || got[1] != spf.Findings[1].Fix {
		t.Fatalf("y after n copied %q, want %q", got[len(got)-1], spf.Findings[1].Fix)
	}
	// Without a clipboard, y says so.
	m = press(finished(t, Options{}), jTo("spf")...)
	if v := press(m, "y").View(); !strings.Contains(v, "OSC 52") {
		t.Fatalf("y without a clipboard:\n%s", v)
	}
}

// TestCancelOneCheck: x stops the selected running check; the others run
// on and the run is not interrupted.
func TestCancelOneCheck(t *testing.T) {
	started := make(chan struct{})
	run := func(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
		slow := fn{id: "dkim", run: func(ctx context.Context, out *checks.Out) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}}
		quick := fn{id: "spf", run: func(ctx context.Context, out *checks.Out) error { return nil }}
		r := &checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{quick, slow}, Events: emit}
		return r.Run(ctx, checks.Target{Domain: domain}), nil
	}
	m := New(context.Background(), testOptions(Options{Run: run, AutoStart: true, Checks: []CheckInfo{{ID: "spf"}, {ID: "dkim"}}}))
	var h *runHandle
	for _, x := range m.runs {
		h = x
	}
	cmd := listen(h)
	// Read events until dkim runs.
	for m.live.byID["dkim"].started.IsZero() {
		next, c := m.Update(cmd())
		m, cmd = next.(Model), c
	}
	<-started
	m = press(m, "j")
	if !strings.Contains(m.hintView(), "x cancel") {
		t.Fatalf("no x in the hints of a running check: %s", m.hintView())
	}
	next, _ := m.Update(keyMsg("x"))
	m = next.(Model)
	done := make(chan Model, 1)
	go func() { done <- drive(t, m, cmd) }()
	select {
	case m = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after x")
	}
	r := m.live.byID["dkim"]
	if r.running || !r.interrupted || r.res == nil || r.res.Err != checks.ReasonCancelled {
		t.Fatalf("dkim after x: running %v interrupted %v res %+v", r.running, r.interrupted, r.res)
	}
	if s := m.live.byID["spf"]; s.status != checks.StatusPass {
		t.Fatalf("spf after x: %s", s.status)
	}
	if v := m.View(); !strings.Contains(v, "cancelled") {
		t.Fatalf("the dashboard does not say cancelled:\n%s", v)
	}
}

// fn is a check defined by a function.
type fn struct {
	id  string
	run func(ctx context.Context, out *checks.Out) error
}

func (f fn) ID() string             { return f.id }
func (f fn) Title() string          { return f.id }
func (f fn) Needs() []string        { return nil }
func (f fn) Findings() []checks.Def { return nil }
func (f fn) Run(ctx context.Context, _ *checks.Env, _ checks.Target, out *checks.Out) error {
	return f.run(ctx, out)
}
