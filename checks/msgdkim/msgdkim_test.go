package msgdkim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgdkim"
)

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	message string // corpus message
	want    []string
	status  checks.Status
	reason  msgdkim.Reason // the first signature's reason
	setup   func(w *mailtest.World)
	// timeout, when set, bounds each lookup instead of messagetest.Run's
	// 2 s: a case whose lookup is meant to time out sets it short (its
	// other lookups, if late on a loaded machine, fail towards the same
	// undecided verdict).
	timeout time.Duration
}{
	{name: "pass", message: "good", status: checks.StatusPass},
	{name: "pass-ed25519", message: "ed25519", status: checks.StatusPass},
	{name: "msg-dkim.none", message: "unsigned", want: []string{"msg-dkim.none"}, status: checks.StatusWarn},
	{name: "msg-dkim.fail", message: "body-modified", want: []string{"msg-dkim.fail"}, status: checks.StatusFail, reason: msgdkim.ReasonBodyHash},
	{name: "msg-dkim.fail-header", message: "header-modified", want: []string{"msg-dkim.fail"}, status: checks.StatusFail, reason: msgdkim.ReasonSignature},
	{name: "msg-dkim.fail-key-missing", message: "key-missing", want: []string{"msg-dkim.fail"}, status: checks.StatusFail, reason: msgdkim.ReasonKeyMissing},
	{name: "msg-dkim.fail-key-revoked", message: "key-revoked", want: []string{"msg-dkim.fail"}, status: checks.StatusFail, reason: msgdkim.ReasonKeyRevoked},
	{name: "msg-dkim.fail-expired", message: "expired", want: []string{"msg-dkim.fail"}, status: checks.StatusFail, reason: msgdkim.ReasonExpired},
	{name: "expired-since-receipt", message: "expired-since-receipt", status: checks.StatusError, reason: msgdkim.ReasonExpiredSince},
	{name: "msg-dkim.fail-one-passes", message: "one-passes", want: []string{"msg-dkim.fail"}, status: checks.StatusPass}, // the topmost (s1) passes
	{name: "msg-dkim.body-length", message: "body-length", want: []string{"msg-dkim.body-length", "msg-dkim.fail"}, status: checks.StatusWarn, reason: msgdkim.ReasonBodyLength},
	{name: "msg-dkim.from-not-signed", message: "from-not-signed", want: []string{"msg-dkim.from-not-signed"}, status: checks.StatusFail, reason: msgdkim.ReasonFromNotSigned},
	{name: "msg-dkim.key-too-small", message: "key-too-small", want: []string{"msg-dkim.key-too-small"}, status: checks.StatusFail, reason: msgdkim.ReasonKeyTooSmall},
	{name: "msg-dkim.rsa-sha1-beside-sha256", message: "rsa-sha1-beside-sha256", want: []string{"msg-dkim.rsa-sha1"}, status: checks.StatusWarn},
	{name: "msg-dkim.rsa-sha1", message: "rsa-sha1", want: []string{"msg-dkim.rsa-sha1"}, status: checks.StatusFail, reason: msgdkim.ReasonSHA1},
	{name: "msg-dkim.too-many", message: "too-many", want: []string{"msg-dkim.too-many"}, status: checks.StatusWarn},
	// A SERVFAIL at the key is undecided: error, never fail or "key missing".
	{name: "dns-error", message: "dns-error", status: checks.StatusError, reason: msgdkim.ReasonDNS,
		setup: func(w *mailtest.World) {
			w.DNS.Script("broken._domainkey.sender.example.", dns.TypeTXT, mailtest.ServFail)
		}},
	{name: "dns-timeout", message: "dns-error", status: checks.StatusError, reason: msgdkim.ReasonDNS, timeout: 150 * time.Millisecond,
		setup: func(w *mailtest.World) {
			w.DNS.Script("broken._domainkey.sender.example.", dns.TypeTXT, mailtest.Timeout)
		}},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fact *msgdkim.Fact
			probe := probeCheck{f: func(f *msgdkim.Fact) { fact = f }}
			rep := runCase(t, messagetest.Case{Message: tc.message, Setup: tc.setup}, tc.timeout, []checks.Check{msgdkim.Check{}, probe})
			res := policytest.Result(t, rep, msgdkim.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			for _, f := range res.Findings {
				if p := policytest.PlainProblems(f.Message + " " + f.Fix); len(p) > 0 {
					t.Errorf("%s: %v", f.ID, p)
				}
			}
			if p := policytest.PlainProblems(res.Err); len(p) > 0 {
				t.Errorf("error %q: %v", res.Err, p)
			}
			data, _ := res.Data.(*msgdkim.Data)
			if data == nil {
				t.Fatal("no data")
			}
			if len(data.Signatures) > 0 && data.Signatures[0].Reason != tc.reason {
				t.Errorf("reason %q (%s), want %q", data.Signatures[0].Reason, data.Signatures[0].Detail, tc.reason)
			}
			if fact == nil && tc.status != checks.StatusError {
				t.Error("no fact published")
			}
			if len(checks.DescribeData(res.Data)) == 0 && tc.message != "unsigned" {
				t.Error("Describe lists nothing")
			}
			policytest.Golden(t, "msg-dkim/"+tc.name, res)
		})
	}
}

// runCase is messagetest.Run with each lookup bounded by timeout, when set.
func runCase(t *testing.T, c messagetest.Case, timeout time.Duration, cs []checks.Check) *checks.Report {
	t.Helper()
	if timeout == 0 {
		return messagetest.Run(t, c, cs)
	}
	w := mailtest.New(t, policytest.Base+messagetest.Zone(t))
	if c.Setup != nil {
		c.Setup(w)
	}
	m := message.Parse(messagetest.Raw(t, c.Message), message.Options{})
	return policytest.Run(t, w, checks.Options{Timeout: timeout}, checks.Target{Domain: m.FromDomain, Input: m.FromDomain, Message: m}, cs)
}

func TestFact(t *testing.T) {
	var fact *msgdkim.Fact
	probe := probeCheck{f: func(f *msgdkim.Fact) { fact = f }}
	messagetest.Run(t, messagetest.Case{Message: "bulk-one-click"}, []checks.Check{probe}, msgdkim.Check{})
	if fact == nil || !fact.PassDomain("SENDER.example") || !fact.Covers("List-Unsubscribe", "List-Unsubscribe-Post") || fact.Covers("Received") {
		t.Errorf("fact %+v", fact)
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "sender.example"}, []checks.Check{msgdkim.Check{}})
	if res := policytest.Result(t, rep, msgdkim.ID); res.Status != checks.StatusSkip {
		t.Errorf("status %s without a message, want skip", res.Status)
	}
}

// TestEveryFindingHasAGolden pins that each catalogue ID is exercised above.
func TestEveryFindingHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, msgdkim.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
		if !strings.HasPrefix(id, msgdkim.ID+".") {
			t.Errorf("finding %s is not in the check's namespace", id)
		}
	}
}

type probeCheck struct{ f func(*msgdkim.Fact) }

func (probeCheck) ID() string             { return "probe" }
func (probeCheck) Title() string          { return "probe" }
func (probeCheck) Needs() []string        { return []string{msgdkim.ID} }
func (probeCheck) Findings() []checks.Def { return nil }
func (p probeCheck) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	f, err := msgdkim.FactKey.Await(ctx, out)
	if err != nil {
		return err
	}
	p.f(f)
	return nil
}
