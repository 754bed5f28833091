package dkim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// TestProviderTable: every provider has a source for what it claims, and
// selectors or a note saying why there are none.
func TestProviderTable(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, p := range providers {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name == "" || names[p.Name] {
				t.Errorf("empty or duplicate name %q", p.Name)
			}
			names[p.Name] = true
			if len(p.Sources) == 0 {
				t.Errorf("no source")
			}
			for _, s := range p.Sources {
				if !strings.HasPrefix(s, "https://") {
					t.Errorf("source %q is not an https address", s)
				}
			}
			if len(p.Selectors) == 0 && p.Note == "" {
				t.Errorf("no selectors and no note saying why")
			}
			if len(p.SPF)+len(p.MX) == 0 {
				t.Errorf("nothing names the provider")
			}
			for _, s := range p.Selectors {
				if _, err := dnsq.CheckName(s + "._domainkey.example.com"); err != nil || s != strings.ToLower(s) {
					t.Errorf("selector %q: %v", s, err)
				}
			}
			for _, d := range append(slices.Clone(p.SPF), p.MX...) {
				if !spf.ValidDomain(d) || d != strings.ToLower(d) || strings.HasSuffix(d, ".") {
					t.Errorf("domain %q is not a lower-case domain name without a trailing dot", d)
				}
			}
		})
	}
}

// TestMatch: a provider's domain matches itself and the names under it,
// never a name that merely ends with the same letters.
func TestMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func(*provider) []string
		want string
	}{
		{"_spf.google.com", spfDomains, "Google Workspace"},
		{"aspmx.l.google.com", mxDomains, "Google Workspace"},
		{"alt4.aspmx.l.google.com", mxDomains, "Google Workspace"},
		{"aspmx2.googlemail.com", mxDomains, "Google Workspace"},
		{"contoso-com.mail.protection.outlook.com", mxDomains, "Microsoft 365"},
		{"spf.protection.outlook.com", spfDomains, "Microsoft 365"},
		{"u123.wl.sendgrid.net", spfDomains, "SendGrid"},
		{"servers.mcsv.net", spfDomains, "Mailchimp"},
		{"amazonses.com", spfDomains, "Amazon SES"},
		{"notgoogle.com", mxDomains, ""},
		{"google.com.evil.example", mxDomains, ""},
		{"mx.zoho.com.au", mxDomains, ""}, // Zoho's Australian MX is not listed
		{"spf.zoho.com.au", spfDomains, "Zoho Mail"},
	} {
		got := ""
		if ps := match(tc.name, tc.fn); len(ps) > 0 {
			got = ps[0].Name
		}
		if got != tc.want {
			t.Errorf("match(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, m := range []checks.DKIMProbe{"", checks.DKIMProbeFull, checks.DKIMProbeCommon, checks.DKIMProbeProvider, checks.DKIMProbeOff} {
		if err := (Check{}).Validate(checks.Options{DKIMProbe: m}); err != nil {
			t.Errorf("%q: %v", m, err)
		}
	}
	for _, m := range []checks.DKIMProbe{"FULL", "all", "provider,common", "\x1b[31m"} {
		err := (Check{}).Validate(checks.Options{DKIMProbe: m})
		if err == nil || !strings.Contains(err.Error(), "want provider, common, full or off") || strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("%q: %v", m, err)
		}
	}
}

// runMode runs the dkim check (with mx and spf, hidden, unless noDeps) in
// mode against w.
func runMode(t *testing.T, w *mailtest.World, domain string, mode checks.DKIMProbe, sels []string, noDeps bool) (*checks.Result, *Data) {
	t.Helper()
	deps := []checks.Check{mx.Check{}, spf.Check{}}
	if noDeps {
		deps = nil
	}
	rep := policytest.Run(t, w, checks.Options{Timeout: 2 * time.Second, DKIMProbe: mode}, checks.Target{Domain: domain, Selectors: sels}, []checks.Check{Check{}}, deps...)
	res := policytest.Result(t, rep, ID)
	d, _ := res.Data.(*Data)
	return res, d
}

const googleHosted = `
g.example. MX 1 aspmx.l.google.com.
g.example. TXT "v=spf1 include:_spf.google.com ~all"
aspmx.l.google.com. A 192.0.2.25
_spf.google.com. TXT "v=spf1 ip4:192.0.2.0/24 ~all"
google._domainkey.g.example. TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
`

// TestModeOff: only the selectors given with --selector are asked; with
// none, the check has nothing to do.
func TestModeOff(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+googleHosted)
	res, d := runMode(t, w, "g.example", checks.DKIMProbeOff, []string{"s1"}, false)
	if d == nil || len(d.Probed) != 0 || len(d.Probes) != 1 || d.Probes[0].Selector != "s1" || d.Probes[0].Reasons[0] != ReasonUser {
		t.Fatalf("data %+v", d)
	}
	if !policytest.Has(res, "dkim.selector-missing") {
		t.Errorf("findings %v", policytest.IDs(res))
	}
	for _, name := range []string{"google._domainkey.g.example.", wildcardProbe + "._domainkey.g.example."} {
		if n := w.DNS.QueryCount(name, dns.TypeTXT); n != 0 {
			t.Errorf("%s asked %d times", name, n)
		}
	}

	w.DNS.ResetCounters()
	res, _ = runMode(t, w, "g.example", checks.DKIMProbeOff, nil, false)
	if res.Status != checks.StatusSkip || !strings.Contains(res.Skip, "--dkim-probe off") {
		t.Errorf("status %s, reason %q", res.Status, res.Skip)
	}
	if n := w.DNS.QueryCount("_domainkey.g.example.", dns.TypeTXT); n != 0 {
		t.Errorf("_domainkey asked %d times with nothing to probe", n)
	}
}

// TestModeCommon: the inferred selectors and about a dozen generic ones,
// the provider's first.
func TestModeCommon(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+googleHosted)
	res, d := runMode(t, w, "g.example", checks.DKIMProbeCommon, nil, false)
	if res.Status != checks.StatusPass || d == nil {
		t.Fatalf("status %s, findings %v", res.Status, policytest.IDs(res))
	}
	if len(d.Probed) != len(commonProbe) {
		t.Errorf("probed %d: %v", len(d.Probed), d.Probed)
	}
	i := slices.IndexFunc(d.Probes, func(p Probe) bool { return p.Selector == "google" })
	if i < 0 || !slices.Equal(d.Probes[i].Reasons, []Reason{ReasonCommon, ReasonProvider}) || !slices.Equal(d.Probes[i].Providers, []string{"Google Workspace"}) {
		t.Errorf("google probe %+v", d.Probes)
	}
}

// TestNestedInclude: a provider named two includes down is found, and
// its selectors asked.
func TestNestedInclude(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+`
n.example. TXT "v=spf1 include:_spf.n.example -all"
_spf.n.example. TXT "v=spf1 include:_esp.n.example ip4:192.0.2.1 -all"
_esp.n.example. TXT "v=spf1 include:sendgrid.net -all"
sendgrid.net. TXT "v=spf1 ip4:192.0.2.0/24 -all"
s2._domainkey.n.example. TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
`)
	res, d := runMode(t, w, "n.example", checks.DKIMProbeProvider, nil, false)
	if res.Status != checks.StatusPass || d == nil {
		t.Fatalf("status %s, findings %v", res.Status, policytest.IDs(res))
	}
	if !slices.Equal(d.Probed, []string{"s1", "s2"}) || len(d.Providers) != 1 || d.Providers[0].Named[0] != (Naming{Via: ViaSPF, Name: "sendgrid.net"}) {
		t.Errorf("probed %v, providers %+v", d.Probed, d.Providers)
	}
	if len(d.Selectors) != 1 || d.Selectors[0].Selector != "s2" || !d.Selectors[0].Found {
		t.Errorf("selectors %+v", d.Selectors)
	}
}

// TestIncludeBounds: a record that includes ever more records is followed
// a bounded number of lookups deep, and a loop ends.
func TestIncludeBounds(t *testing.T) {
	t.Parallel()
	zone := `
b.example. TXT "v=spf1 include:l1.b.example include:loop.b.example -all"
loop.b.example. TXT "v=spf1 include:b.example include:loop.b.example -all"
`
	for i := 1; i < 10; i++ {
		zone += fmt.Sprintf("l%d.b.example. TXT \"v=spf1 include:l%d.b.example -all\"\n", i, i+1)
	}
	w := mailtest.New(t, policytest.Base+zone+`_adsp._domainkey.b.example. TXT "x"`)
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	n := 0
	followSPF(t.Context(), env, "v=spf1 include:l1.b.example include:loop.b.example -all", func(hint) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d hints", n)
	}
	if q := w.DNS.Queries(); q > maxInferLookups || q == 0 {
		t.Errorf("%d queries, want 1 to %d", q, maxInferLookups)
	}
	if w.DNS.QueryCount("l4.b.example.", dns.TypeTXT) != 0 {
		t.Errorf("followed deeper than %d levels", maxInferDepth)
	}
}

// TestDepsMissing: with spf and mx not run (or failing), the check goes
// on with what it knows.
func TestDepsMissing(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+googleHosted)
	res, d := runMode(t, w, "g.example", checks.DKIMProbeProvider, nil, true)
	if d == nil || len(d.Probed) != 0 || !policytest.Has(res, "dkim.none-found") || res.Status != checks.StatusPass {
		t.Errorf("status %s, findings %v, data %+v", res.Status, policytest.IDs(res), d)
	}
	// The SPF record fails to resolve: the MX host still names Google.
	w.DNS.Script("g.example.", dns.TypeTXT, mailtest.ServFail)
	res, d = runMode(t, w, "g.example", checks.DKIMProbeProvider, nil, false)
	if d == nil || !slices.Equal(d.Probed, []string{"google"}) || res.Status != checks.StatusPass {
		t.Errorf("status %s, findings %v, data %+v", res.Status, policytest.IDs(res), d)
	}
}

// TestDomainkeyTimeout: when _domainkey times out, no mode reports
// dkim.none-found, even when every guess answers NXDOMAIN.
func TestDomainkeyTimeout(t *testing.T) {
	t.Parallel()
	for _, mode := range []checks.DKIMProbe{checks.DKIMProbeFull, checks.DKIMProbeCommon, checks.DKIMProbeProvider} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+`
t.example. MX 1 aspmx.l.google.com.
aspmx.l.google.com. A 192.0.2.25
t.example. A 192.0.2.1`)
			w.DNS.Script("_domainkey.t.example.", dns.TypeTXT, mailtest.Timeout)
			rep := policytest.Run(t, w, checks.Options{Timeout: 150 * time.Millisecond, DKIMProbe: mode}, checks.Target{Domain: "t.example"}, []checks.Check{Check{}}, mx.Check{}, spf.Check{})
			res := policytest.Result(t, rep, ID)
			if policytest.Has(res, "dkim.none-found") || !policytest.Has(res, "dkim.dns-error") || res.Status != checks.StatusError {
				t.Errorf("status %s, findings %v", res.Status, policytest.IDs(res))
			}
		})
	}
}
