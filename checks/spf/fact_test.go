package spf

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// probe awaits the spf fact and hands it (or the error) to got.
type probe struct {
	got func(*Fact, error)
}

func (probe) ID() string             { return "probe" }
func (probe) Title() string          { return "probe" }
func (probe) Needs() []string        { return []string{ID} }
func (probe) Findings() []checks.Def { return nil }
func (p probe) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	p.got(FactKey.Await(ctx, out))
	return nil
}

// TestFact: the fact says whether the policy authorises no sender
// (exactly or effectively "v=spf1 -all"), and is published only when the
// lookups it rests on answered.
func TestFact(t *testing.T) {
	w := mailtest.New(t, policytest.Base+`
exact.example.     TXT "v=spf1 -all"
upper.example.     TXT "V=SPF1 -ALL"
minus.example.     TXT "v=spf1 -ip4:192.0.2.1 -include:exact.example -all exp=why.minus.example"
redir.example.     TXT "v=spf1 redirect=exact.example"
redir2.example.    TXT "v=spf1 -a redirect=redir.example"
after.example.     TXT "v=spf1 -all ip4:192.0.2.1"
soft.example.      TXT "v=spf1 ~all"
pass.example.      TXT "v=spf1 ip4:192.0.2.1 -all"
inc.example.       TXT "v=spf1 include:exact.example -all"
noall.example.     TXT "v=spf1 -ip4:192.0.2.1"
rnone.example.     TXT "v=spf1 redirect=nothing.example"
rloop.example.     TXT "v=spf1 redirect=rloop2.example"
rloop2.example.    TXT "v=spf1 redirect=rloop.example"
rmacro.example.    TXT "v=spf1 redirect=%{d}.x.example"
two.example.       TXT "v=spf1 -all"
two.example.       TXT "v=spf1 ~all"
syn.example.       TXT "v=spf1 -all foo:bar"
none.example.      TXT "hello"
rerr.example.      TXT "v=spf1 redirect=err.example"
`)
	w.DNS.Script("err.example.", dns.TypeTXT, mailtest.ServFail)
	for _, tc := range []struct {
		domain    string
		status    Status
		noSenders bool
		undecided bool
	}{
		{"exact.example", StatusFound, true, false},
		{"upper.example", StatusFound, true, false},
		{"minus.example", StatusFound, true, false},
		{"redir.example", StatusFound, true, false},
		{"redir2.example", StatusFound, true, false},
		{"after.example", StatusFound, true, false},
		{"soft.example", StatusFound, false, false},
		{"pass.example", StatusFound, false, false},
		{"inc.example", StatusFound, false, false},
		{"noall.example", StatusFound, false, false},
		{"rnone.example", StatusFound, false, false},
		{"rloop.example", StatusFound, false, false},
		{"rmacro.example", StatusFound, false, false},
		{"two.example", StatusMultiple, false, false},
		{"syn.example", StatusInvalid, false, false},
		{"none.example", StatusMissing, false, false},
		{"nxdomain.example", StatusMissing, false, false},
		{"err.example", "", false, true},
		{"rerr.example", "", false, true},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			t.Parallel()
			var f *Fact
			var ferr error
			p := probe{got: func(v *Fact, err error) { f, ferr = v, err }}
			policytest.Run(t, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: tc.domain}, []checks.Check{p}, Check{})
			if tc.undecided {
				var de *checks.DependencyError
				if !errors.As(ferr, &de) || f != nil {
					t.Fatalf("fact %+v, error %v; want none (the lookups failed)", f, ferr)
				}
				return
			}
			if ferr != nil || f == nil {
				t.Fatalf("no fact: %v", ferr)
			}
			if f.Domain != tc.domain || f.Status != tc.status || f.NoSenders != tc.noSenders {
				t.Errorf("fact %+v; want status %s, no senders %v", f, tc.status, tc.noSenders)
			}
		})
	}
}

// TestFactBeforeTree: the fact is published as soon as the domain's record
// is in, while the include tree is still being walked (an include whose
// lookup never answers holds the check until the DNS timeout).
func TestFactBeforeTree(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+`
locked.example. TXT "v=spf1 -include:slow.example -all"
`)
	w.DNS.Script("slow.example.", dns.TypeTXT, mailtest.Timeout)
	env, err := w.Env(checks.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	var spfDone, doneFirst atomic.Bool
	var f *Fact
	p := probe{got: func(v *Fact, err error) {
		f = v
		doneFirst.Store(spfDone.Load())
	}}
	r := &checks.Runner{Env: env, Checks: []checks.Check{Check{}, p}, Events: func(e checks.Event) {
		if e.Kind == checks.EventFinished && e.CheckID == ID {
			spfDone.Store(true)
		}
	}}
	rep := r.Run(context.Background(), checks.Target{Domain: "locked.example"})
	if f == nil || !f.NoSenders {
		t.Fatalf("fact %+v", f)
	}
	if doneFirst.Load() {
		t.Error("the fact came only when the spf check had finished")
	}
	if has(rep.Results[0].Findings, "spf.dns-error") == nil {
		t.Errorf("findings %v: the include's timeout is still reported", ids(rep.Results[0].Findings))
	}
}
