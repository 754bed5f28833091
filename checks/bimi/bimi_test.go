package bimi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">
  <title>Good Example</title>
  <rect width="100" height="100" fill="#036"/>
</svg>`

const badSVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" x="0" y="0" viewBox="0 0 100 100">
  <script>alert(1)</script>
  <image xlink:href="https://cdn.example.net/logo.png" width="100" height="100"/>
  <rect width="100" height="100" onclick="steal()"/>
</svg>`

type tcase struct {
	name    string
	domain  string
	zone    string
	script  map[string]mailtest.Behaviour // DNS misbehaviour by name (all types)
	timeout time.Duration
	serve   func(s *mailtest.HTTPSServer)
	want    []string
	status  checks.Status
	noFetch bool // the HTTPS server must see no connection at all
	check   func(t *testing.T, res *checks.Result)
}

func rec(d, l, a string) string {
	return `default._bimi.` + d + `. TXT "v=BIMI1; l=` + l + `; a=` + a + `"` + "\n"
}

func enforced(d string) string {
	return `_dmarc.` + d + `. TXT "v=DMARC1; p=reject; rua=mailto:d@` + d + `"` + "\n"
}

func serveLogo(host string, r mailtest.Response) func(s *mailtest.HTTPSServer) {
	return func(s *mailtest.HTTPSServer) {
		_ = s.AddHost(host)
		s.Handle(host, "/logo.svg", r)
	}
}

var svgOK = mailtest.Response{Body: []byte(goodSVG), ContentType: "image/svg+xml"}

var cases = []tcase{
	{name: "pass", domain: "good.example", status: checks.StatusPass,
		zone:  enforced("good.example") + rec("good.example", "https://img.good.example/logo.svg", "https://img.good.example/vmc.pem"),
		serve: serveLogo("img.good.example", svgOK)},
	{name: "bimi.missing", domain: "none.example", want: []string{"bimi.missing"}, status: checks.StatusPass, zone: enforced("none.example")},
	{name: "bimi.missing-declined", domain: "decl.example", want: []string{"bimi.missing"}, status: checks.StatusPass, zone: `default._bimi.decl.example. TXT "v=BIMI1; l=; a=;"`},
	{name: "bimi.syntax", domain: "syn.example", want: []string{"bimi.syntax"}, status: checks.StatusFail,
		zone: enforced("syn.example") + `default._bimi.syn.example. TXT "v=BIMI1; l=http://img.syn.example/logo.svg; avp=bogus"`},
	{name: "bimi.syntax-multiple", domain: "two.example", want: []string{"bimi.syntax"}, status: checks.StatusFail,
		zone: rec("two.example", "https://a.two.example/a.svg", "") + rec("two.example", "https://b.two.example/b.svg", "")},
	{name: "bimi.dmarc-not-enforced", domain: "weak.example", want: []string{"bimi.dmarc-not-enforced"}, status: checks.StatusWarn,
		zone:  `_dmarc.weak.example. TXT "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@weak.example"` + "\n" + rec("weak.example", "https://img.weak.example/logo.svg", "https://img.weak.example/vmc.pem"),
		serve: serveLogo("img.weak.example", svgOK)},
	{name: "bimi.logo-fetch-failed", domain: "404.example", want: []string{"bimi.logo-fetch-failed"}, status: checks.StatusWarn,
		zone:  enforced("404.example") + rec("404.example", "https://img.404.example/missing.svg", "https://img.404.example/vmc.pem"),
		serve: serveLogo("img.404.example", svgOK)},
	{name: "bimi.logo-fetch-failed-cert", domain: "cert.example", want: []string{"bimi.logo-fetch-failed"}, status: checks.StatusWarn,
		zone: enforced("cert.example") + rec("cert.example", "https://img.cert.example/logo.svg", "https://img.cert.example/vmc.pem"),
		serve: func(s *mailtest.HTTPSServer) {
			serveLogo("img.cert.example", svgOK)(s)
			s.SetCert("img.cert.example", mailtest.CertSelfSigned)
		}},
	{name: "bimi.logo-fetch-failed-huge", domain: "huge.example", want: []string{"bimi.logo-fetch-failed"}, status: checks.StatusWarn,
		zone:  enforced("huge.example") + rec("huge.example", "https://img.huge.example/logo.svg", "https://img.huge.example/vmc.pem"),
		serve: serveLogo("img.huge.example", mailtest.Response{BodySize: 10 << 20, ContentType: "image/svg+xml"})},
	{name: "bimi.logo-not-tiny-ps", domain: "svg.example", want: []string{"bimi.logo-not-tiny-ps"}, status: checks.StatusWarn,
		zone:  enforced("svg.example") + rec("svg.example", "https://img.svg.example/logo.svg", "https://img.svg.example/vmc.pem"),
		serve: serveLogo("img.svg.example", mailtest.Response{Body: []byte(badSVG), ContentType: "text/html"})},
	{name: "bimi.no-vmc", domain: "novmc.example", want: []string{"bimi.no-vmc"}, status: checks.StatusPass,
		zone:  enforced("novmc.example") + `default._bimi.novmc.example. TXT "v=BIMI1; l=https://img.novmc.example/logo.svg"`,
		serve: serveLogo("img.novmc.example", svgOK)},
	{name: "bimi.inherited", domain: "news.org.example", status: checks.StatusPass,
		zone:  "news.org.example. A 192.0.2.1\n" + enforced("org.example") + rec("org.example", "https://img.org.example/logo.svg", "https://img.org.example/vmc.pem"),
		serve: serveLogo("img.org.example", svgOK)},
	{name: "bimi.logo-fetch-failed-refused", domain: "refused.example", want: []string{"bimi.logo-fetch-failed"}, status: checks.StatusWarn,
		zone: enforced("refused.example") + rec("refused.example", "https://img.refused.example/logo.svg", "https://img.refused.example/vmc.pem"),
		serve: func(s *mailtest.HTTPSServer) {
			serveLogo("img.refused.example", svgOK)(s)
			s.Close()
		}},
	{name: "bimi.logo-fetch-failed-timeout", domain: "slow.example", want: []string{"bimi.logo-fetch-failed"}, status: checks.StatusWarn, timeout: 300 * time.Millisecond,
		zone:  enforced("slow.example") + rec("slow.example", "https://img.slow.example/logo.svg", "https://img.slow.example/vmc.pem"),
		serve: serveLogo("img.slow.example", mailtest.Response{Hang: true})},
	// The SSRF case of issue 12.7: the fake world routes every address
	// below to a live HTTPS server, so a fetch would be seen.
	{name: "bimi.url-not-allowed", domain: "ssrf.example", want: []string{"bimi.url-not-allowed"}, status: checks.StatusFail, noFetch: true,
		zone: enforced("ssrf.example") + rec("ssrf.example", "https://127.0.0.1:53/latest/meta-data/", "https://169.254.169.254/latest/meta-data/"),
		serve: func(s *mailtest.HTTPSServer) {
			s.Route("127.0.0.1:53", "169.254.169.254:443")
			s.Handle("127.0.0.1", "/latest/meta-data/", svgOK)
			s.Handle("169.254.169.254", "/latest/meta-data/", svgOK)
		},
		check: func(t *testing.T, res *checks.Result) {
			if n := len(res.Findings); n != 2 { // l= and a=
				t.Errorf("findings %v", policytest.IDs(res))
			}
			if policytest.Has(res, "bimi.no-vmc") || policytest.Has(res, "bimi.logo-fetch-failed") {
				t.Errorf("findings %v: a= is present and the logo was not fetched", policytest.IDs(res))
			}
		}},
	{name: "bimi.url-not-allowed-port", domain: "port.example", want: []string{"bimi.url-not-allowed"}, status: checks.StatusFail, noFetch: true,
		zone: enforced("port.example") + rec("port.example", "https://img.port.example:8443/logo.svg", "https://img.port.example/vmc.pem"),
		serve: func(s *mailtest.HTTPSServer) {
			serveLogo("img.port.example", svgOK)(s)
			s.Route("192.0.2.81:8443")
		}},
	{name: "bimi.url-not-allowed-numeric", domain: "num.example", want: []string{"bimi.url-not-allowed"}, status: checks.StatusFail, noFetch: true,
		zone:  enforced("num.example") + rec("num.example", "https://0x7f.0.0.1/logo.svg", "https://user:pw@img.num.example/vmc.pem"),
		serve: func(s *mailtest.HTTPSServer) { s.Route("127.0.0.1:443") }},
	{name: "bimi.url-not-allowed-vmc", domain: "vmcip.example", want: []string{"bimi.url-not-allowed"}, status: checks.StatusWarn,
		zone:  enforced("vmcip.example") + rec("vmcip.example", "https://img.vmcip.example/logo.svg", "https://[::1]/vmc.pem"),
		serve: serveLogo("img.vmcip.example", svgOK),
		check: func(t *testing.T, res *checks.Result) {
			if f := policytest.Find(res, "bimi.url-not-allowed"); f == nil || f.Severity != checks.SevWarn {
				t.Errorf("a= not allowed: %+v, want warn", f)
			}
		}},
	{name: "bimi.dns-error", domain: "err.example", want: []string{"bimi.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"default._bimi.err.example": mailtest.ServFail}},
	{name: "bimi.dns-error-timeout", domain: "slowdns.example", want: []string{"bimi.dns-error"}, status: checks.StatusError, timeout: 300 * time.Millisecond,
		script: map[string]mailtest.Behaviour{"default._bimi.slowdns.example": mailtest.Timeout}},
	{name: "bimi.dns-error-cname-loop", domain: "loop.example", want: []string{"bimi.dns-error"}, status: checks.StatusError,
		zone:   "default._bimi.loop.example. CNAME b.loop.example.\nb.loop.example. CNAME default._bimi.loop.example.\n",
		script: map[string]mailtest.Behaviour{"default._bimi.loop.example": mailtest.LenientLoop}},
	{name: "bimi.dns-error-logo-host", domain: "hostfail.example", want: []string{"bimi.dns-error"}, status: checks.StatusError, noFetch: true,
		zone:   enforced("hostfail.example") + rec("hostfail.example", "https://img.hostfail.example/logo.svg", "https://img.hostfail.example/vmc.pem"),
		script: map[string]mailtest.Behaviour{"img.hostfail.example": mailtest.ServFail},
		serve:  serveLogo("img.hostfail.example", svgOK)},
	{name: "undecided-dmarc", domain: "nodmarc.example", status: checks.StatusError,
		zone:   rec("nodmarc.example", "https://img.nodmarc.example/logo.svg", "https://img.nodmarc.example/vmc.pem"),
		script: map[string]mailtest.Behaviour{"_dmarc.nodmarc.example": mailtest.ServFail},
		serve:  serveLogo("img.nodmarc.example", svgOK),
		check: func(t *testing.T, res *checks.Result) {
			if !strings.HasPrefix(res.Err, "not decided: depends on dmarc") || policytest.Has(res, "bimi.dmarc-not-enforced") {
				t.Errorf("err %q, findings %v: a DMARC lookup failure is no missing DMARC", res.Err, policytest.IDs(res))
			}
		}},
}

// goText are fragments of Go error text and package prefixes that must
// never reach people.
var goText = []string{"dnsq:", "checks:", "mtasts:", "bimi:", "context deadline", "context canceled", "x509:", "tls:", "TLS:", "dial tcp", "Get \"", "EOF", "mailtest"}

// plainWords fails the test when a finding, the result's error or the
// logo fetch error carries Go error text.
func plainWords(t *testing.T, res *checks.Result) {
	t.Helper()
	texts := []string{res.Err}
	for _, f := range res.Findings {
		texts = append(texts, f.Message, f.Fix)
	}
	if d, ok := res.Data.(*bimi.Data); ok && d.Logo != nil {
		texts = append(texts, d.Logo.Error)
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
			w := mailtest.New(t, policytest.Base+tc.zone)
			for name, b := range tc.script {
				w.DNS.Script(name, 0, b)
			}
			var srv *mailtest.HTTPSServer
			if tc.serve != nil {
				s, err := w.StartHTTPS("192.0.2.81")
				if err != nil {
					t.Fatal(err)
				}
				tc.serve(s)
				srv = s
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: timeout}, checks.Target{Domain: tc.domain}, []checks.Check{bimi.Check{}}, dmarc.Check{})
			res := policytest.Result(t, rep, "bimi")
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v (err %s)", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
			if tc.noFetch && (srv.Connections() != 0 || srv.AllRequests() != 0) {
				t.Errorf("the HTTPS server saw %d connections and %d requests; want none", srv.Connections(), srv.AllRequests())
			}
			plainWords(t, res)
			policytest.Golden(t, "bimi/"+tc.name, res)
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
	for _, id := range policytest.Catalogue(t, bimi.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

func TestCheckSVG(t *testing.T) {
	if r := bimi.CheckSVG([]byte(goodSVG)); len(r.Problems) != 0 || r.Title != "Good Example" {
		t.Errorf("good SVG: %+v", r)
	}
	r := bimi.CheckSVG([]byte(badSVG))
	joined := strings.Join(r.Problems, "\n")
	for _, want := range []string{"<script>", "<image>", "event handler", "external resource", "baseProfile", "version", "<title>", "x= attribute"} {
		if !strings.Contains(joined, want) {
			t.Errorf("bad SVG: no problem mentioning %q in\n%s", want, joined)
		}
	}
	// Hostile documents stay bounded.
	deep := strings.Repeat("<g>", 10000) + strings.Repeat("</g>", 10000)
	if r := bimi.CheckSVG([]byte(`<svg>` + deep + `</svg>`)); len(r.Problems) == 0 {
		t.Error("deep nesting accepted")
	}
	bomb := `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><svg baseProfile="tiny-ps" version="1.2"><title>&b;</title></svg>`
	if r := bimi.CheckSVG([]byte(bomb)); len(r.Problems) == 0 {
		t.Error("entity declarations accepted")
	}
}

// TestCheckDeadline: a lookup cut short by the check's own deadline is not
// the domain's DNS error; the result says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	w := mailtest.New(t, policytest.Base+enforced("d.example"))
	w.DNS.Script("default._bimi.d.example", 0, mailtest.Timeout)
	rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 300 * time.Millisecond}, checks.Target{Domain: "d.example"}, []checks.Check{bimi.Check{}}, dmarc.Check{})
	res := policytest.Result(t, rep, "bimi")
	if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 {
		t.Errorf("status %s, error %q, findings %v", res.Status, res.Err, policytest.IDs(res))
	}
	plainWords(t, res)
}
