package ptr_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/ptr"
)

// TestAddressTarget: on an address target the check examines that
// address; a non-public one is told so with a fix that fits a target
// (not "give --ip"), and nothing tested is a skip.
func TestAddressTarget(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, "$ORIGIN test.\n@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\nmail IN A 192.0.2.40\n")
	_ = w.PTR("192.0.2.40", "mail.test")
	opts := checks.Options{Timeout: 2 * time.Second}
	res := w.Run(t, checks.Target{Address: netip.MustParseAddr("192.0.2.40")}, opts, ptr.Check{})
	d, ok := res.Data.(*ptr.Data)
	if !ok || len(d.Addresses) != 1 || d.Addresses[0].Address != "192.0.2.40" || d.Addresses[0].Status != ptr.StatusOK {
		t.Fatalf("data %#v, want 192.0.2.40 ok", res.Data)
	}
	res = w.Run(t, checks.Target{Address: netip.MustParseAddr("10.9.8.7")}, opts, ptr.Check{})
	if res.Status != checks.StatusSkip || len(res.Findings) != 1 || res.Findings[0].ID != "ptr.not-public" ||
		strings.Contains(res.Findings[0].Fix, "--ip") {
		t.Fatalf("status %s findings %+v, want skip with ptr.not-public and a fix for a target", res.Status, res.Findings)
	}
}
