package msgheaders_test

import (
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgheaders"
)

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	message string // corpus message
	want    []string
	status  checks.Status
}{
	{name: "pass", message: "good", status: checks.StatusPass},
	{name: "msg-headers.from-missing", message: "from-missing", want: []string{"msg-headers.from-missing"}, status: checks.StatusFail},
	{name: "msg-headers.from-multiple", message: "from-multiple", want: []string{"msg-headers.from-multiple", "msg-headers.duplicate"}, status: checks.StatusFail},
	{name: "msg-headers.from-invalid", message: "from-invalid", want: []string{"msg-headers.from-invalid"}, status: checks.StatusFail},
	{name: "msg-headers.message-id-missing", message: "message-id-missing", want: []string{"msg-headers.message-id-missing"}, status: checks.StatusWarn},
	{name: "msg-headers.date-missing", message: "date-missing", want: []string{"msg-headers.date-missing"}, status: checks.StatusWarn},
	{name: "msg-headers.date-invalid", message: "date-invalid", want: []string{"msg-headers.date-invalid"}, status: checks.StatusWarn},
	{name: "msg-headers.date-invalid-future", message: "date-future", want: []string{"msg-headers.date-invalid"}, status: checks.StatusWarn},
	{name: "msg-headers.duplicate", message: "duplicate", want: []string{"msg-headers.duplicate"}, status: checks.StatusFail},
	{name: "msg-headers.too-large", message: "too-large", want: []string{"msg-headers.too-large"}, status: checks.StatusFail},
	{name: "msg-headers.line-too-long", message: "line-too-long", want: []string{"msg-headers.line-too-long"}, status: checks.StatusWarn},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := messagetest.Run(t, messagetest.Case{Message: tc.message}, []checks.Check{msgheaders.Check{}})
			res := policytest.Result(t, rep, msgheaders.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			if len(checks.DescribeData(res.Data)) == 0 {
				t.Error("Describe lists nothing")
			}
			policytest.Golden(t, "msg-headers/"+tc.name, res)
		})
	}
}

func TestTrustedHopDescribed(t *testing.T) {
	rep := messagetest.Run(t, messagetest.Case{Message: "good", ReceivedBy: "mail.sender.example"}, []checks.Check{msgheaders.Check{}})
	d := policytest.Result(t, rep, msgheaders.ID).Data.(*msgheaders.Data)
	if d.TrustedHop != 1 || d.Received[1].ClientIP.String() != "2001:db8::55" {
		t.Errorf("trusted hop %d", d.TrustedHop)
	}
	found := false
	for _, it := range d.Describe() {
		if it.Label == "Received 2 (trusted hop)" {
			found = true
		}
	}
	if !found {
		t.Errorf("trusted hop not marked: %+v", d.Describe())
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgheaders.Check{}})
	if res := policytest.Result(t, rep, msgheaders.ID); res.Status != checks.StatusSkip {
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
	for _, id := range policytest.Catalogue(t, msgheaders.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
