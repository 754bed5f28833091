package dmarc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// run checks domain in a world made of zone.
func run(t *testing.T, zone, domain string, setup ...func(w *mailtest.World)) *checks.Result {
	t.Helper()
	w := mailtest.New(t, policytest.Base+zone)
	for _, s := range setup {
		s(w)
	}
	// The mx and spf checks run hidden, as in the CLI: the parked-domain
	// verdict awaits their facts.
	rep := policytest.Run(t, w, checks.Options{Timeout: 2e9}, checks.Target{Domain: domain}, []checks.Check{dmarc.Check{}}, mx.Check{}, spf.Check{})
	return policytest.Result(t, rep, "dmarc")
}

func txt(name string, chunks ...string) dns.RR {
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: chunks}
}

// split cuts s into 255-byte character-strings.
func split(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

var cases = []struct {
	name   string // golden file name; also the finding ID the case exercises
	zone   string
	domain string
	want   []string // finding IDs that must be present
	status checks.Status
	setup  func(w *mailtest.World)
}{
	{name: "pass", domain: "good.example", status: checks.StatusPass, zone: `
_dmarc.good.example. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.example"`},
	{name: "dmarc.missing", domain: "none.example", want: []string{"dmarc.missing"}, status: checks.StatusFail, zone: `
none.example. A 192.0.2.1`},
	{name: "dmarc.multiple", domain: "multi.example", want: []string{"dmarc.multiple"}, status: checks.StatusFail, zone: `
_dmarc.multi.example. TXT "v=DMARC1; p=reject; rua=mailto:d@multi.example"
_dmarc.multi.example. TXT "v=DMARC1; p=none"`},
	{name: "dmarc.syntax", domain: "syn.example", want: []string{"dmarc.syntax"}, status: checks.StatusFail, zone: `
_dmarc.syn.example. TXT "v=DMARC1; p=rejectt; pct=150; adkim=x; rua=dmarc@syn.example"`},
	{name: "dmarc.syntax-version", domain: "ver.example", want: []string{"dmarc.syntax", "dmarc.missing"}, status: checks.StatusFail, zone: `
_dmarc.ver.example. TXT "v=dmarc1; p=reject"`},
	{name: "dmarc.syntax-no-p", domain: "nop.example", want: []string{"dmarc.syntax"}, status: checks.StatusFail, zone: `
_dmarc.nop.example. TXT "v=DMARC1; adkim=s"`},
	{name: "dmarc.unknown-tag", domain: "unk.example", want: []string{"dmarc.unknown-tag"}, status: checks.StatusWarn, zone: `
_dmarc.unk.example. TXT "v=DMARC1; p=reject; rau=mailto:d@unk.example; rua=mailto:d@unk.example"`},
	{name: "dmarc.compat", domain: "compat.example", want: []string{"dmarc.compat"}, status: checks.StatusWarn, zone: `
_dmarc.compat.example. TXT "v=DMARC1; p=Reject; rua=mailto:d@compat.example"`},
	{name: "dmarc.policy-none", domain: "none-policy.example", want: []string{"dmarc.policy-none"}, status: checks.StatusWarn, zone: `
_dmarc.none-policy.example. TXT "v=DMARC1; p=none; rua=mailto:d@none-policy.example"`},
	{name: "dmarc.pct-partial", domain: "pct.example", want: []string{"dmarc.pct-partial"}, status: checks.StatusWarn, zone: `
_dmarc.pct.example. TXT "v=DMARC1; p=quarantine; pct=20; rua=mailto:d@pct.example"`},
	{name: "dmarc.sp-weaker", domain: "sp.example", want: []string{"dmarc.sp-weaker"}, status: checks.StatusWarn, zone: `
_dmarc.sp.example. TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@sp.example"`},
	{name: "dmarc.no-rua", domain: "norua.example", want: []string{"dmarc.no-rua"}, status: checks.StatusWarn, zone: `
_dmarc.norua.example. TXT "v=DMARC1; p=reject"`},
	{name: "dmarc.rua-unauthorized", domain: "ext.example", want: []string{"dmarc.rua-unauthorized"}, status: checks.StatusFail, zone: `
_dmarc.ext.example. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.test,mailto:d@ext.example; ruf=mailto:f@ok.test"
ext.example._report._dmarc.ok.test. TXT "v=DMARC1"`},
	{name: "rua-authorized-wildcard", domain: "extok.example", status: checks.StatusPass, zone: `
_dmarc.extok.example. TXT "v=DMARC1; p=reject; rua=mailto:agg@ok.test"
ok.test. A 192.0.2.1
*._report._dmarc.ok.test. TXT "v=DMARC1"`},
	{name: "dmarc.inherited", domain: "mail.parent.example", want: []string{"dmarc.inherited"}, status: checks.StatusPass, zone: `
mail.parent.example. A 192.0.2.1
_dmarc.parent.example. TXT "v=DMARC1; p=reject; rua=mailto:d@parent.example"`},
	{name: "dmarc.inherited-sp-none", domain: "mail.spn.example", want: []string{"dmarc.inherited", "dmarc.policy-none", "dmarc.sp-weaker"}, status: checks.StatusWarn, zone: `
mail.spn.example. A 192.0.2.1
_dmarc.spn.example. TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@spn.example"`},
	{name: "dmarc.discovery-differs", domain: "a.b.walk.example", want: []string{"dmarc.inherited", "dmarc.discovery-differs"}, status: checks.StatusPass, zone: `
a.b.walk.example. A 192.0.2.1
_dmarc.b.walk.example. TXT "v=DMARC1; p=reject; rua=mailto:d@walk.example"`},
	{name: "dmarc.testing", domain: "test.example", want: []string{"dmarc.testing"}, status: checks.StatusPass, zone: `
_dmarc.test.example. TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@test.example"`},
	{name: "dmarc.dns-error", domain: "fail.example", want: []string{"dmarc.dns-error"}, status: checks.StatusError, zone: `
fail.example. A 192.0.2.1`, setup: func(w *mailtest.World) { w.DNS.Script("_dmarc.fail.example.", dns.TypeTXT, mailtest.ServFail) }},
	{name: "dmarc.dns-error-cname-loop", domain: "loop.example", want: []string{"dmarc.dns-error"}, status: checks.StatusError, zone: `
_dmarc.loop.example. CNAME _dmarc.loop2.example.
_dmarc.loop2.example. CNAME _dmarc.loop.example.`},
	{name: "dmarc.dns-error-parent-cname-loop", domain: "mail.ploop.example", want: []string{"dmarc.dns-error"}, status: checks.StatusError, zone: `
mail.ploop.example. A 192.0.2.1
_dmarc.ploop.example. CNAME _dmarc.a.ploop.example.
_dmarc.a.ploop.example. CNAME _dmarc.ploop.example.`},
	{name: "dmarc.syntax-invalid-p-with-rua", domain: "prua.example", want: []string{"dmarc.syntax", "dmarc.policy-none"}, status: checks.StatusFail, zone: `
_dmarc.prua.example. TXT "v=DMARC1; p=enforce; rua=mailto:d@prua.example"`},
	{name: "dmarc.policy-none-pct-testing", domain: "npt.example", want: []string{"dmarc.policy-none", "dmarc.testing"}, status: checks.StatusWarn, zone: `
_dmarc.npt.example. TXT "v=DMARC1; p=none; sp=none; pct=50; t=y; rua=mailto:d@npt.example"`},
	{name: "dmarc.syntax-nul", domain: "nul.example", want: []string{"dmarc.syntax"}, status: checks.StatusFail, zone: `
_dmarc.nul.example. TXT "v=DMARC1; p=reject\000; rua=mailto:d@nul.example"`},
	{name: "dmarc.syntax-duplicate", domain: "dup.example", want: []string{"dmarc.syntax"}, status: checks.StatusFail, zone: `
_dmarc.dup.example. TXT "v=DMARC1; p=reject; p=none; rua=mailto:d@dup.example"`},
	{name: "dmarc.syntax-500-tags", domain: "many.example", want: []string{"dmarc.syntax"}, status: checks.StatusFail, setup: func(w *mailtest.World) {
		var b strings.Builder
		b.WriteString("v=DMARC1; p=reject; rua=mailto:d@many.example")
		for i := range 500 {
			fmt.Fprintf(&b, "; p=none; x%d=%d", i, i)
		}
		w.DNS.Add(txt("_dmarc.many.example", split(b.String())...))
	}},
	// Parked domains (M3AAWG): a null MX, SPF -all and DMARC p=reject.
	// Reports are optional for such a domain: no dmarc.no-rua.
	{name: "dmarc.parked", domain: "parked.example", want: []string{"dmarc.parked"}, status: checks.StatusPass, zone: `
parked.example. MX 0 .
parked.example. TXT "v=spf1 -all"
_dmarc.parked.example. TXT "v=DMARC1; p=reject"`},
	// Effectively -all: only - qualifiers, and the policy at the end of a
	// redirect= chain.
	{name: "dmarc.parked-redirect", domain: "parkedr.example", want: []string{"dmarc.parked"}, status: checks.StatusPass, zone: `
parkedr.example. MX 0 .
parkedr.example. TXT "v=spf1 -ip4:192.0.2.1 redirect=_spf.parkedr.example"
_spf.parkedr.example. TXT "v=spf1 -all"
_dmarc.parkedr.example. TXT "v=DMARC1; p=reject; rua=mailto:d@reports.parkedr.example"`},
	{name: "dmarc.parked-inherited", domain: "old.parkedi.example", want: []string{"dmarc.parked", "dmarc.inherited"}, status: checks.StatusPass, zone: `
old.parkedi.example. MX 0 .
old.parkedi.example. TXT "v=spf1 -all"
_dmarc.parkedi.example. TXT "v=DMARC1; p=reject; rua=mailto:d@parkedi.example"`},
	// One finding per record that is missing, each with the record to
	// publish; no dmarc.no-rua, whose usual address would be in a domain
	// that receives no mail.
	{name: "dmarc.parked-incomplete", domain: "inc.example", want: []string{"dmarc.parked-incomplete", "dmarc.policy-none"}, status: checks.StatusWarn, zone: `
inc.example. MX 0 .
_dmarc.inc.example. TXT "v=DMARC1; p=none"`},
	{name: "dmarc.parked-incomplete-spf-senders", domain: "sends.example", want: []string{"dmarc.parked-incomplete"}, status: checks.StatusWarn, zone: `
sends.example. MX 0 .
sends.example. TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.sends.example. TXT "v=DMARC1; p=reject"`},
	{name: "dmarc.parked-incomplete-softfail", domain: "soft.example", want: []string{"dmarc.parked-incomplete"}, status: checks.StatusWarn, zone: `
soft.example. MX 0 .
soft.example. TXT "v=spf1 ~all"
_dmarc.soft.example. TXT "v=DMARC1; p=reject; rua=mailto:d@reports.soft.example"`},
	{name: "dmarc.parked-incomplete-no-dmarc", domain: "nodmarc.example", want: []string{"dmarc.missing", "dmarc.parked-incomplete"}, status: checks.StatusFail, zone: `
nodmarc.example. MX 0 .
nodmarc.example. TXT "v=spf1 -all"`},
	{name: "dmarc.parked-incomplete-testing", domain: "t.example", want: []string{"dmarc.parked-incomplete", "dmarc.testing"}, status: checks.StatusWarn, zone: `
t.example. MX 0 .
t.example. TXT "v=spf1 -all"
_dmarc.t.example. TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@reports.t.example"`},
	// When the mx or spf check decided nothing, neither is parked decided:
	// no parked finding, and DMARC's own verdicts stand (no error). With a
	// null MX, dmarc.no-rua proposes no address in the domain.
	{name: "dmarc.no-rua-spf-undecided", domain: "spferr.example", want: []string{"dmarc.no-rua"}, status: checks.StatusWarn, zone: `
spferr.example. MX 0 .
_dmarc.spferr.example. TXT "v=DMARC1; p=reject"`, setup: func(w *mailtest.World) { w.DNS.Script("spferr.example.", dns.TypeTXT, mailtest.ServFail) }},
	{name: "dmarc.no-rua-mx-undecided", domain: "mxerr.example", want: []string{"dmarc.no-rua"}, status: checks.StatusWarn, zone: `
mxerr.example. TXT "v=spf1 -all"
_dmarc.mxerr.example. TXT "v=DMARC1; p=reject"`, setup: func(w *mailtest.World) { w.DNS.Script("mxerr.example.", dns.TypeMX, mailtest.ServFail) }},
	// A null MX beside other MX records is mx.null-mixed, not a parked domain.
	{name: "dmarc.no-rua-null-mx-mixed", domain: "mixed.example", want: []string{"dmarc.no-rua"}, status: checks.StatusWarn, zone: `
mixed.example. MX 0 .
mixed.example. MX 10 mx.mixed.example.
mx.mixed.example. A 192.0.2.25
mixed.example. TXT "v=spf1 -all"
_dmarc.mixed.example. TXT "v=DMARC1; p=reject"`},
}

func TestFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			setup := []func(*mailtest.World){}
			if tc.setup != nil {
				setup = append(setup, tc.setup)
			}
			res := run(t, tc.zone, tc.domain, setup...)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			if len(res.Findings) > 40 {
				t.Errorf("%d findings: hostile input must stay bounded", len(res.Findings))
			}
			policytest.Golden(t, "dmarc/"+tc.name, res)
		})
	}
}

// TestEveryFindingHasAGolden pins that each catalogue ID is exercised above.
func TestEveryFindingHasAGolden(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, dmarc.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

func TestFactEnforced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rec  string
		want bool
	}{
		{"v=DMARC1; p=reject; rua=mailto:d@f.example", true},
		{"v=DMARC1; p=quarantine", true},
		{"v=DMARC1; p=quarantine; pct=50", false},
		{"v=DMARC1; p=reject; t=y", false},
		{"v=DMARC1; p=none", false},
	} {
		t.Run(tc.rec, func(t *testing.T) {
			w := mailtest.New(t, policytest.Base+`_dmarc.f.example. TXT "`+tc.rec+`"`)
			var got *dmarc.Fact
			probe := probeCheck{f: func(v any) { got, _ = v.(*dmarc.Fact) }}
			policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "f.example"}, []checks.Check{probe}, dmarc.Check{})
			if got == nil {
				t.Fatal("no fact published")
			}
			if got.Enforced() != tc.want {
				t.Errorf("Enforced() = %v, want %v (%+v)", got.Enforced(), tc.want, got)
			}
		})
	}
}

// probeCheck awaits the dmarc fact.
type probeCheck struct{ f func(any) }

func (probeCheck) ID() string             { return "probe" }
func (probeCheck) Title() string          { return "probe" }
func (probeCheck) Needs() []string        { return []string{"dmarc"} }
func (probeCheck) Findings() []checks.Def { return nil }
func (p probeCheck) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	v, err := dmarc.FactKey.Await(ctx, out)
	if err != nil {
		return err
	}
	p.f(v)
	return nil
}

func TestWalkNames(t *testing.T) {
	t.Parallel()
	got := dmarc.WalkNames("a.b.c.d.e.f.g.h.i.j.k.example.com")
	want := []string{"a.b.c.d.e.f.g.h.i.j.k.example.com", "g.h.i.j.k.example.com", "h.i.j.k.example.com", "i.j.k.example.com", "j.k.example.com", "k.example.com", "example.com", "com"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("WalkNames = %v\nwant %v", got, want)
	}
	if got := dmarc.WalkNames("mail.example.com"); strings.Join(got, " ") != "mail.example.com example.com com" {
		t.Errorf("WalkNames(mail.example.com) = %v", got)
	}
}
