package msgunsub_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgunsub"
)

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	message string // corpus message
	want    []string
	status  checks.Status
	setup   func(w *mailtest.World)
}{
	{name: "pass", message: "bulk-one-click", status: checks.StatusPass},
	{name: "not-bulk", message: "good", status: checks.StatusPass},
	{name: "msg-unsubscribe.missing", message: "bulk-missing", want: []string{"msg-unsubscribe.missing"}, status: checks.StatusWarn},
	{name: "msg-unsubscribe.one-click-missing", message: "bulk-no-one-click", want: []string{"msg-unsubscribe.one-click-missing"}, status: checks.StatusWarn},
	{name: "msg-unsubscribe.one-click-missing-post", message: "bulk-post-wrong", want: []string{"msg-unsubscribe.one-click-missing"}, status: checks.StatusWarn},
	{name: "msg-unsubscribe.not-signed", message: "bulk-not-signed", want: []string{"msg-unsubscribe.not-signed"}, status: checks.StatusWarn},
	// msg-dkim decided nothing: whether the fields are signed is not decided either.
	{name: "dkim-undecided", message: "bulk-one-click", status: checks.StatusError,
		setup: func(w *mailtest.World) { w.DNS.Script("s1._domainkey.sender.example.", dns.TypeTXT, mailtest.ServFail) }},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := messagetest.Run(t, messagetest.Case{Message: tc.message, Setup: tc.setup}, []checks.Check{msgunsub.Check{}}, msgdkim.Check{})
			res := policytest.Result(t, rep, msgunsub.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			if len(checks.DescribeData(res.Data)) == 0 {
				t.Error("Describe lists nothing")
			}
			policytest.Golden(t, "msg-unsubscribe/"+tc.name, res)
		})
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgunsub.Check{}}, msgdkim.Check{})
	if res := policytest.Result(t, rep, msgunsub.ID); res.Status != checks.StatusSkip {
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
	for _, id := range policytest.Catalogue(t, msgunsub.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
