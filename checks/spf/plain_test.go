package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// plainProblems says what makes s unfit for people (policytest.PlainProblems
// with this package's own prefixes and error texts).
func plainProblems(s string) []string { return policytest.PlainProblems(s, "spf:") }

// texts gathers everything of a result that people read.
func texts(r checks.Result) []string {
	out := []string{r.Err}
	for _, f := range r.Findings {
		out = append(out, f.Message, f.Fix)
	}
	d, ok := r.Data.(Data)
	if !ok {
		return out
	}
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		out = append(out, n.Error)
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(d.Tree)
	for _, r := range d.Records {
		out = append(out, r.Error)
		walk(r.Tree)
	}
	for _, e := range d.Evaluations {
		out = append(out, e.Reason, e.Mechanism)
		for _, s := range e.Trace {
			out = append(out, s.Note)
		}
	}
	return out
}

// TestPlainWords runs the check where every lookup SERVFAILs, times out or
// is refused: the result is an error (never spf.missing or a no-record
// finding), and what people read is plain words.
func TestPlainWords(t *testing.T) {
	zone := `
inc.example.   IN TXT "v=spf1 include:a.fail.example a:b.fail.example mx:c.fail.example exists:d.fail.example -all"
`
	for _, tc := range []struct {
		name string
		b    mailtest.Behaviour
	}{{"servfail", mailtest.ServFail}, {"timeout", mailtest.Timeout}, {"refused", mailtest.Refused}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, zone)
			for _, n := range []string{"root.fail.example", "a.fail.example", "b.fail.example", "c.fail.example", "d.fail.example", "helo.fail.example"} {
				w.DNS.Script(n, 0, tc.b)
			}
			for _, target := range []checks.Target{
				{Domain: "root.fail.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}},
				{Domain: "inc.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
				{Domain: "inc.example", HELO: "helo.fail.example"},
			} {
				r := runCheckWithin(t, w, target, quickTimeout)
				if r.Status != checks.StatusError {
					t.Errorf("%+v: status %s, findings %v", target, r.Status, ids(r.Findings))
				}
				for _, f := range r.Findings {
					switch f.ID {
					case "spf.missing", "spf.include-no-record", "spf.redirect-no-record", "spf.void-limit":
						t.Errorf("%+v: %s from failed lookups: %s", target, f.ID, f.Message)
					}
				}
				for _, s := range texts(r) {
					for _, p := range plainProblems(s) {
						t.Errorf("%q: %s", s, p)
					}
				}
			}
		})
	}
}

// TestCheckDeadline: lookups cut short by the check's own deadline are not
// DNS errors of the domain; the result says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, `inc.example. IN TXT "v=spf1 include:slow.example -all"`)
	w.DNS.Script("slow.example", 0, mailtest.Timeout)
	env, err := w.Env(checks.Options{Timeout: 10 * time.Second, CheckTimeout: quickTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	rep := (&checks.Runner{Env: env, Checks: []checks.Check{Check{}}}).Run(context.Background(), checks.Target{Domain: "inc.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}})
	r := rep.Results[0]
	if r.Status != checks.StatusError || !strings.Contains(r.Err, "did not finish") || len(r.Findings) != 0 {
		t.Errorf("status %s, error %q, findings %v", r.Status, r.Err, ids(r.Findings))
	}
}
