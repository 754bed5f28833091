package dmarc_test

import (
	"context"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// BenchmarkParked runs dmarc with the mx and spf checks it awaits against
// a parked domain, over a DNS server that delays every answer by 20 ms.
// The DMARC, MX and SPF lookups are independent: the parked judgement must
// cost no round trip of its own. Reported metrics:
//   - chain-ratio: wall time ÷ (1 × 20 ms); the goal is ≤ 1.3
//   - queries/distinct: queries the server received ÷ distinct (name,
//     type) questions; the goal is exactly 1.
func BenchmarkParked(b *testing.B) {
	const delay = 20 * time.Millisecond
	w := mailtest.New(b, policytest.Base+`
parked.example. MX 0 .
parked.example. TXT "v=spf1 -all"
_dmarc.parked.example. TXT "v=DMARC1; p=reject"
`)
	w.DNS.SetDelay(delay)
	var wall time.Duration
	var ratio float64
	for b.Loop() {
		b.StopTimer()
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		w.DNS.ResetCounters()
		r := &checks.Runner{Env: env, Checks: []checks.Check{dmarc.Check{}}, Registry: []checks.Check{mx.Check{}, spf.Check{}}}
		b.StartTimer()
		start := time.Now()
		rep := r.Run(context.Background(), checks.Target{Domain: "parked.example"})
		wall += time.Since(start)
		b.StopTimer()
		if res := rep.Results[0]; !policytest.Has(&res, "dmarc.parked") {
			b.Fatalf("findings %v", policytest.IDs(&res))
		}
		ratio = float64(w.DNS.Queries()) / float64(w.DNS.Distinct())
		env.DNS.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(delay), "chain-ratio")
	b.ReportMetric(ratio, "queries/distinct")
}
