package dnsbl_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

// The benchmark's shape, from the issue: 40 zones, 20 ms per answer, 3
// addresses.
const (
	benchZones = 40
	benchDelay = 20 * time.Millisecond
)

var benchIPs = []netip.Addr{
	netip.MustParseAddr("192.0.2.10"),
	netip.MustParseAddr("198.51.100.10"),
	netip.MustParseAddr("203.0.113.10"),
}

// benchWorld serves 40 healthy IP lists (one of which lists 192.0.2.10, so
// the TXT round trip is included) and answers every question after delay.
func benchWorld(tb testing.TB) (*mailtest.World, string) {
	w := mailtest.New(tb, worldZone+`
bench.example.      IN MX 10 mx1.bench.example.
bench.example.      IN MX 20 mx2.bench.example.
bench.example.      IN MX 30 mx3.bench.example.
mx1.bench.example.  IN A  192.0.2.10
mx2.bench.example.  IN A  198.51.100.10
mx3.bench.example.  IN A  203.0.113.10
`)
	var zones strings.Builder
	for i := range benchZones {
		z := fmt.Sprintf("bl%02d.bench.test", i)
		b := w.AddDNSBL(z)
		if i == 7 {
			b.List("192.0.2.10", "listed for the benchmark")
		}
		zones.WriteString(z + "\n")
	}
	w.DNS.SetDelay(benchDelay)
	p := tb.TempDir() + "/zones.txt"
	if err := writeFile(p, zones.String()); err != nil {
		tb.Fatal(err)
	}
	return w, p
}

// wallTime runs the check once with a fresh DNS client allowing
// maxInFlight concurrent queries (0: the client's default). With viaMX the
// addresses come from bench.example's three MX hosts; otherwise they are
// given as --ip for nullmx.example, whose null MX adds none.
func wallTime(tb testing.TB, w *mailtest.World, zones string, maxInFlight int, viaMX bool) time.Duration {
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 5 * time.Second, MaxInFlight: maxInFlight})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	env := &checks.Env{DNS: c, Now: time.Now, Opts: checks.Options{Timeout: 5 * time.Second, DNSBLZones: zones}}
	rn := &checks.Runner{Env: env, Checks: []checks.Check{dnsbl.Check{}}, Registry: []checks.Check{mx.Check{}}}
	tg := checks.Target{Domain: "nullmx.example", IPs: benchIPs}
	if viaMX {
		tg = checks.Target{Domain: "bench.example"}
	}
	start := time.Now()
	rep := rn.Run(context.Background(), tg)
	elapsed := time.Since(start)
	res := rep.Results[0]
	if res.Status != checks.StatusFail || res.Err != "" {
		tb.Fatalf("status %s %s, want the benchmark listing to fail", res.Status, res.Err)
	}
	data := res.Data.(dnsbl.Data)
	if len(data.Addresses) != 3 {
		tb.Fatalf("%d addresses checked", len(data.Addresses))
	}
	return elapsed
}

// BenchmarkFortyZones measures the check's wall time with 40 zones at 20 ms
// per answer and 3 addresses; rtt/op is the wall time in round trips.
//
//	go test ./checks/dnsbl -run '^$' -bench FortyZones -benchtime 10x
func BenchmarkFortyZones(b *testing.B) {
	w, zones := benchWorld(b)
	for _, bc := range []struct {
		name        string
		maxInFlight int
		viaMX       bool
	}{
		{"ip/inflight=default", 0, false},
		{"ip/inflight=256", 256, false},
		{"mx/inflight=default", 0, true},
		{"mx/inflight=256", 256, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += wallTime(b, w, zones, bc.maxInFlight, bc.viaMX)
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(benchDelay), "rtt/op")
		})
	}
}

// TestWallTime asserts the bound: with enough concurrent queries
// allowed, 40 zones × 3 addresses (plus the 80 health probes and one TXT
// for the listing) take less than 3 round trips.
func TestWallTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	w, zones := benchWorld(t)
	// A longer answer time than the benchmark's makes the test's claim
	// (under 3 round trips) independent of scheduling noise on a busy
	// machine: the work between round trips is the same either way.
	const delay = 50 * time.Millisecond
	w.DNS.SetDelay(delay)
	best := time.Hour
	for range 3 { // the best of three, to ride out a busy machine
		best = min(best, wallTime(t, w, zones, 256, false))
	}
	t.Logf("40 zones × 3 addresses at %s per answer: %s (%.1f round trips)", delay, best, float64(best)/float64(delay))
	if raceEnabled {
		t.Skip("timing is not asserted under the race detector")
	}
	if best >= 3*delay {
		t.Errorf("wall time %s, want under 3 round trips (%s)", best, 3*delay)
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }
