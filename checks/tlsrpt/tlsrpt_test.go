package tlsrpt_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
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
	name    string
	domain  string
	zone    string
	mtasts  bool                          // the domain publishes an MTA-STS policy in enforce mode
	script  map[string]mailtest.Behaviour // DNS misbehaviour by name (all types)
	timeout time.Duration
	want    []string
	sev     checks.Severity
	status  checks.Status
	err     string // prefix of the result's error
	// sts and dane are the data's mta_sts_deployed and dane_deployed:
	// "true", "false" or "unknown" (absent).
	sts, dane string
}{
	{name: "pass", sts: "false", dane: "false", domain: "good.example", status: checks.StatusPass, zone: `_smtp._tls.good.example. TXT "v=TLSRPTv1; rua=mailto:tls@good.example,https://r.good.example/tlsrpt"`},
	{name: "tlsrpt.missing", sts: "false", dane: "false", domain: "none.example", want: []string{"tlsrpt.missing"}, sev: checks.SevInfo, status: checks.StatusPass},
	{name: "tlsrpt.missing-mtasts", sts: "true", dane: "false", domain: "sts.example", mtasts: true, want: []string{"tlsrpt.missing"}, sev: checks.SevWarn, status: checks.StatusWarn},
	{name: "tlsrpt.missing-dane", sts: "false", dane: "true", domain: "dane.example", want: []string{"tlsrpt.missing"}, sev: checks.SevWarn, status: checks.StatusWarn,
		zone: "_25._tcp.mx1.dane.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"},
	{name: "tlsrpt.syntax", sts: "false", dane: "false", domain: "syn.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.syn.example. TXT "v=TLSRPTv1; rua=tls@syn.example"`},
	{name: "tlsrpt.syntax-no-rua", sts: "false", dane: "false", domain: "norua.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.norua.example. TXT "v=TLSRPTv1; ruf=mailto:x@norua.example"`},
	{name: "tlsrpt.syntax-version", sts: "false", dane: "false", domain: "ver.example", want: []string{"tlsrpt.syntax", "tlsrpt.missing"}, status: checks.StatusFail, zone: `_smtp._tls.ver.example. TXT "v=tlsrptv1; rua=mailto:x@ver.example"`},
	{name: "tlsrpt.syntax-hostile", sts: "false", dane: "false", domain: "hostile.example", want: []string{"tlsrpt.syntax"}, status: checks.StatusFail, zone: `_smtp._tls.hostile.example. TXT "v=TLSRPTv1; rua=mailto:a\000@hostile.example; rua=mailto:b@hostile.example; x=1; x=2"`},
	{name: "tlsrpt.multiple", sts: "false", dane: "false", domain: "multi.example", want: []string{"tlsrpt.multiple"}, status: checks.StatusFail, zone: `_smtp._tls.multi.example. TXT "v=TLSRPTv1; rua=mailto:a@multi.example"
_smtp._tls.multi.example. TXT "v=TLSRPTv1; rua=mailto:b@multi.example"`},
	{name: "tlsrpt.dns-error", sts: "false", dane: "false", domain: "err.example", want: []string{"tlsrpt.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"_smtp._tls.err.example": mailtest.ServFail}},
	{name: "tlsrpt.dns-error-timeout", sts: "false", dane: "false", domain: "slow.example", want: []string{"tlsrpt.dns-error"}, status: checks.StatusError, timeout: 300 * time.Millisecond,
		script: map[string]mailtest.Behaviour{"_smtp._tls.slow.example": mailtest.Timeout}},
	{name: "tlsrpt.dns-error-cname-loop", sts: "false", dane: "false", domain: "loop.example", want: []string{"tlsrpt.dns-error"}, status: checks.StatusError,
		zone:   "_smtp._tls.loop.example. CNAME b.loop.example.\nb.loop.example. CNAME _smtp._tls.loop.example.\n",
		script: map[string]mailtest.Behaviour{"_smtp._tls.loop.example": mailtest.LenientLoop}},
	// No record, and the TLSA lookup fails: whether DANE makes the missing
	// record a warning is unknown, so the check decides nothing.
	{name: "tlsrpt.dns-error-tlsa", sts: "false", dane: "unknown", domain: "tlsa.example", want: []string{"tlsrpt.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"_25._tcp.mx1.tlsa.example": mailtest.ServFail}},
	// ... unless MTA-STS already makes it a warning.
	{name: "tlsrpt.missing-mtasts-tlsa-error", sts: "true", dane: "unknown", domain: "ststlsa.example", mtasts: true, want: []string{"tlsrpt.missing"}, sev: checks.SevWarn, status: checks.StatusWarn,
		script: map[string]mailtest.Behaviour{"_25._tcp.mx1.ststlsa.example": mailtest.ServFail}},
	// A domain that deploys both MTA-STS and DANE, and publishes TLS-RPT:
	// the data says so although the verdict does not depend on it.
	{name: "pass-mtasts-dane", sts: "true", dane: "true", domain: "both.example", mtasts: true, status: checks.StatusPass,
		zone: "_smtp._tls.both.example. TXT \"v=TLSRPTv1; rua=mailto:tls@both.example\"\n_25._tcp.mx1.both.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"},
	// With a record, an undecided dependency leaves the data unknown and
	// the verdict alone.
	{name: "pass-undecided-mtasts", sts: "unknown", dane: "false", domain: "rstserr.example", status: checks.StatusPass,
		zone:   `_smtp._tls.rstserr.example. TXT "v=TLSRPTv1; rua=mailto:tls@rstserr.example"`,
		script: map[string]mailtest.Behaviour{"_mta-sts.rstserr.example": mailtest.ServFail}},
	{name: "pass-dns-error-tlsa", sts: "false", dane: "unknown", domain: "rtlsa.example", status: checks.StatusPass,
		zone:   `_smtp._tls.rtlsa.example. TXT "v=TLSRPTv1; rua=mailto:tls@rtlsa.example"`,
		script: map[string]mailtest.Behaviour{"_25._tcp.mx1.rtlsa.example": mailtest.ServFail}},
	{name: "pass-undecided-mx", sts: "false", dane: "unknown", domain: "rmxerr.example", status: checks.StatusPass,
		zone:   `_smtp._tls.rmxerr.example. TXT "v=TLSRPTv1; rua=mailto:tls@rmxerr.example"`,
		script: map[string]mailtest.Behaviour{"rmxerr.example": mailtest.ServFail}},
	{name: "undecided-mtasts", sts: "unknown", dane: "false", domain: "stserr.example", status: checks.StatusError, err: "not decided: depends on mtasts",
		script: map[string]mailtest.Behaviour{"_mta-sts.stserr.example": mailtest.ServFail}},
	{name: "undecided-mx", sts: "false", dane: "unknown", domain: "mxerr.example", status: checks.StatusError, err: "not decided: depends on mx",
		script: map[string]mailtest.Behaviour{"mxerr.example": mailtest.ServFail}},
}

// goText are fragments of Go error text and package prefixes that must
// never reach people.
var goText = []string{"dnsq:", "checks:", "mtasts:", "tlsrpt:", "context deadline", "context canceled", "x509:", "dial tcp", "EOF"}

// plainWords fails the test when a finding or the result's error carries Go
// error text.
func plainWords(t *testing.T, res *checks.Result) {
	t.Helper()
	texts := []string{res.Err}
	for _, f := range res.Findings {
		texts = append(texts, f.Message, f.Fix)
	}
	for _, s := range texts {
		for _, bad := range goText {
			if strings.Contains(s, bad) {
				t.Errorf("%q contains %q", s, bad)
			}
		}
	}
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zone := policytest.Base + mxZone(tc.domain) + tc.zone
			if tc.mtasts {
				zone += "_mta-sts." + tc.domain + ". TXT \"v=STSv1; id=1\"\n"
			}
			w := mailtest.New(t, zone)
			for name, b := range tc.script {
				w.DNS.Script(name, 0, b)
			}
			if tc.mtasts {
				s, err := w.StartHTTPS("192.0.2.80")
				if err != nil {
					t.Fatal(err)
				}
				_ = s.AddHost("mta-sts." + tc.domain)
				s.Handle("mta-sts."+tc.domain, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte("version: STSv1\nmode: enforce\nmx: mx1." + tc.domain + "\nmax_age: 604800\n")})
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: timeout}, checks.Target{Domain: tc.domain}, []checks.Check{tlsrpt.Check{}}, mtasts.Check{}, mx.Check{})
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
			if !strings.HasPrefix(res.Err, tc.err) || (tc.err == "") != (res.Err == "") {
				t.Errorf("error %q, want %q", res.Err, tc.err)
			}
			if tc.err != "" && len(res.Findings) > 0 {
				t.Errorf("findings %v: an undecided dependency adds none", policytest.IDs(res))
			}
			plainWords(t, res)
			data := res.Data.(*tlsrpt.Data)
			if got := deployed(data.MTASTSDeployed); got != tc.sts {
				t.Errorf("mta_sts_deployed %s, want %s", got, tc.sts)
			}
			if got := deployed(data.DANEDeployed); got != tc.dane {
				t.Errorf("dane_deployed %s, want %s", got, tc.dane)
			}
			policytest.Golden(t, "tlsrpt/"+tc.name, res)
			goldenData(t, "tlsrpt/"+tc.name, res)
		})
	}
}

func deployed(b *bool) string {
	if b == nil {
		return "unknown"
	}
	return fmt.Sprint(*b)
}

// goldenData compares the result's data with testdata/golden/<name>.data.json.
func goldenData(t *testing.T, name string, res *checks.Result) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res.Data); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name+".data.json", b.Bytes())
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

// TestCheckDeadline: lookups cut short by the check's own deadline are not
// the domain's DNS errors; the result says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	for _, slow := range []string{"_smtp._tls.d.example", "_25._tcp.mx1.d.example"} {
		t.Run(slow, func(t *testing.T) {
			w := mailtest.New(t, policytest.Base+mxZone("d.example"))
			w.DNS.Script(slow, 0, mailtest.Timeout)
			rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 300 * time.Millisecond}, checks.Target{Domain: "d.example"}, []checks.Check{tlsrpt.Check{}}, mtasts.Check{}, mx.Check{})
			res := policytest.Result(t, rep, "tlsrpt")
			if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 {
				t.Errorf("status %s, error %q, findings %v", res.Status, res.Err, policytest.IDs(res))
			}
			plainWords(t, res)
		})
	}
}

// TestDataWaitsNeverCostTheVerdict: with a record, what the domain deploys
// is data only; a TLSA lookup that outlasts the check's deadline leaves
// dane_deployed unknown, and the verdict stands.
func TestDataWaitsNeverCostTheVerdict(t *testing.T) {
	w := mailtest.New(t, policytest.Base+mxZone("d.example")+`_smtp._tls.d.example. TXT "v=TLSRPTv1; rua=mailto:tls@d.example"`+"\n")
	w.DNS.Script("_25._tcp.mx1.d.example", 0, mailtest.Timeout)
	rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 500 * time.Millisecond}, checks.Target{Domain: "d.example"}, []checks.Check{tlsrpt.Check{}}, mtasts.Check{}, mx.Check{})
	res := policytest.Result(t, rep, "tlsrpt")
	if res.Status != checks.StatusPass || res.Err != "" {
		t.Errorf("status %s, error %q, findings %v; want pass", res.Status, res.Err, policytest.IDs(res))
	}
	data := res.Data.(*tlsrpt.Data)
	if data.DANEDeployed != nil || data.MTASTSDeployed == nil || *data.MTASTSDeployed {
		t.Errorf("dane_deployed %s, mta_sts_deployed %s; want unknown and false", deployed(data.DANEDeployed), deployed(data.MTASTSDeployed))
	}
}
