package profile_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/spf"
)

var allProviders = []string{"gmail", "yahoo", "microsoft", "apple", "laposte"}

// run runs the profile check (its needs hidden, as in the CLI) for target
// in a world made of zone.
func run(t *testing.T, zone string, opts checks.Options, target checks.Target, setup ...func(w *mailtest.World)) *checks.Result {
	t.Helper()
	w := mailtest.New(t, policytest.Base+zone)
	for _, s := range setup {
		s(w)
	}
	opts.Timeout = 2e9
	rep := policytest.Run(t, w, opts, target, []checks.Check{profile.Check{}},
		mx.Check{}, spf.Check{}, dkim.Check{}, dmarc.Check{}, ptr.Check{})
	return policytest.Result(t, rep, profile.ID)
}

// testKey is the package's 2048-bit RSA DKIM key, generated once (about
// 80 ms of CPU each time); each test publishes it in its own world.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// dkimKey returns the p= value of the package's test key.
func dkimKey(t *testing.T) string {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func txt(name string, s string) dns.RR {
	var chunks []string
	for len(s) > 255 {
		chunks = append(chunks, s[:255])
		s = s[255:]
	}
	chunks = append(chunks, s)
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: chunks}
}

func data(t *testing.T, res *checks.Result) *profile.Data {
	t.Helper()
	d, ok := res.Data.(*profile.Data)
	if !ok {
		t.Fatalf("data is %T, want *profile.Data (status %s, err %q)", res.Data, res.Status, res.Err)
	}
	return d
}

func rule(t *testing.T, d *profile.Data, p profile.Provider, id profile.RuleID) profile.RuleResult {
	t.Helper()
	for _, pr := range d.Providers {
		if pr.Provider != p {
			continue
		}
		for _, r := range pr.Rules {
			if r.ID == id {
				return r
			}
		}
	}
	t.Fatalf("no rule %s of %s", id, p)
	return profile.RuleResult{}
}

// badZone breaks every DNS rule: no SPF, no DKIM (_domainkey does not
// exist), no DMARC, a null MX; 192.0.2.66 has no PTR record.
const badZone = `
bad.example. MX 0 .
bad.example. A 192.0.2.66
`

// badMessage breaks every message rule: two From fields and no
// Message-ID, received without TLS, the receiver's results all failing,
// a mailto-only List-Unsubscribe, and a Return-Path in a domain that does
// not exist.
const badMessage = "Return-Path: <bounce@nx.bad.example>\r\n" +
	"Authentication-Results: mx.receiver.test; spf=fail smtp.mailfrom=nx.bad.example; dkim=fail header.d=bad.example; dmarc=fail header.from=bad.example; arc=fail\r\n" +
	"Received: from mail.bad.example (mail.bad.example [192.0.2.66]) by mx.receiver.test with ESMTP id 1; Mon, 1 Jan 2026 00:00:00 +0000\r\n" +
	"From: a@bad.example\r\n" +
	"From: b@bad.example\r\n" +
	"To: c@receiver.test\r\n" +
	"Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n" +
	"Subject: offer\r\n" +
	"List-Unsubscribe: <mailto:u@bad.example>\r\n" +
	"\r\n" +
	"body\r\n"

func badTarget() checks.Target {
	return checks.Target{Domain: "bad.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.66")},
		Message: message.Parse([]byte(badMessage), message.Options{}), AuthservIDs: []string{"mx.receiver.test"}}
}

// TestFindings runs one broken sender against every provider's rules, as
// a bulk sender, and checks each rule's finding and the reply it names.
// Case name = finding ID.
func TestFindings(t *testing.T) {
	t.Parallel()
	res := run(t, badZone, checks.Options{Profiles: allProviders, Bulk: true}, badTarget())
	if res.Status != checks.StatusFail {
		t.Fatalf("status %s (err %q), want fail", res.Status, res.Err)
	}
	cases := []struct{ id, want string }{
		{"profile.gmail-spf-or-dkim", "Gmail would answer 550 5.7.26"},
		{"profile.gmail-spf-and-dkim", "Gmail would answer 550 5.7.27"},
		{"profile.gmail-dmarc-record", "Gmail would answer 550 5.7.40"},
		{"profile.gmail-alignment", "Gmail would answer 421 5.7.32"},
		{"profile.gmail-reverse-dns", "Gmail would answer 550 5.7.25"},
		{"profile.gmail-tls", "Gmail would answer 550 5.7.29"},
		{"profile.gmail-message-format", "Gmail would answer 550 5.7.1"},
		{"profile.gmail-one-click-unsubscribe", "Gmail may refuse"},
		{"profile.gmail-arc", "Gmail recommends it"},
		{"profile.yahoo-spf-or-dkim", "Yahoo would answer 550 5.7.9"},
		{"profile.yahoo-spf-and-dkim", "Yahoo would answer 554 5.7.9"},
		{"profile.yahoo-dmarc-record", "Yahoo would answer 554 5.7.9"},
		{"profile.yahoo-alignment", "Yahoo would answer 554 5.7.9"},
		{"profile.yahoo-reverse-dns", "Yahoo may refuse"},
		{"profile.yahoo-message-format", "Yahoo would answer 554"},
		{"profile.yahoo-domains-resolve", "nx.bad.example does not exist"},
		{"profile.yahoo-no-null-mx", "null MX"},
		{"profile.yahoo-one-click-unsubscribe", "https"},
		{"profile.yahoo-arc", "Yahoo recommends it"},
		{"profile.microsoft-spf-and-dkim", "Microsoft Outlook.com would answer 550 5.7.515"},
		{"profile.microsoft-dmarc-record", "would answer 550 5.7.515"},
		{"profile.microsoft-alignment", "would answer 550 5.7.515"},
		{"profile.microsoft-reverse-dns", "may answer 550 DY-001"},
		{"profile.microsoft-one-click-unsubscribe", "Microsoft Outlook.com recommends it"},
		{"profile.apple-spf-and-dkim", "Apple iCloud may refuse"},
		{"profile.apple-dmarc-record", "no DMARC record"},
		{"profile.apple-reverse-dns", "no PTR record"},
		{"profile.apple-message-format", "2 From fields"},
		{"profile.apple-arc", "Apple iCloud recommends it"},
		{"profile.laposte-spf-or-dkim", "La Poste may refuse"},
		{"profile.laposte-dmarc-record", "La Poste recommends it"},
		{"profile.laposte-alignment", "aligns with no SPF or DKIM domain"},
		{"profile.laposte-reverse-dns", "has no PTR record"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.id] = true
		t.Run(tc.id, func(t *testing.T) {
			f := policytest.Find(res, tc.id)
			if f == nil {
				t.Fatalf("no %s in %v", tc.id, policytest.IDs(res))
			}
			if !strings.Contains(f.Message, tc.want) {
				t.Errorf("message %q does not contain %q", f.Message, tc.want)
			}
			if f.Fix == "" {
				t.Error("no fix")
			}
		})
	}
	for _, d := range (profile.Check{}).Findings() {
		if !seen[d.ID] {
			t.Errorf("%s has no case", d.ID)
		}
	}
	// Evidence names real finding IDs of the checks the rules read.
	known := map[string]bool{}
	for _, c := range []checks.Check{mx.Check{}, spf.Check{}, dkim.Check{}, dmarc.Check{}, ptr.Check{}} {
		for _, d := range c.Findings() {
			known[d.ID] = true
		}
	}
	for _, r := range []*checks.Result{res, run(t, goodRecords, checks.Options{Profiles: allProviders, Bulk: true}, checks.Target{Domain: "good.example"})} {
		for _, pr := range data(t, r).Providers {
			for _, rr := range pr.Rules {
				for _, id := range rr.Evidence.Findings {
					if !known[id] {
						t.Errorf("%s %s: evidence names %q, which no check reports", pr.Provider, rr.ID, id)
					}
				}
			}
		}
	}
	// Spam rate is never decided from outside.
	if r := rule(t, data(t, res), profile.Gmail, profile.RuleSpamRate); r.Status != profile.StatusUnknown || !strings.Contains(r.Note, "Postmaster Tools") {
		t.Errorf("gmail spam-rate: %+v", r)
	}
}

// goodZone meets every DNS rule; 192.0.2.7 has forward-confirmed reverse
// DNS and passes SPF.
func goodZone(t *testing.T) func(w *mailtest.World) {
	key := dkimKey(t)
	return func(w *mailtest.World) {
		w.DNS.Add(txt("s1._domainkey.good.example", "v=DKIM1; k=rsa; p="+key))
	}
}

const goodRecords = `
good.example. MX 10 mx.good.example.
mx.good.example. A 192.0.2.10
good.example. TXT "v=spf1 ip4:192.0.2.7 -all"
_dmarc.good.example. TXT "v=DMARC1; p=none; rua=mailto:d@good.example"
mail.good.example. A 192.0.2.7
7.2.0.192.in-addr.arpa. PTR mail.good.example.
`

func TestPass(t *testing.T) {
	t.Parallel()
	target := checks.Target{Domain: "good.example", Selectors: []string{"s1"}, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}}
	res := run(t, goodRecords, checks.Options{Profiles: allProviders, Bulk: true}, target, goodZone(t))
	if res.Status != checks.StatusPass || len(res.Findings) > 0 {
		t.Fatalf("status %s, findings %v, err %q", res.Status, policytest.IDs(res), res.Err)
	}
	d := data(t, res)
	for _, c := range []struct {
		p    profile.Provider
		id   profile.RuleID
		want profile.Status
		by   profile.Decider
	}{
		{profile.Gmail, profile.RuleSPFOrDKIM, profile.StatusPass, profile.ByIP},
		{profile.Gmail, profile.RuleSPFAndDKIM, profile.StatusPass, profile.ByDNS},
		{profile.Gmail, profile.RuleDMARCRecord, profile.StatusPass, profile.ByDNS},
		{profile.Gmail, profile.RuleReverseDNS, profile.StatusPass, profile.ByIP},
		{profile.Gmail, profile.RuleAlignment, profile.StatusUnknown, ""},
		{profile.Gmail, profile.RuleTLS, profile.StatusUnknown, ""},
		{profile.Yahoo, profile.RuleNoNullMX, profile.StatusPass, profile.ByDNS},
		{profile.Yahoo, profile.RuleDomainsResolve, profile.StatusPass, profile.ByDNS},
		{profile.Microsoft, profile.RuleSPFAndDKIM, profile.StatusPass, profile.ByDNS},
	} {
		r := rule(t, d, c.p, c.id)
		if r.Status != c.want || r.DecidedBy != c.by {
			t.Errorf("%s %s: %s by %q (%s), want %s by %q", c.p, c.id, r.Status, r.DecidedBy, r.Note, c.want, c.by)
		}
		if len(r.Source) == 0 || r.Source[0].Read == "" {
			t.Errorf("%s %s: no source", c.p, c.id)
		}
	}
	if len(checks.DescribeData(res.Data)) == 0 {
		t.Error("Describe lists nothing")
	}
}

// Without --bulk the bulk-sender rules are shown, never failed.
func TestBulkRulesNeedBulk(t *testing.T) {
	t.Parallel()
	res := run(t, badZone, checks.Options{Profiles: []string{"gmail,microsoft"}}, checks.Target{Domain: "bad.example"})
	for _, id := range policytest.IDs(res) {
		if id == "profile.gmail-spf-and-dkim" || id == "profile.gmail-dmarc-record" || strings.HasPrefix(id, "profile.microsoft-") {
			t.Errorf("%s reported without --bulk", id)
		}
	}
	if !policytest.Has(res, "profile.gmail-spf-or-dkim") {
		t.Errorf("findings %v, want profile.gmail-spf-or-dkim", policytest.IDs(res))
	}
	r := rule(t, data(t, res), profile.Gmail, profile.RuleDMARCRecord)
	if r.Status != profile.StatusNotApplicable || !strings.Contains(r.Note, "applies to bulk senders") || !strings.Contains(r.Note, "fail") {
		t.Errorf("dmarc-record without --bulk: %+v", r)
	}
}

// SPF passes for the sending address but no DKIM key can exist: Gmail's
// bulk rule names its DKIM reply.
func TestSPFAndDKIMNamesTheDKIMCode(t *testing.T) {
	t.Parallel()
	zone := `
dk.example. MX 10 mx.dk.example.
mx.dk.example. A 192.0.2.10
dk.example. TXT "v=spf1 ip4:192.0.2.7 -all"
_dmarc.dk.example. TXT "v=DMARC1; p=none"
`
	res := run(t, zone, checks.Options{Profiles: []string{"gmail"}, Bulk: true}, checks.Target{Domain: "dk.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}})
	f := policytest.Find(res, "profile.gmail-spf-and-dkim")
	if f == nil || !strings.Contains(f.Message, "550 5.7.30") {
		t.Fatalf("findings %v, want profile.gmail-spf-and-dkim naming 550 5.7.30 (%+v)", policytest.IDs(res), f)
	}
	if policytest.Has(res, "profile.gmail-spf-or-dkim") {
		t.Error("SPF passes: spf-or-dkim must pass")
	}
}

// A generic PTR name fails Yahoo's and Microsoft's reverse-dns rules,
// not Gmail's.
func TestGenericPTR(t *testing.T) {
	t.Parallel()
	zone := `
gen.example. MX 10 mx.gen.example.
mx.gen.example. A 192.0.2.10
gen.example. TXT "v=spf1 ip4:192.0.2.9 -all"
9.2.0.192.in-addr.arpa. PTR 192-0-2-9.dyn.isp.example.
192-0-2-9.dyn.isp.example. A 192.0.2.9
`
	res := run(t, zone, checks.Options{Profiles: allProviders}, checks.Target{Domain: "gen.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.9")}})
	if !policytest.Has(res, "profile.yahoo-reverse-dns") || !policytest.Has(res, "profile.microsoft-reverse-dns") {
		t.Errorf("findings %v, want yahoo and microsoft reverse-dns", policytest.IDs(res))
	}
	if policytest.Has(res, "profile.gmail-reverse-dns") || policytest.Has(res, "profile.laposte-reverse-dns") {
		t.Errorf("findings %v: a forward-confirmed generic name passes Gmail and La Poste", policytest.IDs(res))
	}
}

// Nothing decidable: an error with the reason, never pass.
func TestNothingDecided(t *testing.T) {
	t.Parallel()
	zone := `
err.example. MX 10 mx.err.example.
mx.err.example. A 192.0.2.10
`
	res := run(t, zone, checks.Options{Profiles: []string{"gmail"}}, checks.Target{Domain: "err.example"}, func(w *mailtest.World) {
		w.DNS.Script("err.example.", dns.TypeTXT, mailtest.ServFail)
		w.DNS.Script("_domainkey.err.example.", dns.TypeTXT, mailtest.ServFail)
	})
	if res.Status != checks.StatusError || !strings.Contains(res.Err, "no rule could be decided") || !strings.Contains(res.Err, "--ip") || !strings.Contains(res.Err, "--bulk") {
		t.Fatalf("status %s, err %q, findings %v", res.Status, res.Err, policytest.IDs(res))
	}
}

// A message that meets the message rules.
func TestGoodMessage(t *testing.T) {
	t.Parallel()
	msg := "Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=good.example; dkim=pass header.d=good.example; dmarc=pass header.from=good.example; arc=pass\r\n" +
		"Received: from mail.good.example (mail.good.example [192.0.2.7]) by mx.receiver.test with ESMTPS id 1; Mon, 1 Jan 2026 00:00:00 +0000\r\n" +
		"From: a@good.example\r\nTo: c@receiver.test\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@good.example>\r\nSubject: news\r\n" +
		"List-Unsubscribe: <https://good.example/u/1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody\r\n"
	target := checks.Target{Domain: "good.example", Message: message.Parse([]byte(msg), message.Options{}), AuthservIDs: []string{"mx.receiver.test"}}
	res := run(t, goodRecords, checks.Options{Profiles: []string{"gmail"}, Bulk: true}, target)
	d := data(t, res)
	for _, id := range []profile.RuleID{profile.RuleSPFOrDKIM, profile.RuleSPFAndDKIM, profile.RuleAlignment, profile.RuleTLS, profile.RuleMessageFormat, profile.RuleUnsubscribe, profile.RuleARC} {
		if r := rule(t, d, profile.Gmail, id); r.Status != profile.StatusPass {
			t.Errorf("%s: %s (%s)", id, r.Status, r.Note)
		}
	}
	// Results of a receiver the user did not name are not trusted.
	target.AuthservIDs = []string{"other.test"}
	res = run(t, goodRecords, checks.Options{Profiles: []string{"gmail"}, Bulk: true}, target)
	if r := rule(t, data(t, res), profile.Gmail, profile.RuleAlignment); r.Status != profile.StatusUnknown {
		t.Errorf("untrusted results decided alignment: %+v", r)
	}
}

func TestSkippedWithoutProfile(t *testing.T) {
	t.Parallel()
	if r := (profile.Check{}).SkipReason(checks.Options{}); r == "" {
		t.Error("no skip reason without --profile")
	}
	if r := (profile.Check{}).SkipReason(checks.Options{Profiles: []string{"gmail"}}); r != "" {
		t.Errorf("skip reason %q with --profile", r)
	}
	if err := (profile.Check{}).Validate(checks.Options{Profiles: []string{"gmail,hotmal"}}); err == nil || !strings.Contains(err.Error(), "hotmal") {
		t.Errorf("Validate: %v", err)
	}
}

// Each undecided rule says what would decide it.
func TestUnknownSaysWhatDecides(t *testing.T) {
	t.Parallel()
	res := run(t, goodRecords, checks.Options{Profiles: []string{"gmail"}}, checks.Target{Domain: "good.example", Selectors: []string{"s1"}}, goodZone(t))
	if res.Status != checks.StatusPass {
		t.Fatalf("status %s, err %q, findings %v", res.Status, res.Err, policytest.IDs(res))
	}
	d := data(t, res)
	for id, want := range map[profile.RuleID]string{
		profile.RuleReverseDNS:    "--ip",
		profile.RuleTLS:           "mxray analyze",
		profile.RuleMessageFormat: "mxray analyze",
		profile.RuleSpamRate:      "Postmaster Tools",
	} {
		if r := rule(t, d, profile.Gmail, id); r.Status != profile.StatusUnknown || !strings.Contains(r.Note, want) {
			t.Errorf("%s: %s %q, want unknown saying %q", id, r.Status, r.Note, want)
		}
	}
	if r := rule(t, d, profile.Gmail, profile.RuleSPFOrDKIM); r.Status != profile.StatusPass || r.DecidedBy != profile.ByDNS || !strings.Contains(r.Note, "--ip") {
		t.Errorf("spf-or-dkim from DNS: %+v", r)
	}
}

// Several PTR names of which only some resolve back: the provider's
// verdict depends on the name it takes, so the rule is not decided.
func TestPartialPTRUndecided(t *testing.T) {
	t.Parallel()
	zone := `
part.example. MX 10 mx.part.example.
mx.part.example. A 192.0.2.10
8.2.0.192.in-addr.arpa. PTR mail.part.example.
8.2.0.192.in-addr.arpa. PTR old.part.example.
mail.part.example. A 192.0.2.8
old.part.example. A 192.0.2.99
`
	res := run(t, zone, checks.Options{Profiles: []string{"gmail"}}, checks.Target{Domain: "part.example", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.8")}})
	r := rule(t, data(t, res), profile.Gmail, profile.RuleReverseDNS)
	if r.Status != profile.StatusUnknown || policytest.Has(res, "profile.gmail-reverse-dns") {
		t.Errorf("reverse-dns: %+v, findings %v", r, policytest.IDs(res))
	}
}
