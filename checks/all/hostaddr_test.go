package all_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
)

// TestFindingsNameHostAndAddress runs every check against the demo world
// and checks that findings about one host or address carry it in Host and
// Address, so that no consumer parses Subject: every "host [address]"
// subject, every address subject, and a table of findings from the demo.
func TestFindingsNameHostAndAddress(t *testing.T) {
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	type key struct{ domain, id, subject string }
	got := map[key]checks.Finding{}
	for _, d := range demo.Domains {
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rep := (&checks.Runner{Env: env, Checks: all.Checks()}).Run(context.Background(),
			checks.Target{Domain: d.Name, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.20")}})
		env.DNS.Close()
		for _, r := range rep.Results {
			for _, f := range r.Findings {
				got[key{d.Name, f.ID, f.Subject}] = f
				switch r.ID {
				case "smtp", "tls", "mx", "dnsbl", "ptr", "mtasts":
				default:
					continue
				}
				if h, a, ok := hostAddr(f.Subject); ok && (f.Host != h || f.Address != a) {
					t.Errorf("%s %s %q: host %q address %q", d.Name, f.ID, f.Subject, f.Host, f.Address)
				}
				if _, err := netip.ParseAddr(f.Subject); err == nil && f.Address != f.Subject {
					t.Errorf("%s %s %q: address %q", d.Name, f.ID, f.Subject, f.Address)
				}
			}
		}
	}
	for _, tc := range []struct {
		key
		host, addr string
	}{
		{key{"broken.example", "mx.no-address", "nowhere.broken.example"}, "nowhere.broken.example", ""},
		{key{"broken.example", "mx.cname", "mail.broken.example"}, "mail.broken.example", ""},
		{key{"broken.example", "mx.ip-literal", "192.0.2.99"}, "", "192.0.2.99"},
		{key{"broken.example", "mx.null-mixed", "broken.example"}, "", ""},
		{key{"broken.example", "smtp.open-relay", "mail.broken.example [192.0.2.20]"}, "mail.broken.example", "192.0.2.20"},
		{key{"broken.example", "smtp.ptr-generic", "192.0.2.20"}, "mail.broken.example", "192.0.2.20"},
		{key{"broken.example", "tls.dane-unsigned", "_25._tcp.mail.broken.example"}, "mail.broken.example", ""},
		{key{"broken.example", "tls.mtasts-would-fail", "mail.broken.example [192.0.2.20]"}, "mail.broken.example", "192.0.2.20"},
		{key{"broken.example", "mtasts.mx-mismatch", "nowhere.broken.example"}, "nowhere.broken.example", ""},
		{key{"broken.example", "mtasts.mode-testing", "https://mta-sts.broken.example/.well-known/mta-sts.txt"}, "mta-sts.broken.example", ""},
		{key{"broken.example", "dnsbl.listed", "192.0.2.20"}, "mail.broken.example", "192.0.2.20"},
		{key{"broken.example", "dnsbl.listed", "broken.example"}, "", ""},
		{key{"broken.example", "ptr.generic", "192.0.2.20"}, "", "192.0.2.20"},
		{key{"good.example", "dnsbl.listed", "192.0.2.20"}, "", "192.0.2.20"}, // --ip only: no MX host
		{key{"good.example", "tls.dane-valid", "mx1.good.example [2001:db8::10]"}, "mx1.good.example", "2001:db8::10"},
		{key{"badtls.example", "smtp.banner-rejected", "mx-reject.badtls.example [192.0.2.37]"}, "mx-reject.badtls.example", "192.0.2.37"},
		{key{"badtls.example", "tls.not-tested", "mx-reject.badtls.example [192.0.2.37]"}, "mx-reject.badtls.example", "192.0.2.37"},
		{key{"badtls.example", "tls.cert-untrusted", "mx-selfsigned.badtls.example [192.0.2.33]"}, "mx-selfsigned.badtls.example", "192.0.2.33"},
	} {
		f, ok := got[tc.key]
		if !ok {
			t.Errorf("no finding %v", tc.key)
			continue
		}
		if f.Host != tc.host || f.Address != tc.addr {
			t.Errorf("%v: host %q address %q, want %q %q", tc.key, f.Host, f.Address, tc.host, tc.addr)
		}
	}
}

// hostAddr splits a "host [address]" subject.
func hostAddr(s string) (host, addr string, ok bool) {
	h, rest, ok := strings.Cut(s, " [")
	if !ok || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	return h, strings.TrimSuffix(rest, "]"), true
}
