package bimi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
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
	name   string
	domain string
	zone   string
	serve  func(s *mailtest.HTTPSServer)
	want   []string
	status checks.Status
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
	{name: "bimi.dns-error", domain: "err.example", want: []string{"bimi.dns-error"}, status: checks.StatusError},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+tc.zone)
			if tc.name == "bimi.dns-error" {
				w.DNS.Script("default._bimi.err.example.", dns.TypeTXT, mailtest.ServFail)
			}
			if tc.serve != nil {
				s, err := w.StartHTTPS("192.0.2.81")
				if err != nil {
					t.Fatal(err)
				}
				tc.serve(s)
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: tc.domain}, []checks.Check{bimi.Check{}}, dmarc.Check{})
			res := policytest.Result(t, rep, "bimi")
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v (err %s)", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
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
