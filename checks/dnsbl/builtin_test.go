package dnsbl_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
)

// demoWorld starts the demo world, which serves every built-in zone.
func demoWorld(t *testing.T) *mailtest.World {
	t.Helper()
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// TestDemo runs the built-in list in the demo world: broken.example's MX
// address is listed on Spamhaus ZEN (scoring) and UCEPROTECT Level 2
// (informational), the domain on the Spamhaus DBL; good.example is clean.
func TestDemo(t *testing.T) {
	t.Parallel()
	w := demoWorld(t)
	def, err := dnsbl.Default()
	if err != nil {
		t.Fatal(err)
	}

	o := run(t, w, checks.Target{Domain: "broken.example"}, checks.Options{})
	var zen, uce *checks.Finding
	for _, f := range o.findings("dnsbl.listed") {
		switch {
		case strings.Contains(f.Message, "zen.spamhaus.org"):
			zen = &f
		case strings.Contains(f.Message, "dnsbl-2.uceprotect.net"):
			uce = &f
		}
	}
	if zen == nil || uce == nil {
		t.Fatalf("want listings on ZEN and UCEPROTECT L2:\n%s", o.dump())
	}
	if zen.Severity != checks.SevFail || uce.Severity != checks.SevWarn {
		t.Errorf("severities %s / %s, want fail / warn", zen.Severity, uce.Severity)
	}
	wantIn(t, "message", zen.Message, "Spamhaus ZEN", "127.0.0.4", "XBL", "MX host mail.broken.example", "https://check.spamhaus.org/query/ip/192.0.2.20")
	wantIn(t, "fix", zen.Fix, "https://check.spamhaus.org/")
	wantIn(t, "message", uce.Message, "UCEPROTECT Level 2", "allocation")
	f := o.one(t, "dnsbl.listed", "broken.example")
	wantIn(t, "message", f.Message, "Spamhaus Domain Block List", "127.0.1.2")
	o.none(t, "dnsbl.zone-unhealthy")
	if o.data.Source != dnsbl.SourceBuiltin || o.data.Reviewed != "2026-11-22" || len(o.data.Zones) != len(def.Zones) {
		t.Errorf("source %q reviewed %q zones %d", o.data.Source, o.data.Reviewed, len(o.data.Zones))
	}

	o = run(t, w, checks.Target{Domain: "good.example"}, checks.Options{})
	o.none(t, "dnsbl.listed")
	for _, a := range []string{"192.0.2.10", "198.51.100.10", "good.example"} {
		wantIn(t, "clean", o.one(t, "dnsbl.clean", a).Message, "not listed")
	}
	// 2001:db8::10 is asked only on the lists that answer IPv6.
	v6 := o.target(t, "2001:db8::10")
	if v6.Status != dnsbl.TargetClean || len(v6.Zones) == 0 || len(v6.Zones) >= len(o.target(t, "192.0.2.10").Zones) {
		t.Errorf("IPv6 target %+v", v6)
	}
	if o.res.Status != checks.StatusPass {
		t.Errorf("good.example status %s:\n%s", o.res.Status, o.dump())
	}
}

// TestBuiltinRefused: the failure mode other tools get wrong — Spamhaus
// answering 127.255.255.254 to a public resolver is a refusal, not a listing
// on ZEN and DBL.
func TestBuiltinRefused(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, worldZone)
	def, err := dnsbl.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range def.Zones {
		if strings.HasSuffix(z.Zone, ".spamhaus.org") {
			w.AddRefusingDNSBL(z.Zone, "127.255.255.254", "Error: open resolver; https://check.spamhaus.org/returnc/pub/203.0.113.53/")
			continue
		}
		b := w.AddDNSBL(z.Zone)
		if z.TestListed != "127.0.0.2" && z.TestListed != "test" {
			b.List(z.TestListed, "test entry", "127.0.0.2")
		}
	}
	o := run(t, w, checks.Target{Domain: "shop.example"}, checks.Options{})
	o.none(t, "dnsbl.listed")
	for _, z := range []string{"zen.spamhaus.org", "dbl.spamhaus.org"} {
		f := o.one(t, "dnsbl.query-refused", z)
		wantIn(t, "message", f.Message, "127.255.255.254", "Error: open resolver")
		wantIn(t, "fix", f.Fix, "dq.spamhaus.net", "--resolver")
	}
	o.none(t, "dnsbl.clean")
}

// TestGolden pins the findings and data of the demo's broken.example.
func TestGolden(t *testing.T) {
	t.Parallel()
	w := demoWorld(t)
	o := run(t, w, checks.Target{Domain: "broken.example", IPs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}, checks.Options{})
	var b bytes.Buffer
	for _, f := range o.res.Findings {
		fmt.Fprintf(&b, "%s %s %s\n  %s\n  fix: %s\n", f.Severity, f.ID, f.Subject, f.Message, f.Fix)
	}
	data, err := json.MarshalIndent(o.data, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	b.Write(data)
	b.WriteString("\n")
	golden.Check(t, "dnsbl/broken-example.txt", regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAll(b.Bytes(), []byte("127.0.0.1:PORT")))
}
