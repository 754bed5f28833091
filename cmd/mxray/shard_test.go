package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// TestShardSelection: the shards i/n of one input together take every
// domain exactly once, shard i the domains whose index among the domains
// is i mod n; a line that is not a domain is shard 0's alone.
func TestShardSelection(t *testing.T) {
	var inputs []bulkInput
	for i := range 23 {
		inputs = append(inputs, bulkInput{t: checks.Target{Domain: fmt.Sprintf("d%02d.example", i)}})
		if i%7 == 3 {
			inputs = append(inputs, bulkInput{bad: &report.InputError{Line: 100 + i}})
		}
	}
	for _, n := range []int{1, 2, 3, 5, 23, 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := map[string]int{}
			bad := map[int]int{}
			for i := range n {
				var s shardFlag
				if err := s.Set(fmt.Sprintf("%d/%d", i, n)); err != nil {
					t.Fatal(err)
				}
				k := 0
				send := s.filter(func(in bulkInput) bool {
					if in.bad != nil {
						if i != 0 {
							t.Errorf("shard %d/%d got line %d, which is not a domain", i, n, in.bad.Line)
						}
						bad[in.bad.Line]++
						return true
					}
					var idx int
					fmt.Sscanf(in.t.Domain, "d%02d.example", &idx)
					if idx%n != i {
						t.Errorf("shard %d/%d got %s", i, n, in.t.Domain)
					}
					if idx < k {
						t.Errorf("shard %d/%d: %s out of order", i, n, in.t.Domain)
					}
					k = idx
					seen[in.t.Domain]++
					return true
				})
				for _, in := range inputs {
					send(in)
				}
			}
			if len(seen) != 23 || len(bad) != 3 {
				t.Fatalf("%d domains and %d bad lines seen, want 23 and 3", len(seen), len(bad))
			}
			for d, c := range seen {
				if c != 1 {
					t.Errorf("%s taken %d times", d, c)
				}
			}
		})
	}
	t.Run("stop", func(t *testing.T) {
		// A send that says stop stops the reading.
		s := shardFlag{i: 1, n: 2}
		f := s.filter(func(bulkInput) bool { return false })
		if !f(inputs[0]) || f(inputs[1]) {
			t.Fatal("the filter must pass on the caller's stop, and only for its own inputs")
		}
	})
}

func TestShardFlag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" = invalid
	}{
		{"0/1", "0/1"}, {"3/4", "3/4"}, {" 2/3 ", "2/3"}, {"0/1000000", "0/1000000"},
		{"4/4", ""}, {"-1/4", ""}, {"1/0", ""}, {"1", ""}, {"a/b", ""}, {"1/2/3", ""}, {"", ""}, {"0/1000001", ""}, {"1/+2", "1/2"},
	} {
		var s shardFlag
		err := s.Set(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%q accepted as %s", tt.in, s.String())
			}
			continue
		}
		if err != nil || s.String() != tt.want {
			t.Errorf("%q: %v %s, want %s", tt.in, err, s.String(), tt.want)
		}
	}
}

// TestShardCommand runs check -f --shard i/3 three times on one file:
// together the outputs hold every line once; a bad value is a one-line
// usage error.
func TestShardCommand(t *testing.T) {
	t.Parallel()
	w, file, domains := bulkWorld(t, 10, 0)
	got := map[string]int{}
	for i := range 3 {
		r := runApp(t, w, "", "check", "-f", file, "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson", "--shard", fmt.Sprintf("%d/3", i))
		want := report.ExitOK
		if i == 0 {
			want = report.ExitCouldNotRun // the line that is not a domain
		}
		if r.code != want {
			t.Fatalf("shard %d/3: exit %d, want %d: %s", i, r.code, want, r.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var d struct {
				Domain string
				Line   int
			}
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			key := d.Domain
			if key == "" {
				key = fmt.Sprint("line ", d.Line)
			}
			got[key]++
		}
	}
	if len(got) != len(domains) {
		t.Fatalf("the shards checked %v, want the %d inputs", got, len(domains))
	}
	for k, c := range got {
		if c != 1 {
			t.Errorf("%s answered %d times", k, c)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3/3"}, `--shard "3/3": want i/n with 0 ≤ i < n`},
		{[]string{"--shard", "x"}, `--shard "x": want i/n`},
	} {
		r := runApp(t, w, "", append([]string{"check", "-f", file}, tt.args...)...)
		if r.code != report.ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	r := runApp(t, w, "", "check", "good.example", "--shard", "0/2")
	if r.code != report.ExitUsage || !strings.Contains(r.stderr, "--shard works with -f FILE") {
		t.Errorf("--shard without -f: exit %d, stderr %q", r.code, r.stderr)
	}
}

// bulkWorld is the demo world with n more domains d000.example... whose MX
// lookups take delay each, and the file that lists them with a line that
// is not a domain after the third.
func bulkWorld(tb testing.TB, n int, delay time.Duration) (*mailtest.World, string, []string) {
	tb.Helper()
	w, err := demo.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	var zone, list strings.Builder
	var domains []string
	for i := range n {
		d := fmt.Sprintf("d%03d.example", i)
		fmt.Fprintf(&zone, "%s. MX 10 mx1.good.example.\n", d)
		fmt.Fprintf(&list, "%s\n", d)
		if i == 2 {
			list.WriteString("# a comment\nnot a domain!\n")
			domains = append(domains, d, "")
			continue
		}
		domains = append(domains, d)
		if delay > 0 {
			w.DNS.ScriptDelay(d+".", dns.TypeMX, delay)
		}
	}
	if err := w.DNS.AddZone(zone.String()); err != nil {
		tb.Fatal(err)
	}
	p := tb.TempDir() + "/domains.txt"
	if err := os.WriteFile(p, []byte(list.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return w, p, domains
}
