package tlscheck_test

import (
	"context"
	"crypto/sha256"
	csha512 "crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

const zone = `
$ORIGIN test.
@        IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN d.test.
@        IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@        IN MX 10 mx
mx       IN A  192.0.2.10
`

// stsCheck stands in for the mtasts check: it publishes an MTA-STS fact
// of the given mode under the check ID "mtasts", with the mx patterns mx
// (default "*.d.test", which covers mx.d.test).
type stsCheck struct {
	mode string
	mx   []string
}

func (stsCheck) ID() string             { return mtasts.ID }
func (stsCheck) Title() string          { return "fake MTA-STS" }
func (stsCheck) Needs() []string        { return nil }
func (stsCheck) Findings() []checks.Def { return nil }
func (c stsCheck) Run(_ context.Context, _ *checks.Env, t checks.Target, out *checks.Out) error {
	mx := c.mx
	if mx == nil {
		mx = []string{"*.d.test"}
	}
	mtasts.FactKey.Publish(out, &mtasts.Fact{Domain: t.Domain, Mode: mtasts.Mode(c.mode), MX: mx})
	return nil
}

type scenario struct {
	name  string
	cert  mailtest.CertKind
	noTLS bool
	opts  mailtest.SMTPOptions
	sts   string // MTA-STS mode of the fake mtasts check; "" = no mtasts check
	stsMX []string
	tlsa  func(cert *tls.Certificate, ca []byte) string
	sign  bool
	setup func(t *testing.T, w *mailtest.World, env *checks.Env)
	want  []string
	// hostile replaces the go-smtp server; message is a fragment a
	// finding's message must contain, fix one of the first finding's fix.
	hostile      *mailtest.HostileOptions
	message, fix string
	// quick: the scenario ends in a timeout whatever the machine's load, so
	// the SMTP waits are shortened to quickWait (DNS keeps its second).
	quick bool
	// own runs the tls check without the smtp check, so that it opens
	// sessions of its own instead of reading the smtp check's.
	own bool
}

// daneEE is a DANE-EE record for the served key (usage 3, SPKI, SHA-256).
func daneEE(c *tls.Certificate, _ []byte) string { return "3 1 1 " + spki(c) }

func sha512(b []byte) []byte {
	s := csha512.Sum512(b)
	return s[:]
}

func spki(c *tls.Certificate) string {
	s := sha256.Sum256(c.Leaf.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(s[:])
}

// quickWait is the --timeout and --greeting-timeout of quick scenarios.
const quickWait = 150 * time.Millisecond

func run(t *testing.T, sc scenario) checks.Result {
	t.Helper()
	w := mailtest.New(t, zone)
	o := sc.opts
	o.Hostname, o.Domains = "mx.d.test", []string{"d.test"}
	var cert *tls.Certificate
	if !sc.noTLS && o.TLS == nil {
		var err error
		cert, err = w.Cert(sc.cert, "mx.d.test")
		if err != nil {
			t.Fatal(err)
		}
		o.TLS = cert
	}
	if sc.hostile != nil {
		if _, err := w.HostileSMTP(*sc.hostile, "192.0.2.10:25"); err != nil {
			t.Fatal(err)
		}
	} else if _, err := w.SMTP(o, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	if sc.tlsa != nil {
		if err := w.DNS.AddZone("_25._tcp.mx.d.test. IN TLSA " + sc.tlsa(cert, w.CA.Cert.Raw) + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if sc.sign {
		w.DNS.Sign("d.test")
	}
	env, err := w.Env(checks.Options{Timeout: time.Second, GreetingTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if sc.quick {
		env.Opts.Timeout, env.Opts.GreetingTimeout = quickWait, quickWait
	}
	if sc.setup != nil {
		sc.setup(t, w, env)
	}
	reg := []checks.Check{mx.Check{}}
	if !sc.own {
		reg = append(reg, smtp.Check{})
	}
	if sc.sts != "" {
		reg = append(reg, stsCheck{mode: sc.sts, mx: sc.stsMX})
	}
	r := checks.Runner{Env: env, Checks: []checks.Check{tlscheck.Check{}}, Registry: reg}
	return r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
}

func ids(res checks.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID+":"+string(f.Severity))
	}
	sort.Strings(out)
	return out
}

func TestBehaviours(t *testing.T) {
	t.Parallel()
	caHash := func(_ *tls.Certificate, ca []byte) string {
		s := sha256.Sum256(ca)
		return "2 0 1 " + hex.EncodeToString(s[:])
	}
	tests := []scenario{
		{name: "valid", want: nil},
		{name: "no STARTTLS", noTLS: true, want: []string{"tls.starttls-missing:fail"}},
		{name: "expired", cert: mailtest.CertExpired, want: []string{"tls.cert-expired:fail"}},
		{name: "expiring", cert: mailtest.CertExpiring, want: []string{"tls.cert-expiring:warn"}},
		{name: "wrong name", cert: mailtest.CertWrongName, want: []string{"tls.cert-name-mismatch:warn"}},
		{name: "self-signed", cert: mailtest.CertSelfSigned, want: []string{"tls.cert-untrusted:warn"}},
		{name: "weak RSA key", cert: mailtest.CertWeakRSA, want: []string{"tls.weak-key:warn"}},
		{name: "TLS 1.0 accepted", opts: mailtest.SMTPOptions{OldTLS: true}, want: []string{"tls.old-protocol:warn"}},
		{name: "handshake fails", opts: mailtest.SMTPOptions{TLS: &tls.Certificate{}}, want: []string{"tls.handshake-failed:fail"}},
		{name: "tarpit", quick: true, opts: mailtest.SMTPOptions{Tarpit: true}, want: []string{"tls.not-tested:error"},
			message: "no greeting within 150ms", fix: "--greeting-timeout"},
		{name: "554 greeting", opts: mailtest.SMTPOptions{Greeting: "554 5.7.1 mx.d.test no service for you"}, want: []string{"tls.not-tested:error"},
			message: `the server refused the session, greeting with "554 5.7.1 mx.d.test no service for you"`, fix: "smtp.banner-rejected"},
		{name: "EHLO rejected", opts: mailtest.SMTPOptions{RejectEHLO: true}, want: []string{"tls.not-tested:error"},
			message: `the server rejected EHLO with "550 5.7.1 Your HELO name is not welcome here"`},
		{name: "endless EHLO reply", hostile: &mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"EHLO": {Flood: "250-x\r\n"}}},
			want: []string{"tls.not-tested:error"}, message: "the reply to EHLO is too long: more than 100 lines", fix: "smtp.reply-too-long"},
		{name: "endless STARTTLS reply", hostile: &mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
			"EHLO": {Text: "250-mx.d.test\r\n250 STARTTLS\r\n"}, "STARTTLS": {Flood: "220-x\r\n"}}},
			want: []string{"tls.not-tested:error"}, message: "the reply to STARTTLS is too long"},
		{name: "STARTTLS refused", hostile: &mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
			"EHLO": {Text: "250-mx.d.test\r\n250 STARTTLS\r\n"}, "STARTTLS": {Text: "454 4.7.0 TLS not available\r\n"}}},
			want: []string{"tls.handshake-failed:fail"}, message: `refuses it: it answered STARTTLS with "454 4.7.0 TLS not available"`},
		{name: "port 25 blocked", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			env.Dialer = mailtest.Blackhole(w.Dialer, "192.0.2.10:25")
		}, want: []string{"tls.not-tested:error"}},
		{name: "IPv4 times out, IPv6 unreachable: blocked", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			if err := w.DNS.AddZone("mx.d.test. IN AAAA 2001:db8::99\n"); err != nil {
				t.Fatal(err)
			}
			env.Dialer = mailtest.Blackhole(w.Dialer, "192.0.2.10:25")
		}, want: []string{"tls.not-tested:error"}},
		{name: "wrong name under MTA-STS testing", cert: mailtest.CertWrongName, sts: "testing", want: []string{"tls.cert-name-mismatch:warn", "tls.mtasts-would-fail:warn"}},
		{name: "wrong name under MTA-STS enforce", cert: mailtest.CertWrongName, sts: "enforce", want: []string{"tls.cert-name-mismatch:fail", "tls.mtasts-would-fail:fail"}},
		{name: "self-signed under MTA-STS enforce", cert: mailtest.CertSelfSigned, sts: "enforce", want: []string{"tls.cert-untrusted:fail", "tls.mtasts-would-fail:fail"}},
		// tls.mtasts-would-fail: what MTA-STS senders make of the covered
		// hosts; nothing when the policy has no say.
		{name: "valid under MTA-STS enforce", sts: "enforce", want: nil},
		{name: "no STARTTLS under MTA-STS testing", noTLS: true, sts: "testing", want: []string{"tls.mtasts-would-fail:warn", "tls.starttls-missing:fail"},
			message: "switching the MTA-STS policy to enforce would stop mail to mx.d.test [192.0.2.10]: it does not offer STARTTLS"},
		{name: "no STARTTLS under MTA-STS enforce", noTLS: true, sts: "enforce", want: []string{"tls.mtasts-would-fail:fail", "tls.starttls-missing:fail"},
			message: "senders that apply MTA-STS do not deliver to mx.d.test [192.0.2.10]: it does not offer STARTTLS"},
		{name: "expired under MTA-STS testing", cert: mailtest.CertExpired, sts: "testing", want: []string{"tls.cert-expired:fail", "tls.mtasts-would-fail:warn"}},
		{name: "expired under MTA-STS enforce", cert: mailtest.CertExpired, sts: "enforce", want: []string{"tls.cert-expired:fail", "tls.mtasts-would-fail:fail"}},
		{name: "self-signed under MTA-STS testing", cert: mailtest.CertSelfSigned, sts: "testing", want: []string{"tls.cert-untrusted:warn", "tls.mtasts-would-fail:warn"}},
		{name: "STARTTLS refused under MTA-STS enforce", sts: "enforce", hostile: &mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
			"EHLO": {Text: "250-mx.d.test\r\n250 STARTTLS\r\n"}, "STARTTLS": {Text: "454 4.7.0 TLS not available\r\n"}}},
			want: []string{"tls.handshake-failed:fail", "tls.mtasts-would-fail:fail"}},
		{name: "expiring is no MTA-STS failure", cert: mailtest.CertExpiring, sts: "enforce", want: []string{"tls.cert-expiring:warn"}},
		{name: "no STARTTLS, host not covered by the policy", noTLS: true, sts: "enforce", stsMX: []string{"mail.elsewhere.test"}, want: []string{"tls.starttls-missing:fail"}},
		{name: "no STARTTLS, policy mode none", noTLS: true, sts: "none", want: []string{"tls.starttls-missing:fail"}},
		{name: "wrong name, MTA-STS not decided", cert: mailtest.CertWrongName, want: []string{"tls.cert-name-mismatch:warn"}},
		{name: "DANE-EE matches", sign: true, tlsa: func(c *tls.Certificate, _ []byte) string { return "3 1 1 " + spki(c) }, want: []string{"tls.dane-valid:info"}},
		{name: "DANE-EE authenticates a self-signed cert", cert: mailtest.CertSelfSigned, sign: true,
			tlsa: func(c *tls.Certificate, _ []byte) string { return "3 1 1 " + spki(c) },
			want: []string{"tls.cert-untrusted:info", "tls.dane-valid:info"}},
		// Under a matching DANE-EE record the certificate's names and
		// dates do not matter to DANE senders (RFC 7672 §3.1.1); they
		// still matter to MTA-STS senders.
		{name: "DANE-EE, expired cert", cert: mailtest.CertExpired, sign: true, tlsa: daneEE,
			want: []string{"tls.cert-expired:info", "tls.dane-valid:info"}, message: "DANE senders deliver, as a TLSA record authenticates the server"},
		{name: "DANE-EE, expired cert, MTA-STS testing", cert: mailtest.CertExpired, sign: true, tlsa: daneEE, sts: "testing",
			want: []string{"tls.cert-expired:warn", "tls.dane-valid:info", "tls.mtasts-would-fail:warn"}},
		{name: "DANE-EE, expired cert, MTA-STS enforce", cert: mailtest.CertExpired, sign: true, tlsa: daneEE, sts: "enforce",
			want: []string{"tls.cert-expired:fail", "tls.dane-valid:info", "tls.mtasts-would-fail:fail"}},
		{name: "DANE-EE, wrong name", cert: mailtest.CertWrongName, sign: true, tlsa: daneEE,
			want: []string{"tls.cert-name-mismatch:info", "tls.dane-valid:info"}},
		{name: "DANE-EE, wrong name, MTA-STS testing", cert: mailtest.CertWrongName, sign: true, tlsa: daneEE, sts: "testing",
			want: []string{"tls.cert-name-mismatch:warn", "tls.dane-valid:info", "tls.mtasts-would-fail:warn"}},
		{name: "DANE-EE, wrong name, MTA-STS enforce", cert: mailtest.CertWrongName, sign: true, tlsa: daneEE, sts: "enforce",
			want: []string{"tls.cert-name-mismatch:fail", "tls.dane-valid:info", "tls.mtasts-would-fail:fail"}},
		{name: "DANE-EE, self-signed cert, MTA-STS testing", cert: mailtest.CertSelfSigned, sign: true, tlsa: daneEE, sts: "testing",
			want: []string{"tls.cert-untrusted:warn", "tls.dane-valid:info", "tls.mtasts-would-fail:warn"}},
		{name: "DANE-EE, self-signed cert, MTA-STS enforce", cert: mailtest.CertSelfSigned, sign: true, tlsa: daneEE, sts: "enforce",
			want: []string{"tls.cert-untrusted:fail", "tls.dane-valid:info", "tls.mtasts-would-fail:fail"}},
		{name: "DANE-EE, expired cert, MTA-STS mode none", cert: mailtest.CertExpired, sign: true, tlsa: daneEE, sts: "none",
			want: []string{"tls.cert-expired:info", "tls.dane-valid:info"}},
		// Outside DANE's authentication an expired certificate fails, as
		// before, whatever the MTA-STS context.
		{name: "DANE mismatch, expired cert", cert: mailtest.CertExpired, sign: true, tlsa: func(*tls.Certificate, []byte) string { return "3 1 1 " + strings.Repeat("ab", 32) },
			want: []string{"tls.cert-expired:fail", "tls.dane-mismatch:fail"}},
		{name: "DANE-EE full certificate SHA-512", sign: true, tlsa: func(c *tls.Certificate, _ []byte) string {
			return fmt.Sprintf("3 0 2 %x", sha512(c.Leaf.Raw))
		}, want: []string{"tls.dane-valid:info"}},
		{name: "DANE-TA matches the CA", sign: true, tlsa: caHash, want: []string{"tls.dane-valid:info"}},
		{name: "DANE-TA with the wrong name", cert: mailtest.CertWrongName, sign: true, tlsa: caHash,
			want: []string{"tls.cert-name-mismatch:fail", "tls.dane-mismatch:fail"}},
		{name: "DANE mismatch", sign: true, tlsa: func(*tls.Certificate, []byte) string { return "3 1 1 " + strings.Repeat("ab", 32) },
			want: []string{"tls.dane-mismatch:fail"}},
		{name: "TLSA unsigned", tlsa: func(c *tls.Certificate, _ []byte) string { return "3 1 1 " + spki(c) }, want: []string{"tls.dane-unsigned:warn"}},
		{name: "TLSA PKIX usage", sign: true, tlsa: func(c *tls.Certificate, _ []byte) string { return "1 1 1 " + spki(c) }, want: []string{"tls.dane-pkix-usage:warn"}},
		{name: "TLSA lookup fails", setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			w.DNS.Script("_25._tcp.mx.d.test", dns.TypeTLSA, mailtest.ServFail)
		}, want: []string{"tls.dns-error:error"}},
	}
	// Each case twice: reading the smtp check's sessions, and opening its
	// own (no smtp check in the run): the verdict is the same.
	for _, tc := range tests {
		for _, own := range []bool{false, true} {
			tc := tc
			tc.own = own
			name := tc.name
			if own {
				name += "/own session"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				behaviour(t, tc)
			})
		}
	}
}

func behaviour(t *testing.T, tc scenario) {
	t.Helper()
	res := run(t, tc)
	got := ids(res)
	if strings.Join(got, ",") != strings.Join(tc.want, ",") {
		b, _ := json.MarshalIndent(res, "", "  ")
		t.Errorf("findings %v, want %v\n%s", got, tc.want, b)
	}
	if res.Err != "" {
		t.Errorf("check error: %s", res.Err)
	}
	if tc.message != "" && !slices.ContainsFunc(res.Findings, func(f checks.Finding) bool { return strings.Contains(f.Message, tc.message) }) {
		t.Errorf("no message has %q: %+v", tc.message, res.Findings)
	}
	if tc.fix != "" && (len(res.Findings) == 0 || !strings.Contains(res.Findings[0].Fix, tc.fix)) {
		t.Errorf("fix lacks %q: %+v", tc.fix, res.Findings)
	}
	for _, f := range res.Findings {
		for _, g := range []string{"smtp:", "x509:", "tls:", "EOF", "i/o timeout", "context deadline", "dial tcp", "\n"} {
			if strings.Contains(f.Message, g) || strings.Contains(f.Fix, g) {
				t.Errorf("Go error text %q in %s: %s", g, f.ID, f.Message)
			}
		}
		if f.ID == "tls.not-tested" && strings.Contains(f.Message+f.Fix, "blocked") && tc.setup == nil {
			t.Errorf("%s blames a blocked port: %s / %s", f.ID, f.Message, f.Fix)
		}
	}
}

// Nothing tested is never a pass.
func TestNothingTested(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ zone, want string }{
		"MX host without address": {"@ IN MX 10 mx\n", "could not test: the MX host has no address to connect to (mx.d.test has no A or AAAA record)"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, strings.Replace(zone, "@        IN MX 10 mx\nmx       IN A  192.0.2.10\n", tc.zone, 1))
			res := w.Run(t, checks.Target{Domain: "d.test"}, checks.Options{Timeout: time.Second}, tlscheck.Check{}, mx.Check{})
			if res.Status != checks.StatusError || len(res.Findings) != 1 || res.Findings[0].ID != "tls.nothing-tested" || res.Findings[0].Message != tc.want {
				t.Errorf("%s %+v", res.Status, res.Findings)
			}
		})
	}
}

func TestData(t *testing.T) {
	t.Parallel()
	res := run(t, scenario{name: "valid"})
	d := res.Data.(tlscheck.Data)
	a := d.Hosts[0].Addresses[0]
	if a.Version != "TLS 1.3" || !a.Trusted || !a.NameMatch || a.ExpiresDays == nil || *a.ExpiresDays < 80 || a.OldProbe != "refused" {
		t.Errorf("address %+v", a)
	}
	if len(a.Chain) != 2 || a.Chain[0].Key != "ECDSA P-256" {
		t.Errorf("chain %+v", a.Chain)
	}
	if d.MTASTS != "unknown" {
		t.Errorf("mta_sts %q", d.MTASTS)
	}
	var stages []string
	for _, s := range a.Stages {
		stages = append(stages, s.Name)
	}
	if !strings.Contains(strings.Join(stages, ","), "starttls,tls_handshake,ehlo_tls") {
		t.Errorf("stages %v", stages)
	}
	// The handshake is the smtp check's session's: its transcript says so.
	var notes []string
	for _, e := range a.Transcript {
		if e.Dir == checks.DirInfo {
			notes = append(notes, e.Text)
		}
	}
	if j := strings.Join(notes, "\n"); !strings.Contains(j, "this is the smtp check's session") || !strings.Contains(j, "probe: are TLS 1.0/1.1 still accepted?") {
		t.Errorf("notes:\n%s", j)
	}
}

// Under --no-smtp nothing about TLS is decided: not the certificates, not
// what an MTA-STS policy in enforce mode would make of the hosts.
func TestNoSMTP(t *testing.T) {
	w := mailtest.New(t, zone)
	env, _ := w.Env(checks.Options{NoSMTP: true})
	r := checks.Runner{Env: env, Checks: []checks.Check{tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}, stsCheck{mode: "enforce"}}}
	res := r.Run(context.Background(), checks.Target{Domain: "d.test"}).Results[0]
	// The Runner reports the check skipped and never runs it.
	if res.Status != checks.StatusSkip || !strings.Contains(res.Skip, "--no-smtp") || len(res.Findings) != 0 || res.Data != nil {
		t.Errorf("got %+v", res)
	}
}

// With env.RootCAs nil the system roots apply, and they honour
// SSL_CERT_FILE. The system pool is loaded once per process, so the check
// runs in a child process whose SSL_CERT_FILE names the world's CA.
func TestSystemRootsHonourSSLCertFile(t *testing.T) {
	if os.Getenv("MXRAY_TLS_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSystemRootsHonourSSLCertFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MXRAY_TLS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	w := mailtest.New(t, zone)
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pemFile, w.CA.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Setenv("SSL_CERT_FILE", pemFile)
	os.Setenv("SSL_CERT_DIR", t.TempDir())
	cert, err := w.Cert(mailtest.CertValid, "mx.d.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, TLS: cert}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	env, _ := w.Env(checks.Options{Timeout: 2 * time.Second})
	env.RootCAs = nil
	r := checks.Runner{Env: env, Checks: []checks.Check{tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}}}
	res := r.Run(context.Background(), checks.Target{Domain: "d.test"}).Results[0]
	if got := ids(res); len(got) != 0 {
		t.Errorf("findings %v: the CA from SSL_CERT_FILE was not trusted", got)
	}
	if !res.Data.(tlscheck.Data).Hosts[0].Addresses[0].Trusted {
		t.Error("not trusted")
	}
}

func TestCatalogue(t *testing.T) {
	var b strings.Builder
	for _, d := range (tlscheck.Check{}).Findings() {
		if !strings.HasPrefix(d.ID, "tls.") || d.Title == "" || d.Why == "" || d.Fix == "" || !d.Severity.Valid() {
			t.Errorf("incomplete def %+v", d)
		}
		fmt.Fprintf(&b, "%s %s\n", d.ID, d.Severity)
	}
	golden.Check(t, "tlscheck/findings.txt", []byte(b.String()))
}

// Four MX hosts, one a tarpit: the tls check takes about the tarpit's
// banner timeout, not the sum, whether it reads the smtp check's sessions
// or opens its own.
func TestTarpitDoesNotSerialise(t *testing.T) {
	t.Parallel()
	for _, own := range []bool{false, true} {
		t.Run(fmt.Sprintf("own=%t", own), func(t *testing.T) {
			t.Parallel()
			tarpit(t, own)
		})
	}
}

func tarpit(t *testing.T, own bool) {
	z := zone + "@ IN MX 20 mx2\n@ IN MX 30 mx3\n@ IN MX 40 mx4\nmx2 IN A 192.0.2.11\nmx3 IN A 192.0.2.12\nmx4 IN A 192.0.2.13\n"
	w := mailtest.New(t, z)
	const timeout = 200 * time.Millisecond
	const greeting = 600 * time.Millisecond
	const delay = 250 * time.Millisecond // each good server's greet pause (twice: main and TLS 1.0/1.1 probe), slower than --timeout
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	for i := 11; i <= 13; i++ {
		name := fmt.Sprintf("mx%d.d.test", i-9)
		cert, err := w.Cert(mailtest.CertValid, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: name, Domains: []string{"d.test"}, TLS: cert, BannerDelay: delay}, fmt.Sprintf("192.0.2.%d:25", i)); err != nil {
			t.Fatal(err)
		}
	}
	env, _ := w.Env(checks.Options{Timeout: timeout, GreetingTimeout: greeting})
	reg := []checks.Check{mx.Check{}}
	if !own {
		reg = append(reg, smtp.Check{})
	}
	r := checks.Runner{Env: env, Checks: []checks.Check{tlscheck.Check{}}, Registry: reg}
	t0 := time.Now()
	res := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
	took := time.Since(t0)
	if took > 2*greeting || res.Duration > 2*greeting {
		t.Errorf("run took %s, the tls check %s; greeting timeout %s, sequential sum %s", took, res.Duration, greeting, greeting+6*delay)
	}
	if got := strings.Join(ids(res), ","); got != "tls.not-tested:error" {
		t.Errorf("findings %s", got)
	}
	t.Logf("4 MX, one tarpit: the tls check took %s, the run %s (greeting timeout %s)", res.Duration.Round(time.Millisecond), took.Round(time.Millisecond), greeting)
}

// TestMTASTSVerdict pins, with a golden per case, what the tls check says
// of the MX hosts under the domain's MTA-STS policy and under DANE: the
// findings (tls.mtasts-would-fail, and the certificate findings whose
// severity depends on who validates the certificate) and each host's
// MTA-STS verdict in the data (Host.MTASTS, Address.MTASTSWouldFail).
func TestMTASTSVerdict(t *testing.T) {
	t.Parallel()
	secondAddr := func(noTLS bool) func(t *testing.T, w *mailtest.World, env *checks.Env) {
		return func(t *testing.T, w *mailtest.World, env *checks.Env) {
			if err := w.DNS.AddZone("mx.d.test. IN A 192.0.2.11\n"); err != nil {
				t.Fatal(err)
			}
			o := mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}}
			if !noTLS {
				cert, err := w.Cert(mailtest.CertValid, "mx.d.test")
				if err != nil {
					t.Fatal(err)
				}
				o.TLS = cert
			}
			if _, err := w.SMTP(o, "192.0.2.11:25"); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		golden string // testdata/golden/tlscheck/<golden>.json; "" = none
		sc     scenario
		// verdict and wouldFail are the host's Host.MTASTS ("" verdict:
		// nil); addrFail the first address's MTASTSWouldFail.
		verdict, wouldFail, addrFail string
	}{
		{golden: "tls.mtasts-would-fail", sc: scenario{noTLS: true, sts: "testing"},
			verdict: tlscheck.STSWouldFail, wouldFail: "it does not offer STARTTLS", addrFail: "it does not offer STARTTLS"},
		{golden: "tls.mtasts-would-fail-enforce", sc: scenario{cert: mailtest.CertWrongName, sts: "enforce"},
			verdict: tlscheck.STSWouldFail, wouldFail: "its certificate is for wrong-name.invalid, not mx.d.test", addrFail: "its certificate is for wrong-name.invalid, not mx.d.test"},
		{golden: "tls.mtasts-would-fail-expired-self-signed", sc: scenario{cert: mailtest.CertSelfSigned, sts: "testing",
			setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
				env.Now = func() time.Time { return time.Now().AddDate(1, 0, 0) }
			}},
			verdict: tlscheck.STSWouldFail, addrFail: "its certificate does not chain to a trusted root: it is self-signed; its certificate expired on"},
		{golden: "tls.mtasts-would-fail-dane", sc: scenario{cert: mailtest.CertExpired, sign: true, tlsa: daneEE, sts: "enforce"},
			verdict: tlscheck.STSWouldFail, addrFail: "its certificate expired on"},
		{golden: "tls.mtasts-would-fail-one-address", sc: scenario{sts: "enforce", setup: secondAddr(true)},
			verdict: tlscheck.STSWouldFail, wouldFail: "192.0.2.11: it does not offer STARTTLS"},
		{golden: "tls.cert-expired-dane", sc: scenario{cert: mailtest.CertExpired, sign: true, tlsa: daneEE}},
		{golden: "tls.cert-expired-dane-testing", sc: scenario{cert: mailtest.CertExpired, sign: true, tlsa: daneEE, sts: "testing"},
			verdict: tlscheck.STSWouldFail, addrFail: "its certificate expired on"},
		{golden: "tls.cert-name-mismatch-dane-testing", sc: scenario{cert: mailtest.CertWrongName, sign: true, tlsa: daneEE, sts: "testing"},
			verdict: tlscheck.STSWouldFail, addrFail: "its certificate is for wrong-name.invalid, not mx.d.test"},
		{sc: scenario{sts: "enforce", setup: secondAddr(false)}, verdict: tlscheck.STSOK},
		{sc: scenario{sts: "testing"}, verdict: tlscheck.STSOK},
		{sc: scenario{noTLS: true, sts: "enforce", stsMX: []string{"mx.elsewhere.test"}}, verdict: tlscheck.STSNotCovered},
		{sc: scenario{noTLS: true, sts: "none"}},
		{sc: scenario{noTLS: true}},
		// Port 25 blocked: nothing decided, so nothing would fail.
		{sc: scenario{sts: "enforce", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			env.Dialer = mailtest.Blackhole(w.Dialer, "192.0.2.10:25")
		}}, verdict: tlscheck.STSUndecided},
	}
	for i, tc := range tests {
		name := tc.golden
		if name == "" {
			name = fmt.Sprintf("%d-sts-%s-%s", i, tc.sc.sts, tc.verdict)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := run(t, tc.sc)
			if res.Err != "" {
				t.Fatalf("check error: %s", res.Err)
			}
			d := res.Data.(tlscheck.Data)
			h := d.Hosts[0]
			switch {
			case tc.verdict == "" && h.MTASTS != nil:
				t.Errorf("host verdict %+v, want none", *h.MTASTS)
			case tc.verdict != "" && (h.MTASTS == nil || h.MTASTS.Verdict != tc.verdict || h.MTASTS.Covered != (tc.verdict != tlscheck.STSNotCovered) ||
				!strings.HasPrefix(h.MTASTS.WouldFail, tc.wouldFail) || (h.MTASTS.WouldFail == "") != (tc.verdict != tlscheck.STSWouldFail)):
				t.Errorf("host verdict %+v, want %s %q", h.MTASTS, tc.verdict, tc.wouldFail)
			}
			if got := h.Addresses[0].MTASTSWouldFail; !strings.HasPrefix(got, tc.addrFail) || (got == "") != (tc.addrFail == "") {
				t.Errorf("address would fail %q, want %q", got, tc.addrFail)
			}
			if tc.golden != "" {
				golden.Check(t, "tlscheck/"+tc.golden+".json", stableDates(policytest.Stable(&res)))
			}
		})
	}
}

// stableDates replaces what varies in a golden: the test certificates are
// made relative to the real clock,
func stableDates(b []byte) []byte {
	b = regexp.MustCompile(`\d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?`).ReplaceAll(b, []byte("YYYY-MM-DD"))
	b = regexp.MustCompile(`expires in \d+ day`).ReplaceAll(b, []byte("expires in N day"))
	// and their keys, which TLSA records name, are made for each test.
	return regexp.MustCompile(`[0-9a-f]{16,}`).ReplaceAll(b, []byte("HEX"))
}
