package dkim_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// Test keys (public halves only). key512 is the 512-bit key of Mail::DKIM's
// test corpus; keyEd the RFC 8463 example key.
const (
	key2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnqv8fwCwcasqkj9/10+Sho7WnwQwx+S1uykKWB9cctXq8xwVpisrj4mAIr/BRjJeq/Ldph1bIpfhIzcgN3PtuaLwKqeLUsvVn/l5/DpGeLjMHQxrrfNyIlcwjIVFpI78k/4F0S5HHRILPniPpcFbPNlVCVKwMTn/D85l8eT1ZyK5Q86X6dqNujJM63TZa5WbN+p8xjoUJWTQwaQ1idZ0zTLlwvKDLc91KcyOHf33JjG70vEwCZK56lBaj9W/xhwnxwYZ3AsYpQ1gi05W50aXuZOMuhpME6Zx3UFUnPoMXdChMwozQZnE95V8iDQKFZDeWbpmwCJKaaTDL5v5BrBYxwIDAQAB"
	key1024 = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDfCCKeZKuEsMB3GGxLLlndsiTG/w5z+Gek6Yfx4fduNmKbldFu/xhRU+/sU3avEkbXXpuS+XINZS2e3NFJIk8Wwp2ZOB2DZdYfUQpVk8ljEZOWtsMnRlDegUec/KGsnbZvACG2NJOH44KHxP6OgZC15isAeiRRb5726/8Q2cdoQQIDAQAB"
	key512  = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZvvh/R1WzN4MO/kI/7XsCAwEAAQ=="
	keyEd   = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
)

// rsaKey returns the base64 SubjectPublicKeyInfo of an RSA public key with
// a modulus of exactly bits bits. The modulus is a fixed pattern, not a
// product of primes: parsing and measuring a key never checks that, and a
// real 16384-bit key takes minutes to generate.
func rsaKey(bits int) string {
	b := make([]byte, bits/8)
	for i := range b {
		b[i] = byte(0x5a + 7*i)
	}
	b[0] |= 0x80
	b[len(b)-1] |= 1
	der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(b), E: 65537})
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// rec renders a TXT record value as zone text, split into 255-byte strings.
func rec(s string) string {
	var parts []string
	for len(s) > 255 {
		parts = append(parts, `"`+s[:255]+`"`)
		s = s[255:]
	}
	parts = append(parts, `"`+s+`"`)
	return strings.Join(parts, " ")
}

type tcase struct {
	name      string
	domain    string
	selectors []string
	zone      string
	want      []string
	status    checks.Status
	setup     func(w *mailtest.World)
	check     func(t *testing.T, w *mailtest.World, res *checks.Result)
	// deps runs the mx and spf checks too (hidden, as in the CLI), whose
	// facts say whether the domain sends mail at all and name its mail
	// providers.
	deps bool
	// mode is the --dkim-probe mode ("" is full).
	mode checks.DKIMProbe
}

// googleZone is a domain hosted at Google Workspace: its MX hosts and its
// SPF include name Google, whose selector is google.
func googleZone(domain string) string {
	return `
` + domain + `. MX 1 aspmx.l.google.com.
` + domain + `. MX 5 alt1.aspmx.l.google.com.
` + domain + `. TXT "v=spf1 include:_spf.google.com ~all"
aspmx.l.google.com. A 192.0.2.25
alt1.aspmx.l.google.com. A 192.0.2.26
_spf.google.com. TXT "v=spf1 ip4:192.0.2.0/24 ~all"`
}

var cases = []tcase{
	{name: "pass", domain: "good.example", selectors: []string{"s2026"}, status: checks.StatusPass, zone: `
good.example. A 192.0.2.1
s2026._domainkey.good.example. TXT ` + rec("v=DKIM1; k=rsa; p="+key2048) + `
google._domainkey.good.example. TXT ` + rec("v=DKIM1; k=ed25519; p="+keyEd),
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if len(d.Selectors) != 2 || d.Selectors[0].Selector != "s2026" || d.Selectors[0].Key.Bits != 2048 || d.Selectors[1].Selector != "google" || d.Selectors[1].Key.Bits != 256 {
				t.Errorf("selectors: %+v", d.Selectors)
			}
		}},
	{name: "dkim.none-found", domain: "nokey.example", want: []string{"dkim.none-found"}, status: checks.StatusWarn, zone: `
nokey.example. A 192.0.2.1`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			// RFC 8020: _domainkey is NXDOMAIN, so nothing below it is asked.
			if n := w.DNS.Queries(); n != 1 {
				t.Errorf("%d queries, want 1 (only _domainkey)", n)
			}
		}},
	{name: "dkim.none-found-probed", domain: "probed.example", want: []string{"dkim.none-found"}, status: checks.StatusWarn, zone: `
_adsp._domainkey.probed.example. TXT "dkim=unknown"`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if d.DomainkeyNXDOMAIN || len(d.Probed) < 50 {
				t.Errorf("probed %d selectors, nxdomain %v", len(d.Probed), d.DomainkeyNXDOMAIN)
			}
		}},
	// A domain that sends and receives no mail (null MX, SPF -all) needs
	// no key: a note, not a warning.
	{name: "dkim.none-found-parked", domain: "parked.example", want: []string{"dkim.none-found"}, status: checks.StatusPass, deps: true, zone: `
parked.example. MX 0 .
parked.example. TXT "v=spf1 -all"`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			if f := policytest.Find(res, "dkim.none-found"); f == nil || f.Severity != checks.SevInfo {
				t.Errorf("finding %+v, want info", f)
			}
		}},
	{name: "dkim.none-found-parked-probed", domain: "parkedp.example", want: []string{"dkim.none-found"}, status: checks.StatusPass, deps: true, zone: `
parkedp.example. MX 0 .
parkedp.example. TXT "v=spf1 -ip4:192.0.2.1 -all"
_adsp._domainkey.parkedp.example. TXT "dkim=unknown"`},
	// A null MX alone does not say the domain sends no mail; neither does
	// an SPF record that was not read.
	{name: "dkim.none-found-null-mx-softfail", domain: "nullsoft.example", want: []string{"dkim.none-found"}, status: checks.StatusWarn, deps: true, zone: `
nullsoft.example. MX 0 .
nullsoft.example. TXT "v=spf1 ~all"`},
	{name: "dkim.none-found-null-mx-spf-undecided", domain: "nullerr.example", want: []string{"dkim.none-found"}, status: checks.StatusWarn, deps: true, zone: `
nullerr.example. MX 0 .`,
		setup: func(w *mailtest.World) { w.DNS.Script("nullerr.example.", dns.TypeTXT, mailtest.ServFail) }},
	// Outside --dkim-probe full, finding nothing proves nothing: a note.
	{name: "dkim.none-found-provider", domain: "gnokey.example", want: []string{"dkim.none-found"}, status: checks.StatusPass, deps: true,
		mode: checks.DKIMProbeProvider, zone: googleZone("gnokey.example") + `
_adsp._domainkey.gnokey.example. TXT "dkim=unknown"`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if f := policytest.Find(res, "dkim.none-found"); f == nil || f.Severity != checks.SevInfo || !strings.Contains(f.Message, "none among the probed selectors") {
				t.Errorf("finding %+v, want info", f)
			}
			if !slices.Equal(d.Probed, []string{"google"}) || len(d.Providers) != 1 || d.Providers[0].Name != "Google Workspace" {
				t.Errorf("probed %v, providers %+v", d.Probed, d.Providers)
			}
		}},
	{name: "dkim.none-found-provider-unknown", domain: "unknown.example", want: []string{"dkim.none-found"}, status: checks.StatusPass, deps: true,
		mode: checks.DKIMProbeProvider, zone: `
unknown.example. MX 10 mx.unknown.example.
mx.unknown.example. A 192.0.2.30
unknown.example. TXT "v=spf1 mx -all"
_adsp._domainkey.unknown.example. TXT "dkim=unknown"`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if len(d.Probed) != 0 || len(d.Probes) != 0 {
				t.Errorf("probed %v", d.Probed)
			}
			if n := w.DNS.QueryCount("mxray-no-such-selector-9c1d._domainkey.unknown.example.", dns.TypeTXT); n != 0 {
				t.Errorf("wildcard probe asked %d times with nothing to guess", n)
			}
		}},
	// Amazon SES selectors are random: the provider is reported with why
	// nothing was guessed for it.
	{name: "dkim.none-found-ses", domain: "ses.example", want: []string{"dkim.none-found"}, status: checks.StatusPass, deps: true,
		mode: checks.DKIMProbeProvider, zone: `
ses.example. TXT "v=spf1 include:amazonses.com -all"
amazonses.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_adsp._domainkey.ses.example. TXT "dkim=unknown"`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			if f := policytest.Find(res, "dkim.none-found"); f == nil || !strings.Contains(f.Message, "random tokens") {
				t.Errorf("finding %+v", f)
			}
		}},
	// A Google-hosted domain: provider mode finds its key with three
	// queries of the dkim check's own (_domainkey, google, the wildcard
	// probe); the others are the mx and spf checks' own.
	{name: "pass-provider-google", domain: "ghost.example", status: checks.StatusPass, deps: true,
		mode: checks.DKIMProbeProvider, zone: googleZone("ghost.example") + `
google._domainkey.ghost.example. TXT ` + rec("v=DKIM1; k=rsa; p="+key2048),
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if len(d.Selectors) != 1 || d.Selectors[0].Selector != "google" || !d.Selectors[0].Found {
				t.Errorf("selectors %+v", d.Selectors)
			}
			want := []dkim.Probe{{Selector: "google", Reasons: []dkim.Reason{dkim.ReasonProvider}, Providers: []string{"Google Workspace"}}}
			if !reflect.DeepEqual(d.Probes, want) {
				t.Errorf("probes %+v", d.Probes)
			}
			if p := d.Providers; len(p) != 1 || len(p[0].Named) != 3 {
				t.Errorf("providers %+v, want Google named by both MX hosts and the SPF include", p)
			}
			// The dkim check's own: _domainkey, google and the wildcard
			// probe. The rest are the mx and spf checks' (MX, A and AAAA
			// of 2 hosts; TXT of the domain and of _spf.google.com).
			if n := ownQueries(w, "ghost.example", d.Probed); n != 3 {
				t.Errorf("the dkim check asked %d queries, want 3", n)
			}
			if n := w.DNS.Queries(); n > 12 {
				t.Errorf("%d queries in all, want at most 12", n)
			}
		}},
	{name: "dkim.selector-missing", domain: "miss.example", selectors: []string{"nope"}, want: []string{"dkim.selector-missing"}, status: checks.StatusFail, zone: `
google._domainkey.miss.example. TXT ` + rec("v=DKIM1; p="+key2048)},
	{name: "dkim.selector-missing-nxdomain", domain: "missnx.example", selectors: []string{"nope"}, want: []string{"dkim.selector-missing"}, status: checks.StatusFail, zone: `
missnx.example. A 192.0.2.1`},
	{name: "dkim.syntax", domain: "syn.example", selectors: []string{"bad"}, want: []string{"dkim.syntax"}, status: checks.StatusFail, zone: `
bad._domainkey.syn.example. TXT "v=DKIM2; k=dsa; t; p=!!notbase64"`},
	{name: "dkim.syntax-ed25519-spki", domain: "ed.example", selectors: []string{"ed"}, want: []string{"dkim.syntax"}, status: checks.StatusFail, zone: `
ed._domainkey.ed.example. TXT "v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE="`},
	{name: "dkim.syntax-multiple", domain: "two.example", selectors: []string{"s1"}, want: []string{"dkim.syntax"}, status: checks.StatusFail, zone: `
s1._domainkey.two.example. TXT ` + rec("v=DKIM1; p="+key2048) + `
s1._domainkey.two.example. TXT ` + rec("v=DKIM1; k=ed25519; p="+keyEd)},
	{name: "dkim.syntax-nul", domain: "nul.example", selectors: []string{"s1"}, want: []string{"dkim.syntax"}, status: checks.StatusFail, zone: `
s1._domainkey.nul.example. TXT "v=DKIM1;\000 k=rsa; p=` + key2048[:200] + `"`},
	{name: "dkim.syntax-500-tags", domain: "many.example", selectors: []string{"s1"}, want: []string{"dkim.syntax"}, status: checks.StatusFail,
		zone: `
s1._domainkey.many.example. TXT ` + rec("v=DKIM1; "+strings.Repeat("x=y; k=rsa; ", 250)+"p="+key2048)},
	{name: "dkim.key-too-short", domain: "short.example", want: []string{"dkim.key-too-short"}, status: checks.StatusFail, zone: `
default._domainkey.short.example. TXT "v=DKIM1; k=rsa; p=` + key512 + `"`},
	{name: "dkim.key-too-large", domain: "huge.example", selectors: []string{"big"}, want: []string{"dkim.key-too-large"}, status: checks.StatusWarn, zone: `
big._domainkey.huge.example. TXT ` + rec("v=DKIM1; k=rsa; p="+rsaKey(16384)),
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			d := res.Data.(*dkim.Data)
			if len(d.Selectors) != 1 || d.Selectors[0].Key == nil || d.Selectors[0].Key.Bits != 16384 {
				t.Errorf("selectors: %+v", d.Selectors)
			}
			if f := policytest.Find(res, "dkim.key-too-large"); f == nil || !strings.Contains(f.Message, "16384-bit") {
				t.Errorf("finding %+v", f)
			}
		}},
	{name: "pass-4096", domain: "k4096.example", selectors: []string{"s"}, status: checks.StatusPass, zone: `
s._domainkey.k4096.example. TXT ` + rec("v=DKIM1; k=rsa; p="+rsaKey(4096))},
	{name: "dkim.key-weak", domain: "weak.example", want: []string{"dkim.key-weak"}, status: checks.StatusWarn, zone: `
selector1._domainkey.weak.example. TXT "v=DKIM1; k=rsa; p=` + key1024 + `"`},
	{name: "dkim.key-revoked", domain: "rev.example", selectors: []string{"old"}, want: []string{"dkim.key-revoked"}, status: checks.StatusPass, zone: `
old._domainkey.rev.example. TXT "v=DKIM1; k=rsa; p="`},
	{name: "dkim.testing", domain: "testing.example", want: []string{"dkim.testing"}, status: checks.StatusWarn, zone: `
k1._domainkey.testing.example. TXT ` + rec("v=DKIM1; t=y; p="+key2048)},
	{name: "dkim.sha1", domain: "sha1.example", want: []string{"dkim.sha1"}, status: checks.StatusWarn, zone: `
mail._domainkey.sha1.example. TXT ` + rec("v=DKIM1; h=sha1; p="+key2048)},
	{name: "dkim.cname-dangling", domain: "dangle.example", want: []string{"dkim.cname-dangling"}, status: checks.StatusFail, zone: `
s1._domainkey.dangle.example. CNAME s1.domainkey.u123.wl.esp.test.
esp.test. A 192.0.2.9`},
	{name: "dkim.obsolete-tag", domain: "g.example", want: []string{"dkim.obsolete-tag"}, status: checks.StatusPass, zone: `
dkim._domainkey.g.example. TXT ` + rec("v=DKIM1; g=*; p="+key2048)},
	{name: "dkim.wildcard", domain: "wild.example", want: []string{"dkim.wildcard", "dkim.none-found"}, status: checks.StatusWarn, zone: `
_domainkey.wild.example. TXT "o=~"
*._domainkey.wild.example. TXT ` + rec("v=DKIM1; p="+key2048)},
	{name: "dkim.dns-error-probes", domain: "flaky.example", want: []string{"dkim.dns-error"}, status: checks.StatusError,
		zone: `
_adsp._domainkey.flaky.example. TXT "dkim=unknown"`,
		setup: func(w *mailtest.World) {
			for _, s := range []string{"google", "selector1", "selector2", "default", "k1"} {
				w.DNS.Script(s+"._domainkey.flaky.example.", dns.TypeTXT, mailtest.Refused)
			}
		},
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			n := 0
			for _, f := range res.Findings {
				if f.ID == "dkim.dns-error" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d dkim.dns-error findings, want 1 for all failed probes", n)
			}
			// A failed lookup is not an absent key: no none-found guess.
			if policytest.Has(res, "dkim.none-found") {
				t.Errorf("dkim.none-found reported although probes failed")
			}
		}},
	{name: "dkim.dns-error-probe-cname-loop", domain: "dloop.example", want: []string{"dkim.dns-error"}, status: checks.StatusError, zone: `
_adsp._domainkey.dloop.example. TXT "dkim=unknown"
google._domainkey.dloop.example. CNAME google.keys.dloop.example.
google.keys.dloop.example. CNAME google._domainkey.dloop.example.`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			if policytest.Has(res, "dkim.none-found") {
				t.Errorf("a CNAME loop at a probed selector reads as none-found")
			}
		}},
	{name: "dkim.dns-error-selector-cname-loop", domain: "sloop.example", selectors: []string{"s1"}, want: []string{"dkim.dns-error"}, status: checks.StatusError, zone: `
s1._domainkey.sloop.example. CNAME s1.keys.sloop.example.
s1.keys.sloop.example. CNAME s1._domainkey.sloop.example.`,
		check: func(t *testing.T, w *mailtest.World, res *checks.Result) {
			if policytest.Has(res, "dkim.selector-missing") {
				t.Errorf("a CNAME loop at a selector reads as selector-missing")
			}
		}},
	{name: "dkim.dns-error", domain: "err.example", selectors: []string{"s1"}, want: []string{"dkim.dns-error"}, status: checks.StatusError, zone: `
google._domainkey.err.example. TXT ` + rec("v=DKIM1; p="+key2048),
		setup: func(w *mailtest.World) { w.DNS.Script("s1._domainkey.err.example.", dns.TypeTXT, mailtest.ServFail) }},
}

func TestFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+tc.zone)
			if tc.setup != nil {
				tc.setup(w)
			}
			w.DNS.ResetCounters()
			var deps []checks.Check
			if tc.deps {
				deps = []checks.Check{mx.Check{}, spf.Check{}}
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: 2e9, DKIMProbe: tc.mode}, checks.Target{Domain: tc.domain, Selectors: tc.selectors}, []checks.Check{dkim.Check{}}, deps...)
			res := policytest.Result(t, rep, "dkim")
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			if tc.check != nil {
				tc.check(t, w, res)
			}
			policytest.Golden(t, "dkim/"+tc.name, res)
		})
	}
}

func TestEveryFindingHasACase(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, dkim.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rec     string
		usable  bool
		bits    int
		testing bool
		sha1    bool
	}{
		{"v=DKIM1; k=rsa; p=" + key2048, true, 2048, false, false},
		{"k=rsa; p=" + key1024, true, 1024, false, false},
		{"v=DKIM1; t=y:s; h=sha1; p=" + key512, true, 512, true, true},
		{"v=DKIM1; h=sha1:sha256; p=" + key512, true, 512, false, false},
		{"v=DKIM1; k=ed25519; p=" + keyEd, true, 256, false, false},
		{"v=DKIM1; p=", false, 0, false, false},
		{"v=DKIM1", false, 0, false, false},
		{"v=DKIM1; s=tlsrpt; p=" + key512, false, 512, false, false},
		{"p=" + key512 + "; v=DKIM1", true, 512, false, false},
		{"v=DKIM1; p=" + key512 + "; p=" + key512, false, 512, false, false},
		{"v=DKIM1; p=" + rsaKey(16384), true, 16384, false, false},
		{"v=DKIM1; p=" + rsaKey(65536), true, 65536, false, false},
		{"v=DKIM1; p=" + rsaKey(65536+64*8+8), false, 0, false, false},
		{"v=DKIM1; p=" + key2048[:40] + "!" + key2048[41:], false, 0, false, false},
	} {
		k := dkim.ParseKey(tc.rec)
		if k.Usable() != tc.usable || k.Bits != tc.bits || k.Testing() != tc.testing || k.SHA1Only() != tc.sha1 {
			t.Errorf("ParseKey(%.40q) = usable %v bits %d testing %v sha1 %v; problems %v", tc.rec, k.Usable(), k.Bits, k.Testing(), k.SHA1Only(), k.Problems)
		}
	}
}
