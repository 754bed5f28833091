package msgspf_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/spf"
)

var cases = []struct {
	name       string // golden file name; also the finding ID the case exercises
	message    string // corpus message
	receivedBy string
	want       []string
	status     checks.Status
	result     spf.Result
	identity   msgspf.Identity
	setup      func(w *mailtest.World)
}{
	{name: "pass", message: "good", status: checks.StatusPass, result: spf.Pass, identity: msgspf.IdentityMailFrom},
	{name: "pass-helo", message: "helo-identity", status: checks.StatusPass, result: spf.Pass, identity: msgspf.IdentityHELO},
	{name: "msg-spf.fail", message: "spf-fail", want: []string{"msg-spf.fail"}, status: checks.StatusFail, result: spf.Fail, identity: msgspf.IdentityMailFrom},
	// --received-by picks the submission hop: its IPv6 client is not in the record.
	{name: "msg-spf.fail-ipv6-hop", message: "good", receivedBy: "mail.sender.example", want: []string{"msg-spf.fail"}, status: checks.StatusFail, result: spf.Fail, identity: msgspf.IdentityMailFrom},
	{name: "msg-spf.softfail", message: "spf-soft", want: []string{"msg-spf.softfail"}, status: checks.StatusWarn, result: spf.SoftFail, identity: msgspf.IdentityMailFrom},
	{name: "msg-spf.neutral", message: "spf-neutral", want: []string{"msg-spf.neutral"}, status: checks.StatusWarn, result: spf.Neutral, identity: msgspf.IdentityMailFrom},
	{name: "msg-spf.none", message: "no-spf", want: []string{"msg-spf.none"}, status: checks.StatusWarn, result: spf.None, identity: msgspf.IdentityMailFrom},
	{name: "msg-spf.permerror", message: "spf-perm", want: []string{"msg-spf.permerror"}, status: checks.StatusFail, result: spf.PermError, identity: msgspf.IdentityMailFrom},
	// A SERVFAIL is temperror: undecided, never a fail.
	{name: "temperror", message: "spf-temp", status: checks.StatusError, result: spf.TempError, identity: msgspf.IdentityMailFrom,
		setup: func(w *mailtest.World) { w.DNS.Script("spf-temp.example.", dns.TypeTXT, mailtest.ServFail) }},
	{name: "no-trusted-hop", message: "no-received", status: checks.StatusSkip},
	{name: "received-by-unknown", message: "good", receivedBy: "nowhere.example", status: checks.StatusSkip},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := messagetest.Run(t, messagetest.Case{Message: tc.message, ReceivedBy: tc.receivedBy, Setup: tc.setup}, []checks.Check{msgspf.Check{}})
			res := policytest.Result(t, rep, msgspf.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q, skip %q", res.Status, tc.status, policytest.IDs(res), res.Err, res.Skip)
			}
			if d, ok := res.Data.(*msgspf.Data); ok && tc.result != "" {
				if d.Outcome.Result != tc.result || d.Identity != tc.identity {
					t.Errorf("result %s identity %s, want %s %s", d.Outcome.Result, d.Identity, tc.result, tc.identity)
				}
				if len(d.Describe()) == 0 {
					t.Error("Describe lists nothing")
				}
			}
			for _, f := range res.Findings {
				if p := policytest.PlainProblems(f.Message); len(p) > 0 {
					t.Errorf("%s: %v", f.ID, p)
				}
			}
			policytest.Golden(t, "msg-spf/"+tc.name, res)
		})
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgspf.Check{}})
	if res := policytest.Result(t, rep, msgspf.ID); res.Status != checks.StatusSkip {
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
	for _, id := range policytest.Catalogue(t, msgspf.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
