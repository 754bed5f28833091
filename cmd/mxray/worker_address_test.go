package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/cmd/mxray/internal/queue"
)

// TestWorkerChecksAnAddressJob: a queue job whose line is an address is
// checked as check -f checks it (the address document), and the fallback
// document of a report too large for the queue keeps the target, so that
// it stays valid and names the address.
func TestWorkerChecksAnAddressJob(t *testing.T) {
	t.Parallel()
	w, zones := addressWorld(t)
	f := &checkFlags{dnsblZones: zones, noSMTP: true, timeout: 2 * time.Second, checkTimeout: 30 * time.Second, greeting: 2 * time.Second, failOn: "fail"}
	sel := all.Checks()
	f.addressSelection(sel)
	opts, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(strings.NewReader(""), io.Discard, io.Discard)
	a.dialer = w.Dialer
	wk := &worker{app: a, f: f, w: &workerFlags{}, maxPayload: 1 << 20,
		run: &runSpec{servers: []string{w.DNS.Addr()}, opts: opts, checks: sel, dialer: w.Dialer, gate: newTrustGate(), decideFirst: true}}
	wk.run.forBulk(wk.w.smtpRate.rate())
	doc, ok := wk.check(context.Background(), queue.Job{ID: "batch1.1", Line: 1, Input: "192.0.2.66"})
	if !ok || doc.Target == nil || doc.Target.Value != "192.0.2.66" || doc.Domain != "" || doc.Status != "fail" || doc.JobID != "batch1.1" {
		t.Fatalf("ok %v document target %+v domain %q status %s job %q, want the failing address document of job batch1.1", ok, doc.Target, doc.Domain, doc.Status, doc.JobID)
	}
	s := compileSchema(t)
	full, err := wk.encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	validateJSON(t, s, string(full))
	wk.maxPayload = 100
	small, err := wk.encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := validateJSON(t, s, string(small))
	var d struct {
		Status string                 `json:"status"`
		Target struct{ Value string } `json:"target"`
	}
	_ = json.Unmarshal(small, &d)
	if d.Status != "error" || d.Target.Value != "192.0.2.66" {
		t.Fatalf("fallback document %v, want status error naming the address", m)
	}
}
