package tui

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks"
)

// TestDomainListAddressRows: an address in the list (mxray check -f with
// a line 192.0.2.7) opens a dashboard with the rows of the checks that
// examine an address alone, and a domain opened after it has all its rows
// back.
func TestDomainListAddressRows(t *testing.T) {
	dr := &demoRun{}
	run := func(ctx context.Context, name string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
		if name != "192.0.2.7" {
			return dr.run(ctx, name, ids, emit)
		}
		full := goodReport()
		rep := &checks.Report{Address: netip.MustParseAddr(name), Input: name, StartedAt: full.StartedAt}
		for _, r := range full.Results {
			if r.ID == "ptr" || r.ID == "dnsbl" || r.ID == "smtp" {
				rep.Results = append(rep.Results, r)
			}
		}
		for _, e := range eventsOf(rep) {
			emit(e)
		}
		return rep, nil
	}
	in := []DomainInput{{Name: "192.0.2.7", Checks: []string{"smtp", "dnsbl", "ptr"}}, {Name: "good.example"}}
	m := New(context.Background(), testOptions(Options{Domains: in, Run: run, FailOn: checks.SevFail}))
	m = drive(t, m, m.Init())
	rows, _ := m.domains.rows()
	idx := -1
	for i, e := range rows {
		if e.Name == "192.0.2.7" {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("no row for the address: %+v", rows)
	}
	for range idx {
		m = press(m, "j")
	}
	m = press(m, "enter")
	if m.State() != "dashboard" || m.domain != "192.0.2.7" {
		t.Fatalf("enter: state %s domain %q", m.State(), m.domain)
	}
	var ids []string
	for _, r := range m.live.rows {
		ids = append(ids, r.info.ID)
	}
	if got := strings.Join(ids, " "); got != "smtp dnsbl ptr" {
		t.Fatalf("address dashboard rows %q, want smtp dnsbl ptr in check order", got)
	}
	if v := m.View(); strings.Contains(v, "spf") || strings.Contains(v, "dmarc") {
		t.Fatalf("domain checks on an address's dashboard:\n%s", v)
	}
	m = press(m, "esc")
	for range 3 {
		m = press(m, "k")
	}
	for _, e := range rows {
		if e.Name == "good.example" {
			break
		}
		m = press(m, "j")
	}
	m = press(m, "enter")
	if m.domain != "good.example" || len(m.live.rows) != len(m.opts.Checks) {
		t.Fatalf("domain %q has %d rows, want every one of %d", m.domain, len(m.live.rows), len(m.opts.Checks))
	}
}
