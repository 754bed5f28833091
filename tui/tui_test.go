package tui

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/mxray/mxray/checks"
)

func init() {
	// Deterministic output: no colours, whatever the terminal running the
	// tests (gh-dash does the same).
	lipgloss.SetColorProfile(termenv.Ascii)
}

// testOptions fills the fixed parts of the options.
func testOptions(o Options) Options {
	o.Now = fixedNow
	o.Static = true
	if o.Explain == nil {
		o.Explain = fixtureExplain
	}
	if o.Checks == nil {
		o.Checks = fixtureChecks
	}
	if o.Domain == "" && len(o.Demo) == 0 {
		o.Domain = "broken.example"
	}
	if o.Resolvers == nil {
		o.Resolvers = []string{"127.0.0.1:53"}
	}
	return o
}

func startTM(t *testing.T, o Options) *teatest.TestModel {
	t.Helper()
	m := New(context.Background(), testOptions(o))
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(text))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func keys(tm *teatest.TestModel, ks ...string) {
	for _, k := range ks {
		tm.Send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// finalView quits with q and returns the final model's View.
func finalView(t *testing.T, tm *teatest.TestModel) (Model, string) {
	t.Helper()
	tm.Send(keyMsg("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	m, ok := fm.(Model)
	if !ok {
		t.Fatalf("final model is %T", fm)
	}
	return m, m.View()
}

func finishedRun() *scriptedRun {
	return &scriptedRun{events: fixtureEvents(), report: fixtureReport()}
}

func TestGolden(t *testing.T) {
	t.Run("run_in_progress", func(t *testing.T) {
		all := fixtureEvents()
		var evs []checks.Event
		for _, e := range all {
			if e.Kind == checks.EventStarted {
				evs = append(evs, e)
			}
		}
		for _, e := range all {
			if e.Kind == checks.EventFinding && e.CheckID == "smtp" {
				evs = append(evs, e)
			}
		}
		for _, e := range all {
			if e.Kind != checks.EventStarted && (e.CheckID == "dns" || e.CheckID == "mx" || e.CheckID == "spf") {
				evs = append(evs, e)
			}
		}
		tm := startTM(t, Options{Run: (&scriptedRun{events: evs, block: true}).run, AutoStart: true})
		waitFor(t, tm, fmt.Sprintf("3/%d done", len(fixtureChecks)))
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("finished_run", func(t *testing.T) {
		tm := startTM(t, Options{Run: finishedRun().run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		m, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
		if m.Report() == nil || len(m.Report().Results) != len(fixtureChecks) {
			t.Fatalf("final report: %+v", m.Report())
		}
	})
	t.Run("detail_with_evidence", func(t *testing.T) {
		tm := startTM(t, Options{Run: finishedRun().run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "j", "j", "enter")
		waitFor(t, tm, "evidence")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("data_view_passing_check", func(t *testing.T) {
		// A check with no finding shows what it read: the record and the
		// include tree, not "nothing to report".
		run := &scriptedRun{events: eventsOf(goodReport()), report: goodReport()}
		tm := startTM(t, Options{Domain: "good.example", Run: run.run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, jTo("spf")...)
		keys(tm, "enter")
		waitFor(t, tm, "What the check read")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("spf_tree", func(t *testing.T) {
		tm := startTM(t, Options{Run: finishedRun().run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "tab")
		waitFor(t, tm, "lookup 11 happens here") // the root is selected: its record holds lookup 11
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("mx_matrix", func(t *testing.T) {
		tm := startTM(t, Options{Run: finishedRun().run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "tab", "tab")
		waitFor(t, tm, "MX ADDRESS")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("send_trace", func(t *testing.T) {
		tm := startTM(t, Options{Domain: "good.example", Send: fakeSend})
		keys(tm, "s")
		waitFor(t, tm, "queue id 4XyZ12")
		keys(tm, "k", "k", "k", "k", "k", "enter") // the auth step
		waitFor(t, tm, "AUTH PLAIN ***")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
}
