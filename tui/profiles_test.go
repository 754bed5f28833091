package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks/profile"
)

// profilesRun is the real run of broken.example with the Gmail, Yahoo and
// Microsoft profiles, replayed.
func profilesRun() *scriptedRun {
	rep := profileReport()
	return &scriptedRun{events: eventsOf(rep), report: rep}
}

// TestGoldenProfiles pins the Profiles pane on a real run of the demo
// world's broken.example with --profile gmail,yahoo,microsoft: the matrix
// with the first rule's explanation under it, the next failing cell (n),
// and a cell's explanation on the whole pane (enter).
func TestGoldenProfiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want string
	}{
		{"profiles_matrix", nil, ""},
		{"profiles_next_failing", []string{"n"}, "Yahoo"},
		{"profiles_explained", []string{"n", "enter"}, "source"},
		{"profiles_help", []string{"?"}, "Profiles:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := startTM(t, Options{Domain: "broken.example", Run: profilesRun().run, AutoStart: true})
			waitFor(t, tm, "41 DNS queries")
			keys(tm, "tab", "tab", "tab")
			waitFor(t, tm, "RULE") // WaitFor reads what it waits on: each wait looks at the frames after the last
			keys(tm, tc.keys...)
			if tc.want != "" {
				waitFor(t, tm, tc.want)
			}
			m, v := finalView(t, tm)
			if m.State() != "profiles" {
				t.Fatalf("the screen is %s, want profiles", m.State())
			}
			teatest.RequireEqualOutput(t, []byte(v))
		})
	}
}

// TestProfilesKeys: the pane's keys move over rules and providers, n/N
// land only on failing cells, esc leaves the explanation, then the pane.
func TestProfilesKeys(t *testing.T) {
	m := ran(t, Options{}, profilesRun())
	m = press(m, "tab", "tab", "tab")
	if m.State() != "profiles" {
		t.Fatalf("tab, tab, tab: the screen is %s, want profiles", m.State())
	}
	g := m.profiles.grid()
	if g == nil || len(g.providers) != 3 {
		t.Fatalf("the grid has no three providers: %+v", g)
	}
	for i, want := range []profile.Provider{profile.Gmail, profile.Yahoo, profile.Microsoft} {
		if g.providers[i].Provider != want {
			t.Errorf("column %d is %s, want %s", i, g.providers[i].Provider, want)
		}
	}
	nfail := 0
	for _, row := range g.cells {
		for _, c := range row {
			if failing(c) {
				nfail++
			}
		}
	}
	if nfail == 0 {
		t.Fatal("broken.example fails no provider rule: the fixture shows nothing")
	}
	seen := map[[2]int]bool{}
	for range nfail + 1 {
		m = press(m, "n")
		if c := g.cells[m.profiles.row][m.profiles.col]; !failing(c) {
			t.Fatalf("n stopped on %s of %s, which does not fail", g.rules[m.profiles.row], g.providers[m.profiles.col].Provider)
		}
		seen[[2]int{m.profiles.row, m.profiles.col}] = true
	}
	if len(seen) != nfail {
		t.Errorf("n visited %d failing cells, want all %d", len(seen), nfail)
	}
	m = press(m, "N")
	if !failing(g.cells[m.profiles.row][m.profiles.col]) {
		t.Error("N stopped on a cell that does not fail")
	}
	m = press(m, "g", "h", "h", "h")
	if m.profiles.row != 0 || m.profiles.col != 0 {
		t.Errorf("g, h×3: cursor at %d,%d, want 0,0", m.profiles.row, m.profiles.col)
	}
	m = press(m, "l", "j", "G")
	if m.profiles.col != 1 || m.profiles.row != len(g.rules)-1 {
		t.Errorf("l, j, G: cursor at %d,%d, want %d,1", m.profiles.row, m.profiles.col, len(g.rules)-1)
	}
	m = press(m, "enter")
	if !m.profiles.full || m.State() != "profiles" {
		t.Fatal("enter did not open the cell's explanation")
	}
	m = press(m, "esc")
	if m.profiles.full || m.State() != "profiles" {
		t.Fatal("esc did not close the explanation first")
	}
	m = press(m, "esc")
	if m.State() != "dashboard" {
		t.Errorf("esc from the pane: the screen is %s, want dashboard", m.State())
	}
}

// TestProfilesTabOnlyWithProfiles: without a profile asked for, tab never
// reaches the Profiles pane.
func TestProfilesTabOnlyWithProfiles(t *testing.T) {
	m := finished(t, Options{})
	for range 6 {
		m = press(m, "tab")
		if m.State() == "profiles" {
			t.Fatal("tab reached the Profiles pane of a run without --profile")
		}
	}
	if strings.Contains(m.View(), "Profiles") {
		t.Error("the tabs offer Profiles without --profile")
	}
}

// TestProfilesHostile: what the pane draws from the data is escaped.
func TestProfilesHostile(t *testing.T) {
	rep := profileReport()
	res := resultOf(t, rep, profile.ID)
	d := *res.Data.(*profile.Data)
	cp := d
	cp.Providers = append([]profile.ProviderResult(nil), d.Providers...)
	rules := append([]profile.RuleResult(nil), cp.Providers[0].Rules...)
	rules[0].Note = "evil\x1b[2J\x07note"
	rules[0].Evidence.Data = []string{"rec\x1b]52;c;Zm9v\x07"}
	rules[0].Source = []profile.Source{{Page: "https://x.example/\x1b[31m", Read: "2025\r\n"}}
	cp.Providers[0].Rules = rules
	res.Data = &cp
	m := ran(t, Options{}, &scriptedRun{events: eventsOf(rep), report: rep})
	m = press(m, "tab", "tab", "tab", "enter")
	v := m.View()
	if strings.ContainsAny(v, "\x1b\x07\r") {
		t.Errorf("a control character from the data reached the screen:\n%q", v)
	}
}
