package ptr_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/ptr"
)

// benchDelay is the time the benchmark's DNS server takes to answer.
const benchDelay = 20 * time.Millisecond

// benchAddrs are 8 sending addresses (4 IPv4, 4 IPv6), each with three
// PTR names that resolve back: 8 PTR and 24 A/AAAA questions, two round
// trips deep (four if the names were asked one after the other).
var benchAddrs = func() []netip.Addr {
	var out []netip.Addr
	for i := range 4 {
		out = append(out, netip.AddrFrom4([4]byte{203, 0, 113, byte(100 + i)}), netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", 0x100+i)))
	}
	return out
}()

func benchWorld(tb testing.TB) *mailtest.World {
	var z strings.Builder
	for i, a := range benchAddrs {
		arpa := reverseName(a)
		rr := "A"
		if a.Is6() {
			rr = "AAAA"
		}
		for _, n := range []string{"a", "b", "c"} {
			name := fmt.Sprintf("%s%d.bench.example.", n, i)
			fmt.Fprintf(&z, "%s PTR %s\n%s %s %s\n", arpa, name, name, rr, a)
		}
	}
	w := mailtest.New(tb, policytest.Base+z.String())
	w.DNS.SetDelay(benchDelay)
	return w
}

func reverseName(a netip.Addr) string {
	if a.Is4() {
		o := a.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", o[3], o[2], o[1], o[0])
	}
	b := a.As16()
	var s strings.Builder
	for i := 15; i >= 0; i-- {
		fmt.Fprintf(&s, "%x.%x.", b[i]&0xf, b[i]>>4)
	}
	return s.String() + "ip6.arpa."
}

// wallTime runs the check once with a fresh DNS client (an empty cache).
func wallTime(tb testing.TB, w *mailtest.World) time.Duration {
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 5 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	env := &checks.Env{DNS: c, Now: time.Now, Opts: checks.Options{Timeout: 5 * time.Second}}
	rn := &checks.Runner{Env: env, Checks: []checks.Check{ptr.Check{}}}
	start := time.Now()
	rep := rn.Run(context.Background(), checks.Target{Domain: "bench.example", IPs: benchAddrs})
	elapsed := time.Since(start)
	res := rep.Results[0]
	if res.Status != checks.StatusPass || len(res.Findings) != len(benchAddrs) {
		tb.Fatalf("status %s, findings %v: want every address ok", res.Status, policytest.IDs(&res))
	}
	return elapsed
}

// BenchmarkEightAddresses measures the check's wall time for 8 addresses
// with three PTR names each, every DNS answer taking 20 ms; rtt/op is the
// wall time in round trips (2 is the chain PTR -> A/AAAA).
//
//	go test ./checks/ptr -run '^$' -bench EightAddresses -benchtime 20x
func BenchmarkEightAddresses(b *testing.B) {
	w := benchWorld(b)
	var total time.Duration
	for b.Loop() {
		total += wallTime(b, w)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(benchDelay), "rtt/op")
}

// TestWallTime asserts that the lookups run at once: 8 addresses, 32
// questions, take less than 3 round trips (the chain is 2 deep; asking
// the names one after the other would take 4, the addresses 32).
func TestWallTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	w := benchWorld(t)
	best := time.Hour
	for range 10 { // the best of ten, to ride out a busy machine
		best = min(best, wallTime(t, w))
	}
	t.Logf("8 addresses × 3 PTR names at %s per answer: %s (%.1f round trips)", benchDelay, best, float64(best)/float64(benchDelay))
	if raceEnabled {
		t.Skip("timing is not asserted under the race detector")
	}
	if best >= 3*benchDelay {
		t.Errorf("wall time %s, want under 3 round trips (%s)", best, 3*benchDelay)
	}
}
