package dnsbl_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
)

// TestAddressTarget: on an address target the check asks the IP lists
// alone about that address (no MX host, no domain list), and a target it
// cannot ask about is not applicable rather than clean.
func TestAddressTarget(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	w.AddDNSBL("ip.lists.example").List("192.0.2.99", "spam source", "127.0.0.2")
	w.AddDNSBL("dbl.lists.example")
	zones := zonesFile(t, "ip.lists.example ip\ndbl.lists.example domain\n")
	addr := func(s string) checks.Target {
		return checks.Target{Address: netip.MustParseAddr(s), Input: s}
	}

	t.Run("dnsbl.listed", func(t *testing.T) {
		o := run(t, w, addr("192.0.2.99"), checks.Options{DNSBLZones: zones})
		if len(o.findings("dnsbl.listed")) != 1 || o.res.Status != checks.StatusFail {
			t.Fatalf("status %s findings %v, want one listing", o.res.Status, mailtest.FindingIDs(o.res))
		}
		if len(o.data.Addresses) != 1 || o.data.Addresses[0].Sources[0] != dnsbl.SourceTarget || o.data.Domain != nil {
			t.Fatalf("data %+v, want the address alone, from the target", o.data)
		}
		if len(o.data.Zones) != 1 || o.data.Zones[0].Type != dnsbl.KindIP {
			t.Errorf("zones %+v, want the IP list alone", o.data.Zones)
		}
	})
	t.Run("dnsbl.clean", func(t *testing.T) {
		o := run(t, w, addr("198.51.100.7"), checks.Options{DNSBLZones: zones})
		if len(o.findings("dnsbl.clean")) != 1 || o.res.Status != checks.StatusPass {
			t.Fatalf("status %s findings %v, want clean", o.res.Status, mailtest.FindingIDs(o.res))
		}
	})
	skipped := func(t *testing.T, tg checks.Target, zones string) checks.Result {
		t.Helper()
		return w.Run(t, tg, checks.Options{DNSBLZones: zones, Timeout: 2 * time.Second}, dnsbl.Check{}, mx.Check{})
	}
	t.Run("not public", func(t *testing.T) {
		if res := skipped(t, addr("10.1.2.3"), zones); res.Status != checks.StatusSkip || len(res.Findings) != 0 {
			t.Fatalf("status %s (%q) findings %v, want skip", res.Status, res.Skip, mailtest.FindingIDs(res))
		}
	})
	t.Run("no IP list", func(t *testing.T) {
		if res := skipped(t, addr("198.51.100.7"), zonesFile(t, "dbl.lists.example domain\n")); res.Status != checks.StatusSkip {
			t.Fatalf("status %s, want skip: a zones file of domain lists asks nothing about an address", res.Status)
		}
	})
	t.Run("IPv6", func(t *testing.T) {
		// Every list of a zones file is asked about IPv6 addresses.
		o := run(t, w, addr("2001:db8::99"), checks.Options{DNSBLZones: zones})
		if len(o.findings("dnsbl.clean")) != 1 || len(o.data.Addresses) != 1 || o.data.Addresses[0].Target != "2001:db8::99" || !o.data.Addresses[0].Queried {
			t.Fatalf("findings %v data %+v, want 2001:db8::99 asked and clean", mailtest.FindingIDs(o.res), o.data.Addresses)
		}
	})
}
