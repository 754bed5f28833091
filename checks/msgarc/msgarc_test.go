package msgarc_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/arc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgarc"
)

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	message string // corpus message
	want    []string
	status  checks.Status
	oldest  int
	setup   func(w *mailtest.World)
}{
	{name: "pass", message: "arc-pass", status: checks.StatusPass, oldest: 1},
	{name: "msg-arc.none", message: "good", want: []string{"msg-arc.none"}, status: checks.StatusPass},
	{name: "msg-arc.fail", message: "arc-fail", want: []string{"msg-arc.fail"}, status: checks.StatusWarn},
	{name: "msg-arc.fail-key-missing", message: "arc-pass", want: []string{"msg-arc.fail"}, status: checks.StatusWarn,
		setup: func(w *mailtest.World) { w.DNS.Remove("arc._domainkey.forwarder.example.", dns.TypeTXT) }},
	{name: "temperror", message: "arc-pass", status: checks.StatusError,
		setup: func(w *mailtest.World) {
			w.DNS.Script("arc._domainkey.forwarder.example.", dns.TypeTXT, mailtest.ServFail)
		}},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := messagetest.Run(t, messagetest.Case{Message: tc.message, Setup: tc.setup}, []checks.Check{msgarc.Check{}})
			res := policytest.Result(t, rep, msgarc.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			if d, ok := res.Data.(*msgarc.Data); ok && d.OldestPass != tc.oldest {
				t.Errorf("oldest pass %d, want %d", d.OldestPass, tc.oldest)
			}
			if tc.status == checks.StatusPass && tc.message == "arc-pass" {
				d := res.Data.(*msgarc.Data)
				if d.Status != arc.StatusPass || len(d.Describe()) < 4 {
					t.Errorf("describe %+v", d.Describe())
				}
			}
			policytest.Golden(t, "msg-arc/"+tc.name, res)
		})
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgarc.Check{}})
	if res := policytest.Result(t, rep, msgarc.ID); res.Status != checks.StatusSkip {
		t.Errorf("status %s without a message, want skip", res.Status)
	}
}

func TestEveryFindingHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, msgarc.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
