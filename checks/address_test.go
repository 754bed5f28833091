package checks_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/mxray/mxray/checks"
)

// addrFn is an fn that examines address targets too.
type addrFn struct{ fn }

func (addrFn) ChecksAddress() bool { return true }

// TestAddressTargetSkipsDomainChecks: on an address target the runner
// never runs a check that examines domains only (it is reported skipped,
// with the reason), and a check that needs one is released at once with
// ErrNotRun instead of waiting for a fact that will never come.
func TestAddressTargetSkipsDomainChecks(t *testing.T) {
	ran := make(chan string, 3)
	domainOnly := fn{id: "mx", run: func(context.Context, *checks.Out) error { ran <- "mx"; return nil }}
	var depErr error
	onAddr := addrFn{fn{id: "dnsbl", needs: []string{"mx"}, run: func(ctx context.Context, out *checks.Out) error {
		ran <- "dnsbl"
		_, depErr = checks.NewFactKey[int]("mx").Await(ctx, out)
		return nil
	}}}
	a := netip.MustParseAddr("192.0.2.7")
	r := &checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{domainOnly, onAddr}}
	rep := r.Run(context.Background(), checks.Target{Address: a, Input: "192.0.2.7"})
	close(ran)
	var got []string
	for id := range ran {
		got = append(got, id)
	}
	if len(got) != 1 || got[0] != "dnsbl" {
		t.Fatalf("checks run: %v, want dnsbl alone", got)
	}
	if r := rep.Results[0]; r.Status != checks.StatusSkip || r.Skip != checks.NotForAddress {
		t.Errorf("mx: %s %q, want skip %q", r.Status, r.Skip, checks.NotForAddress)
	}
	if !errors.Is(depErr, checks.ErrNotRun) {
		t.Errorf("awaiting mx: %v, want ErrNotRun", depErr)
	}
	if rep.Address != a || rep.Domain != "" || rep.Name() != "192.0.2.7" {
		t.Errorf("report names %q (domain %q, address %s), want the address", rep.Name(), rep.Domain, rep.Address)
	}
}

func TestTargetKind(t *testing.T) {
	for _, tt := range []struct {
		t    checks.Target
		kind checks.TargetKind
		name string
	}{
		{checks.Target{Domain: "example.com"}, checks.TargetDomain, "example.com"},
		{checks.Target{Address: netip.MustParseAddr("2001:db8::7")}, checks.TargetAddress, "2001:db8::7"},
	} {
		if k, n := tt.t.Kind(), tt.t.Name(); k != tt.kind || n != tt.name {
			t.Errorf("%+v: kind %s name %q, want %s %q", tt.t, k, n, tt.kind, tt.name)
		}
	}
}
