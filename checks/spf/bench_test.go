package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

// The DNS benchmarks run over a mailtest DNS server that delays every
// answer by 20 ms. Each iteration uses a fresh DNS client (an empty cache)
// and reports:
//   - ratio: wall time ÷ (longest chain of dependent lookups × 20 ms);
//     1.0 means every independent lookup ran concurrently;
//   - q/distinct: questions the server received ÷ distinct (name, type).

const benchDelay = 20 * time.Millisecond

type benchWorld struct {
	zone   string
	domain string
	chain  int // longest chain of dependent lookups
}

var benchWorlds = map[string]benchWorld{
	// TXT, then MX and A concurrently, then the MX host's A: 3 for
	// evaluation; TXT then A/AAAA/MX: 2 for the tree.
	"flat": {zone: `
flat.example. IN TXT "v=spf1 a mx ip4:198.51.100.0/24 ip6:2001:db8::/32 -all"
flat.example. IN A 192.0.2.80
flat.example. IN AAAA 2001:db8::80
flat.example. IN MX 10 mx.flat.example.
mx.flat.example. IN A 192.0.2.81
`, domain: "flat.example", chain: 3},
	// root → c1 → c2 → c3 → c4: 5 TXT lookups in a row.
	"chain4": {zone: chainZone(), domain: "c0.example", chain: 5},
	// root → 8 includes → one nested include each: 3 TXT lookups in a row.
	"fanout8x1": {zone: fanoutZone(), domain: "fan.example", chain: 3},
}

func chainZone() string {
	var b strings.Builder
	for i := range 4 {
		fmt.Fprintf(&b, "c%d.example. IN TXT \"v=spf1 ip4:198.51.100.%d include:c%d.example -all\"\n", i, i, i+1)
	}
	b.WriteString("c4.example. IN TXT \"v=spf1 ip4:198.51.100.4 -all\"\n")
	return b.String()
}

func fanoutZone() string {
	var b strings.Builder
	b.WriteString("fan.example. IN TXT \"v=spf1")
	for i := range 8 {
		fmt.Fprintf(&b, " include:i%d.fan.example", i)
	}
	b.WriteString(" -all\"\n")
	for i := range 8 {
		fmt.Fprintf(&b, "i%d.fan.example. IN TXT \"v=spf1 ip4:198.51.100.%d include:n%d.fan.example ~all\"\n", i, i, i)
		fmt.Fprintf(&b, "n%d.fan.example. IN TXT \"v=spf1 ip4:203.0.113.%d ~all\"\n", i, i)
	}
	return b.String()
}

func benchDNS(b *testing.B, name string, chain int, run func(ctx context.Context, c *dnsq.Client, domain string)) {
	bw := benchWorlds[name]
	if chain == 0 {
		chain = bw.chain
	}
	w := mailtest.New(b, bw.zone)
	w.DNS.SetDelay(benchDelay)
	var wall time.Duration
	var queries, distinct int
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		w.DNS.ResetCounters()
		b.StartTimer()
		start := time.Now()
		run(context.Background(), c, bw.domain)
		wall += time.Since(start)
		b.StopTimer()
		queries += w.DNS.Queries()
		distinct += w.DNS.Distinct()
		c.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(wall)/float64(b.N)/float64(time.Duration(chain)*benchDelay), "ratio")
	b.ReportMetric(float64(queries)/float64(distinct), "q/distinct")
}

// An address none of the records lists: evaluation visits every term.
var benchIP = netip.MustParseAddr("192.0.2.200")

func evalRun(ctx context.Context, c *dnsq.Client, domain string) {
	CheckHost(ctx, c, Params{IP: benchIP, Domain: domain})
}

func treeRun(ctx context.Context, c *dnsq.Client, domain string) {
	Analyze(ctx, c, domain)
}

func BenchmarkEvalFlat(b *testing.B)      { benchDNS(b, "flat", 0, evalRun) }
func BenchmarkEvalChain4(b *testing.B)    { benchDNS(b, "chain4", 0, evalRun) }
func BenchmarkEvalFanout8x1(b *testing.B) { benchDNS(b, "fanout8x1", 0, evalRun) }
func BenchmarkTreeFlat(b *testing.B)      { benchDNS(b, "flat", 2, treeRun) }
func BenchmarkTreeChain4(b *testing.B)    { benchDNS(b, "chain4", 0, treeRun) }
func BenchmarkTreeFanout8x1(b *testing.B) { benchDNS(b, "fanout8x1", 0, treeRun) }

// BenchmarkCheckFanout8x1 is the whole check with --ip: tree analysis and
// check_host() run concurrently over one DNS cache.
func BenchmarkCheckFanout8x1(b *testing.B) {
	benchDNS(b, "fanout8x1", 0, func(ctx context.Context, c *dnsq.Client, domain string) {
		env := &checks.Env{DNS: c, Now: time.Now}
		r := &checks.Runner{Env: env, Checks: []checks.Check{Check{}}}
		r.Run(ctx, checks.Target{Domain: domain, IPs: []netip.Addr{benchIP}})
	})
}

// BenchmarkEvalFanout8x1NoPrefetch is the sequential baseline.
func BenchmarkEvalFanout8x1NoPrefetch(b *testing.B) {
	benchDNS(b, "fanout8x1", 0, func(ctx context.Context, c *dnsq.Client, domain string) {
		CheckHost(ctx, c, Params{IP: benchIP, Domain: domain, NoPrefetch: true})
	})
}

func BenchmarkParse(b *testing.B) {
	rec := "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/28 include:_spf.google.com include:spf.protection.outlook.com exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.com exp=exp.%{d}"
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}
