package dnsbl_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

// worldZone is the mail side of the test world; each test adds the
// blocklists it needs.
const worldZone = `
$ORIGIN .
$TTL 300
shop.example.        IN SOA  ns1.shop.example. hostmaster.shop.example. 1 3600 600 86400 300
shop.example.        IN MX   10 mx1.shop.example.
shop.example.        IN MX   20 mx2.shop.example.
mx1.shop.example.    IN A    192.0.2.10
mx1.shop.example.    IN AAAA 2001:db8::10
mx2.shop.example.    IN A    198.51.100.10
nullmx.example.      IN SOA  ns1.shop.example. hostmaster.shop.example. 1 3600 600 86400 300
nullmx.example.      IN MX   0 .
private.example.     IN SOA  ns1.shop.example. hostmaster.shop.example. 1 3600 600 86400 300
private.example.     IN MX   10 mx.private.example.
mx.private.example.  IN A    10.0.0.25
`

type outcome struct {
	res  checks.Result
	data dnsbl.Data
}

// zonesFile writes a zones file and returns its path.
func zonesFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "zones.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs the dnsbl check (with the mx check it needs) against the world.
func run(t *testing.T, w *mailtest.World, tg checks.Target, opts checks.Options) outcome {
	t.Helper()
	o := runAny(t, w, tg, opts)
	if o.res.Err != "" {
		t.Fatalf("check error: %s", o.res.Err)
	}
	return o
}

// runAny is run for a check that may end undecided (Result.Err set).
func runAny(t *testing.T, w *mailtest.World, tg checks.Target, opts checks.Options) outcome {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	env, err := w.Env(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	rn := &checks.Runner{Env: env, Checks: []checks.Check{dnsbl.Check{}}, Registry: []checks.Check{mx.Check{}}}
	rep := rn.Run(context.Background(), tg)
	res := rep.Results[0]
	data, ok := res.Data.(dnsbl.Data)
	if !ok && (res.Data != nil || res.Err == "") {
		t.Fatalf("data is %T", res.Data)
	}
	// The data must encode.
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
	return outcome{res: res, data: data}
}

func (o outcome) findings(id string) []checks.Finding {
	var out []checks.Finding
	for _, f := range o.res.Findings {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

// one returns the single finding with id and subject.
func (o outcome) one(t *testing.T, id, subject string) checks.Finding {
	t.Helper()
	var got []checks.Finding
	for _, f := range o.findings(id) {
		if f.Subject == subject {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one %s finding for %s, got %d; all findings:\n%s", id, subject, len(got), o.dump())
	}
	return got[0]
}

func (o outcome) none(t *testing.T, id string) {
	t.Helper()
	if fs := o.findings(id); len(fs) > 0 {
		t.Fatalf("want no %s finding, got:\n%s", id, o.dump())
	}
}

func (o outcome) dump() string {
	var b strings.Builder
	for _, f := range o.res.Findings {
		b.WriteString(string(f.Severity) + " " + f.ID + " " + f.Subject + ": " + f.Message + "\n")
	}
	return b.String()
}

func (o outcome) target(t *testing.T, name string) dnsbl.TargetData {
	t.Helper()
	if o.data.Domain != nil && o.data.Domain.Target == name {
		return *o.data.Domain
	}
	for _, a := range o.data.Addresses {
		if a.Target == name {
			return a
		}
	}
	t.Fatalf("target %s not in data: %+v", name, o.data)
	return dnsbl.TargetData{}
}

func (o outcome) zone(t *testing.T, target, zone string) dnsbl.ZoneResult {
	t.Helper()
	for _, z := range o.target(t, target).Zones {
		if z.Zone == zone {
			return z
		}
	}
	t.Fatalf("zone %s not asked for %s", zone, target)
	return dnsbl.ZoneResult{}
}

func (o outcome) health(t *testing.T, zone string) dnsbl.ZoneData {
	t.Helper()
	for _, z := range o.data.Zones {
		if z.Zone == zone {
			return z
		}
	}
	t.Fatalf("zone %s not in data", zone)
	return dnsbl.ZoneData{}
}

func wantIn(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q does not contain %q", what, s, sub)
		}
	}
}

func TestListed(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	scoring := w.AddDNSBL("bl.scoring.test")
	scoring.List("192.0.2.10", "Listed: spam trap hits on 2026-11-20", "127.0.0.2")
	info := w.AddDNSBL("bl.info.test")
	info.List("198.51.100.10", "", "127.0.0.2")
	dbl := w.AddDNSBL("dbl.domains.test")
	dbl.List("shop.example", "Domain seen in spam", "127.0.1.2")
	zones := zonesFile(t, "bl.scoring.test\nbl.info.test ip info\ndbl.domains.test domain\n")

	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zones})

	f := o.one(t, "dnsbl.listed", "192.0.2.10")
	if f.Severity != checks.SevFail {
		t.Errorf("scoring listing severity %s, want fail", f.Severity)
	}
	wantIn(t, "message", f.Message, "bl.scoring.test", "MX host mx1.shop.example", "127.0.0.2", "spam trap hits on 2026-11-20")
	if f.Evidence == nil || len(f.Evidence.DNS) != 2 {
		t.Errorf("evidence should hold the A and TXT queries: %+v", f.Evidence)
	}
	f = o.one(t, "dnsbl.listed", "198.51.100.10")
	if f.Severity != checks.SevWarn {
		t.Errorf("info listing severity %s, want warn", f.Severity)
	}
	f = o.one(t, "dnsbl.listed", "shop.example")
	wantIn(t, "message", f.Message, "dbl.domains.test", "Domain seen in spam")
	if o.res.Status != checks.StatusFail {
		t.Errorf("status %s, want fail", o.res.Status)
	}
	// The IPv6 address of mx1 is asked too, and is clean.
	o.one(t, "dnsbl.clean", "2001:db8::10")
	if z := o.zone(t, "192.0.2.10", "bl.scoring.test"); z.Status != dnsbl.StatusListed || z.Reason == "" || len(z.Codes) != 1 {
		t.Errorf("zone result %+v", z)
	}
	if z := o.zone(t, "192.0.2.10", "bl.info.test"); z.Status != dnsbl.StatusClean {
		t.Errorf("zone result %+v", z)
	}
	if got := o.target(t, "192.0.2.10").Status; got != dnsbl.TargetListed {
		t.Errorf("target status %s", got)
	}
	if got := o.target(t, "2001:db8::10").Status; got != dnsbl.TargetClean {
		t.Errorf("target status %s", got)
	}
	// A listing is fetched once per name: the TXT only for listings.
	if n := w.DNS.QueryCount(mailtest.DNSBLName("192.0.2.10", "bl.info.test"), dns.TypeTXT); n != 0 {
		t.Errorf("TXT asked %d times for a clean address", n)
	}
}

func TestSendingIPsAndDedup(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	bl := w.AddDNSBL("bl.test")
	bl.List("203.0.113.7", "sending IP listed")
	bl.List("2001:db8:7::25", "IPv6 listed")
	zones := zonesFile(t, "bl.test\n")
	ips := []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8:7::25")}

	o := run(t, w, checks.Target{Domain: "shop.example", IPs: ips}, checks.Options{DNSBLZones: zones})

	wantIn(t, "message", o.one(t, "dnsbl.listed", "203.0.113.7").Message, "(--ip)")
	wantIn(t, "message", o.one(t, "dnsbl.listed", "2001:db8:7::25").Message, "IPv6 listed")
	// The nibble name was asked exactly once.
	nibbles := "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.0.0.0.8.b.d.0.1.0.0.2.bl.test"
	if n := w.DNS.QueryCount(nibbles, dns.TypeA); n != 1 {
		t.Errorf("%s asked %d times, want 1", nibbles, n)
	}
	// 192.0.2.10 is both an MX address and a sending IP: one set of
	// queries, two sources.
	tg := o.target(t, "192.0.2.10")
	if len(tg.Sources) != 2 {
		t.Errorf("sources %v, want --ip and the MX host", tg.Sources)
	}
	if n := w.DNS.QueryCount(mailtest.DNSBLName("192.0.2.10", "bl.test"), dns.TypeA); n != 1 {
		t.Errorf("192.0.2.10 asked %d times, want 1", n)
	}
	// The health probe ran once.
	if n := w.DNS.QueryCount("2.0.0.127.bl.test", dns.TypeA); n != 1 {
		t.Errorf("probe asked %d times", n)
	}
	if n := w.DNS.QueryCount("1.0.0.127.bl.test", dns.TypeA); n != 1 {
		t.Errorf("clean probe asked %d times", n)
	}
}

func TestQueryRefused(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	w.AddRefusingDNSBL("zen.refusing.test", "127.255.255.254", "Error: open resolver; https://check.spamhaus.org/returnc/pub/")
	w.AddRefusingDNSBL("multi.uribl.test", "127.0.0.1", "127.0.0.1 -> Query Refused")
	// A healthy list that refuses one address (over quota).
	partly := w.AddDNSBL("bl.partly.test")
	partly.List("192.0.2.10", "Excessive number of queries", "127.255.255.255")
	zones := zonesFile(t, "zen.refusing.test\nmulti.uribl.test domain\nbl.partly.test\n")

	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zones})

	o.none(t, "dnsbl.listed")
	f := o.one(t, "dnsbl.query-refused", "zen.refusing.test")
	if f.Severity != checks.SevError {
		t.Errorf("severity %s", f.Severity)
	}
	wantIn(t, "message", f.Message, "127.255.255.254", "public or open resolver", "Error: open resolver", "192.0.2.10", "no listing")
	f = o.one(t, "dnsbl.query-refused", "multi.uribl.test")
	wantIn(t, "message", f.Message, "127.0.0.1", "Query Refused", "shop.example")
	f = o.one(t, "dnsbl.query-refused", "bl.partly.test")
	wantIn(t, "message", f.Message, "192.0.2.10")
	if z := o.zone(t, "192.0.2.10", "zen.refusing.test"); z.Status != dnsbl.StatusRefused {
		t.Errorf("zone result %+v", z)
	}
	if z := o.zone(t, "192.0.2.10", "bl.partly.test"); z.Status != dnsbl.StatusRefused {
		t.Errorf("zone result %+v", z)
	}
	if h := o.health(t, "zen.refusing.test"); h.Health != dnsbl.HealthRefused {
		t.Errorf("health %+v", h)
	}
	// Refused is never clean.
	for _, a := range o.data.Addresses {
		if a.Status != dnsbl.TargetUnknown {
			t.Errorf("%s status %s, want unknown", a.Target, a.Status)
		}
	}
	o.none(t, "dnsbl.clean")
	if o.res.Status != checks.StatusError {
		t.Errorf("status %s, want error", o.res.Status)
	}
}

func TestZoneUnhealthy(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	w.AddDeadDNSBL("dead.test")
	w.AddListAllDNSBL("listall.test")
	good := w.AddDNSBL("good.test")
	_ = good
	zones := zonesFile(t, "dead.test\nlistall.test\ngood.test\n")

	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zones})

	f := o.one(t, "dnsbl.zone-unhealthy", "dead.test")
	if f.Severity != checks.SevInfo {
		t.Errorf("severity %s", f.Severity)
	}
	wantIn(t, "message", f.Message, "2.0.0.127.dead.test", "not listed", "ignored")
	wantIn(t, "fix", f.Fix, "line 1")
	f = o.one(t, "dnsbl.zone-unhealthy", "listall.test")
	wantIn(t, "message", f.Message, "1.0.0.127.listall.test", "RFC 5782 forbids")
	// The list-everything zone "lists" every address: ignored.
	o.none(t, "dnsbl.listed")
	if z := o.zone(t, "192.0.2.10", "listall.test"); z.Status != dnsbl.StatusUnhealthy {
		t.Errorf("zone result %+v", z)
	}
	// The healthy list answered: the addresses are clean, with the
	// unhealthy lists named as ignored.
	wantIn(t, "message", o.one(t, "dnsbl.clean", "192.0.2.10").Message, "the 1 blocklist that answered", "2 lists failed the RFC 5782 health probe and were ignored")
	if d := o.target(t, "192.0.2.10"); !d.Queried || d.ListsAnswered != 1 || d.ListsUnusable != 2 {
		t.Errorf("target data %+v", d)
	}
	if o.data.ListsUsable != 1 || o.data.ListsUnusable != 2 {
		t.Errorf("lists usable %d, unusable %d", o.data.ListsUsable, o.data.ListsUnusable)
	}
	if o.res.Status != checks.StatusPass {
		t.Errorf("status %s, want pass", o.res.Status)
	}
}

func TestResolverRewrite(t *testing.T) {
	t.Parallel()
	t.Run("one parked zone", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		w.AddRewritingDNSBL("parked.test", "198.51.100.99")
		w.AddDNSBL("good.test")
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "parked.test\ngood.test\n")})
		f := o.one(t, "dnsbl.resolver-rewrite", "parked.test")
		if f.Severity != checks.SevError {
			t.Errorf("severity %s", f.Severity)
		}
		wantIn(t, "message", f.Message, "198.51.100.99", "outside 127.0.0.0/8")
		o.none(t, "dnsbl.listed")
		if z := o.zone(t, "192.0.2.10", "parked.test"); z.Status != dnsbl.StatusError {
			t.Errorf("zone result %+v", z)
		}
		if got := o.target(t, "192.0.2.10").Status; got != dnsbl.TargetUnknown {
			t.Errorf("target status %s", got)
		}
	})
	t.Run("every zone", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		for _, z := range []string{"a.test", "b.test", "c.test"} {
			w.AddRewritingDNSBL(z, "203.0.113.250")
		}
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "a.test\nb.test\nc.test\n")})
		// No list is usable: one finding says so, naming the rewriting.
		if len(o.res.Findings) != 1 {
			t.Fatalf("want one finding:\n%s", o.dump())
		}
		wantIn(t, "message", o.one(t, "dnsbl.no-usable-list", w.DNS.Addr()).Message, w.DNS.Addr(), "3 gave answers outside 127.0.0.0/8", "203.0.113.250")
		if o.res.Status != checks.StatusError {
			t.Errorf("status %s", o.res.Status)
		}
	})
	t.Run("answer for one address only", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		bl := w.AddDNSBL("bl.test")
		bl.List("192.0.2.10", "", "192.0.2.99")
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "bl.test\n")})
		wantIn(t, "message", o.one(t, "dnsbl.resolver-rewrite", "bl.test").Message, "192.0.2.10 → 192.0.2.99")
		o.none(t, "dnsbl.listed")
	})
}

func TestDNSError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    mailtest.Behaviour
		want string
	}{
		{"timeout", mailtest.Timeout, "no answer from the resolver"},
		{"servfail", mailtest.ServFail, "SERVFAIL"},
		{"refused", mailtest.Refused, "REFUSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, worldZone)
			bl := w.AddDNSBL("bl.test")
			w.DNS.Script(bl.Name("192.0.2.10"), dns.TypeA, tc.b)
			o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "bl.test\n"), Timeout: 300 * time.Millisecond})
			f := o.one(t, "dnsbl.dns-error", "bl.test")
			if f.Severity != checks.SevError {
				t.Errorf("severity %s", f.Severity)
			}
			wantIn(t, "message", f.Message, "192.0.2.10", tc.want, "not clean")
			if f.Evidence == nil {
				t.Error("no evidence")
			}
			if z := o.zone(t, "192.0.2.10", "bl.test"); z.Status != dnsbl.StatusError || z.Error == "" {
				t.Errorf("zone result %+v", z)
			}
			if got := o.target(t, "192.0.2.10").Status; got != dnsbl.TargetUnknown {
				t.Errorf("target status %s, want unknown", got)
			}
			// The address that failed is never called clean; the others are.
			for _, f := range o.findings("dnsbl.clean") {
				if f.Subject == "192.0.2.10" {
					t.Errorf("failed address called clean: %s", f.Message)
				}
			}
			o.one(t, "dnsbl.clean", "198.51.100.10")
			if o.res.Status != checks.StatusError {
				t.Errorf("status %s", o.res.Status)
			}
		})
	}
	t.Run("health probe fails", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		bl := w.AddDNSBL("bl.test")
		bl.List("192.0.2.10", "listed")
		w.AddDNSBL("good.test")
		w.DNS.Script("2.0.0.127.bl.test", dns.TypeA, mailtest.ServFail)
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "bl.test\ngood.test\n")})
		f := o.one(t, "dnsbl.dns-error", "bl.test")
		wantIn(t, "message", f.Message, "health probe", "SERVFAIL", "unknown")
		// The listing on the list whose probe failed is not trusted, and
		// the addresses are unknown on it, not clean.
		o.none(t, "dnsbl.listed")
		o.none(t, "dnsbl.clean")
		if h := o.health(t, "bl.test"); h.Health != dnsbl.HealthUnknown {
			t.Errorf("health %+v", h)
		}
	})
	t.Run("no list answers", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		for _, z := range []string{"a.test", "b.test", "c.test"} {
			w.AddDNSBL(z)
			w.DNS.Script("2.0.0.127."+z, dns.TypeA, mailtest.ServFail)
		}
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "a.test\nb.test\nc.test\n")})
		if len(o.res.Findings) != 1 {
			t.Fatalf("want one finding about the resolver:\n%s", o.dump())
		}
		wantIn(t, "message", o.one(t, "dnsbl.no-usable-list", w.DNS.Addr()).Message, "None of the 3 blocklists", "3 did not answer the health probe", "SERVFAIL")
	})
	t.Run("MX host address", func(t *testing.T) {
		t.Parallel()
		w := mailtest.New(t, worldZone)
		w.AddDNSBL("bl.test")
		w.DNS.Script("mx2.shop.example", 0, mailtest.ServFail)
		o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "bl.test\n")})
		wantIn(t, "message", o.one(t, "dnsbl.dns-error", "mx2.shop.example").Message, "not checked")
		o.one(t, "dnsbl.clean", "192.0.2.10")
	})
}

func TestNoAddresses(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	w.AddDNSBL("bl.test")
	w.AddDNSBL("dbl.test")
	zones := zonesFile(t, "bl.test\ndbl.test domain\n")

	o := run(t, w, checks.Target{Domain: "nullmx.example"}, checks.Options{DNSBLZones: zones})
	wantIn(t, "message", o.one(t, "dnsbl.no-addresses", "nullmx.example").Message, "null MX", "no --ip")
	o.one(t, "dnsbl.clean", "nullmx.example") // the domain list was asked

	o = run(t, w, checks.Target{Domain: "private.example"}, checks.Options{DNSBLZones: zones})
	wantIn(t, "message", o.one(t, "dnsbl.no-addresses", "private.example").Message, "10.0.0.25", "not a public address")
	if len(o.data.Skipped) != 1 || o.data.Skipped[0].Target != "10.0.0.25" {
		t.Errorf("skipped %+v", o.data.Skipped)
	}
	if n := w.DNS.QueryCount(mailtest.DNSBLName("10.0.0.25", "bl.test"), dns.TypeA); n != 0 {
		t.Errorf("private address asked %d times", n)
	}

	// With --ip the sending IPs are checked even without MX.
	o = run(t, w, checks.Target{Domain: "nullmx.example", IPs: []netip.Addr{netip.MustParseAddr("203.0.113.9")}}, checks.Options{DNSBLZones: zones})
	o.none(t, "dnsbl.no-addresses")
	o.one(t, "dnsbl.clean", "203.0.113.9")
}

// TestZoneFile serves blocklists from a real zone file through the test DNS
// server, and reads the zones from a real zones file.
func TestZoneFile(t *testing.T) {
	t.Parallel()
	zone, err := os.ReadFile("testdata/blocklists.zone")
	if err != nil {
		t.Fatal(err)
	}
	w := mailtest.New(t, worldZone)
	if err := w.DNS.AddZone(string(zone)); err != nil {
		t.Fatal(err)
	}
	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: "testdata/zones.txt"})

	f := o.one(t, "dnsbl.listed", "192.0.2.10")
	wantIn(t, "message", f.Message, "bl.example", "127.0.0.3", "Spam trap hits")
	if f.Severity != checks.SevFail {
		t.Errorf("severity %s", f.Severity)
	}
	o.one(t, "dnsbl.listed", "2001:db8::10")
	f = o.one(t, "dnsbl.listed", "shop.example")
	if f.Severity != checks.SevWarn {
		t.Errorf("dbl.example is info in zones.txt: severity %s", f.Severity)
	}
	o.one(t, "dnsbl.clean", "198.51.100.10")
	for _, z := range o.data.Zones {
		if z.Health != dnsbl.HealthOK {
			t.Errorf("zone %s health %s (%s)", z.Zone, z.Health, z.HealthDetail)
		}
	}
	if o.data.Source != "testdata/zones.txt" || o.data.Reviewed != "" {
		t.Errorf("source %q reviewed %q", o.data.Source, o.data.Reviewed)
	}
}

func TestRetiredZone(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	w.AddDeadDNSBL("dnsbl.sorbs.net")
	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{DNSBLZones: zonesFile(t, "# old config\n\ndnsbl.sorbs.net\n")})
	f := o.one(t, "dnsbl.zone-retired", "dnsbl.sorbs.net")
	if f.Severity != checks.SevWarn {
		t.Errorf("severity %s", f.Severity)
	}
	wantIn(t, "message", f.Message, "line 3", "2024")
	// The dead list was the only one: nothing was checked.
	wantIn(t, "message", o.one(t, "dnsbl.no-usable-list", "dnsbl.sorbs.net").Message, "The only blocklist", "2.0.0.127.dnsbl.sorbs.net", "not listed")
	o.none(t, "dnsbl.zone-unhealthy")
	if o.res.Status != checks.StatusError {
		t.Errorf("status %s, want error", o.res.Status)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := dnsbl.Check{}
	if err := c.Validate(checks.Options{}); err != nil {
		t.Errorf("no zones file: %v", err)
	}
	if err := c.Validate(checks.Options{DNSBLZones: "testdata/zones.txt"}); err != nil {
		t.Errorf("good file: %v", err)
	}
	p := zonesFile(t, "# zones\nbl.example ip\n\nbl2.example ipv4\n")
	err := c.Validate(checks.Options{DNSBLZones: p})
	if err == nil || err.Error() != "--dnsbl-zones "+p+`, line 4: unknown word "ipv4" (want ip, domain, scoring or info)` {
		t.Errorf("bad line: %v", err)
	}
	if !errors.Is(err, dnsbl.ErrZonesFile) {
		t.Errorf("%v is not ErrZonesFile", err)
	}
	var le *dnsbl.LineError
	if !errors.As(err, &le) || le.Line != 4 {
		t.Errorf("LineError %+v", le)
	}
	missing := filepath.Join(t.TempDir(), "missing.txt")
	if err := c.Validate(checks.Options{DNSBLZones: missing}); !errors.Is(err, dnsbl.ErrZonesFile) || err.Error() != "--dnsbl-zones "+missing+": no such file" {
		t.Errorf("missing file: %v", err)
	}
	dir := t.TempDir()
	if err := c.Validate(checks.Options{DNSBLZones: dir}); !errors.Is(err, dnsbl.ErrZonesFile) || err.Error() != "--dnsbl-zones "+dir+": is a directory, not a file" {
		t.Errorf("directory: %v", err)
	}
	// Issue 12.8: a NUL or ESC in a zone name is a usage error on one line,
	// escaped.
	p = zonesFile(t, "bl.example\nbl\x1b[2J\x00.example\n")
	err = c.Validate(checks.Options{DNSBLZones: p})
	if err == nil || err.Error() != "--dnsbl-zones "+p+`, line 2: the zone name "bl\x1b[2J\x00.example" contains a control character` {
		t.Errorf("control characters: %q", err)
	}
}
