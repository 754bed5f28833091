package tui

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/tlscheck"
)

// untestedReport is the good.example run with a third MX host whose
// addresses the smtp, tls and dnsbl checks never tested: a private
// address the dnsbl check skipped, and one no check's data mentions.
func untestedReport(t *testing.T) *checks.Report {
	t.Helper()
	rep := goodReport()
	m := resultOf(t, rep, "mx")
	d := *dataOf[mx.Data](&checkRow{res: m})
	d.Hosts = append(append([]mx.Host(nil), d.Hosts...), mx.Host{Name: "mx3.good.example", Preference: 30,
		Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.25"), netip.MustParseAddr("192.0.2.12")}})
	m.Data = d
	b := resultOf(t, rep, "dnsbl")
	bd := *dataOf[dnsbl.Data](&checkRow{res: b})
	bd.Skipped = append(append([]dnsbl.Skipped(nil), bd.Skipped...), dnsbl.Skipped{Target: "10.0.0.25",
		Reason: "10.0.0.25 (MX host mx3.good.example) is not a public address; blocklists list only public ones"})
	b.Data = bd
	return rep
}

// neverQueriedReport is the good.example run in which no blocklist gave
// a usable answer for any address: nothing was checked.
func neverQueriedReport(t *testing.T) *checks.Report {
	t.Helper()
	rep := goodReport()
	b := resultOf(t, rep, "dnsbl")
	bd := *dataOf[dnsbl.Data](&checkRow{res: b})
	bd.Addresses = append([]dnsbl.TargetData(nil), bd.Addresses...)
	for i := range bd.Addresses {
		a := &bd.Addresses[i]
		a.Queried, a.ListsAnswered, a.Status = false, 0, dnsbl.TargetUnknown
		a.Zones = []dnsbl.ZoneResult{{Zone: "dead.example", Status: dnsbl.StatusError, Error: "no answer"}}
	}
	bd.ListsUsable, bd.Domain = 0, nil
	b.Data = bd
	b.Findings = []checks.Finding{{ID: "dnsbl.no-usable-list", Severity: checks.SevError, Subject: "good.example", Message: "no blocklist could be used"}}
	b.Status = checks.StatusError
	return rep
}

func TestGoldenMatrix(t *testing.T) {
	t.Run("mx_matrix_untested", func(t *testing.T) {
		run := &scriptedRun{report: untestedReport(t)}
		tm := startTM(t, Options{Domain: "good.example", Run: run.run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "tab", "tab", "G", "k")
		waitFor(t, tm, "not asked: 10.0.0.25")
		_, v := finalView(t, tm)
		teatest.RequireEqualOutput(t, []byte(v))
	})
	t.Run("mx_matrix_never_tested_bl", func(t *testing.T) {
		run := &scriptedRun{report: neverQueriedReport(t)}
		tm := startTM(t, Options{Domain: "good.example", Run: run.run, AutoStart: true})
		waitFor(t, tm, "41 DNS queries")
		keys(tm, "tab", "tab")
		waitFor(t, tm, "no list gave a usable answer")
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

// TestNoTickWithoutTest: a cell shows a tick only when the data of the
// check behind it says the address was tested there and passed.
func TestNoTickWithoutTest(t *testing.T) {
	m := ran(t, Options{Domain: "good.example"}, &scriptedRun{report: untestedReport(t)})
	var tested []*matrixRow
	for _, r := range m.matrix.rows {
		if r.addr != "" && !strings.HasPrefix(r.host, "mx3.") {
			tested = append(tested, r)
		}
	}
	if len(tested) == 0 {
		t.Fatal("no tested address in good.example's matrix")
	}
	// good.example is healthy: every tested cell is a tick or says why
	// there is nothing to test (DANE without TLSA).
	for _, r := range tested {
		for col := range numCols {
			if c := r.cells[col]; c.kind != cellOK && c.kind != cellNothing {
				t.Errorf("%s %s: %+v, want a tick", r.addr, colNames[col], c)
			}
		}
	}
	// Never tested by smtp, tls or dnsbl: no tick anywhere, not even for
	// the domain's MTA-STS policy (whether a sender applying it delivers
	// to the address is the tls check's test), and a note for each.
	for _, addr := range []string{"10.0.0.25", "192.0.2.12"} {
		r := cellsOf(t, m, addr)
		for col := range numCols {
			c := r.cells[col]
			if c.kind == cellOK || c.note == "" {
				t.Errorf("%s %s: %+v, want no tick and a note", addr, colNames[col], c)
			}
		}
	}
	if c := cellsOf(t, m, "10.0.0.25").cells[colBL]; c.kind != cellSkipped || !strings.Contains(c.note, "not a public address") {
		t.Errorf("BL of a skipped address: %+v", c)
	}
	if c := cellsOf(t, m, "192.0.2.12").cells[colBL]; c.kind != cellNotRun || !strings.Contains(c.note, "did not ask") {
		t.Errorf("BL of an address the dnsbl data lacks: %+v", c)
	}
}

// TestBLNeverQueried: when no list gave a usable answer, the BL column is
// "could not test", never green.
func TestBLNeverQueried(t *testing.T) {
	m := ran(t, Options{Domain: "good.example"}, &scriptedRun{report: neverQueriedReport(t)})
	n := 0
	for _, r := range m.matrix.rows {
		if r.addr == "" {
			continue
		}
		n++
		if c := r.cells[colBL]; c.kind != cellProblem || c.sev != checks.SevError || !strings.Contains(c.note, "no list gave a usable answer") {
			t.Errorf("%s BL: %+v", r.addr, c)
		}
	}
	if n == 0 {
		t.Fatal("no address")
	}
}

// TestMatrixBroken: broken.example's real run marks the cells its
// findings name, by address.
func TestMatrixBroken(t *testing.T) {
	m := ran(t, Options{}, &scriptedRun{report: fixtureReport()})
	r := cellsOf(t, m, "192.0.2.20")
	if c := r.cells[colSTARTTLS]; c.kind != cellProblem || c.sev != checks.SevFail {
		t.Errorf("STLS of a server without STARTTLS: %+v", c)
	}
	for _, col := range []int{colCert, colDANE} {
		if c := r.cells[col]; c.kind == cellOK {
			t.Errorf("%s without a TLS session: %+v", colNames[col], c)
		}
	}
	if c := r.cells[colMTASTS]; c.kind != cellProblem || c.sev.Rank() < checks.SevWarn.Rank() {
		t.Errorf("STS of an address MTA-STS senders would refuse: %+v", c)
	}
	if c := r.cells[colBL]; c.kind != cellProblem || c.sev.Rank() < checks.SevWarn.Rank() {
		t.Errorf("BL of a listed address: %+v", c)
	}
}

// TestMatrixCheckNotDecided: a check that could not decide leaves its
// columns "could not test", or not run when it was interrupted.
func TestMatrixCheckNotDecided(t *testing.T) {
	for _, tt := range []struct {
		err  string
		kind cellKind
		note string
	}{
		{"not decided: depends on mx (good.example MX: the resolver answered SERVFAIL)", cellProblem, "the dnsbl check could not decide: depends on mx (good.example MX: the resolver answered SERVFAIL)"},
		{"interrupted", cellNotRun, "interrupted"},
	} {
		rep := goodReport()
		r := resultOf(t, rep, "dnsbl")
		r.Err, r.Status, r.Findings, r.Data = tt.err, checks.StatusError, nil, nil
		sr := &scriptedRun{report: rep}
		m := New(nil, testOptions(Options{Domain: "good.example", Run: sr.run, AutoStart: true})) // a nil ctx is context.Background
		m = drive(t, m, m.Init())
		for _, row := range m.matrix.rows {
			if row.addr == "" {
				continue
			}
			c := row.cells[colBL]
			if c.kind != tt.kind || (tt.kind == cellProblem && c.sev != checks.SevError) || !strings.Contains(c.note, tt.note) {
				t.Errorf("%s: %s BL = %+v", tt.err, row.addr, c)
			}
		}
	}
}

// TestMTASTSWarningOnMxNamedDomain: a domain whose name starts with "mx"
// (mxroute.example) gets its MTA-STS warning in the STS column: findings
// are matched by their host and address fields, not by guessing from the
// subject's text.
func TestMTASTSWarningOnMxNamedDomain(t *testing.T) {
	addr := netip.MustParseAddr("192.0.2.40")
	rep := &checks.Report{Domain: "mxroute.example", StartedAt: t0, Results: []checks.Result{
		{ID: "mx", Title: "MX records", Status: checks.StatusPass, Data: mx.Data{Hosts: []mx.Host{{Name: "mx.mxroute.example", Preference: 10, Addresses: []netip.Addr{addr}}}}},
		{ID: "mtasts", Title: "MTA-STS policy", Status: checks.StatusWarn,
			Findings: []checks.Finding{{ID: "mtasts.max-age-short", Severity: checks.SevWarn, Subject: "https://mta-sts.mxroute.example/.well-known/mta-sts.txt", Message: "max_age is one day"}},
			Data: &mtasts.Data{TXT: &mtasts.TXT{Raw: "v=STSv1; id=1", ID: "1"}, Policy: &mtasts.Policy{Version: "STSv1", Mode: mtasts.ModeEnforce, MX: []string{"mx.mxroute.example"}, MaxAge: 86400},
				MX: []mtasts.MXMatch{{Host: "mx.mxroute.example", Covered: true, Pattern: "mx.mxroute.example"}}}},
		{ID: "tls", Title: "TLS", Status: checks.StatusPass, Data: tlscheck.Data{MTASTS: "enforce", Hosts: []tlscheck.Host{{Name: "mx.mxroute.example", DANE: "none",
			Addresses: []tlscheck.Address{{Address: addr.String(), Outcome: "tls", STARTTLS: true, Trusted: true, NameMatch: true}}}}}},
	}}
	for _, host := range []string{"", "mta-sts.mxroute.example"} {
		rep.Results[1].Findings[0].Host = host
		o := Options{Domain: "mxroute.example", Checks: []CheckInfo{{ID: "mx"}, {ID: "mtasts"}, {ID: "tls"}}}
		m := ran(t, o, &scriptedRun{report: rep})
		c := cellsOf(t, m, "192.0.2.40").cells[colMTASTS]
		if c.kind != cellProblem || c.sev != checks.SevWarn {
			t.Errorf("host %q: STS = %+v, want the warning", host, c)
		}
		if cs := cellsOf(t, m, "192.0.2.40").cells[colSTARTTLS]; cs.kind != cellOK {
			t.Errorf("STLS = %+v", cs)
		}
	}
	// A finding about another MX host does not colour this one.
	rep.Results[1].Findings[0].Host = "mx2.mxroute.example"
	rep.Results[0].Data = mx.Data{Hosts: []mx.Host{{Name: "mx.mxroute.example", Addresses: []netip.Addr{addr}}, {Name: "mx2.mxroute.example", Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.41")}}}}
	m := ran(t, Options{Domain: "mxroute.example", Checks: []CheckInfo{{ID: "mx"}, {ID: "mtasts"}, {ID: "tls"}}}, &scriptedRun{report: rep})
	if c := cellsOf(t, m, "192.0.2.40").cells[colMTASTS]; c.kind != cellOK {
		t.Errorf("a finding about mx2 coloured mx's STS: %+v", c)
	}
}

// TestMatrixAgreesWithFindings: in real runs of the demo world, every
// finding above info that names an address marks that address's cell in
// its column at least as badly, and no cell is worse than what the
// findings and data say (a tick is never shown next to a finding).
func TestMatrixAgreesWithFindings(t *testing.T) {
	for _, d := range []string{"broken.example", "good.example", "badtls.example"} {
		t.Run(d, func(t *testing.T) {
			rep := realReport(d)
			m := ran(t, Options{Domain: d}, &scriptedRun{report: rep})
			n := 0
			for _, res := range rep.Results {
				for _, f := range res.Findings {
					if f.Address == "" || f.Severity == checks.SevInfo {
						continue
					}
					for col := range numCols {
						if colCheck[col] != res.ID && !(col == colMTASTS && res.ID == "tls") || !hasPrefix(f.ID, colFindings[col]) {
							continue
						}
						n++
						c := cellsOf(t, m, normAddr(f.Address)).cells[col]
						if c.kind != cellProblem || c.sev.Rank() < f.Severity.Rank() {
							t.Errorf("%s %s %s: cell %+v", f.ID, f.Address, colNames[col], c)
						}
					}
				}
			}
			t.Logf("%d findings checked against their cells", n)
		})
	}
}
