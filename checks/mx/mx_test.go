package mx_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

const base = `
$ORIGIN example.
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.53
`

func TestFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		zone   string
		script func(w *mailtest.World)
		want   []string // finding IDs, worst first
		status checks.Status
		// quick: a lookup is meant to time out; 150 ms takes the same path
		// as 300 ms, and a lookup late on a loaded machine fails towards
		// the same mx.dns-error.
		quick bool
	}{
		{name: "healthy", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
mx1.d A 192.0.2.10
mx2.d AAAA 2001:db8::2`, want: []string{}, status: checks.StatusPass},
		{name: "single", zone: `
d MX 10 mx1.d
mx1.d A 192.0.2.10`, want: []string{"mx.single"}, status: checks.StatusPass},
		{name: "missing", zone: `d TXT "no mail here"`, want: []string{"mx.missing"}, status: checks.StatusFail},
		{name: "nxdomain", zone: ``, want: []string{"mx.missing"}, status: checks.StatusFail},
		{name: "implicit", zone: `d A 192.0.2.7`, want: []string{"mx.implicit"}, status: checks.StatusWarn},
		{name: "null", zone: `d MX 0 .`, want: []string{"mx.null"}, status: checks.StatusPass},
		{name: "null-mixed", zone: `
d MX 0 .
d MX 10 mx1.d
mx1.d A 192.0.2.10`, want: []string{"mx.null-mixed", "mx.single"}, status: checks.StatusFail},
		{name: "cname", zone: `
d MX 10 alias.d
d MX 20 mx2.d
alias.d CNAME real.d
real.d A 192.0.2.10
mx2.d A 192.0.2.11`, want: []string{"mx.cname"}, status: checks.StatusWarn},
		{name: "no-address", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
mx1.d TXT "x"
mx2.d A 192.0.2.11`, want: []string{"mx.no-address"}, status: checks.StatusFail},
		{name: "no-address only host", zone: `
d MX 10 mx1.d
mx1.d TXT "x"`, want: []string{"mx.no-address", "mx.single"}, status: checks.StatusFail},
		{name: "ip-literal", zone: `
d MX 10 192.0.2.1.
d MX 20 mx2.d
mx2.d A 192.0.2.11`, want: []string{"mx.ip-literal"}, status: checks.StatusFail},
		{name: "duplicate", zone: `
d MX 10 mx1.d
d MX 20 mx1.d
d MX 30 mx2.d
mx1.d A 192.0.2.10
mx2.d A 192.0.2.11`, want: []string{"mx.duplicate"}, status: checks.StatusWarn},
		{name: "private", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
mx1.d A 127.0.0.1
mx2.d A 10.1.2.3`, want: []string{"mx.private-address", "mx.private-address"}, status: checks.StatusWarn},
		{name: "mx servfail is an error, not missing", zone: `d A 192.0.2.7`,
			script: func(w *mailtest.World) { w.DNS.Script("d.example", dns.TypeMX, mailtest.ServFail) },
			want:   []string{"mx.dns-error"}, status: checks.StatusError},
		{name: "host timeout is an error, not no-address", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
mx1.d A 192.0.2.10
mx2.d A 192.0.2.11`,
			script: func(w *mailtest.World) { w.DNS.Script("mx2.d.example", 0, mailtest.Timeout) },
			want:   []string{"mx.dns-error"}, status: checks.StatusError, quick: true},
		{name: "host CNAME loop is an error, not no-address", zone: `
d MX 10 mx1.d
d MX 20 mx2.d
mx1.d CNAME loop1.d
loop1.d CNAME loop2.d
loop2.d CNAME loop1.d
mx2.d A 192.0.2.11`,
			want: []string{"mx.dns-error"}, status: checks.StatusError},
		{name: "apex CNAME loop is an error, not missing", zone: `
d CNAME d2
d2 CNAME d`,
			want: []string{"mx.dns-error"}, status: checks.StatusError},
		{name: "implicit fallback refused", zone: ``,
			script: func(w *mailtest.World) {
				_ = w.DNS.AddZone("d.example. TXT \"x\"")
				w.DNS.Script("d.example", dns.TypeA, mailtest.Refused)
			},
			want: []string{"mx.dns-error"}, status: checks.StatusError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, base+"$ORIGIN example.\n"+tt.zone)
			if tt.script != nil {
				tt.script(w)
			}
			timeout := 300 * time.Millisecond
			if tt.quick {
				timeout = 150 * time.Millisecond
			}
			r := w.Run(t, checks.Target{Domain: "d.example"}, checks.Options{Timeout: timeout}, mx.Check{})
			got := mailtest.FindingIDs(r)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("findings = %v, want %v\n%+v", got, tt.want, r.Findings)
			}
			if r.Status != tt.status {
				t.Fatalf("status = %s, want %s", r.Status, tt.status)
			}
			for _, f := range r.Findings {
				if f.Evidence == nil || len(f.Evidence.DNS) == 0 {
					t.Errorf("%s has no DNS evidence", f.ID)
				}
				if f.Message == "" || f.Fix == "" || f.Subject == "" {
					t.Errorf("%s incomplete: %+v", f.ID, f)
				}
				// A fix names the domain checked, never a placeholder.
				if strings.Contains(f.Fix, "example.com") || strings.Contains(f.Fix, "<domain>") {
					t.Errorf("%s fix has a placeholder: %s", f.ID, f.Fix)
				}
				// Removing the only MX would leave none (mx.missing).
				if f.ID == "mx.no-address" && tt.name == "no-address only host" && strings.Contains(f.Fix, "remove") {
					t.Errorf("fix proposes removing the only MX: %s", f.Fix)
				}
				for _, p := range plainProblems(f.Message) {
					t.Errorf("%s message %q: %s", f.ID, f.Message, p)
				}
			}
		})
	}
}

func TestDataGolden(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, base+`
d MX 20 mx2.d
d MX 10 mx1.d
mx1.d A 192.0.2.10
mx1.d AAAA 2001:db8::10
mx2.d CNAME real.d
real.d A 192.0.2.11
`)
	r := w.Run(t, checks.Target{Domain: "d.example"}, checks.Options{}, mx.Check{})
	b, err := json.MarshalIndent(r.Data, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "mx/data.json", append(b, '\n'))
}

// TestPublishesBeforeAddresses proves dependants get the MX hosts while the
// address lookups are still in flight.
func TestPublishesBeforeAddresses(t *testing.T) {
	t.Parallel() // waits a whole timeout for the silent server: overlap it
	w := mailtest.New(t, base+`
d MX 10 mx1.d
mx1.d A 192.0.2.10
`)
	w.DNS.Script("mx1.d.example", 0, mailtest.Timeout)
	var got *mx.Fact
	dep := probe{fn: func(v any) { got, _ = v.(*mx.Fact) }}
	env, err := w.Env(checks.Options{Timeout: 300 * time.Millisecond}) // the MX answer comes long before it
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var finished []string
	r := &checks.Runner{Env: env, Checks: []checks.Check{dep, mx.Check{}}, Events: func(e checks.Event) {
		if e.Kind == checks.EventFinished {
			mu.Lock()
			finished = append(finished, e.CheckID)
			mu.Unlock()
		}
	}}
	rep := r.Run(context.Background(), checks.Target{Domain: "d.example"})
	if got == nil || len(got.Hosts) != 1 || got.Hosts[0].Name != "mx1.d.example" {
		t.Fatalf("fact = %+v", got)
	}
	// The dependant finished while mx was still waiting for the address
	// lookups that time out.
	if len(finished) != 2 || finished[0] != "probe" {
		t.Fatalf("finish order = %v", finished)
	}
	if ids := mailtest.FindingIDs(rep.Results[1]); !slices.Equal(ids, []string{"mx.dns-error", "mx.single"}) {
		t.Fatalf("mx findings = %v", ids)
	}
}

type probe struct{ fn func(any) }

func (probe) ID() string             { return "probe" }
func (probe) Title() string          { return "probe" }
func (probe) Needs() []string        { return []string{"mx"} }
func (probe) Findings() []checks.Def { return nil }
func (p probe) Run(ctx context.Context, _ *checks.Env, _ checks.Target, out *checks.Out) error {
	v, err := mx.FactKey.Await(ctx, out)
	p.fn(v)
	return err
}
