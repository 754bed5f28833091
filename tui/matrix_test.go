package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks"
)

// untestedReport is the fixture run with a third MX host whose addresses
// the smtp, tls and dnsbl checks never tested: a private address the dnsbl
// check skipped, and one no check's data mentions.
func untestedReport() *checks.Report {
	rep := fixtureReport()
	for i := range rep.Results {
		r := &rep.Results[i]
		switch r.ID {
		case "mx":
			d := r.Data.(map[string]any)
			d["hosts"] = append(d["hosts"].([]any), map[string]any{"name": "mx3.broken.example", "preference": 30, "addresses": []any{"10.0.0.25", "192.0.2.12"}})
		case "dnsbl":
			d := r.Data.(map[string]any)
			d["skipped"] = []any{map[string]any{"target": "10.0.0.25", "reason": "10.0.0.25 (MX host mx3.broken.example) is not a public address; blocklists list only public ones"}}
		}
	}
	return rep
}

func TestGoldenMatrix(t *testing.T) {
	t.Run("mx_matrix_untested", func(t *testing.T) {
		run := &scriptedRun{events: fixtureEvents(), report: untestedReport()}
		tm := startTM(t, Options{Run: run.run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "tab", "tab", "j", "j", "j")
		waitFor(t, tm, "BL: not asked: 10.0.0.25")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
}

// cellsOf returns the matrix row of addr.
func cellsOf(t *testing.T, m Model, addr string) *matrixRow {
	t.Helper()
	for _, r := range m.matrix.rows {
		if r.addr == addr {
			return r
		}
	}
	t.Fatalf("no matrix row for %s", addr)
	return nil
}

// TestNoTickWithoutTest: a cell is ok only when the data of the check
// behind it says the address was tested there.
func TestNoTickWithoutTest(t *testing.T) {
	sr := &scriptedRun{report: untestedReport()}
	m := ran(t, Options{}, sr)
	ok := func(c cell) bool { return c.set && c.sev == "" && !c.info }

	// Tested: the fixture's first address.
	r := cellsOf(t, m, "192.0.2.10")
	for _, col := range []int{colConnect, colBanner, colEHLO, colSTARTTLS, colMTASTS, colBL} {
		if !ok(r.cells[col]) {
			t.Errorf("192.0.2.10 %s: %+v, want ok", colNames[col], r.cells[col])
		}
	}
	if c := r.cells[colCert]; c.sev != checks.SevWarn {
		t.Errorf("192.0.2.10 CERT: %+v, want the warning", c)
	}

	// Never tested by smtp, tls or dnsbl: no tick anywhere but the
	// domain-wide MTA-STS policy, and a note for each.
	for _, addr := range []string{"10.0.0.25", "192.0.2.12"} {
		r := cellsOf(t, m, addr)
		for col := range numCols {
			c := r.cells[col]
			if col == colMTASTS {
				continue
			}
			if c.set || c.note == "" {
				t.Errorf("%s %s: %+v, want not tested with a note", addr, colNames[col], c)
			}
		}
	}
	if n := cellsOf(t, m, "10.0.0.25").cells[colBL].note; !strings.Contains(n, "not a public address") {
		t.Errorf("BL note of a skipped address: %q", n)
	}
	if n := cellsOf(t, m, "192.0.2.12").cells[colBL].note; !strings.Contains(n, "did not ask") {
		t.Errorf("BL note of an address the dnsbl data lacks: %q", n)
	}

	// Listed in the data without a usable list answer: could not test.
	rep := untestedReport()
	for i := range rep.Results {
		if rep.Results[i].ID == "dnsbl" {
			rep.Results[i].Data = map[string]any{"addresses": []any{
				map[string]any{"target": "192.0.2.10", "status": "clean", "zones": []any{map[string]any{"zone": "dead.example", "status": "unhealthy"}}},
				map[string]any{"target": "192.0.2.12", "status": "clean"},
			}}
			rep.Results[i].Findings = nil
		}
	}
	m = runAgain(t, m, sr, rep, nil)
	for _, addr := range []string{"192.0.2.10", "192.0.2.12"} {
		if c := cellsOf(t, m, addr).cells[colBL]; c.sev != checks.SevError || c.note == "" {
			t.Errorf("%s BL without a usable list: %+v", addr, c)
		}
	}
	// The check's own word wins over the zone list where it has one.
	for i := range rep.Results {
		if rep.Results[i].ID == "dnsbl" {
			rep.Results[i].Data = map[string]any{"addresses": []any{
				map[string]any{"target": "192.0.2.10", "status": "clean", "queried": false, "lists_answered": 0.0,
					"zones": []any{map[string]any{"zone": "bl.example", "status": "clean"}}},
				map[string]any{"target": "192.0.2.12", "status": "clean", "queried": true, "lists_answered": 2.0},
			}}
		}
	}
	m = runAgain(t, m, sr, rep, nil)
	if c := cellsOf(t, m, "192.0.2.10").cells[colBL]; c.sev != checks.SevError || c.note == "" {
		t.Errorf("192.0.2.10 BL with queried=false: %+v", c)
	}
	if c := cellsOf(t, m, "192.0.2.12").cells[colBL]; !ok(c) {
		t.Errorf("192.0.2.12 BL with queried=true: %+v", c)
	}
	// The dnsbl check found nothing at all: no column is green by default.
	if c := cellsOf(t, m, "192.0.2.11").cells[colBL]; c.set {
		t.Errorf("192.0.2.11 BL with no dnsbl data about it: %+v", c)
	}

	// TLS not tested on an address the smtp check talked to.
	for i := range rep.Results {
		if rep.Results[i].ID == "tls" {
			rep.Results[i].Data = map[string]any{"hosts": []any{map[string]any{"name": "mx1.broken.example", "dane": "applies", "addresses": []any{
				map[string]any{"address": "192.0.2.10", "outcome": "not-tested", "error": "connection timed out"},
			}}}}
			rep.Results[i].Findings = nil
		}
	}
	m = runAgain(t, m, sr, rep, nil)
	r = cellsOf(t, m, "192.0.2.10")
	if c := r.cells[colCert]; c.set || !strings.Contains(c.note, "connection timed out") {
		t.Errorf("CERT of an address TLS was not tested on: %+v", c)
	}
	if c := r.cells[colDANE]; c.set {
		t.Errorf("DANE of an address TLS was not tested on: %+v", c)
	}
	if c := r.cells[colSTARTTLS]; !ok(c) {
		t.Errorf("STLS: the smtp check's STARTTLS stage is a test: %+v", c)
	}
	if c := cellsOf(t, m, "192.0.2.11").cells[colCert]; c.set {
		t.Errorf("CERT of an address the tls data lacks: %+v", c)
	}
}

// TestMatrixCheckNotDecided: a check that could not decide leaves its
// columns "could not test", or blank when it was interrupted.
func TestMatrixCheckNotDecided(t *testing.T) {
	for _, tt := range []struct {
		err  string
		set  bool
		note string
	}{
		{"not decided: depends on mx (broken.example MX: the resolver answered SERVFAIL)", true, "the dnsbl check could not decide: depends on mx (broken.example MX: the resolver answered SERVFAIL)"},
		{"interrupted", false, "interrupted"},
	} {
		rep := fixtureReport()
		for i := range rep.Results {
			if rep.Results[i].ID == "dnsbl" {
				rep.Results[i].Err, rep.Results[i].Status = tt.err, checks.StatusError
				rep.Results[i].Findings, rep.Results[i].Data = nil, nil
			}
		}
		sr := &scriptedRun{report: rep}
		m := New(nil, testOptions(Options{Run: sr.run, AutoStart: true})) // a nil ctx is context.Background
		m = drive(t, m, m.Init())
		for _, addr := range []string{"192.0.2.10", "192.0.2.11"} {
			c := cellsOf(t, m, addr).cells[colBL]
			if c.set != tt.set || (tt.set && c.sev != checks.SevError) || !strings.Contains(c.note, tt.note) {
				t.Errorf("%s: %s BL = %+v", tt.err, addr, c)
			}
		}
	}
}
