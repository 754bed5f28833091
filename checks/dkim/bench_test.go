package dkim_test

import (
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// BenchmarkDiscovery probes every built-in selector against a server that
// delays each answer by 2 ms: concurrency keeps a run near a few round
// trips instead of ~70.
func BenchmarkDiscovery(b *testing.B) {
	w := mailtest.New(b, policytest.Base+`
_adsp._domainkey.bench.example. TXT "dkim=unknown"
google._domainkey.bench.example. TXT `+rec("v=DKIM1; p="+key2048))
	w.DNS.SetDelay(2 * time.Millisecond)
	b.ResetTimer()
	for b.Loop() {
		rep := policytest.Run(b, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: "bench.example"}, []checks.Check{dkim.Check{}})
		if rep.Results[0].Status != checks.StatusPass {
			b.Fatalf("status %s", rep.Results[0].Status)
		}
	}
	b.ReportMetric(float64(w.DNS.Queries())/float64(b.N), "queries/op")
}
