package mailtest_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

func TestDNSBLZones(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "")
	good := w.AddDNSBL("bl.test")
	good.List("192.0.2.7", "spam trap hits", "127.0.0.3", "127.0.0.4")
	good.List("2001:db8::7", "")
	good.List("listed.example", "domain")
	w.AddRefusingDNSBL("refusing.test", "127.255.255.254", "open resolver")
	w.AddDeadDNSBL("dead.test")
	w.AddListAllDNSBL("all.test")
	w.AddRewritingDNSBL("parked.test", "198.51.100.80")

	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a := func(name string) []netip.Addr {
		t.Helper()
		ans, err := c.Lookup(context.Background(), name, dns.TypeA)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return ans.Addrs()
	}
	want := func(name string, codes ...string) {
		t.Helper()
		got := a(name)
		if len(got) != len(codes) {
			t.Fatalf("%s: %v, want %v", name, got, codes)
		}
		for i := range codes {
			if got[i].String() != codes[i] {
				t.Errorf("%s: %v, want %v", name, got, codes)
			}
		}
	}
	want("2.0.0.127.bl.test", "127.0.0.2")
	want("1.0.0.127.bl.test")
	want("test.bl.test", "127.0.0.2")
	want("invalid.bl.test")
	want("7.2.0.192.bl.test", "127.0.0.3", "127.0.0.4")
	want("7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test", "127.0.0.2")
	want(good.Name("listed.example"), "127.0.0.2")
	want("8.2.0.192.bl.test")
	ans, err := c.Lookup(context.Background(), "7.2.0.192.bl.test", dns.TypeTXT)
	if err != nil || len(ans.TXT()) != 1 || ans.TXT()[0][0] != "spam trap hits" {
		t.Errorf("TXT %v %v", ans, err)
	}
	want("2.0.0.127.refusing.test", "127.255.255.254")
	want("1.0.0.127.refusing.test", "127.255.255.254")
	want("2.0.0.127.dead.test")
	want("1.0.0.127.all.test", "127.0.0.2")
	want("9.9.9.9.parked.test", "198.51.100.80")

	good.Unlist("192.0.2.7")
	c2, _ := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}})
	if ans, err := c2.Lookup(context.Background(), "7.2.0.192.bl.test", dns.TypeA); err != nil || !ans.Empty() {
		t.Errorf("after Unlist: %v %v", ans, err)
	}
}
