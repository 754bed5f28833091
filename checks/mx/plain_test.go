package mx_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

// plainProblems says what makes s unfit for people (policytest.PlainProblems
// with this package's own prefixes and error texts).
func plainProblems(s string) []string { return policytest.PlainProblems(s, "mx:") }

func TestPlainProblems(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"_dmarc.x TXT: _dmarc.x TXT: the resolver answered SERVFAIL", "lookup failed: dnsq: SERVFAIL", "a.example a.example", "x: context deadline exceeded"} {
		if len(plainProblems(bad)) == 0 {
			t.Errorf("%q passes", bad)
		}
	}
	if p := plainProblems("address lookup for MX host failed: mx1.d.example A, AAAA: no answer from the resolver"); len(p) > 0 {
		t.Errorf("plain text flagged: %v", p)
	}
}

// TestPlainWords runs the check in worlds where every lookup fails and
// checks that what people read is plain words: no Go error text, no package
// prefix, no name twice in a row.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		zone   string
		script map[string]mailtest.Behaviour
	}{
		{name: "mx servfail", script: map[string]mailtest.Behaviour{"d.example": mailtest.ServFail}},
		{name: "mx timeout", script: map[string]mailtest.Behaviour{"d.example": mailtest.Timeout}},
		{name: "hosts fail", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
d MX 30 mx3.d`, script: map[string]mailtest.Behaviour{"mx1.d.example": mailtest.ServFail, "mx2.d.example": mailtest.Timeout, "mx3.d.example": mailtest.Refused}},
		{name: "fallback fails", zone: `d TXT "x"`, script: map[string]mailtest.Behaviour{"d.example": mailtest.Normal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, base+"$ORIGIN example.\n"+tt.zone)
			for name, b := range tt.script {
				w.DNS.Script(name, 0, b)
			}
			if tt.name == "fallback fails" {
				w.DNS.Script("d.example", dns.TypeA, mailtest.ServFail)
				w.DNS.Script("d.example", dns.TypeAAAA, mailtest.Timeout)
			}
			// Every lookup fails: a short timeout takes the same path.
			r := w.Run(t, checks.Target{Domain: "d.example"}, checks.Options{Timeout: 150 * time.Millisecond}, mx.Check{})
			if r.Status != checks.StatusError {
				t.Errorf("status %s, want error; findings %v", r.Status, mailtest.FindingIDs(r))
			}
			texts := []string{r.Err}
			for _, f := range r.Findings {
				if f.ID != "mx.dns-error" {
					t.Errorf("finding %s in a world where every lookup fails", f.ID)
				}
				texts = append(texts, f.Message, f.Fix)
			}
			if d, ok := r.Data.(mx.Data); ok {
				for _, h := range d.Hosts {
					texts = append(texts, h.Error)
				}
			}
			for _, s := range texts {
				for _, p := range plainProblems(s) {
					t.Errorf("%q: %s", s, p)
				}
			}
		})
	}
}

// TestCheckDeadline: lookups cut short by the check's own deadline are not
// DNS errors of the domain; the result says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, base+"$ORIGIN example.\nd MX 10 mx1.d\n")
	w.DNS.Script("mx1.d.example", 0, mailtest.Timeout)
	r := w.Run(t, checks.Target{Domain: "d.example"}, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 150 * time.Millisecond}, mx.Check{})
	if r.Status != checks.StatusError || !strings.Contains(r.Err, "did not finish") {
		t.Errorf("status %s, error %q", r.Status, r.Err)
	}
	for _, f := range r.Findings {
		if f.ID == "mx.dns-error" || f.ID == "mx.no-address" {
			t.Errorf("%s: %s", f.ID, f.Message)
		}
		for _, p := range plainProblems(f.Message) {
			t.Errorf("%q: %s", f.Message, p)
		}
	}
	if r.Data != nil {
		t.Errorf("data from lookups cut short: %+v", r.Data)
	}
}
