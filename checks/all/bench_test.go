package all_test

import (
	"context"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

const benchZone = `
$ORIGIN .
. SOA a.root hostmaster 1 3600 600 86400 300
. NS a.root
$ORIGIN bench.example.
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
@ NS ns2
@ MX 10 mx1
@ MX 20 mx2
@ MX 30 mx3
mx1 A 192.0.2.1
mx1 AAAA 2001:db8::1
mx2 A 192.0.2.2
mx3 A 192.0.2.3
`

// BenchmarkMXAndDNS runs the mx and dns checks against a DNS server that
// delays every answer by 20 ms. The longest chain of dependent lookups is 2
// (MX, then the hosts' A/AAAA). Reported metrics:
//   - chain-ratio: wall time ÷ (2 × 20 ms); the goal is ≤ 1.3
//   - queries/distinct: queries the server received ÷ distinct (name, type)
//     questions; the goal is exactly 1.
func BenchmarkMXAndDNS(b *testing.B) {
	const delay = 20 * time.Millisecond
	const chain = 2
	w := mailtest.New(b, benchZone)
	w.DNS.SetDelay(delay)
	cs := []checks.Check{dnscheck.Check{}, mx.Check{}}
	var wall time.Duration
	var ratio float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		w.DNS.ResetCounters()
		b.StartTimer()
		start := time.Now()
		rep := (&checks.Runner{Env: env, Checks: cs}).Run(context.Background(), checks.Target{Domain: "bench.example"})
		wall += time.Since(start)
		b.StopTimer()
		for _, r := range rep.Results {
			if r.Status == checks.StatusError {
				b.Fatalf("%s: %s %v", r.ID, r.Err, r.Findings)
			}
		}
		ratio = float64(w.DNS.Queries()) / float64(w.DNS.Distinct())
		env.DNS.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(chain*delay), "chain-ratio")
	b.ReportMetric(ratio, "queries/distinct")
}

// BenchmarkAllChecksDemo runs every check against the demo world's
// good.example with a 20 ms delay on every DNS answer and reports the wall
// time and queries/distinct: the server must see each (name, type) exactly
// once however many checks ask for it.
func BenchmarkAllChecksDemo(b *testing.B) {
	w, err := demo.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	w.DNS.SetDelay(20 * time.Millisecond)
	var ratio float64
	var queries int
	for range b.N {
		b.StopTimer()
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		w.DNS.ResetCounters()
		b.StartTimer()
		rep := (&checks.Runner{Env: env, Checks: all.Checks()}).Run(context.Background(), checks.Target{Domain: "good.example"})
		b.StopTimer()
		if rep.Status() != checks.StatusPass {
			for _, r := range rep.Results {
				if r.Status != checks.StatusPass {
					b.Fatalf("%s: %s %s %v", r.ID, r.Status, r.Err, r.Findings)
				}
			}
		}
		queries = w.DNS.Queries()
		ratio = float64(queries) / float64(w.DNS.Distinct())
		env.DNS.Close()
		b.StartTimer()
	}
	b.ReportMetric(ratio, "queries/distinct")
	b.ReportMetric(float64(queries), "queries")
}
