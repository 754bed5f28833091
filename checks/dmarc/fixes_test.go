package dmarc_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// proposedRE finds the records a fix proposes: `name. IN TXT "value"`.
var proposedRE = regexp.MustCompile("`([^` ]+)\\. IN TXT \\\\?\"([^\"`]*)\\\\?\"`")

// TestFixesAreConsistent publishes every record a fix proposes in place of
// the record it fixes and runs the check again: the fixed finding must go
// (one fewer of its ID), and the proposal must draw no warn or fail finding
// that the original record did not draw. A fix never proposes what another
// finding flags. The one allowance: a fix that only repairs syntax keeps
// the owner's p=none, which dmarc.policy-none flags with its own fix.
func TestFixesAreConsistent(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		if tc.setup != nil && strings.Contains(tc.name, "dns-error") {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := run(t, tc.zone, tc.domain, setupOf(tc)...)
			origCount := map[string]int{}
			for _, f := range orig.Findings {
				origCount[f.ID]++
			}
			for _, f := range orig.Findings {
				for _, m := range proposedRE.FindAllStringSubmatch(f.Fix, -1) {
					name, value := m[1], m[2]
					t.Run(f.ID, func(t *testing.T) {
						res := run(t, tc.zone, tc.domain, append(setupOf(tc), func(w *mailtest.World) {
							w.DNS.Remove(name, dns.TypeTXT)
							w.DNS.Add(txt(name, split(value)...))
						})...)
						count := map[string]int{}
						for _, g := range res.Findings {
							count[g.ID]++
						}
						if count[f.ID] >= origCount[f.ID] {
							t.Errorf("publishing %s TXT %q leaves %s; findings %v", name, value, f.ID, policytest.IDs(res))
						}
						ownNone := dmarc.Parse(value).P == dmarc.PolicyNone && strings.HasPrefix(name, "_dmarc.")
						for _, g := range res.Findings {
							if g.Severity.Rank() < checks.SevWarn.Rank() || origCount[g.ID] > 0 {
								continue
							}
							if g.ID == "dmarc.policy-none" && ownNone && f.ID != "dmarc.policy-none" && f.ID != "dmarc.missing" {
								continue
							}
							t.Errorf("the fix of %s proposes %s TXT %q, which draws %s: %s", f.ID, name, value, g.ID, g.Message)
						}
					})
				}
				if strings.Contains(f.Fix, "example.com") || strings.Contains(f.Fix, "<domain>") {
					t.Errorf("%s fix has a placeholder: %s", f.ID, f.Fix)
				}
			}
		})
	}
}

func setupOf(tc struct {
	name   string
	zone   string
	domain string
	want   []string
	status checks.Status
	setup  func(w *mailtest.World)
}) []func(*mailtest.World) {
	if tc.setup == nil {
		return nil
	}
	return []func(*mailtest.World){tc.setup}
}

// TestInvalidPolicyWords pins RFC 7489 §6.6.3: an invalid p= with a valid
// rua= is read as p=none; without one the record is ignored.
func TestInvalidPolicyWords(t *testing.T) {
	t.Parallel()
	r := dmarc.Parse("v=DMARC1; p=enforce; rua=mailto:d@x.example")
	if r.Fatal() || r.P != dmarc.PolicyNone {
		t.Errorf("invalid p= with rua=: fatal %v, p %q", r.Fatal(), r.P)
	}
	if !slices.ContainsFunc(r.Problems, func(p dmarc.Problem) bool {
		return strings.Contains(p.Text, "p=enforce") && strings.Contains(p.Text, "treat the record as p=none")
	}) {
		t.Errorf("problems %+v", r.Problems)
	}
	r = dmarc.Parse("v=DMARC1; p=enforce")
	if !r.Fatal() || !slices.ContainsFunc(r.Problems, func(p dmarc.Problem) bool { return strings.Contains(p.Text, "ignore the record") }) {
		t.Errorf("invalid p= without rua=: %+v", r.Problems)
	}
}

// TestPlainWords runs the check where every lookup fails: what people read
// is plain words, and a failure is never reported as a missing record.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    mailtest.Behaviour
	}{{"servfail", mailtest.ServFail}, {"timeout", mailtest.Timeout}, {"refused", mailtest.Refused}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+`
_dmarc.ok.example. TXT "v=DMARC1; p=reject; rua=mailto:a@reports.test"
`)
			for _, n := range []string{"_dmarc.a.b.fail.example", "_dmarc.b.fail.example", "_dmarc.fail.example", "_dmarc.example", "ok.example._report._dmarc.reports.test"} {
				w.DNS.Script(n, 0, tc.b)
			}
			for _, domain := range []string{"a.b.fail.example", "ok.example"} {
				// Every lookup but ok.example's record fails: a short timeout
				// takes the same path, and that record, if late, fails
				// towards the same dmarc.dns-error.
				rep := policytest.Run(t, w, checks.Options{Timeout: 150 * time.Millisecond}, checks.Target{Domain: domain}, []checks.Check{dmarc.Check{}})
				res := policytest.Result(t, rep, "dmarc")
				if !policytest.Has(res, "dmarc.dns-error") || policytest.Has(res, "dmarc.missing") || policytest.Has(res, "dmarc.rua-unauthorized") {
					t.Errorf("%s: findings %v", domain, policytest.IDs(res))
				}
				texts := []string{res.Err}
				for _, f := range res.Findings {
					texts = append(texts, f.Message, f.Fix)
				}
				if d, ok := res.Data.(dmarc.Data); ok {
					for _, lv := range d.TreeWalk.Levels {
						texts = append(texts, lv.Error)
					}
					for _, a := range d.Reports {
						texts = append(texts, a.Error)
					}
				}
				for _, s := range texts {
					for _, p := range plainProblems(s) {
						t.Errorf("%s: %q: %s", domain, s, p)
					}
				}
			}
		})
	}
}

// plainProblems says what makes s unfit for people (policytest.PlainProblems
// with this package's own prefixes and error texts).
func plainProblems(s string) []string { return policytest.PlainProblems(s, "dmarc:", "strconv.") }

// TestMessagesPlain checks every finding of the table for plain words.
func TestMessagesPlain(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.zone, tc.domain, setupOf(tc)...)
			for _, f := range res.Findings {
				for _, s := range []string{f.Message, f.Fix} {
					for _, p := range plainProblems(s) {
						t.Errorf("%s: %q: %s", f.ID, s, p)
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
	w := mailtest.New(t, policytest.Base)
	w.DNS.Script("_dmarc.slow.example", 0, mailtest.Timeout)
	rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 150 * time.Millisecond}, checks.Target{Domain: "slow.example"}, []checks.Check{dmarc.Check{}})
	res := policytest.Result(t, rep, "dmarc")
	if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 || res.Data != nil {
		t.Errorf("status %s, error %q, findings %v, data %v", res.Status, res.Err, policytest.IDs(res), res.Data != nil)
	}
}
