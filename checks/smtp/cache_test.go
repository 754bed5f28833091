package smtp_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// sharedDomains is how many domains of TestCacheSharesAnAddress use one MX.
const sharedDomains = 50

// TestCacheSharesAnAddress checks 50 domains whose MX is one address, as
// a bulk batch does (one run each, all at once, one smtp.Cache): the
// go-smtp server on loopback sees the connections of one domain (the smtp
// session and the TLS 1.0/1.1 probe), not 50 times as many. Every other
// domain reports what an uncached run reports of the address (greeting,
// EHLO, STARTTLS, TLS, certificate, reverse DNS, the tls check's
// findings), and none of the probes of the domain itself.
func TestCacheSharesAnAddress(t *testing.T) {
	t.Parallel()
	var zone strings.Builder
	zone.WriteString("$ORIGIN test.\n@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\nmx.shared IN A 192.0.2.10\n")
	var domains []string
	for i := range sharedDomains {
		d := fmt.Sprintf("d%02d.test", i)
		domains = append(domains, d)
		fmt.Fprintf(&zone, "d%02d IN MX 10 mx.shared.test.\n", i)
	}
	w := mailtest.New(t, zone.String())
	_ = w.PTR("192.0.2.10", "mx.shared.test")
	cert, err := w.Cert(mailtest.CertValid, "mx.shared.test")
	if err != nil {
		t.Fatal(err)
	}
	cl := countedSMTP(t, w, mailtest.SMTPOptions{Hostname: "mx.shared.test", Domains: domains, TLS: cert}, "192.0.2.10:25")

	run := func(ctx context.Context, domain string) *checks.Report {
		env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Error(err)
			return nil
		}
		defer env.DNS.Close()
		rn := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}, tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}, mtasts.Check{}}}
		return rn.Run(ctx, checks.Target{Domain: domain, HELO: "probe.mxray.test"})
	}
	// Uncached, one domain: the reference, and its connection count.
	ref := run(context.Background(), "d00.test")
	perDomain := cl.n.Load()
	if perDomain < 1 {
		t.Fatal("no connection")
	}

	cl.n.Store(0)
	cache := smtp.NewCache(0, smtp.Rate{})
	ctx := smtp.WithCache(context.Background(), cache)
	reps := make([]*checks.Report, sharedDomains)
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Go(func() { reps[i] = run(ctx, d) })
	}
	wg.Wait()
	t.Logf("%d domains, one address: %d connections (one domain alone: %d)", sharedDomains, cl.n.Load(), perDomain)
	if got := cl.n.Load(); got != perDomain {
		t.Errorf("%d domains on one address: %d connections, want %d (one domain's)", sharedDomains, got, perDomain)
	}
	if s := cache.Sessions(); s != 2 {
		t.Errorf("the cache tested %d addresses, want 2 (the smtp session, the TLS 1.0/1.1 probe)", s)
	}

	refAddr := address(t, ref)
	wantSMTP := slices.DeleteFunc(ids(ref.Results[0]), func(id string) bool {
		return strings.HasPrefix(id, "smtp.postmaster") || strings.HasPrefix(id, "smtp.vrfy") || strings.HasPrefix(id, "smtp.open-relay") || strings.HasPrefix(id, "smtp.null-sender")
	})
	full := 0
	for i, rep := range reps {
		a := address(t, rep)
		if a.Postmaster != nil { // the domain whose run tested the address
			full++
			continue
		}
		if a.Relay != nil || a.VRFY != nil || a.NullSender != nil {
			t.Errorf("%s: a shared result reports another domain's probes", domains[i])
		}
		for _, f := range []string{"Outcome", "Banner", "BannerHost", "Extensions", "ExtensionsTLS", "STARTTLS", "TLS", "PTR", "FCrDNS", "PTRGeneric"} {
			got, want := reflect.ValueOf(a).FieldByName(f).Interface(), reflect.ValueOf(refAddr).FieldByName(f).Interface()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %v, uncached %v", domains[i], f, got, want)
			}
		}
		if got := ids(rep.Results[0]); !slices.Equal(got, wantSMTP) {
			t.Errorf("%s: smtp findings %v, uncached %v less the domain's probes", domains[i], got, wantSMTP)
		}
		if got, want := ids(rep.Results[1]), ids(ref.Results[1]); !slices.Equal(got, want) || rep.Results[1].Status != ref.Results[1].Status {
			t.Errorf("%s: tls %s %v, uncached %s %v", domains[i], rep.Results[1].Status, got, ref.Results[1].Status, want)
		}
		if last := a.Transcript[len(a.Transcript)-1].Text; !strings.Contains(last, "for another domain") {
			t.Errorf("%s: the transcript does not say it is shared: %q", domains[i], last)
		}
	}
	if full != 1 {
		t.Errorf("%d domains ran the probes, want 1", full)
	}
}

// address is the one MX address of a report's smtp result.
func address(t *testing.T, rep *checks.Report) smtp.Address {
	t.Helper()
	d, ok := rep.Results[0].Data.(smtp.Data)
	if !ok || len(d.Hosts) != 1 || len(d.Hosts[0].Addresses) != 1 {
		t.Fatalf("smtp data %#v", rep.Results[0].Data)
	}
	return d.Hosts[0].Addresses[0]
}

// TestSharedWaitsForTheRate: a second probe of an address within the rate
// (another MX name on the same address) waits for its slot; when the
// check's time runs out first, it is not made and says why. Without a
// cache every probe runs.
func TestSharedWaitsForTheRate(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("192.0.2.10")
	var probes atomic.Int64
	probe := func() (int, bool) { return int(probes.Add(1)), true }
	cache := smtp.NewCache(0, smtp.Rate{N: 1, Per: time.Hour})
	ctx := smtp.WithCache(context.Background(), cache)
	if v, err := smtp.Shared(ctx, "k", "a.test", ip, "h", probe); v != 1 || err != nil {
		t.Fatalf("first probe: %d %v", v, err)
	}
	if v, err := smtp.Shared(ctx, "k", "a.test", ip, "h", probe); v != 1 || err != nil {
		t.Fatalf("same address and name: %d %v, want the first result", v, err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := smtp.Shared(short, "k", "b.test", ip, "h", probe); !errors.Is(err, smtp.ErrNotTested) {
		t.Errorf("another name on the address within 1/h: %v, want ErrNotTested", err)
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("%d probes, want 1", n)
	}
	if v, err := smtp.Shared(context.Background(), "k", "a.test", ip, "h", probe); v != 2 || err != nil {
		t.Errorf("without a cache: %d %v, want a probe of its own", v, err)
	}
}

// TestCacheIsBounded: a cache of 2 forgets the least recently used
// address: a third address pushes out the first, which is probed again.
func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	var probes atomic.Int64
	probe := func() (int, bool) { return int(probes.Add(1)), true }
	ctx := smtp.WithCache(context.Background(), smtp.NewCache(2, smtp.Rate{}))
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1"} {
		if _, err := smtp.Shared(ctx, "k", "mx.test", netip.MustParseAddr(a), "h", probe); err != nil {
			t.Fatal(err)
		}
	}
	if n := probes.Load(); n != 4 {
		t.Errorf("%d probes, want 4 (the first address forgotten)", n)
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]smtp.Rate{
		"2/m": {2, time.Minute}, " 10/s ": {10, time.Second}, "1/h": {1, time.Hour}, "1000000/s": {1000000, time.Second},
	} {
		got, err := smtp.ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "2/d", "0/m", "-1/m", "x/m", "1000001/s", "2/min", "/m", "99999999999999999999/s"} {
		if _, err := smtp.ParseRate(in); !errors.Is(err, smtp.ErrRate) {
			t.Errorf("ParseRate(%q): %v, want ErrRate", in, err)
		}
	}
	if s := (smtp.Rate{N: 2, Per: time.Minute}).String(); s != "2/m" {
		t.Errorf("String = %q", s)
	}
}

// TestRateBooksOnlyUsableSlots: checks whose time ends before their slot
// book nothing, so they cannot push the address's schedule beyond every
// later check (it used to be starved for the rest of the run).
func TestRateBooksOnlyUsableSlots(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("192.0.2.10")
	probe := func() (int, bool) { return 1, true }
	cache := smtp.NewCache(0, smtp.Rate{N: 1, Per: 200 * time.Millisecond})
	ctx := smtp.WithCache(context.Background(), cache)
	if _, err := smtp.Shared(ctx, "k", "a.test", ip, "h", probe); err != nil {
		t.Fatal(err)
	}
	// Many names on the address, each with too little time for the next
	// slot (200 ms away): none may book it.
	for i := range 20 {
		short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		if _, err := smtp.Shared(short, "k", fmt.Sprintf("n%d.test", i), ip, "h", probe); !errors.Is(err, smtp.ErrNotTested) {
			t.Errorf("name %d: %v, want ErrNotTested", i, err)
		}
		cancel()
	}
	// A check with time enough gets the next slot: about 200 ms, not 20
	// bookings (4 s) later.
	start := time.Now()
	long, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := smtp.Shared(long, "k", "late.test", ip, "h", probe); err != nil {
		t.Fatalf("a check with 3s left: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the next usable slot came after %s", took)
	}
}

// TestFailedConnectIsNotShared: a connection that failed (refused here) is
// not the address's verdict for the rest of the run: the next domain tests
// the address again and finds the server that is there now.
func TestFailedConnectIsNotShared(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "$ORIGIN test.\n@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\nmx.shared IN A 192.0.2.10\nd1 IN MX 10 mx.shared.test.\nd2 IN MX 10 mx.shared.test.\n")
	_ = w.PTR("192.0.2.10", "mx.shared.test")
	if err := w.Refuse("192.0.2.10:25"); err != nil { // connections are refused
		t.Fatal(err)
	}
	ctx := smtp.WithCache(context.Background(), smtp.NewCache(0, smtp.Rate{}))
	run := func(domain string) smtp.Address {
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer env.DNS.Close()
		rn := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
		return address(t, rn.Run(ctx, checks.Target{Domain: domain, HELO: "probe.mxray.test"}))
	}
	if a := run("d1.test"); a.Outcome != smtp.OutcomeRefused {
		t.Fatalf("first domain: outcome %s, want refused", a.Outcome)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.shared.test", Domains: []string{"d1.test", "d2.test"}}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	if a := run("d2.test"); a.Outcome != smtp.OutcomeCompleted {
		t.Errorf("second domain: outcome %s, want completed (the refusal must not be shared)", a.Outcome)
	}
}
