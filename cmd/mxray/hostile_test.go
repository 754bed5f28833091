package main

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// TestHostileDNSNeverAbsence runs the CLI against resolvers that misbehave
// on one name: each misbehaviour is a DNS error (exit 3), never the
// absence of a record (spf.missing, mx.no-address, exit 0 or 1).
func TestHostileDNSNeverAbsence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(w *mailtest.World)
		args  []string
		want  string   // finding ID that must appear
		never []string // finding IDs that must not
		words string   // in the output
	}{
		{"TC over TCP", func(w *mailtest.World) { w.DNS.Script("good.example", dns.TypeTXT, mailtest.TruncateTCP) },
			[]string{"good.example", "--only", "spf"}, "spf.dns-error", []string{"spf.missing"}, "truncated even over TCP"},
		{"CNAME loop answered NOERROR", func(w *mailtest.World) {
			if err := w.DNS.AddZone("loop.example. MX 10 l1.loop.example.\nl1.loop.example. CNAME l2.loop.example.\nl2.loop.example. CNAME l1.loop.example.\n"); err != nil {
				t.Fatal(err)
			}
			w.DNS.Script("l1.loop.example", 0, mailtest.LenientLoop)
		}, []string{"loop.example", "--only", "mx"}, "mx.dns-error", []string{"mx.no-address", "mx.missing"}, "l1.loop.example → l2.loop.example → l1.loop.example"},
		{"answer slower than --timeout", func(w *mailtest.World) { w.DNS.ScriptDelay("_dmarc.good.example", 0, 900*time.Millisecond) },
			[]string{"good.example", "--only", "dmarc", "--timeout", "400ms"}, "dmarc.dns-error", []string{"dmarc.missing"}, "no answer from the resolver"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := demoZonesWorld(t) // DNS checks only
			tc.setup(w)
			start := time.Now()
			r := runApp(t, w, "", append([]string{"check", "--json", "--resolver", w.DNS.Addr()}, tc.args...)...)
			if r.code != report.ExitCouldNotRun {
				t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, `"id": "`+tc.want+`"`) || !strings.Contains(r.stdout, tc.words) {
				t.Errorf("want %s saying %q:\n%s", tc.want, tc.words, r.stdout)
			}
			for _, id := range tc.never {
				if strings.Contains(r.stdout, `"id": "`+id+`"`) {
					t.Errorf("%s reported: a DNS failure read as absence\n%s", id, r.stdout)
				}
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestSlowAnswerJustUnderTimeout: an answer that takes most of --timeout is
// taken (the old per-attempt cap of 2 s failed a 2.5 s resolver even with
// --timeout 30s).
func TestSlowAnswerJustUnderTimeout(t *testing.T) {
	t.Parallel()
	w := demoZonesWorld(t) // --only dmarc
	w.DNS.ScriptDelay("_dmarc.good.example", 0, 400*time.Millisecond)
	r := runApp(t, w, "", "check", "good.example", "--only", "dmarc", "--timeout", "700ms", "--resolver", w.DNS.Addr(), "--json")
	if r.code != report.ExitOK || strings.Contains(r.stdout, "dns-error") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestOneRootCauseOnce: a DNSSEC-bogus zone is explained once, by the dns
// check, with its evidence; every check that met the same failure on its
// own names, and every check that waited on one of those, says "not
// decided: depends on dns (...)", with no finding of its own and no Go or
// package text.
func TestOneRootCauseOnce(t *testing.T) {
	t.Parallel()
	w := demoWorld(t)
	w.DNS.ScriptTree("good.example", mailtest.Bogus)
	r := runApp(t, w, "", "check", "good.example", "--resolver", w.DNS.Addr(), "--timeout", "1s", "--json")
	if r.code != report.ExitFindings {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := validateJSON(t, compileSchema(t), r.stdout)
	const want = "not decided: depends on dns (DNSSEC validation fails for good.example)"
	for _, c := range d["checks"].([]any) {
		c := c.(map[string]any)
		findings := c["findings"].([]any)
		switch c["id"] {
		case "dns":
			if len(findings) != 1 || findings[0].(map[string]any)["id"] != "dns.dnssec-bogus" {
				t.Errorf("dns: %v", findings)
			}
		case "dnsbl":
			// The blocklists of the domain name answered: its own verdict
			// stands beside the reason the MX addresses went untested.
			if c["error"] != want {
				t.Errorf("dnsbl: error %q, want %q", c["error"], want)
			}
		case "ptr":
			// No --ip: the reverse DNS of sending addresses, which does
			// not depend on the domain's zone, has nothing to test.
			if c["status"] != "skip" || c["skip_reason"] != "no sending address given (--ip)" {
				t.Errorf("ptr: status %v, skip reason %q; want skip for want of --ip", c["status"], c["skip_reason"])
			}
		case "profile":
			// No --profile: nothing asked of it, whatever the zone.
			if c["status"] != "skip" {
				t.Errorf("profile: status %v (%v); want skip without --profile", c["status"], c["skip_reason"])
			}
		default:
			if c["status"] != "error" || c["error"] != want || len(findings) != 0 {
				t.Errorf("%s: status %v, error %q, %d findings; want %q and none", c["id"], c["status"], c["error"], len(findings), want)
			}
		}
	}
	for _, bad := range []string{"dnsq:", "checks:", "context ", "SERVFAIL: ", "TXT: _dmarc"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
}
