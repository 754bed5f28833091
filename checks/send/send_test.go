package send_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
)

const zone = `
$ORIGIN test.
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.53
rcpt MX 10 mx1.rcpt
mx1.rcpt A 192.0.2.10
fallback MX 10 dead.fallback
fallback MX 20 live.fallback
dead.fallback A 192.0.2.20
live.fallback A 192.0.2.21
tarpit MX 10 mx.tarpit
mx.tarpit A 192.0.2.30
nullmx MX 0 .
nomx A 192.0.2.40
smtp A 192.0.2.25
sender MX 10 mx1.rcpt
`

type world struct {
	*mailtest.World
	box *mailtest.Mailbox
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{World: mailtest.New(t, zone), box: mailtest.NewMailbox()}
}

func (w *world) env(t *testing.T, timeout time.Duration) *checks.Env {
	t.Helper()
	env, err := w.Env(checks.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	return env
}

// mx starts the MX of rcpt.test with STARTTLS and a certificate of kind.
func (w *world) mx(t *testing.T, kind mailtest.CertKind, o mailtest.SMTPOptions, routes ...string) {
	t.Helper()
	cert, err := w.Cert(kind, "mx1.rcpt.test", "live.fallback.test", "nomx.test")
	if err != nil {
		t.Fatal(err)
	}
	if o.Hostname == "" {
		o.Hostname = "mx1.rcpt.test"
	}
	o.Domains = append(o.Domains, "rcpt.test", "fallback.test", "nomx.test")
	o.TLS = cert
	o.Mailbox = w.box
	if len(routes) == 0 {
		routes = []string{"192.0.2.10:25"}
	}
	if _, err := w.SMTP(o, routes...); err != nil {
		t.Fatal(err)
	}
}

func (w *world) submission(t *testing.T, implicit bool, route string, users map[string]string, reject ...string) *mailtest.SubmissionServer {
	t.Helper()
	cert, err := w.Cert(mailtest.CertValid, "smtp.test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.Submission(mailtest.SubmissionOptions{Hostname: "smtp.test", Cert: cert, Implicit: implicit,
		Users: users, Mailbox: w.box, RejectRcpt: reject}, route)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, env *checks.Env, o send.Options) *send.Trace {
	t.Helper()
	if o.HELO == "" {
		o.HELO = "client.sender.test"
	}
	if err := send.Validate(o); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	tr := send.Send(context.Background(), env, o)
	if tr.Result == "" {
		t.Fatal("no result")
	}
	return tr
}

func steps(tr *send.Trace) []string {
	var out []string
	for _, s := range tr.Steps {
		out = append(out, s.Step)
	}
	return out
}

func find(tr *send.Trace, name string) []send.Step {
	var out []send.Step
	for _, s := range tr.Steps {
		if s.Step == name {
			out = append(out, s)
		}
	}
	return out
}

func dump(tr *send.Trace) string {
	b, _ := json.MarshalIndent(tr, "", "  ")
	return string(b)
}

// rsaKey returns the package's 2048-bit RSA signing key, generated once
// (about 80 ms of CPU each time); each test publishes it in its own world.
func rsaKey(t *testing.T) crypto.Signer {
	t.Helper()
	s, err := sharedRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sharedRSAKey = sync.OnceValues(func() (crypto.Signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	return send.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))
})

func edKey(t *testing.T) crypto.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	s, err := send.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// publish puts the key's record at sel._domainkey.sender.test.
func (w *world) publish(t *testing.T, sel string, k crypto.Signer) {
	t.Helper()
	rec, err := send.PublicRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	// TXT strings are at most 255 octets: split the record.
	var parts []string
	for len(rec) > 200 {
		parts = append(parts, `"`+rec[:200]+`"`)
		rec = rec[200:]
	}
	parts = append(parts, `"`+rec+`"`)
	rr, err := dns.NewRR(sel + "._domainkey.sender.test. 300 IN TXT " + strings.Join(parts, " "))
	if err != nil {
		t.Fatal(err)
	}
	w.DNS.Add(rr)
}

// verifyAtReceiver verifies DKIM like a receiver: keys from the world's DNS.
func (w *world) verifyAtReceiver(t *testing.T, msg []byte) []*dkim.Verification {
	t.Helper()
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		a, err := c.Lookup(context.Background(), name, dns.TypeTXT)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, txt := range a.TXT() {
			out = append(out, strings.Join(txt, ""))
		}
		return out, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

const eml = "From: Sender <me@sender.test>\n" +
	"To: you@rcpt.test\n" +
	"Subject: a test with a dot line\n" +
	"Message-ID: <eml-1@sender.test>\n" +
	"Date: Mon, 02 Jan 2026 15:04:05 +0000\n" +
	"\n" +
	"first line\n" +
	".\n" +
	"..two dots\n" +
	"a line with a lone CR\rend\n" +
	"no final newline"

func TestDirectToMXArrivesByteIdenticalAndDKIMVerifies(t *testing.T) {
	t.Parallel()
	for _, kt := range []string{"rsa", "ed25519"} {
		t.Run(kt, func(t *testing.T) {
			w := newWorld(t)
			w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{})
			key := rsaKey
			if kt == "ed25519" {
				key = edKey
			}
			k := key(t)
			w.publish(t, "s1", k)
			tr := run(t, w.env(t, 5*time.Second), send.Options{
				From: "me@sender.test", To: []string{"you@rcpt.test"},
				EML:  []byte(eml),
				DKIM: &send.DKIMOptions{Selector: "s1", Key: k},
			})
			if tr.Result != send.ResultDelivered {
				t.Fatalf("result %s: %s\n%s", tr.Result, tr.Error, dump(tr))
			}
			want := []string{"message", "dns", "dns", "connect", "banner", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "data", "end-of-data", "quit"}
			if got := steps(tr); !slices.Equal(got, want) {
				t.Errorf("steps\n got %v\nwant %v", got, want)
			}
			msgs := w.box.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages arrived", len(msgs))
			}
			got := msgs[0].Data
			// The arrival is the DKIM-Signature field followed by the
			// file, byte for byte, with CRLF line endings.
			wantBody := send.CRLF([]byte(eml))
			if !bytes.HasPrefix(got, []byte("DKIM-Signature: ")) || !bytes.HasSuffix(got, wantBody) {
				t.Fatalf("arrived:\n%q\nwant DKIM-Signature + \n%q", got, wantBody)
			}
			if !msgs[0].TLS {
				t.Error("not received inside TLS")
			}
			vs := w.verifyAtReceiver(t, got)
			if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "sender.test" {
				t.Fatalf("receiver verification: %+v", vs)
			}
			m := tr.Steps[0]
			if m.Message == nil || m.Message.DKIM == nil || !m.Message.DKIM.VerifiedLocal {
				t.Fatalf("message step: %+v", m)
			}
			if !containsLine(m.Info, "verified locally") || !containsLine(m.Info, "matches the signing key") {
				t.Errorf("message step info: %q", m.Info)
			}
			wantAlg := map[string]string{"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}[kt]
			if m.Message.DKIM.Algorithm != wantAlg {
				t.Errorf("algorithm %s", m.Message.DKIM.Algorithm)
			}
			// Directions stay apart, also inside TLS.
			ehlos := find(tr, "ehlo")
			if len(ehlos[1].Client) != 1 || !strings.HasPrefix(ehlos[1].Client[0], "EHLO client.sender.test") ||
				len(ehlos[1].Server) < 2 || !strings.HasPrefix(ehlos[1].Server[0], "250-") {
				t.Errorf("EHLO inside TLS: C %q S %q", ehlos[1].Client, ehlos[1].Server)
			}
			tlsStep := find(tr, "tls")[0]
			if tlsStep.TLS == nil || !tlsStep.TLS.Verified || tlsStep.TLS.Version == "" || len(tlsStep.TLS.Chain) == 0 {
				t.Errorf("tls step %+v", tlsStep.TLS)
			}
			data := find(tr, "data")[0]
			if !slices.Equal(data.Client, []string{"DATA"}) || len(data.Server) != 1 || !strings.HasPrefix(data.Server[0], "354") {
				t.Errorf("data step: C %q S %q (the content must not be in the trace)", data.Client, data.Server)
			}
			eod := find(tr, "end-of-data")[0]
			if !slices.Equal(eod.Client, []string{"."}) || eod.Reply == nil || eod.Reply.Code != 250 {
				t.Errorf("end-of-data step: C %q reply %+v", eod.Client, eod.Reply)
			}
			for _, s := range tr.Steps {
				if s.StartedMs < 0 || s.DurationMs < 0 {
					t.Errorf("step %s timing %d+%d", s.Step, s.StartedMs, s.DurationMs)
				}
			}
		})
	}
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestDefaultMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{})
	tr := run(t, w.env(t, 5*time.Second), send.Options{
		From: "me@sender.test", To: []string{"you@rcpt.test", "other@rcpt.test"}, RunID: "0123456789ab",
		Headers: []string{"X-Campaign: test", "Subject: replaced subject"},
		Body:    []byte("héllo wörld\nsecond line\n"),
	})
	if tr.Result != send.ResultDelivered {
		t.Fatalf("%s: %s", tr.Result, tr.Error)
	}
	msgs := w.box.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 2 {
		t.Fatalf("arrived: %+v", msgs)
	}
	got := string(msgs[0].Data)
	for _, want := range []string{
		"From: me@sender.test\r\n", "To: you@rcpt.test, other@rcpt.test\r\n", "Subject: replaced subject\r\n",
		"Message-ID: <mxray.0123456789ab@sender.test>\r\n", "MIME-Version: 1.0\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: quoted-printable\r\n",
		"X-Campaign: test\r\n", "\r\n\r\nh=C3=A9llo w=C3=B6rld\r\nsecond line\r\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "Subject:") != 1 {
		t.Errorf("Subject not replaced:\n%s", got)
	}
	if tr.MessageID != "<mxray.0123456789ab@sender.test>" {
		t.Errorf("message id %q", tr.MessageID)
	}
	if rcpts := find(tr, "rcpt"); len(rcpts) != 2 {
		t.Errorf("%d rcpt steps", len(rcpts))
	}

	// The default body says what sent it.
	w2 := newWorld(t)
	w2.mx(t, mailtest.CertValid, mailtest.SMTPOptions{})
	tr = run(t, w2.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, RunID: "feedfacecafe"})
	if tr.Result != send.ResultDelivered {
		t.Fatalf("%s: %s", tr.Result, tr.Error)
	}
	body := string(w2.box.Messages()[0].Data)
	for _, want := range []string{"Subject: mxray test message feedfacecafe", "sent by mxray send", "Run id:   feedfacecafe", "Date: ", "Content-Transfer-Encoding: 7bit"} {
		if !strings.Contains(body, want) {
			t.Errorf("default message lacks %q:\n%s", want, body)
		}
	}
}

func TestSubmissionAuthNeverShowsThePassword(t *testing.T) {
	t.Parallel()
	const user, pass = "me@sender.test", "s3cret-Pässword!"
	cases := []struct {
		name     string
		implicit bool
		port     string
		mech     string
		tls      send.TLSMode
	}{
		{"starttls-plain", false, "587", "", send.TLSAuto},
		{"starttls-login", false, "587", "LOGIN", send.TLSStartTLS},
		{"implicit-plain", true, "465", "PLAIN", send.TLSAuto},
		{"implicit-login", true, "465", "LOGIN", send.TLSImplicit},
	}
	secrets := []string{
		pass,
		base64.StdEncoding.EncodeToString([]byte(pass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
		base64.StdEncoding.EncodeToString([]byte(user + "\x00" + user + "\x00" + pass)),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			srv := w.submission(t, c.implicit, "192.0.2.25:"+c.port, map[string]string{user: pass})
			var live []send.Step
			tr := run(t, w.env(t, 5*time.Second), send.Options{
				From: user, To: []string{"you@rcpt.test"}, Server: "smtp.test:" + c.port, TLS: c.tls,
				AuthUser: user, Password: pass, AuthMech: c.mech,
				OnStep: func(s send.Step) { live = append(live, s) },
			})
			if tr.Result != send.ResultDelivered {
				t.Fatalf("%s: %s\n%s", tr.Result, tr.Error, dump(tr))
			}
			if !strings.HasPrefix(tr.QueueID, "4F") {
				t.Errorf("queue id %q", tr.QueueID)
			}
			wantMech := c.mech
			if wantMech == "" {
				wantMech = "PLAIN"
			}
			if got := srv.Auths(); !slices.Equal(got, []string{wantMech}) {
				t.Errorf("server saw AUTH %v", got)
			}
			if msgs := w.box.Messages(); len(msgs) != 1 || msgs[0].User != user {
				t.Fatalf("mailbox %+v", msgs)
			}
			auth := find(tr, "auth")
			if len(auth) != 1 {
				t.Fatalf("auth steps: %v", steps(tr))
			}
			for _, l := range auth[0].Client {
				if !strings.Contains(l, send.Masked) && l != "AUTH LOGIN" {
					t.Errorf("unmasked AUTH line %q", l)
				}
			}
			if wantMech == "LOGIN" && (len(auth[0].Client) != 3 || len(auth[0].Server) != 3) {
				t.Errorf("LOGIN exchange C %q S %q", auth[0].Client, auth[0].Server)
			}
			if !slices.EqualFunc(live, tr.Steps, func(a, b send.Step) bool { return a.Step == b.Step && a.StartedMs == b.StartedMs }) {
				t.Errorf("OnStep saw %d steps, the trace has %d", len(live), len(tr.Steps))
			}
			out, _ := json.Marshal(tr)
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					t.Fatalf("trace contains the secret %q", s)
				}
			}
		})
	}
}

func TestAuthFailureReportsStage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "right"})
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"},
		Server: "smtp.test:587", AuthUser: "me", Password: "wrong-password"})
	if tr.Result != send.ResultRejected || tr.Rejection == nil || tr.Rejection.Stage != "auth" || tr.Rejection.Code != 535 {
		t.Fatalf("%s %+v\n%s", tr.Result, tr.Rejection, dump(tr))
	}
	if !strings.Contains(tr.Rejection.Explanation, "password") {
		t.Errorf("explanation %q", tr.Rejection.Explanation)
	}
	if out, _ := json.Marshal(tr); bytes.Contains(out, []byte("wrong-password")) {
		t.Error("password in trace")
	}
}

func TestRcptRejection(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "pw"}, "nobody@rcpt.test")
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test", "nobody@rcpt.test"},
		Server: "smtp.test:587", AuthUser: "me", Password: "pw"})
	if tr.Result != send.ResultRejected {
		t.Fatalf("%s: %s", tr.Result, tr.Error)
	}
	r := tr.Rejection
	if r == nil || r.Stage != "rcpt" || r.Code != 550 || r.Enhanced != "5.1.1" || r.Temporary || r.Explanation == "" {
		t.Fatalf("rejection %+v", r)
	}
	if got := steps(tr); !slices.Equal(got[len(got)-3:], []string{"rcpt", "rcpt", "quit"}) {
		t.Errorf("steps %v: both recipients tried, then QUIT, no DATA", got)
	}
	if len(w.box.Messages()) != 0 {
		t.Error("a message arrived")
	}

	// Relaying through an MX is refused at RCPT, with the explanation.
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{})
	tr = run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@elsewhere.test"}, Server: "mx1.rcpt.test:25"})
	if tr.Rejection == nil || tr.Rejection.Code != 554 || tr.Rejection.Enhanced != "5.7.1" || !strings.Contains(tr.Rejection.Explanation, "not the recipient's MX") {
		t.Errorf("relay rejection %+v", tr.Rejection)
	}
}

func TestGreylistingIsExplained(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Greylist: true})
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
	r := tr.Rejection
	if tr.Result != send.ResultRejected || r == nil || r.Stage != "rcpt" || r.Code != 450 || !r.Temporary || !strings.Contains(r.Explanation, "Greylisting") {
		t.Fatalf("%s %+v", tr.Result, r)
	}
}

func TestTarpitTimesOutAtTheBanner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.30:25"); err != nil {
		t.Fatal(err)
	}
	const bound = 100 * time.Millisecond
	start := time.Now()
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@tarpit.test"}, GreetingTimeout: bound})
	elapsed := time.Since(start)
	if tr.Result != send.ResultUnreachable || tr.Stage != "banner" || tr.Error != "no greeting within 100ms" {
		t.Fatalf("%s at %s: %s\n%s", tr.Result, tr.Stage, tr.Error, dump(tr))
	}
	if elapsed > bound+time.Second {
		t.Errorf("took %s with a %s bound", elapsed, bound)
	}
	b := find(tr, "banner")[0]
	if b.DurationMs < bound.Milliseconds()-20 || b.DurationMs > bound.Milliseconds()+500 {
		t.Errorf("banner step took %d ms", b.DurationMs)
	}
}

// A certificate that does not verify stops a submission (--server) and a
// direct delivery with --verify; direct delivery without --verify goes on
// (opportunistic TLS, as MTAs do) and says so; --insecure goes on
// everywhere.
func TestInvalidCertificateStopsUnlessInsecure(t *testing.T) {
	t.Parallel()
	for _, kind := range []mailtest.CertKind{mailtest.CertSelfSigned, mailtest.CertExpired, mailtest.CertWrongName} {
		w := newWorld(t)
		w.mx(t, kind, mailtest.SMTPOptions{})
		env := w.env(t, 5*time.Second)
		for _, o := range []send.Options{
			{From: "me@sender.test", To: []string{"you@rcpt.test"}, Verify: true},
			{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "mx1.rcpt.test:25"},
		} {
			tr := run(t, env, o)
			if tr.Result != send.ResultRefused || tr.Stage != "tls" || !strings.Contains(tr.Error, "certificate") || !strings.Contains(tr.Error, "--insecure") {
				t.Fatalf("kind %d, server %q: %s at %s: %s", kind, o.Server, tr.Result, tr.Stage, tr.Error)
			}
			plainTrace(t, tr)
		}
		if len(w.box.Messages()) != 0 {
			t.Fatal("delivered despite the certificate")
		}

		// Direct delivery: opportunistic TLS.
		tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
		if tr.Result != send.ResultDelivered || tr.Encryption != send.EncryptionUnverified || tr.CertificateError == "" {
			t.Fatalf("kind %d, opportunistic: %s (%s, %q): %s\n%s", kind, tr.Result, tr.Encryption, tr.CertificateError, tr.Error, dump(tr))
		}
		ts := find(tr, "tls")[0]
		if ts.TLS == nil || ts.TLS.Verified || ts.TLS.VerifyError == "" || !ts.TLS.Opportunistic || ts.TLS.Insecure || !containsLine(ts.Info, "opportunistic") {
			t.Errorf("kind %d: opportunistic tls step %+v %q", kind, ts.TLS, ts.Info)
		}
		plainTrace(t, tr)
		for _, g := range goText {
			if strings.Contains(tr.CertificateError, g) {
				t.Errorf("Go error text in %q", tr.CertificateError)
			}
		}
		if n := len(w.box.Messages()); n != 1 || !w.box.Messages()[0].TLS {
			t.Fatalf("kind %d: %d messages, want one, inside TLS", kind, n)
		}

		tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Verify: true})
		if tr.Result != send.ResultRefused || tr.Stage != "tls" || !strings.Contains(tr.Error, "certificate") || !strings.Contains(tr.Error, "--insecure") {
			t.Fatalf("kind %d: %s at %s: %s", kind, tr.Result, tr.Stage, tr.Error)
		}
		ts = find(tr, "tls")[0]
		if ts.TLS == nil || ts.TLS.Verified || ts.TLS.VerifyError == "" || ts.TLS.Opportunistic || len(ts.TLS.Chain) == 0 {
			t.Errorf("kind %d: tls step %+v", kind, ts.TLS)
		}
		tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "mx1.rcpt.test", Insecure: true})
		if tr.Result != send.ResultDelivered || tr.Encryption != send.EncryptionUnverified || tr.CertificateError == "" {
			t.Fatalf("kind %d with --server and --insecure: %s: %s", kind, tr.Result, tr.Error)
		}
		tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Insecure: true})
		if tr.Result != send.ResultDelivered || tr.Encryption != send.EncryptionUnverified {
			t.Fatalf("kind %d with --insecure: %s: %s", kind, tr.Result, tr.Error)
		}
		ts = find(tr, "tls")[0]
		if ts.TLS.Verified || ts.TLS.VerifyError == "" || !ts.TLS.Insecure || !containsLine(ts.Info, "does NOT verify") {
			t.Errorf("kind %d: the trace must still say why: %+v %q", kind, ts.TLS, ts.Info)
		}
	}
}

func TestPlaintextAuthIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "plain.test", Domains: []string{"rcpt.test"},
		Users: map[string]string{"me": "pw-plain"}, InsecureAuth: true, Mailbox: w.box}, "192.0.2.25:25"); err != nil {
		t.Fatal(err)
	}
	env := w.env(t, 5*time.Second)
	o := send.Options{From: "me@sender.test", To: []string{"you@elsewhere.test"}, Server: "smtp.test:25", AuthUser: "me", Password: "pw-plain"}
	tr := run(t, env, o)
	if tr.Result != send.ResultRefused || tr.Stage != "auth" || !strings.Contains(tr.Error, "without TLS") {
		t.Fatalf("%s at %s: %s", tr.Result, tr.Stage, tr.Error)
	}
	if a := find(tr, "auth"); len(a) != 1 || len(a[0].Client) != 0 {
		t.Errorf("nothing may be sent: %+v", a)
	}
	o.TLS = send.TLSNone
	if err := send.Validate(o); !errors.Is(err, send.ErrUsage) {
		t.Errorf("--no-tls with AUTH: %v", err)
	}
	o.TLS = send.TLSAuto
	o.AllowPlaintextAuth = true
	tr = run(t, env, o)
	if tr.Result != send.ResultDelivered {
		t.Fatalf("with --allow-plaintext-auth: %s: %s\n%s", tr.Result, tr.Error, dump(tr))
	}
	if out, _ := json.Marshal(tr); bytes.Contains(out, []byte("pw-plain")) || bytes.Contains(out, []byte(base64.StdEncoding.EncodeToString([]byte("\x00me\x00pw-plain")))) {
		t.Error("password in trace")
	}
}

func TestMXFallback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test"}, "192.0.2.21:25")
	tr := run(t, w.env(t, 2*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
	if tr.Result != send.ResultDelivered {
		t.Fatalf("%s: %s\n%s", tr.Result, tr.Error, dump(tr))
	}
	conns := find(tr, "connect")
	if len(conns) != 2 || conns[0].Error == "" || conns[0].Host != "192.0.2.20:25" || conns[1].Host != "192.0.2.21:25" {
		t.Errorf("connects %+v", conns)
	}
	if tr.Server != "live.fallback.test:25" {
		t.Errorf("server %q", tr.Server)
	}
	mx := tr.Steps[1]
	if mx.Step != "dns" || len(mx.DNS) != 1 || mx.DNS[0].Type != "MX" || len(mx.DNS[0].Answers) != 2 {
		t.Errorf("MX step %+v", mx)
	}

	// Nothing reachable: could not connect, with every attempt named.
	w.Dialer.Unroute("192.0.2.21:25")
	tr = run(t, w.env(t, 2*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
	if tr.Result != send.ResultUnreachable || !strings.Contains(tr.Error, "dead.fallback.test") || !strings.Contains(tr.Error, "live.fallback.test") {
		t.Errorf("%s: %s", tr.Result, tr.Error)
	}
}

func TestDNSOutcomes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	env := w.env(t, 2*time.Second)
	tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@nullmx.test"}})
	if tr.Result != send.ResultRejected || tr.Rejection == nil || tr.Rejection.Stage != "dns" || tr.Rejection.Enhanced != "5.1.10" {
		t.Errorf("null MX: %s %+v", tr.Result, tr.Rejection)
	}
	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@missing.test"}})
	if tr.Result != send.ResultUnreachable || !strings.Contains(tr.Error, "NXDOMAIN") {
		t.Errorf("NXDOMAIN: %s %s", tr.Result, tr.Error)
	}
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "nomx.test"}, "192.0.2.40:25")
	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@nomx.test"}})
	if tr.Result != send.ResultDelivered || !containsLine(tr.Steps[1].Info, "implicit MX") {
		t.Errorf("implicit MX: %s %s %q", tr.Result, tr.Error, tr.Steps[1].Info)
	}
	w.DNS.Script("rcpt.test.", dns.TypeMX, mailtest.ServFail)
	tr = run(t, w.env(t, 2*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
	if tr.Result != send.ResultUnreachable || tr.Stage != "dns" || len(tr.Steps[1].DNS) == 0 {
		t.Errorf("SERVFAIL: %s at %s: %s", tr.Result, tr.Stage, tr.Error)
	}
}

func TestQuitAfter(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "pw"})
	env := w.env(t, 5*time.Second)
	last := map[string]string{"connect": "connect", "banner": "banner", "ehlo": "ehlo", "tls": "tls", "auth": "auth", "mail": "mail", "rcpt": "rcpt"}
	for _, q := range send.QuitAfterStages {
		tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test:587",
			AuthUser: "me", Password: "pw", QuitAfter: q})
		if tr.Result != send.ResultStopped || tr.Stage != q {
			t.Errorf("%s: %s at %s: %s", q, tr.Result, tr.Stage, tr.Error)
			continue
		}
		s := steps(tr)
		if q == "connect" {
			if s[len(s)-1] != "connect" {
				t.Errorf("%s: steps %v", q, s)
			}
			continue
		}
		if s[len(s)-1] != "quit" || s[len(s)-2] != last[q] && !(q == "tls" && s[len(s)-2] == "ehlo") {
			t.Errorf("%s: steps %v", q, s)
		}
	}
	if len(w.box.Messages()) != 0 {
		t.Error("a message arrived")
	}
}

func TestStartTLSRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "plain.test", Domains: []string{"rcpt.test"}, Mailbox: w.box}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	env := w.env(t, 5*time.Second)
	tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, TLS: send.TLSStartTLS})
	if tr.Result != send.ResultRefused || tr.Stage != "starttls" {
		t.Errorf("%s at %s: %s", tr.Result, tr.Stage, tr.Error)
	}
	// Opportunistic: goes on in plaintext, and says so.
	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
	if tr.Result != send.ResultDelivered || !containsLine(find(tr, "starttls")[0].Info, "does not offer STARTTLS") {
		t.Errorf("%s: %s", tr.Result, tr.Error)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.30:25"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	o := send.Options{From: "me@sender.test", To: []string{"you@tarpit.test"}, OnStep: func(s send.Step) {
		if s.Step == "connect" {
			once.Do(func() { time.AfterFunc(50*time.Millisecond, cancel) })
		}
	}}
	start := time.Now()
	tr := send.Send(ctx, w.env(t, 30*time.Second), o)
	if time.Since(start) > 5*time.Second || tr.Result != send.ResultUnreachable {
		t.Errorf("%s after %s: %s", tr.Result, time.Since(start), tr.Error)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	k := edKey(t)
	ok := send.Options{From: "a@b.test", To: []string{"c@d.test"}}
	cases := []struct {
		name string
		mod  func(o *send.Options)
	}{
		{"no from", func(o *send.Options) { o.From = "" }},
		{"bad from", func(o *send.Options) { o.From = "Me <a@b.test>" }},
		{"no to", func(o *send.Options) { o.To = nil }},
		{"bad to", func(o *send.Options) { o.To = []string{"nobody"} }},
		{"two domains direct", func(o *send.Options) { o.To = []string{"x@d.test", "y@e.test"} }},
		{"bad server", func(o *send.Options) { o.Server = "smtp..example.com" }},
		{"bad server address", func(o *send.Options) { o.Server = "[smtp.example.com]" }},
		{"empty port", func(o *send.Options) { o.Server = "smtp.example.com:" }},
		{"tls name without server", func(o *send.Options) { o.TLSName = "smtp.example.com" }},
		{"tls name an address", func(o *send.Options) { o.Server, o.TLSName = "192.0.2.1", "192.0.2.1" }},
		{"tls name invalid", func(o *send.Options) { o.Server, o.TLSName = "192.0.2.1", "a b" }},
		{"tls name without tls", func(o *send.Options) { o.Server, o.TLSName, o.TLS = "192.0.2.1", "smtp.example.com", send.TLSNone }},
		{"verify and insecure", func(o *send.Options) { o.Verify, o.Insecure = true, true }},
		{"fqdn with space", func(o *send.Options) { o.FQDN = "a b.example" }},
		{"bad port", func(o *send.Options) { o.Server = "smtp.example.com:99999" }},
		{"user without password", func(o *send.Options) { o.AuthUser = "u" }},
		{"bad mech", func(o *send.Options) { o.AuthUser, o.Password, o.AuthMech = "u", "p", "CRAM-MD5" }},
		{"plaintext auth", func(o *send.Options) { o.AuthUser, o.Password, o.TLS = "u", "p", send.TLSNone }},
		{"eml and body", func(o *send.Options) { o.EML, o.Body = []byte("a: b\n"), []byte("x") }},
		{"quit after", func(o *send.Options) { o.QuitAfter = "data" }},
		{"header injection", func(o *send.Options) { o.Headers = []string{"X-A: b\r\nBcc: evil@x.test"} }},
		{"header without colon", func(o *send.Options) { o.Headers = []string{"X-A b"} }},
		{"dkim without selector", func(o *send.Options) { o.DKIM = &send.DKIMOptions{Key: k} }},
		{"helo with space", func(o *send.Options) { o.HELO = "a b" }},
	}
	if err := send.Validate(ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		o := ok
		c.mod(&o)
		if err := send.Validate(o); !errors.Is(err, send.ErrUsage) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	o := ok
	o.To = []string{"x@d.test", "y@e.test"}
	o.Server = "smtp.example.com:587"
	if err := send.Validate(o); err != nil {
		t.Errorf("two domains through a server: %v", err)
	}
}

func TestRejectedAtEndOfData(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cert, err := w.Cert(mailtest.CertValid, "smtp.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Submission(mailtest.SubmissionOptions{Hostname: "smtp.test", Cert: cert, Users: map[string]string{"me": "pw"},
		RejectData: "550 5.7.26 This mail has been blocked because the sender is unauthenticated."}, "192.0.2.25:587"); err != nil {
		t.Fatal(err)
	}
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test:587", AuthUser: "me", Password: "pw"})
	r := tr.Rejection
	if tr.Result != send.ResultRejected || r == nil || r.Stage != "end-of-data" || r.Code != 550 || r.Enhanced != "5.7.26" || !strings.Contains(r.Explanation, "Gmail") {
		t.Fatalf("%s %+v\n%s", tr.Result, r, dump(tr))
	}
	if got := steps(tr); got[len(got)-1] != "quit" {
		t.Errorf("no QUIT after the rejection: %v", got)
	}
}

func TestGreetings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// A 421 greeting at the first MX: the second takes the message.
	if _, err := w.SMTP(mailtest.SMTPOptions{Greeting: "421 4.3.2 Service shutting down"}, "192.0.2.20:25"); err != nil {
		t.Fatal(err)
	}
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test"}, "192.0.2.21:25")
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
	if tr.Result != send.ResultDelivered || len(find(tr, "banner")) != 2 {
		t.Fatalf("%s: %s %v", tr.Result, tr.Error, steps(tr))
	}
	// A 554 greeting: rejected at the banner, QUIT still said.
	if _, err := w.SMTP(mailtest.SMTPOptions{Greeting: "554 5.7.1 No SMTP service here"}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	tr = run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
	if tr.Result != send.ResultRejected || tr.Rejection == nil || tr.Rejection.Stage != "banner" || tr.Rejection.Code != 554 {
		t.Fatalf("%s %+v", tr.Result, tr.Rejection)
	}
	q := find(tr, "quit")
	if len(q) != 1 || len(q[0].Client) != 1 || q[0].Client[0] != "QUIT" {
		t.Errorf("quit %+v", q)
	}
}

func BenchmarkSendSubmission(b *testing.B) {
	w := mailtest.New(b, zone)
	cert, err := w.Cert(mailtest.CertValid, "smtp.test")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Submission(mailtest.SubmissionOptions{Hostname: "smtp.test", Cert: cert, Users: map[string]string{"me": "pw"}}, "192.0.2.25:587"); err != nil {
		b.Fatal(err)
	}
	env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer env.DNS.Close()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	o := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test:587", AuthUser: "me", Password: "pw",
		HELO: "bench.test", DKIM: &send.DKIMOptions{Selector: "s1", Key: k}}
	b.ResetTimer()
	for b.Loop() {
		if tr := send.Send(context.Background(), env, o); tr.Result != send.ResultDelivered {
			b.Fatalf("%s: %s", tr.Result, tr.Error)
		}
	}
}

func TestIDNRecipient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.DNS.AddZone("$ORIGIN xn--bcher-kva.test.\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ MX 10 mx1.rcpt.test.\n"); err != nil {
		t.Fatal(err)
	}
	w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Domains: []string{"xn--bcher-kva.test"}})
	tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@bücher.test"}})
	if tr.Result != send.ResultDelivered {
		t.Fatalf("%s: %s", tr.Result, tr.Error)
	}
	if rc := find(tr, "rcpt")[0]; rc.Client[0] != "RCPT TO:<you@xn--bcher-kva.test>" {
		t.Errorf("RCPT %q", rc.Client)
	}
}

// hostile starts a hostile SMTP peer at 192.0.2.10:25, the MX of rcpt.test.
func (w *world) hostile(t *testing.T, o mailtest.HostileOptions, routes ...string) *mailtest.HostileServer {
	t.Helper()
	if len(routes) == 0 {
		routes = []string{"192.0.2.10:25"}
	}
	s, err := w.HostileSMTP(o, routes...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goText are fragments of Go error text that must never reach a trace.
var goText = []string{"smtp:", "send:", "textproto", "EOF", "i/o timeout", "context deadline", "context canceled", "dial tcp", "use of closed", "tls:", "x509:"}

func plainTrace(t *testing.T, tr *send.Trace) {
	t.Helper()
	texts := []string{tr.Error}
	for _, s := range tr.Steps {
		texts = append(texts, s.Error)
		texts = append(texts, s.Info...)
	}
	for _, x := range texts {
		for _, g := range goText {
			if strings.Contains(x, g) {
				t.Errorf("Go error text %q in the trace: %q", g, x)
			}
		}
	}
}

// An endless reply to any command is a clear failure, in bounded time.
func TestEndlessReply(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"greeting", "EHLO", "MAIL", "RCPT", "DATA", "."} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			o := mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{}}
			if verb == "greeting" {
				o.Greeting = mailtest.HostileReply{Text: "220-mx1.rcpt.test\r\n", Flood: "220-x\r\n"}
			} else {
				o.Replies[verb] = mailtest.HostileReply{Flood: "250-" + strings.Repeat("x", 60) + "\r\n"}
			}
			w.hostile(t, o)
			start := time.Now()
			tr := run(t, w.env(t, 10*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
			took := time.Since(start)
			if tr.Result != send.ResultUnreachable || !strings.Contains(tr.Error, "is too long: more than 100 lines") {
				t.Fatalf("%s at %s: %s\n%s", tr.Result, tr.Stage, tr.Error, dump(tr))
			}
			if took > 3*time.Second {
				t.Errorf("took %s with a 10s timeout", took)
			}
			plainTrace(t, tr)
			last := tr.Steps[len(tr.Steps)-1]
			if last.Error != tr.Error {
				t.Errorf("the last step says %q, the trace %q", last.Error, tr.Error)
			}
		})
	}
}

// A reply line without CRLF is never taken as a reply: a server that sends
// "220" and closes has not greeted, and no EHLO follows.
func TestCutReplies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     mailtest.HostileOptions
		stage string
		err   string
	}{
		{name: "greeting cut, then closed", o: mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220", Close: true}},
			stage: "banner", err: `the greeting was cut off mid-line: "220" and then the server closed the connection`},
		{name: "greeting cut, then silence", o: mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx1.rcpt.test ESMTP", Stall: true}},
			stage: "banner", err: `the greeting was cut off mid-line: "220 mx1.rcpt.test ESMTP" and then nothing for 200ms`},
		{name: "RCPT reply cut", o: mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"RCPT": {Text: "250 2.1.5 O", Close: true}}},
			stage: "rcpt", err: `the reply to RCPT TO was cut off mid-line: "250 2.1.5 O" and then the server closed the connection`},
		{name: "end of data cut", o: mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{".": {Text: "250 2.0.0 Ok: queued as ABC", Close: true}}},
			stage: "end-of-data", err: `the reply to the end of the message was cut off mid-line: "250 2.0.0 Ok: queued as ABC" and then the server closed the connection`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			srv := w.hostile(t, tc.o)
			tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, GreetingTimeout: 200 * time.Millisecond})
			if tr.Result != send.ResultUnreachable || tr.Stage != tc.stage || tr.Error != tc.err {
				t.Fatalf("%s at %s: %q, want %s: %q\n%s", tr.Result, tr.Stage, tr.Error, tc.stage, tc.err, dump(tr))
			}
			if last := tr.Steps[len(tr.Steps)-1]; last.Reply != nil {
				t.Errorf("the cut line was taken as the reply: %+v", last.Reply)
			}
			if tc.stage == "banner" {
				if got := srv.Commands(); len(got) != 0 {
					t.Errorf("the client went on after a cut greeting: %q", got)
				}
				if len(find(tr, "ehlo")) != 0 {
					t.Errorf("an ehlo step after a cut greeting: %v", steps(tr))
				}
			}
			plainTrace(t, tr)
		})
	}
}

// --timeout bounds the connect and each reply; the greeting has its own
// bound.
func TestWaits(t *testing.T) {
	t.Parallel()
	const timeout, greeting = 150 * time.Millisecond, 400 * time.Millisecond
	opts := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, GreetingTimeout: greeting}
	t.Run("greeting slower than --timeout, within the greeting timeout", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.hostile(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Delay: 2 * timeout, Text: "220 mx1.rcpt.test ESMTP\r\n"}})
		tr := run(t, w.env(t, timeout), opts)
		if tr.Result != send.ResultDelivered {
			t.Errorf("greeting after %s with a %s greeting timeout: %s at %s: %s", 2*timeout, greeting, tr.Result, tr.Stage, tr.Error)
		}
	})
	t.Run("greeting slower than the greeting timeout", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.hostile(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Delay: time.Minute, Text: "220 late\r\n"}})
		start := time.Now()
		tr := run(t, w.env(t, timeout), opts)
		if took := time.Since(start); tr.Error != "no greeting within 400ms" || took < greeting || took > greeting+time.Second {
			t.Errorf("%s after %s", tr.Error, took)
		}
	})
	t.Run("reply slower than --timeout", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"MAIL": {Delay: time.Minute, Text: "250 ok\r\n"}}})
		start := time.Now()
		tr := run(t, w.env(t, timeout), opts)
		if took := time.Since(start); tr.Stage != "mail" || tr.Error != "no reply to MAIL FROM within 150ms" || took > timeout+time.Second {
			t.Errorf("%s: %s after %s", tr.Stage, tr.Error, took)
		}
	})
	t.Run("greeting timeout from the Env", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.hostile(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Delay: time.Minute, Text: "220 late\r\n"}})
		env := w.env(t, timeout)
		env.Opts.GreetingTimeout = 250 * time.Millisecond
		tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}})
		if tr.Error != "no greeting within 250ms" {
			t.Errorf("greeting timeout from the Env: %s", tr.Error)
		}
	})
}

// tarpitZone gives many.test n MX hosts, each a tarpit.
func tarpitZone(n int) string {
	var b strings.Builder
	b.WriteString(zone)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "many MX %d mx%d.many\nmx%d.many A 192.0.2.%d\n", i*10, i, i, 100+i)
	}
	return b.String()
}

// Ten tarpit MX hosts: at most five addresses are tried, then the send
// stops and says which were skipped and why.
func TestAddressLimit(t *testing.T) {
	t.Parallel()
	w := &world{World: mailtest.New(t, tarpitZone(10)), box: mailtest.NewMailbox()}
	var routes []string
	for i := 1; i <= 10; i++ {
		routes = append(routes, fmt.Sprintf("192.0.2.%d:25", 100+i))
	}
	srv := w.hostile(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Stall: true}}, routes...)
	const greeting = 50 * time.Millisecond // every address is a tarpit: the wait only costs time
	start := time.Now()
	tr := run(t, w.env(t, 2*time.Second), send.Options{From: "me@sender.test", To: []string{"you@many.test"}, GreetingTimeout: greeting})
	took := time.Since(start)
	if tr.Result != send.ResultUnreachable || len(find(tr, "connect")) != 5 || srv.Accepted() != 5 {
		t.Fatalf("%s, %d connects, %d accepted: %s\n%s", tr.Result, len(find(tr, "connect")), srv.Accepted(), tr.Error, dump(tr))
	}
	if took > 5*greeting+2*time.Second {
		t.Errorf("took %s: 5 greeting waits of %s", took, greeting)
	}
	sk := find(tr, "skipped")
	if len(sk) != 1 || len(sk[0].Info) != 2 {
		t.Fatalf("skipped steps %+v", sk)
	}
	for i := 6; i <= 10; i++ {
		if !strings.Contains(sk[0].Info[0], fmt.Sprintf("mx%d.many.test:25", i)) {
			t.Errorf("mx%d is not named in %q", i, sk[0].Info[0])
		}
	}
	if !strings.Contains(sk[0].Info[1], "at most 5 addresses are tried") || !strings.Contains(tr.Error, "5 more not tried") {
		t.Errorf("why: %q; error %q", sk[0].Info[1], tr.Error)
	}
	plainTrace(t, tr)
	t.Logf("10 tarpit MX hosts, greeting timeout %s: %s", greeting, took.Round(time.Millisecond))

	// A limit of 2, and connects that never complete (a firewall).
	w.Dialer.Unroute(routes[0])
	env := w.env(t, 150*time.Millisecond)
	env.Dialer = mailtest.Blackhole(w.Dialer, routes...)
	start = time.Now()
	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@many.test"}, AddressLimit: 2})
	if took := time.Since(start); len(find(tr, "connect")) != 2 || took > 2*150*time.Millisecond+2*time.Second {
		t.Errorf("%d connects in %s", len(find(tr, "connect")), took)
	}
	if c := find(tr, "connect"); len(c) == 0 || c[0].Error != "no answer to the connection within 150ms" {
		t.Errorf("connects %+v", c)
	}
}

// The whole send has a deadline: what is not tried by then is named.
func TestTotalTimeout(t *testing.T) {
	t.Parallel()
	w := &world{World: mailtest.New(t, tarpitZone(4)), box: mailtest.NewMailbox()}
	var routes []string
	for i := 1; i <= 4; i++ {
		routes = append(routes, fmt.Sprintf("192.0.2.%d:25", 100+i))
	}
	w.hostile(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Stall: true}}, routes...)
	const total = 350 * time.Millisecond
	start := time.Now()
	tr := run(t, w.env(t, 2*time.Second), send.Options{From: "me@sender.test", To: []string{"you@many.test"},
		GreetingTimeout: 250 * time.Millisecond, TotalTimeout: total})
	took := time.Since(start)
	if took > total+time.Second {
		t.Errorf("took %s with a %s deadline", took, total)
	}
	if tr.Result != send.ResultUnreachable || !strings.HasPrefix(tr.Error, "the send did not finish within 350ms, its overall time limit: ") ||
		!strings.HasSuffix(tr.Error, "; 2 more not tried") {
		t.Errorf("%s: %q\n%s", tr.Result, tr.Error, dump(tr))
	}
	sk := find(tr, "skipped")
	if len(sk) != 1 || !strings.Contains(sk[0].Info[0], "mx3.many.test:25") || !strings.Contains(sk[0].Info[1], "ran out of time") {
		t.Errorf("skipped %+v", sk)
	}
	plainTrace(t, tr)
}
