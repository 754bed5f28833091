package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// demoRun answers every domain with a real run of the demo world:
// broken.example's, else good.example's under the domain's name. It
// records the domains it was asked to run.
type demoRun struct {
	mu    sync.Mutex
	calls []string
}

func (d *demoRun) run(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
	d.mu.Lock()
	d.calls = append(d.calls, domain)
	d.mu.Unlock()
	rep := goodReport()
	if domain == "broken.example" {
		rep = fixtureReport()
	}
	rep.Domain = domain
	for _, e := range eventsOf(rep) {
		emit(e)
	}
	return rep, nil
}

func (d *demoRun) ran() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

var listInputs = []DomainInput{
	{Name: "good.example"},
	{Name: "broken.example"},
	{Input: "not a domain!", Err: "line 3: not a domain name"},
	{Name: "good.example"}, // listed once
	{Name: "other.example", Input: "OTHER.example."},
}

func TestGoldenDomainList(t *testing.T) {
	t.Run("multi_domain_list", func(t *testing.T) {
		dr := &demoRun{}
		tm := teatest.NewTestModel(t, New(context.Background(), testOptions(Options{Domains: listInputs, Run: dr.run})), teatest.WithInitialTermSize(80, 24))
		waitFor(t, tm, "2 pass") // every domain ended (the line that is not a domain at once)
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
}

func TestDomainListSortsAndOpens(t *testing.T) {
	dr := &demoRun{}
	m := New(context.Background(), testOptions(Options{Domains: listInputs, Run: dr.run, FailOn: checks.SevFail}))
	if m.State() != "domains" {
		t.Fatalf("starts on %s", m.State())
	}
	m = drive(t, m, m.Init())
	rows, _ := m.domains.rows()
	var order []string
	for _, e := range rows {
		order = append(order, e.Name+"/"+string(e.Status))
	}
	if got := strings.Join(order, " "); got != "broken.example/fail /error good.example/pass other.example/pass" {
		// worst first; input order within a status
		t.Fatalf("order: %s", got)
	}
	if n := len(dr.ran()); n != 3 {
		t.Fatalf("%d runs for 3 domains: %v", n, dr.ran())
	}
	sums := m.Summaries()
	if len(sums) != 4 || sums[1].Name != "broken.example" || sums[1].Exit != report.ExitFindings || sums[1].Fail == 0 || sums[2].Exit != report.ExitCouldNotRun {
		t.Fatalf("summaries: %+v", sums)
	}
	// enter on the worst opens its dashboard from the kept report: no run.
	m = press(m, "enter")
	if m.State() != "dashboard" || m.domain != "broken.example" || m.Running() || m.Report() == nil {
		t.Fatalf("enter: state %s domain %q running %v", m.State(), m.domain, m.Running())
	}
	if v := m.View(); !strings.Contains(v, "spf") || !strings.Contains(v, "[FAIL]") || !strings.Contains(v, "esc domains") {
		t.Fatalf("broken.example's dashboard:\n%s", v)
	}
	if n := len(dr.ran()); n != 3 {
		t.Fatalf("opening a kept report ran it again: %v", dr.ran())
	}
	m = press(m, "esc")
	if m.State() != "domains" {
		t.Fatalf("esc: %s", m.State())
	}
	// The line that is not a domain opens nothing.
	if m = press(m, "j", "enter"); m.State() != "domains" {
		t.Fatalf("enter on a bad line: %s", m.State())
	}
}

// TestDomainListMemoryBounded: the list keeps every domain's summary but
// only the 200 most recent full reports; opening an older domain runs it
// again, in the foreground.
func TestDomainListMemoryBounded(t *testing.T) {
	var in []DomainInput
	for i := range 250 {
		in = append(in, DomainInput{Name: fmt.Sprintf("d%03d.example", i)})
	}
	dr := &demoRun{}
	m := New(context.Background(), testOptions(Options{Domains: in, Run: dr.run, Concurrency: 8}))
	m = drive(t, m, m.Init())
	if n := len(dr.ran()); n != 250 {
		t.Fatalf("%d runs", n)
	}
	if n := m.multi.cache.len(); n != maxCachedReports {
		t.Fatalf("%d reports kept, want %d", n, maxCachedReports)
	}
	if n := len(m.Summaries()); n != 250 {
		t.Fatalf("%d summaries", n)
	}
	if m.multi.cache.get("d000.example") != nil || m.multi.cache.get("d249.example") == nil {
		t.Fatal("the cache does not keep the most recent reports")
	}
	// d000 finished first: its report is gone; opening it runs it again.
	m.domains.sel = m.multi.byName["d000.example"].idx
	next, cmd := m.Update(keyMsg("enter"))
	m = next.(Model)
	if !m.Running() || m.domain != "d000.example" {
		t.Fatalf("opening an evicted domain: running %v domain %s", m.Running(), m.domain)
	}
	m = drive(t, m, cmd)
	if got := dr.ran(); got[len(got)-1] != "d000.example" || len(got) != 251 {
		t.Fatalf("runs after opening d000: %d, last %s", len(got), got[len(got)-1])
	}
	if m.multi.cache.get("d000.example") == nil || m.multi.cache.len() != maxCachedReports {
		t.Fatalf("the re-run's report is not kept (or the cache grew): %d", m.multi.cache.len())
	}
	// Opening a kept one moves it to the front: it survives the next
	// 199 finishes.
	if m.multi.cache.get("d100.example") == nil {
		t.Fatal("d100 should be kept")
	}
}

// TestDomainListBackRequeues: leaving a domain whose foreground run has
// not ended puts it back in the queue; it is run again in the background.
func TestDomainListBackRequeues(t *testing.T) {
	br := newBlockingRun()
	m := New(context.Background(), testOptions(Options{Domains: []DomainInput{{Name: "slow.example"}}, Run: br.run, Concurrency: 1}))
	// The background run never started its command: open it at once.
	next, cmd := m.Update(keyMsg("enter"))
	m = next.(Model)
	_ = cmd
	if m.State() != "dashboard" || !m.Running() {
		t.Fatalf("enter: %s running %v", m.State(), m.Running())
	}
	e := m.multi.byName["slow.example"]
	if !e.fg || !e.running {
		t.Fatalf("entry: %+v", e)
	}
	next, _ = m.Update(keyMsg("esc"))
	m = next.(Model)
	if m.State() != "domains" || e.fg || e.Done {
		t.Fatalf("esc: %s, entry %+v", m.State(), e)
	}
	for _, c := range m.multi.entries {
		if c.cancel != nil {
			c.cancel()
		}
	}
	m.multi.stopAll()
}
