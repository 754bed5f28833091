package dnscheck_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/mailtest"
)

const zone = `
$ORIGIN .
. SOA a.root hostmaster 1 3600 600 86400 300
. NS a.root
$ORIGIN example.
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.53
d SOA ns.d hostmaster 1 3600 600 86400 300
d NS ns1.d
d NS ns2.d
single SOA ns.d hostmaster 1 3600 600 86400 300
single NS ns1.d
nons SOA ns.d hostmaster 1 3600 600 86400 300
www.d A 192.0.2.80
`

func TestFindings(t *testing.T) {
	tests := []struct {
		name, domain string
		setup        func(w *mailtest.World)
		want         []string
		dnssec       string
		status       checks.Status
	}{
		{name: "secure", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Sign("."); w.DNS.Sign("d.example") },
			want: []string{}, dnssec: dnscheck.DNSSECSecure, status: checks.StatusPass},
		{name: "unsigned", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Sign(".") },
			want: []string{"dns.dnssec-unsigned"}, dnssec: dnscheck.DNSSECInsecure, status: checks.StatusPass},
		{name: "resolver not validating", domain: "d.example",
			want: []string{"dns.resolver-not-validating"}, dnssec: dnscheck.DNSSECUnknown, status: checks.StatusPass},
		{name: "not a zone apex", domain: "www.d.example", setup: func(w *mailtest.World) { w.DNS.Sign(".") },
			want: []string{"dns.dnssec-unsigned"}, dnssec: dnscheck.DNSSECInsecure, status: checks.StatusPass},
		{name: "no NS at a zone apex", domain: "nons.example", setup: func(w *mailtest.World) { w.DNS.Sign(".") },
			want: []string{"dns.no-ns", "dns.dnssec-unsigned"}, dnssec: dnscheck.DNSSECInsecure, status: checks.StatusFail},
		{name: "nxdomain", domain: "nope.example",
			want: []string{"dns.nxdomain"}, dnssec: dnscheck.DNSSECNotApplicable, status: checks.StatusFail},
		{name: "single ns", domain: "single.example", setup: func(w *mailtest.World) { w.DNS.Sign("."); w.DNS.Sign("single.example") },
			want: []string{"dns.single-ns"}, dnssec: dnscheck.DNSSECSecure, status: checks.StatusWarn},
		// A validating resolver that refuses the root zone: decided from what
		// was asked, never "unknown because of the root".
		{name: "root refused, secure", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script(".", 0, mailtest.Refused); w.DNS.Sign("d.example") },
			want: []string{}, dnssec: dnscheck.DNSSECSecure, status: checks.StatusPass},
		{name: "root refused, DS denied", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script(".", 0, mailtest.Refused); w.DNS.Sign("example") },
			want: []string{"dns.dnssec-unsigned"}, dnssec: dnscheck.DNSSECInsecure, status: checks.StatusPass},
		{name: "root refused, no AD anywhere", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script(".", 0, mailtest.Refused) },
			want: []string{"dns.resolver-not-validating"}, dnssec: dnscheck.DNSSECUnknown, status: checks.StatusPass},
		{name: "bogus", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script("d.example", 0, mailtest.Bogus) },
			want: []string{"dns.dnssec-bogus"}, dnssec: dnscheck.DNSSECBogus, status: checks.StatusFail},
		{name: "servfail is an error", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script("d.example", dns.TypeNS, mailtest.ServFail) },
			want: []string{"dns.dns-error"}, dnssec: dnscheck.DNSSECNotApplicable, status: checks.StatusError},
		{name: "timeout is an error", domain: "d.example", setup: func(w *mailtest.World) { w.DNS.Script("d.example", dns.TypeNS, mailtest.Timeout) },
			want: []string{"dns.dns-error"}, dnssec: dnscheck.DNSSECNotApplicable, status: checks.StatusError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, zone)
			if tt.setup != nil {
				tt.setup(w)
			}
			r := w.Run(t, checks.Target{Domain: tt.domain}, checks.Options{Timeout: 300 * time.Millisecond}, dnscheck.Check{})
			if got := mailtest.FindingIDs(r); !slices.Equal(got, tt.want) {
				t.Fatalf("findings = %v, want %v (%+v)", got, tt.want, r.Findings)
			}
			if r.Status != tt.status {
				t.Errorf("status = %s, want %s", r.Status, tt.status)
			}
			d := r.Data.(dnscheck.Data)
			if d.DNSSEC != tt.dnssec {
				t.Errorf("dnssec = %s, want %s", d.DNSSEC, tt.dnssec)
			}
			// The two fields never contradict each other.
			if (d.DNSSEC == dnscheck.DNSSECSecure || d.DNSSEC == dnscheck.DNSSECInsecure) != d.Validating {
				t.Errorf("dnssec %s beside resolver_validates %v", d.DNSSEC, d.Validating)
			}
			for _, f := range r.Findings {
				if strings.Contains(f.Message, "root") && strings.HasPrefix(tt.name, "root refused") {
					t.Errorf("%s blames the root zone, which was refused: %q", f.ID, f.Message)
				}
				if f.ID == "dns.resolver-not-validating" && strings.HasPrefix(tt.name, "root refused") && !strings.Contains(f.Message, "REFUSED") {
					t.Errorf("the message must say the root probe was refused: %q", f.Message)
				}
				dnssecFinding := f.ID == "dns.dnssec-unsigned" || f.ID == "dns.resolver-not-validating"
				if dnssecFinding && (f.Evidence == nil || len(f.Evidence.DNS) < 2) {
					t.Errorf("%s: evidence must list the queries that decided it: %+v", f.ID, f.Evidence)
				}
			}
		})
	}
}

func TestResolverUnreachable(t *testing.T) {
	w := mailtest.New(t, zone)
	w.DNS.Close() // nothing answers on the resolver's port any more
	r := w.Run(t, checks.Target{Domain: "d.example"}, checks.Options{Timeout: 300 * time.Millisecond}, dnscheck.Check{})
	if got := mailtest.FindingIDs(r); !slices.Equal(got, []string{"dns.resolver-unreachable"}) || r.Status != checks.StatusError {
		t.Fatalf("findings = %v, status %s", got, r.Status)
	}
}
