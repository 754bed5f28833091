package spf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
)

// quickTimeout bounds each lookup in the tests whose lookups are meant to
// time out (a scripted mailtest.Timeout): a shorter wait takes the same
// path, and every lookup of those tests that should answer fails towards
// the same error verdict if a loaded machine makes it late.
const quickTimeout = 150 * time.Millisecond

// runCheck runs the spf check alone against a world and returns its result.
func runCheck(t *testing.T, w *mailtest.World, target checks.Target) checks.Result {
	t.Helper()
	return runCheckWithin(t, w, target, 500*time.Millisecond)
}

// runCheckWithin is runCheck with each lookup bounded by timeout.
func runCheckWithin(t *testing.T, w *mailtest.World, target checks.Target, timeout time.Duration) checks.Result {
	t.Helper()
	env, err := w.Env(checks.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	r := &checks.Runner{Env: env, Checks: []checks.Check{Check{}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep := r.Run(ctx, target)
	if len(rep.Results) != 1 {
		t.Fatalf("got %d results", len(rep.Results))
	}
	return rep.Results[0]
}

func ids(fs []checks.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	sort.Strings(out)
	return out
}

func has(fs []checks.Finding, id string) *checks.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func demoWorld(t *testing.T) *mailtest.World {
	t.Helper()
	z, err := demo.Zones()
	if err != nil {
		t.Fatal(err)
	}
	return mailtest.New(t, z)
}

func TestDemoGood(t *testing.T) {
	w := demoWorld(t)
	res := runCheck(t, w, checks.Target{Domain: "good.example",
		IPs: []netip.Addr{netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("203.0.113.9")}})
	if res.Status != checks.StatusFail {
		t.Errorf("status %s, want fail (203.0.113.9 is not authorized)", res.Status)
	}
	if got := ids(res.Findings); strings.Join(got, " ") != "spf.ip-authorized spf.ip-not-authorized" {
		t.Errorf("findings %v", got)
	}
	f := has(res.Findings, "spf.ip-not-authorized")
	if f == nil || !strings.Contains(f.Message, `fail (decided by "-all" in good.example)`) || f.Subject != "203.0.113.9" {
		t.Errorf("ip-not-authorized: %+v", f)
	}
	if f != nil && (f.Evidence == nil || len(f.Evidence.DNS) == 0) {
		t.Errorf("ip-not-authorized carries no DNS evidence")
	}
	d := res.Data.(Data)
	if d.Lookups != 2 || d.VoidLookups != 0 || len(d.Tree.Children) != 1 || d.Tree.Children[0].Domain != "_spf.mailprovider.example" {
		t.Errorf("data: lookups %d void %d tree %+v", d.Lookups, d.VoidLookups, d.Tree)
	}
	if p := d.Evaluations[0]; p.Result != Pass || p.Mechanism != "include:_spf.mailprovider.example" {
		t.Errorf("evaluation 0: %+v", p)
	}
}

func TestDemoBroken(t *testing.T) {
	w := demoWorld(t)
	res := runCheck(t, w, checks.Target{Domain: "broken.example"})
	want := []string{"spf.all-pass", "spf.include-no-record", "spf.lookup-limit", "spf.loop", "spf.ptr", "spf.text-after-all", "spf.void-limit"}
	if got := ids(res.Findings); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v\nwant %v", got, want)
	}
	f := has(res.Findings, "spf.lookup-limit")
	if f == nil || !strings.Contains(f.Message, "needs 15 DNS lookups") || !strings.Contains(f.Message, "include:_spf.bulk.example 7") {
		t.Errorf("lookup-limit: %+v", f)
	}
	if f := has(res.Findings, "spf.void-limit"); f == nil || !strings.Contains(f.Message, "IPv6") {
		t.Errorf("void-limit: %+v", f)
	}
	data, err := json.MarshalIndent(res.Data, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "spf/broken-data.json", append(data, '\n'))
	var fl []string
	for _, f := range res.Findings {
		fl = append(fl, fmt.Sprintf("%s %s %s: %s", f.Severity, f.ID, f.Subject, f.Message))
	}
	golden.Check(t, "spf/broken-findings.txt", []byte(strings.Join(fl, "\n")+"\n"))
}

func TestFindings(t *testing.T) {
	zone := `
$ORIGIN example.
a.example.        IN TXT "v=spf1 -all"
a.example.        IN TXT "v=spf1 ~all"
syn.example.      IN TXT "v=spf1 ip4:192.0.2.1 foo:bar -all"
neutral.example.  IN TXT "v=spf1 ip4:192.0.2.1"
q.example.        IN TXT "v=spf1 ip4:192.0.2.1 ?all"
redir.example.    IN TXT "v=spf1 redirect=nowhere.example"
redir2.example.   IN TXT "v=spf1 redirect=q.example"
redir3.example.   IN TXT "v=spf1 redirect=q.example -all"
dup.example.      IN TXT "v=spf1 include:q.example include:Q.example. -all"
near.example.     IN TXT "v=spf1 a mx include:n1.example include:n2.example exists:x.near.example a:x.near.example -all"
n1.example.       IN TXT "v=spf1 a mx -all"
n2.example.       IN TXT "v=spf1 a -all"
near.example.     IN A 192.0.2.1
near.example.     IN AAAA 2001:db8::1
near.example.     IN MX 10 near.example.
x.near.example.   IN A 192.0.2.2
x.near.example.   IN AAAA 2001:db8::2
n1.example.       IN A 192.0.2.3
n1.example.       IN AAAA 2001:db8::3
n1.example.       IN MX 10 near.example.
n2.example.       IN A 192.0.2.4
n2.example.       IN AAAA 2001:db8::4
big.example.      IN TXT "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ip4:192.0.2.3 ip4:192.0.2.4 ip4:192.0.2.5 ip4:192.0.2.6 ip4:192.0.2.7 ip4:192.0.2.8 ip4:192.0.2.9 ip4:192.0.2.10 ip4:192.0.2.11 ip4:192.0.2.12 ip4:192.0.2.13 ip4:192.0.2.14 ip4:192.0.2.15 ip4:192.0.2.16" " ip4:192.0.2.17 ip4:192.0.2.18 ip4:192.0.2.19 ip4:192.0.2.20 ip4:192.0.2.21 ip4:192.0.2.22 ip4:192.0.2.23 ip4:192.0.2.24 ip4:192.0.2.25 ip4:192.0.2.26 ip4:192.0.2.27 ip4:192.0.2.28 ip4:192.0.2.29 ip4:192.0.2.30 -all"
slow.example.     IN TXT "v=spf1 -all"
inc-slow.example. IN TXT "v=spf1 include:slow.example -all"
nospf.example.    IN TXT "google-site-verification=abc"
loop.example.     IN CNAME loop2.example.
loop2.example.    IN CNAME loop.example.
inc-loop.example. IN TXT "v=spf1 include:loop.example -all"
a-loop.example.   IN TXT "v=spf1 a:loop.example mx:loop.example -all"
after.example.    IN TXT "v=spf1 -all ip4:192.0.2.9 redirect=q.example"
mxs.example.      IN TXT "v=spf1 mx -all"
mxs.example.      IN MX 0 m0.example.
mxs.example.      IN MX 1 m1.example.
mxs.example.      IN MX 2 m2.example.
mxs.example.      IN MX 3 m3.example.
mxs.example.      IN MX 4 m4.example.
mxs.example.      IN MX 5 m5.example.
mxs.example.      IN MX 6 m6.example.
mxs.example.      IN MX 7 m7.example.
mxs.example.      IN MX 8 m8.example.
mxs.example.      IN MX 9 m9.example.
mxs.example.      IN MX 10 m10.example.
`
	w := mailtest.New(t, zone)
	w.DNS.Script("slow.example", dns.TypeTXT, mailtest.Timeout)
	// The lookups of these domains time out; each lookup that should
	// answer before that fails towards the same spf.dns-error if it is late.
	timesOut := map[string]bool{"slow.example": true, "inc-slow.example": true}
	cases := []struct {
		domain string
		want   string
		check  func(t *testing.T, r checks.Result)
	}{
		{"a.example", "spf.multiple", nil},
		{"mxs.example", "spf.mx-too-many", func(t *testing.T, r checks.Result) {
			if f := has(r.Findings, "spf.mx-too-many"); f.Severity != checks.SevFail || !strings.Contains(f.Message, "11") {
				t.Errorf("finding %+v", f)
			}
		}},
		{"syn.example", "spf.syntax", func(t *testing.T, r checks.Result) {
			if f := has(r.Findings, "spf.syntax"); !strings.Contains(f.Message, `position 21 (term "foo:bar")`) {
				t.Errorf("message %q", f.Message)
			}
		}},
		{"neutral.example", "spf.all-neutral", nil},
		{"q.example", "spf.all-neutral", nil},
		{"redir.example", "spf.redirect-no-record", nil},
		{"redir2.example", "spf.all-neutral", nil},
		{"redir3.example", "spf.redirect-ignored", nil},
		{"dup.example", "spf.duplicate-include", nil},
		{"near.example", "spf.lookup-near-limit", func(t *testing.T, r checks.Result) {
			if d := r.Data.(Data); d.Lookups != 9 {
				t.Errorf("lookups %d, want 9", d.Lookups)
			}
		}},
		{"big.example", "spf.record-too-large", nil},
		{"nospf.example", "spf.missing", nil},
		{"nxdomain.example", "spf.missing", nil},
		{"slow.example", "spf.dns-error", func(t *testing.T, r checks.Result) {
			if r.Status != checks.StatusError || has(r.Findings, "spf.missing") != nil {
				t.Errorf("status %s findings %v: a timeout must be an error, never missing", r.Status, ids(r.Findings))
			}
		}},
		{"inc-slow.example", "spf.dns-error", func(t *testing.T, r checks.Result) {
			if has(r.Findings, "spf.include-no-record") != nil {
				t.Errorf("a timeout in an include was reported as no record")
			}
		}},
		// A CNAME loop is a lookup failure (the resolver's SERVFAIL, or
		// dnsq's loop error): never "no record" or a void lookup.
		{"loop.example", "spf.dns-error", func(t *testing.T, r checks.Result) {
			if r.Status != checks.StatusError || has(r.Findings, "spf.missing") != nil {
				t.Errorf("status %s findings %v: a CNAME loop must be an error, never missing", r.Status, ids(r.Findings))
			}
		}},
		{"inc-loop.example", "spf.dns-error", func(t *testing.T, r checks.Result) {
			if has(r.Findings, "spf.include-no-record") != nil {
				t.Errorf("a CNAME loop in an include was reported as no record")
			}
		}},
		{"a-loop.example", "spf.dns-error", func(t *testing.T, r checks.Result) {
			if d := r.Data.(Data); d.VoidLookups != 0 {
				t.Errorf("a CNAME loop counted as %d void lookups", d.VoidLookups)
			}
		}},
		{"after.example", "spf.text-after-all", func(t *testing.T, r checks.Result) {
			// Moving redirect= before all would not help: the fix must not
			// propose what spf.redirect-ignored flags.
			f := has(r.Findings, "spf.text-after-all")
			if strings.Contains(f.Fix, `"redirect=q.example" before`) || !strings.Contains(f.Fix, `remove either "-all" or "redirect=q.example"`) {
				t.Errorf("fix %q", f.Fix)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			t.Parallel()
			timeout := 500 * time.Millisecond
			if timesOut[c.domain] {
				timeout = quickTimeout
			}
			r := runCheckWithin(t, w, checks.Target{Domain: c.domain}, timeout)
			f := has(r.Findings, c.want)
			if f == nil {
				t.Fatalf("no %s in %v", c.want, ids(r.Findings))
			}
			for _, f := range r.Findings {
				if f.Evidence == nil || len(f.Evidence.DNS) == 0 {
					t.Errorf("%s carries no DNS evidence", f.ID)
				}
				if strings.Contains(f.Fix, "example.com") || strings.Contains(f.Fix, "<domain>") {
					t.Errorf("%s fix has a placeholder: %s", f.ID, f.Fix)
				}
			}
			for _, s := range texts(r) {
				for _, p := range plainProblems(s) {
					t.Errorf("%q: %s", s, p)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func TestHELOIdentity(t *testing.T) {
	w := mailtest.New(t, `
$ORIGIN example.
d.example.       IN TXT "v=spf1 a:mail.d.example -all"
mail.d.example.  IN A 192.0.2.25
mail.d.example.  IN TXT "v=spf1 a -all"
other.example.   IN A 192.0.2.99
`)
	r := runCheck(t, w, checks.Target{Domain: "d.example", HELO: "mail.d.example"})
	d := r.Data.(Data)
	if len(d.Evaluations) != 2 || d.Evaluations[0].Result != Pass || d.Evaluations[1].Result != Pass || d.Evaluations[1].Identity != "helo" {
		t.Fatalf("evaluations %+v", d.Evaluations)
	}
	r = runCheck(t, w, checks.Target{Domain: "d.example", HELO: "other.example"})
	if f := has(r.Findings, "spf.ip-not-authorized"); f == nil || f.Severity != checks.SevFail {
		t.Errorf("findings %v", r.Findings)
	}
}

// TestHELONoAddress: a HELO name that exists but has no address is a
// definite answer, so the check says so (spf.helo-no-address) and is not
// "could not decide" (it used to report spf.dns-error).
func TestHELONoAddress(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, `
$ORIGIN example.
q.example.      IN TXT "v=spf1 ip4:192.0.2.1 -all"
noaddr.example. IN TXT "v=spf1 -all"
`)
	r := runCheck(t, w, checks.Target{Domain: "q.example", HELO: "noaddr.example"})
	f := has(r.Findings, "spf.helo-no-address")
	if f == nil || f.Severity != checks.SevWarn || f.Host != "noaddr.example" || f.Evidence == nil || len(f.Evidence.DNS) != 2 {
		t.Fatalf("finding %+v in %v", f, ids(r.Findings))
	}
	if has(r.Findings, "spf.dns-error") != nil || r.Status == checks.StatusError || r.Err != "" {
		t.Errorf("status %s, error %q, findings %v: a name without an address is not a DNS failure", r.Status, r.Err, ids(r.Findings))
	}
}
