package smtp_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
)

// runAddress runs the smtp check on an address target, with the mx check
// registered as on a domain (it must neither run nor hold the check up).
func runAddress(t *testing.T, w *mailtest.World, ctx context.Context, addr string) checks.Result {
	t.Helper()
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second, CheckTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	rn := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
	a := netip.MustParseAddr(addr)
	return rn.Run(ctx, checks.Target{Address: a, Input: addr, HELO: "probe.mxray.test"}).Results[0]
}

// TestAddressBanner: on an address target the check reads the banner
// (greeting, EHLO, STARTTLS), names the one host by the address, makes no
// probe of a domain (postmaster, relay, VRFY), leaves the reverse DNS to
// the ptr check, and says when the greeting names another host than the
// PTR record.
func TestAddressBanner(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "$ORIGIN test.\n@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\nmx.a IN A 192.0.2.30\n")
	_ = w.PTR("192.0.2.30", "mx.a.test")
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "other-name.test", OpenRelay: true}, "192.0.2.30:25"); err != nil {
		t.Fatal(err)
	}
	res := runAddress(t, w, context.Background(), "192.0.2.30")
	if got := ids(res); !slices.Equal(got, []string{"smtp.banner-ptr-mismatch:info"}) {
		t.Fatalf("findings %v, want the banner/PTR mismatch alone (no open relay: no probe of a domain)", got)
	}
	d := res.Data.(smtp.Data)
	if len(d.Hosts) != 1 || d.Hosts[0].Name != "192.0.2.30" {
		t.Fatalf("hosts %+v, want the one host named by the address", d.Hosts)
	}
	a := d.Hosts[0].Addresses[0]
	if a.Outcome != smtp.OutcomeCompleted || a.Postmaster != nil || a.Relay != nil || a.VRFY != nil {
		t.Errorf("session: outcome %s, postmaster %v, relay %v, vrfy %v: want a completed banner-only session", a.Outcome, a.Postmaster, a.Relay, a.VRFY)
	}
	if !slices.Equal(a.PTR, []string{"mx.a.test"}) || a.FCrDNS == nil || !*a.FCrDNS {
		t.Errorf("PTR %v fcrdns %v, want mx.a.test confirmed", a.PTR, a.FCrDNS)
	}
	if res.Status != checks.StatusPass {
		t.Errorf("status %s, want pass", res.Status)
	}
}

// TestAddressRefusedIsNotAPass: nothing listening on port 25 is fine for
// an address that only sends (info), but nothing was tested: skip.
func TestAddressRefusedIsNotAPass(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "")
	if err := w.Refuse("192.0.2.31:25"); err != nil {
		t.Fatal(err)
	}
	res := runAddress(t, w, context.Background(), "192.0.2.31")
	if res.Status != checks.StatusSkip || res.Skip == "" {
		t.Errorf("status %s (%q), want skip: nothing was tested", res.Status, res.Skip)
	}
	if got := ids(res); !slices.Equal(got, []string{"smtp.connect-failed:info"}) {
		t.Errorf("findings %v, want smtp.connect-failed at info", got)
	}
}

// TestRateLimitedIsNotAPass: in a batch, an address whose turn under
// --smtp-rate does not come in the check's time is untested, and says so
// (smtp.rate-limited, error); before, it passed with no finding.
func TestRateLimitedIsNotAPass(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "")
	if err := w.Refuse("192.0.2.32:25"); err != nil {
		t.Fatal(err)
	}
	ctx := smtp.WithCache(context.Background(), smtp.NewCache(0, smtp.Rate{N: 1, Per: time.Hour}))
	// The first run's refusal is not shared, and takes the hour's one
	// connection; the second must wait an hour.
	if res := runAddress(t, w, ctx, "192.0.2.32"); res.Status != checks.StatusSkip {
		t.Fatalf("first run: %s, want skip (refused)", res.Status)
	}
	res := runAddress(t, w, ctx, "192.0.2.32")
	if res.Status != checks.StatusError || !slices.Contains(ids(res), "smtp.rate-limited:error") {
		t.Fatalf("second run: status %s findings %v, want error with smtp.rate-limited", res.Status, ids(res))
	}
}
