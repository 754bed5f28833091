package dmarc_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// TestParkedJudgedLast: the DMARC lookups do not wait for the mx check.
// The MX lookup never answers (the mx check ends at the DNS timeout), yet
// dmarc's own findings are out before the mx check finishes; only the
// parked judgement waits, and when mx decides nothing dmarc's verdicts
// stand: no parked finding, no error.
func TestParkedJudgedLast(t *testing.T) {
	t.Parallel() // waits a whole timeout for the silent server: overlap it
	w := mailtest.New(t, policytest.Base+`
slowmx.example. TXT "v=spf1 -all"
_dmarc.slowmx.example. TXT "v=DMARC1; p=none; rua=mailto:d@slowmx.example"
`)
	w.DNS.Script("slowmx.example.", dns.TypeMX, mailtest.Timeout)
	env, err := w.Env(checks.Options{Timeout: 400 * time.Millisecond}) // dmarc's own lookups answer well within it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	var mu sync.Mutex
	var order []string
	r := &checks.Runner{Env: env, Checks: []checks.Check{mx.Check{}, dmarc.Check{}}, Registry: []checks.Check{spf.Check{}},
		Events: func(e checks.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case e.Kind == checks.EventFinding && e.CheckID == "dmarc":
				order = append(order, e.Finding.ID)
			case e.Kind == checks.EventFinished:
				order = append(order, e.CheckID+" finished")
			}
		}}
	rep := r.Run(context.Background(), checks.Target{Domain: "slowmx.example"})
	res := policytest.Result(t, rep, "dmarc")
	if res.Status != checks.StatusWarn || res.Err != "" || policytest.Has(res, "dmarc.parked") || policytest.Has(res, "dmarc.parked-incomplete") {
		t.Errorf("status %s, error %q, findings %v; want dmarc's own warn only", res.Status, res.Err, policytest.IDs(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) < 3 || order[0] != "dmarc.policy-none" || order[1] != "mx finished" || order[2] != "dmarc finished" {
		t.Errorf("events %v; want dmarc.policy-none before the mx check finishes, and dmarc to finish after it", order)
	}
}

// TestParkedSkippedDependencies: when mx and spf do not run (--only dmarc
// without the registry, --skip mx), nothing about parking is said and
// dmarc's verdicts stand.
func TestParkedSkippedDependencies(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+`
parked.example. MX 0 .
parked.example. TXT "v=spf1 -all"
_dmarc.parked.example. TXT "v=DMARC1; p=reject"
`)
	for name, run := range map[string]func() *checks.Report{
		"not registered": func() *checks.Report {
			return policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "parked.example"}, []checks.Check{dmarc.Check{}})
		},
		"skipped": func() *checks.Report {
			env, err := w.Env(checks.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(env.DNS.Close)
			r := &checks.Runner{Env: env, Checks: []checks.Check{mx.Check{}, spf.Check{}, dmarc.Check{}}, Skip: map[string]string{"mx": "--skip"}}
			return r.Run(context.Background(), checks.Target{Domain: "parked.example"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			res := policytest.Result(t, run(), "dmarc")
			if res.Status != checks.StatusWarn || res.Err != "" || res.Skip != "" || !policytest.Has(res, "dmarc.no-rua") || policytest.Has(res, "dmarc.parked") {
				t.Errorf("status %s, error %q, skip %q, findings %v", res.Status, res.Err, res.Skip, policytest.IDs(res))
			}
		})
	}
}
