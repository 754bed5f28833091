package spf

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

func newClient(t *testing.T, w *mailtest.World, timeout time.Duration) *dnsq.Client {
	t.Helper()
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Prefetching must not change what the evaluation sees: a target that
// times out after the matching term is fetched ahead but never used, and
// the evaluation returns without waiting for it.
func TestPrefetchKeepsOrder(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, `
o.example.     IN TXT "v=spf1 ip4:192.0.2.1 include:slow.example exists:gone.example -all"
slow.example.  IN TXT "v=spf1 -all"
`)
	w.DNS.Script("slow.example", dns.TypeTXT, mailtest.Timeout)
	c := newClient(t, w, 400*time.Millisecond)
	start := time.Now()
	o := CheckHost(context.Background(), c, Params{IP: netip.MustParseAddr("192.0.2.1"), Domain: "o.example"})
	if o.Result != Pass || o.Mechanism != "ip4:192.0.2.1" || o.Lookups != 0 || o.VoidLookups != 0 {
		t.Errorf("outcome %+v", o)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("took %v: the evaluation waited for a prefetch it did not need", d)
	}
	o = CheckHost(context.Background(), c, Params{IP: netip.MustParseAddr("192.0.2.2"), Domain: "o.example"})
	if o.Result != TempError || o.Mechanism != "include:slow.example" {
		t.Errorf("outcome %+v", o)
	}
}

func TestEvaluateLimits(t *testing.T) {
	w := mailtest.New(t, `
ten.example.    IN TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example a:a6.example a:a7.example a:a8.example a:a9.example include:last.example -all"
eleven.example. IN TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example a:a6.example a:a7.example a:a8.example a:a9.example a:a10.example include:last.example -all"
last.example.   IN TXT "v=spf1 ip4:192.0.2.1 -all"
void.example.   IN TXT "v=spf1 a:n1.example mx:n2.example exists:n3.example ip4:192.0.2.1 -all"
mxs.example.    IN TXT "v=spf1 mx -all"
exp.example.    IN TXT "v=spf1 -all exp=why.exp.example"
why.exp.example. IN TXT "%{i} is not allowed to send for %{d} (%{l})"
`)
	for i := 1; i <= 10; i++ {
		rr, _ := dns.NewRR("a" + itoa(i) + ".example. IN A 198.51.100.1")
		w.DNS.Add(rr)
	}
	for i := 1; i <= 11; i++ {
		rr, _ := dns.NewRR("mxs.example. IN MX " + itoa(i) + " mx" + itoa(i) + ".mxs.example.")
		w.DNS.Add(rr)
	}
	c := newClient(t, w, time.Second)
	ip := netip.MustParseAddr("192.0.2.1")
	cases := []struct {
		domain string
		want   Result
		look   int
	}{
		{"ten.example", Pass, 10},
		{"eleven.example", PermError, 11},
		{"void.example", PermError, 3},
		{"mxs.example", PermError, 1},
	}
	for _, tc := range cases {
		o := CheckHost(context.Background(), c, Params{IP: ip, Domain: tc.domain})
		if o.Result != tc.want || o.Lookups != tc.look {
			t.Errorf("%s: %s after %d lookups (%s), want %s after %d", tc.domain, o.Result, o.Lookups, o.Reason, tc.want, tc.look)
		}
	}
	o := CheckHost(context.Background(), c, Params{IP: ip, Domain: "exp.example", Sender: "joe@exp.example"})
	if o.Result != Fail || o.Explanation != "192.0.2.1 is not allowed to send for exp.example (joe)" {
		t.Errorf("exp: %+v", o)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
