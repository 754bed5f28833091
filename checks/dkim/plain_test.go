package dkim

import (
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// plainProblems says what makes s unfit for people (policytest.PlainProblems
// with this package's own prefixes and error texts).
func plainProblems(s string) []string {
	return policytest.PlainProblems(s, "dkim:", "x509:", "asn1:", "illegal base64", "*rsa.", "*ecdsa.")
}

// TestPlainWords runs the check where every lookup SERVFAILs or times out:
// the result is an error, never dkim.none-found or selector-missing, and
// what people read is plain words.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    mailtest.Behaviour
	}{{"servfail", mailtest.ServFail}, {"timeout", mailtest.Timeout}, {"refused", mailtest.Refused}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base)
			const domain = "fail.example"
			w.DNS.Script("_domainkey."+domain, 0, tc.b)
			for _, s := range append([]string{"s1", wildcardProbe}, commonSelectors...) {
				w.DNS.Script(s+"._domainkey."+domain, 0, tc.b)
			}
			for _, sels := range [][]string{nil, {"s1"}} {
				// Every outcome of this test is "could not decide" whatever
				// answers in time, so a short wait costs no certainty; the
				// timeout case waits once per probe wave.
				rep := policytest.Run(t, w, checks.Options{Timeout: 100 * time.Millisecond}, checks.Target{Domain: domain, Selectors: sels}, []checks.Check{Check{}})
				res := policytest.Result(t, rep, ID)
				if res.Status != checks.StatusError || policytest.Has(res, "dkim.none-found") || policytest.Has(res, "dkim.selector-missing") {
					t.Errorf("selectors %v: status %s, findings %v", sels, res.Status, policytest.IDs(res))
				}
				texts := []string{res.Err}
				for _, f := range res.Findings {
					texts = append(texts, f.Message, f.Fix)
				}
				if d, ok := res.Data.(*Data); ok {
					for _, s := range d.Selectors {
						texts = append(texts, s.Error)
					}
				}
				for _, s := range texts {
					for _, p := range plainProblems(s) {
						t.Errorf("%q: %s", s, p)
					}
				}
			}
		})
	}
}

// TestKeyProblemsPlain checks the words of key record problems.
func TestKeyProblemsPlain(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{
		"v=DKIM1; p=!!notbase64",
		"v=DKIM1; p=AAAA",
		"v=DKIM1; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE=",
		"v=DKIM1; k=ed25519; p=AAAA",
		"v=DKIM2; k=dsa; t; p=",
		"v=DKIM1; p=" + strings.Repeat("A", 12000),
	} {
		k := ParseKey(rec)
		if len(k.Problems) == 0 {
			t.Errorf("%.40q: no problem", rec)
		}
		for _, p := range k.Problems {
			for _, bad := range plainProblems(p.Text) {
				t.Errorf("%.40q: %q: %s", rec, p.Text, bad)
			}
		}
	}
}

// TestCheckDeadline: probes cut short by the check's own deadline decide
// nothing: no none-found, no dns-error, and the result says why.
func TestCheckDeadline(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+`_adsp._domainkey.slow.example. TXT "x"`)
	w.DNS.Script("google._domainkey.slow.example", 0, mailtest.Timeout)
	rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 150 * time.Millisecond}, checks.Target{Domain: "slow.example"}, []checks.Check{Check{}})
	res := policytest.Result(t, rep, ID)
	if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 || res.Data != nil {
		t.Errorf("status %s, error %q, findings %v, data %v", res.Status, res.Err, policytest.IDs(res), res.Data != nil)
	}
}
