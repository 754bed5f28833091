package msgdmarc_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgspf"
)

// hop is the trusted Received field of every generated message: the
// sender's relay 192.0.2.10, which sender.example's SPF record lists.
const hop = "Received: from mail.sender.example (mail.sender.example [192.0.2.10])\r\n\tby mx.rcpt.example (Postfix) with ESMTPS id 4dQz1X2ab3\r\n\tfor <bob@rcpt.example>; Fri, 02 Jan 2026 15:04:02 +0000 (UTC)\r\n"

// gen is a message generated in-test: its From address, Return-Path
// ("" = none: SPF checks the HELO name) and the d= of its DKIM
// signatures, each made with the corpus key s1.
type gen struct {
	from, returnPath string
	signers          []string
	hop              string // the trusted Received field; default hop
}

// build writes g's message: signed, then received by mx.rcpt.example.
func build(t *testing.T, g gen) []byte {
	t.Helper()
	raw := []byte("From: Alice <" + g.from + ">\r\nTo: Bob <bob@rcpt.example>\r\nSubject: Quarterly report\r\n" +
		"Date: Fri, 02 Jan 2026 15:03:58 +0000\r\nMessage-ID: <20260102150358.9@sender.example>\r\n\r\nHello Bob,\r\n")
	key := corpusKey(t)
	for _, d := range g.signers {
		var b bytes.Buffer
		err := dkim.Sign(&b, bytes.NewReader(raw), &dkim.SignOptions{Domain: d, Selector: "s1", Signer: key,
			HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
			HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"}})
		if err != nil {
			t.Fatal(err)
		}
		raw = b.Bytes()
	}
	h := hop
	if g.hop != "" {
		h = g.hop
	}
	raw = append([]byte(h), raw...)
	if g.returnPath != "" {
		raw = append([]byte("Return-Path: <"+g.returnPath+">\r\n"), raw...)
	}
	return raw
}

func corpusKey(t *testing.T) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(messagetest.Dir(t), "keys", "s1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("s1.pem: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(crypto.Signer)
}

// keyAt publishes the corpus key s1 for the signing domain d.
func keyAt(t *testing.T, d string) string {
	t.Helper()
	for _, line := range strings.Split(messagetest.Zone(t), "\n") {
		if rest, ok := strings.CutPrefix(line, "s1._domainkey.sender.example. "); ok {
			return "s1._domainkey." + d + ". " + rest + "\n"
		}
	}
	t.Fatal("the corpus zone has no key s1")
	return ""
}

// esp is a sending provider: its bounce domain passes SPF from the relay
// and it signs with its own domain.
const esp = `esp.example. TXT "v=spf1 ip4:192.0.2.10 -all"
`

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	corpus  string // corpus message (prepend: header lines added on top), or
	prepend string
	gen     *gen   // a message generated in-test
	zone    string // added to the corpus zone
	keys    []string
	want    []string
	status  checks.Status
	result  msgdmarc.Result
	policy  string // tag=value applied
	setup   func(w *mailtest.World)
	depends string // the dependency an error comes from
	// timeout bounds each lookup (0: 2 s). A case whose lookup is meant
	// to time out sets it short: its other lookups, if late on a loaded
	// machine, fail towards the same undecided verdict.
	timeout time.Duration
}{
	// Both identifiers pass aligned.
	{name: "pass", corpus: "good", status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	// SPF alone passes aligned: no signature at all.
	{name: "pass-spf-only", gen: &gen{from: "alice@sender.example", returnPath: "alice@sender.example"}, status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	// A null Return-Path: SPF checks the HELO name mail.sender.example
	// (RFC 7208 §2.4), which aligns (relaxed).
	{name: "pass-helo", corpus: "unsigned", status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	// Relaxed: d=sender.example aligns with news.sender.example, which
	// inherits the subdomain policy. SPF fails.
	{name: "pass-relaxed", gen: &gen{from: "alice@news.sender.example", returnPath: "bounce@spf-fail.example", signers: []string{"sender.example"}}, status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "sp=quarantine", zone: `
news.sender.example. A 192.0.2.10
_dmarc.sender.example. TXT "v=DMARC1; p=reject; sp=quarantine"`},
	// Strict: the same message fails with adkim=s.
	{name: "msg-dmarc.unaligned-strict", gen: &gen{from: "alice@news.sender.example", returnPath: "bounce@spf-fail.example", signers: []string{"sender.example"}},
		want: []string{"msg-dmarc.unaligned", "msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "sp=reject", zone: `
news.sender.example. A 192.0.2.10
_dmarc.sender.example. TXT "v=DMARC1; p=reject; adkim=s"`},
	// A provider's own signature and bounce domain: both pass, neither aligns.
	{name: "msg-dmarc.unaligned", gen: &gen{from: "alice@sender.example", returnPath: "bounce-7f@esp.example", signers: []string{"esp.example"}},
		keys: []string{"esp.example"}, want: []string{"msg-dmarc.unaligned", "msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "p=quarantine", zone: esp + `
_dmarc.sender.example. TXT "v=DMARC1; p=quarantine"`},
	// The provider signs too, but so does the author's domain: pass, and
	// the unaligned identifiers are only information.
	{name: "msg-dmarc.unaligned-info", gen: &gen{from: "alice@sender.example", returnPath: "bounce-7f@esp.example", signers: []string{"esp.example", "sender.example"}},
		keys: []string{"esp.example"}, want: []string{"msg-dmarc.unaligned"}, status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: esp + `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	// SPF fails and nothing signs: p=reject.
	{name: "msg-dmarc.fail", corpus: "spf-fail", want: []string{"msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject; rua=mailto:d@sender.example"`},
	// The same under p=none: warn.
	{name: "msg-dmarc.fail-p-none", corpus: "spf-fail", want: []string{"msg-dmarc.fail"}, status: checks.StatusWarn, result: msgdmarc.ResultFail, policy: "p=none", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=none"`},
	{name: "msg-dmarc.fail-pct-testing", corpus: "spf-fail", want: []string{"msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject; pct=25; t=y"`},
	// A subdomain inherits sp=, found by the tree walk; RFC 7489
	// receivers (organisational domain sender.example) find no record.
	{name: "msg-dmarc.fail-sp", gen: &gen{from: "alice@news.b.sender.example", returnPath: "bounce@spf-fail.example", signers: []string{"other.example"}},
		keys: []string{"other.example"}, want: []string{"msg-dmarc.fail", "msg-dmarc.unaligned"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "sp=quarantine", zone: `
news.b.sender.example. MX 10 mx.sender.example.
_dmarc.b.sender.example. TXT "v=DMARC1; p=reject; sp=quarantine; np=reject"`},
	// A From domain that does not exist gets np=.
	{name: "msg-dmarc.fail-np", gen: &gen{from: "alice@ghost.sender.example", returnPath: "bounce@spf-fail.example"}, want: []string{"msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "np=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject; sp=none; np=reject"`},
	{name: "msg-dmarc.none", corpus: "good", want: []string{"msg-dmarc.none"}, status: checks.StatusWarn, result: msgdmarc.ResultNone},
	{name: "msg-dmarc.none-multiple", corpus: "good", want: []string{"msg-dmarc.none"}, status: checks.StatusWarn, result: msgdmarc.ResultNone, zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"
_dmarc.sender.example. TXT "v=DMARC1; p=none"`},
	// A HELO address literal and no Return-Path: SPF has no domain to
	// check, so it cannot pass; DMARC fails (decided, not an error).
	{name: "msg-dmarc.fail-no-spf-identity", gen: &gen{from: "alice@sender.example",
		hop: "Received: from [192.0.2.10] ([192.0.2.10])\r\n\tby mx.rcpt.example (Postfix) with ESMTPS id 4dQz1X2ab4; Fri, 02 Jan 2026 15:04:02 +0000\r\n"},
		want: []string{"msg-dmarc.fail"}, status: checks.StatusFail, result: msgdmarc.ResultFail, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	// No p= and no rua=: receivers ignore the record.
	{name: "msg-dmarc.none-invalid", corpus: "spf-fail", want: []string{"msg-dmarc.none"}, status: checks.StatusWarn, result: msgdmarc.ResultNone, zone: `
_dmarc.sender.example. TXT "v=DMARC1; adkim=s"`},
	// A timeout during discovery: not decided, never fail or none.
	{name: "dns-timeout", corpus: "good", status: checks.StatusError, timeout: 150 * time.Millisecond,
		setup: func(w *mailtest.World) { w.DNS.Script("_dmarc.sender.example.", dns.TypeTXT, mailtest.Timeout) }},
	{name: "dns-servfail-parent", gen: &gen{from: "alice@news.sender.example"}, status: checks.StatusError, zone: `
news.sender.example. A 192.0.2.10`,
		setup: func(w *mailtest.World) { w.DNS.Script("_dmarc.sender.example.", dns.TypeTXT, mailtest.ServFail) }},
	// msg-dkim could not decide (SERVFAIL at the key) and SPF fails:
	// DMARC is not decided.
	{name: "dkim-undecided", corpus: "dns-error", prepend: "Return-Path: <bounce@spf-fail.example>\r\n", status: checks.StatusError, depends: msgdkim.ID, zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`,
		setup: func(w *mailtest.World) {
			w.DNS.Script("broken._domainkey.sender.example.", dns.TypeTXT, mailtest.ServFail)
		}},
	// The same undecided signature does not matter when SPF (the HELO
	// name, the Return-Path being null) passes aligned.
	{name: "pass-dkim-undecided", corpus: "dns-error", status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`,
		setup: func(w *mailtest.World) {
			w.DNS.Script("broken._domainkey.sender.example.", dns.TypeTXT, mailtest.ServFail)
		}},
	// SPF's temperror does not matter when DKIM passes aligned.
	{name: "pass-spf-undecided", corpus: "good", status: checks.StatusPass, result: msgdmarc.ResultPass, policy: "p=reject", zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`,
		setup: func(w *mailtest.World) { w.DNS.Script("sender.example.", dns.TypeTXT, mailtest.ServFail) }},
	{name: "spf-undecided", corpus: "spf-temp", status: checks.StatusError, depends: msgspf.ID, zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`,
		setup: func(w *mailtest.World) { w.DNS.Script("spf-temp.example.", dns.TypeTXT, mailtest.ServFail) }},
	// No Received field names the client: SPF is not evaluated, and
	// nothing else passes aligned.
	{name: "spf-not-evaluated", corpus: "no-received", status: checks.StatusError, zone: `
_dmarc.sender.example. TXT "v=DMARC1; p=reject"`},
	{name: "no-from", corpus: "from-missing", status: checks.StatusSkip},
	{name: "from-multiple", corpus: "from-multiple", status: checks.StatusSkip},
}

func run(t *testing.T, raw []byte, zone string, timeout time.Duration, setup func(w *mailtest.World), registry ...checks.Check) *checks.Report {
	t.Helper()
	w := mailtest.New(t, policytest.Base+messagetest.Zone(t)+zone+"\n")
	if setup != nil {
		setup(w)
	}
	m := message.Parse(raw, message.Options{})
	target := checks.Target{Domain: m.FromDomain, Input: m.FromDomain, Message: m}
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	return policytest.Run(t, w, checks.Options{Timeout: timeout}, target, []checks.Check{msgdmarc.Check{}}, registry...)
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := []byte(nil)
			if tc.gen != nil {
				raw = build(t, *tc.gen)
			} else {
				raw = append([]byte(tc.prepend), messagetest.Raw(t, tc.corpus)...)
			}
			zone := tc.zone
			for _, k := range tc.keys {
				zone += "\n" + keyAt(t, k)
			}
			rep := run(t, raw, zone, tc.timeout, tc.setup, msgspf.Check{}, msgdkim.Check{})
			res := policytest.Result(t, rep, msgdmarc.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q, skip %q", res.Status, tc.status, policytest.IDs(res), res.Err, res.Skip)
			}
			if tc.depends != "" && !strings.Contains(res.Err, "depends on "+tc.depends) {
				t.Errorf("error %q does not name %s", res.Err, tc.depends)
			}
			for _, f := range res.Findings {
				if p := policytest.PlainProblems(f.Message + " " + f.Fix); len(p) > 0 {
					t.Errorf("%s: %v", f.ID, p)
				}
			}
			if p := policytest.PlainProblems(res.Err); len(p) > 0 {
				t.Errorf("error %q: %v", res.Err, p)
			}
			if d, ok := res.Data.(*msgdmarc.Data); ok {
				if d.Result != tc.result {
					t.Errorf("result %q, want %q", d.Result, tc.result)
				}
				if got := d.PolicyTag + "=" + string(d.Policy); tc.policy != "" && got != tc.policy {
					t.Errorf("policy %s, want %s", got, tc.policy)
				}
				if len(d.Describe()) == 0 {
					t.Error("Describe lists nothing")
				}
			} else if tc.status != checks.StatusSkip {
				t.Errorf("data %T", res.Data)
			}
			policytest.Golden(t, "msg-dmarc/"+tc.name, res)
		})
	}
}

func TestAligns(t *testing.T) {
	for _, tc := range []struct {
		from, domain string
		mode         msgdmarc.Mode
		want         bool
	}{
		{"sender.example", "SENDER.example.", msgdmarc.ModeStrict, true},
		{"news.sender.example", "sender.example", msgdmarc.ModeRelaxed, true},
		{"news.sender.example", "sender.example", msgdmarc.ModeStrict, false},
		{"a.example.co.uk", "b.example.co.uk", msgdmarc.ModeRelaxed, true},
		{"example.co.uk", "other.co.uk", msgdmarc.ModeRelaxed, false}, // co.uk is a public suffix
		{"sender.example", "esp.example", msgdmarc.ModeRelaxed, false},
		{"sender.example", "", msgdmarc.ModeRelaxed, false},
	} {
		if got := msgdmarc.Aligns(tc.from, tc.domain, tc.mode); got != tc.want {
			t.Errorf("Aligns(%q, %q, %s) = %v", tc.from, tc.domain, tc.mode, got)
		}
	}
}

func TestFact(t *testing.T) {
	var fact *msgdmarc.Fact
	zone := "\n_dmarc.sender.example. TXT \"v=DMARC1; p=reject\""
	w := mailtest.New(t, policytest.Base+messagetest.Zone(t)+zone+"\n")
	m := message.Parse(messagetest.Raw(t, "good"), message.Options{})
	policytest.Run(t, w, checks.Options{Timeout: 2e9}, checks.Target{Domain: m.FromDomain, Message: m},
		[]checks.Check{probe{f: func(f *msgdmarc.Fact) { fact = f }}}, msgdmarc.Check{}, msgspf.Check{}, msgdkim.Check{})
	if fact == nil || fact.Result != msgdmarc.ResultPass || fact.Policy != "reject" || len(fact.Aligned()) != 2 {
		t.Fatalf("fact %+v", fact)
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgdmarc.Check{}}, msgspf.Check{}, msgdkim.Check{})
	if res := policytest.Result(t, rep, msgdmarc.ID); res.Status != checks.StatusSkip {
		t.Errorf("status %s without a message, want skip", res.Status)
	}
}

// TestEveryFindingHasAGolden pins that each catalogue ID is exercised above.
func TestEveryFindingHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, msgdmarc.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
		if !strings.HasPrefix(id, msgdmarc.ID+".") {
			t.Errorf("finding %s is not in the check's namespace", id)
		}
	}
}

type probe struct{ f func(*msgdmarc.Fact) }

func (probe) ID() string             { return "probe" }
func (probe) Title() string          { return "probe" }
func (probe) Needs() []string        { return []string{msgdmarc.ID} }
func (probe) Findings() []checks.Def { return nil }
func (p probe) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	f, err := msgdmarc.FactKey.Await(ctx, out)
	if err != nil {
		return err
	}
	p.f(f)
	return nil
}
