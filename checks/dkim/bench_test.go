package dkim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
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

// rtt is the delay of every answer in BenchmarkDepth: the round trip of
// a real resolver, long enough that the check's own CPU time is noise.
const rtt = 20 * time.Millisecond

// BenchmarkDepth runs the dkim check, with the mx and spf checks it reads
// (hidden, as in the CLI), against a Google-hosted domain whose answers
// each take 20 ms, in every --dkim-probe mode. It reports the dkim
// check's wall time in round trips (its dependency depth is 2: _domainkey,
// then the guesses, which start once the MX and SPF answers are in), the
// queries the dkim check itself asked, and the run's queries.
func BenchmarkDepth(b *testing.B) {
	const domain = "depth.example"
	zone := policytest.Base + `
depth.example. MX 1 aspmx.l.google.com.
depth.example. TXT "v=spf1 include:_spf.google.com ~all"
aspmx.l.google.com. A 192.0.2.25
_spf.google.com. TXT "v=spf1 ip4:192.0.2.0/24 ~all"
google._domainkey.depth.example. TXT ` + rec("v=DKIM1; p="+key2048)
	for _, mode := range []checks.DKIMProbe{checks.DKIMProbeFull, checks.DKIMProbeCommon, checks.DKIMProbeProvider, checks.DKIMProbeOff} {
		b.Run(string(mode), func(b *testing.B) {
			w := mailtest.New(b, zone)
			w.DNS.SetDelay(rtt)
			var sels []string
			if mode == checks.DKIMProbeOff {
				sels = []string{"google"}
			}
			var wall time.Duration
			var own, total int
			b.ResetTimer()
			for b.Loop() {
				w.DNS.ResetCounters()
				// The runner on the real clock: the check's duration is
				// what is measured.
				env, err := w.Env(checks.Options{Timeout: 2 * time.Second, DKIMProbe: mode})
				if err != nil {
					b.Fatal(err)
				}
				env.Now = time.Now
				r := &checks.Runner{Env: env, Checks: []checks.Check{dkim.Check{}}, Registry: []checks.Check{mx.Check{}, spf.Check{}}}
				rep := r.Run(context.Background(), checks.Target{Domain: domain, Selectors: sels})
				env.DNS.Close()
				res := policytest.Result(b, rep, dkim.ID)
				d, ok := res.Data.(*dkim.Data)
				if res.Status != checks.StatusPass || !ok {
					b.Fatalf("status %s, findings %v", res.Status, policytest.IDs(res))
				}
				wall += res.Duration
				own += ownQueries(w, domain, append(d.Probed, sels...))
				total += w.DNS.Queries()
			}
			n := float64(b.N)
			b.ReportMetric(float64(wall)/n/float64(rtt), "round-trips")
			b.ReportMetric(float64(own)/n, "dkim-queries/op")
			b.ReportMetric(float64(total)/n, "queries/op")
		})
	}
}

// ownQueries counts the queries of the dkim check: _domainkey, each
// selector probed and the wildcard probe.
func ownQueries(w *mailtest.World, domain string, sels []string) int {
	n := w.DNS.QueryCount("_domainkey."+domain+".", dns.TypeTXT) +
		w.DNS.QueryCount(fmt.Sprintf("mxray-no-such-selector-9c1d._domainkey.%s.", domain), dns.TypeTXT)
	for _, s := range sels {
		n += w.DNS.QueryCount(s+"._domainkey."+domain+".", dns.TypeTXT)
	}
	return n
}
