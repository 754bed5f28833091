package tlsrpt_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/tlsrpt"
)

func mxZone(d string) string {
	return d + ". MX 10 mx1." + d + ".\nmx1." + d + ". A 192.0.2.10\n"
}

var cases = []struct {
	name   string
	domain string
	zone   string
	sts    bool
	want   []string
	sev    checks.Severity
	status checks.Status
}{
	{name: "pass", domain: "good.example", status: checks.StatusPass, zone: `_smtp._tls.good.example. TXT "v=TLSRPTv1; rua=mailto:tls@good.example,https://r.good.example/tlsrpt"`},
	{name: "tlsrpt.missing", domain: "none.example", want: []string{"tlsrpt.missing"}, sev: checks.SevInfo, status: checks.StatusPass},
	{name: "tlsrpt.missing-mtasts", domain: "sts.example", sts: true, want: []string{"tlsrpt.missing"}, sev: checks.SevWarn, status: checks.StatusWarn},
	{name: "tlsrpt.missing-dane", domain: "dane.example", want: []string{"tlsrpt.missing"}, sev: checks.SevWarn, status: checks.StatusWarn,
		zone: "_25._tcp.mx1.dane.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"},
	{name: "tlsrpt.syntax", domain: "syn.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.syn.example. TXT "v=TLSRPTv1; rua=tls@syn.example"`},
	{name: "tlsrpt.syntax-no-rua", domain: "norua.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.norua.example. TXT "v=TLSRPTv1; ruf=mailto:x@norua.example"`},
	{name: "tlsrpt.syntax-version", domain: "ver.example", want: []string{"tlsrpt.syntax", "tlsrpt.missing"}, status: checks.StatusFail, zone: `_smtp._tls.ver.example. TXT "v=tlsrptv1; rua=mailto:x@ver.example"`},
	{name: "tlsrpt.syntax-hostile", domain: "hostile.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.hostile.example. TXT "v=TLSRPTv1; rua=mailto:a\000@hostile.example; rua=mailto:b@hostile.example; x=1; x=2"`},
	{name: "tlsrpt.multiple", domain: "multi.example", want: []string{"tlsrpt.multiple"}, status: checks.StatusFail, zone: `_smtp._tls.multi.example. TXT "v=TLSRPTv1; rua=mailto:a@multi.example"
_smtp._tls.multi.example. TXT "v=TLSRPTv1; rua=mailto:b@multi.example"`},
	{name: "tlsrpt.dns-error", domain: "err.example", want: []string{"tlsrpt.dns-error"}, status: checks.StatusError},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zone := policytest.Base + mxZone(tc.domain) + tc.zone
			if tc.sts {
				zone += "_mta-sts." + tc.domain + ". TXT \"v=STSv1; id=1\"\n"
			}
			w := mailtest.New(t, zone)
			if tc.name == "tlsrpt.dns-error" {
				w.DNS.Script("_smtp._tls.err.example.", dns.TypeTXT, mailtest.ServFail)
			}
			if tc.sts {
				s, err := w.StartHTTPS("192.0.2.80")
				if err != nil {
					t.Fatal(err)
				}
				_ = s.AddHost("mta-sts." + tc.domain)
				s.Handle("mta-sts."+tc.domain, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte("version: STSv1\nmode: enforce\nmx: mx1." + tc.domain + "\nmax_age: 604800\n")})
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: tc.domain}, []checks.Check{tlsrpt.Check{}}, mtasts.Check{}, mx.Check{})
			res := policytest.Result(t, rep, "tlsrpt")
			for _, id := range tc.want {
				f := policytest.Find(res, id)
				if f == nil {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				} else if tc.sev != "" && f.Severity != tc.sev {
					t.Errorf("%s severity %s, want %s", id, f.Severity, tc.sev)
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			policytest.Golden(t, "tlsrpt/"+tc.name, res)
		})
	}
}

func TestEveryFindingHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, tlsrpt.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

// TestConformanceCheckdmarc runs checkdmarc's TLS-RPT record cases.
func TestConformanceCheckdmarc(t *testing.T) {
	cases := conformance.Checkdmarc(t)
	pass, fail := 0, 0
	for _, tc := range cases {
		for _, call := range tc.Calls {
			if call.Function != "parse_smtp_tls_reporting_record" {
				continue
			}
			var rec string
			_ = json.Unmarshal(call.Args[0], &rec)
			r := tlsrpt.Parse(rec)
			ok := tlsrpt.IsTLSRPT(rec) && len(r.Problems) == 0
			if ok == (call.Raises == "") {
				pass++
			} else {
				fail++
				t.Errorf("%s: %q: ok %v, checkdmarc raises %q; problems %v", tc.Test, rec, ok, call.Raises, r.Problems)
			}
		}
	}
	t.Logf("CONFORMANCE checkdmarc (TLS-RPT records): %d passed, %d failed", pass, fail)
}
