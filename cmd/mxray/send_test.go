package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
)

const sendZone = `
. SOA a.root.test. hostmaster.test. 1 3600 600 86400 300
. NS a.root.test.
$ORIGIN test.
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.53
rcpt MX 10 mx1.rcpt
mx1.rcpt A 192.0.2.10
tarpit MX 10 mx.tarpit
mx.tarpit A 192.0.2.30
smtp A 192.0.2.25
`

type sendWorld struct {
	*mailtest.World
	box    *mailtest.Mailbox
	caFile string
}

func newSendWorld(t *testing.T) *sendWorld {
	t.Helper()
	w := &sendWorld{World: mailtest.New(t, sendZone), box: mailtest.NewMailbox()}
	w.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(w.caFile, w.CA.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *sendWorld) submission(t *testing.T, users map[string]string, reject ...string) {
	t.Helper()
	cert, err := w.Cert(mailtest.CertValid, "smtp.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Submission(mailtest.SubmissionOptions{Hostname: "smtp.test", Cert: cert, Users: users, Mailbox: w.box, RejectRcpt: reject}, "192.0.2.25:587"); err != nil {
		t.Fatal(err)
	}
}

func (w *sendWorld) mx(t *testing.T, kind mailtest.CertKind) {
	t.Helper()
	cert, err := w.Cert(kind, "mx1.rcpt.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx1.rcpt.test", Domains: []string{"rcpt.test"}, TLS: cert, Mailbox: w.box}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
}

// runSend runs `mxray send` in process with the world's resolver, dialer
// and CA, an environment and standard input.
func (w *sendWorld) run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb)
	a.getenv = func(k string) string { return env[k] }
	a.resolvConf = filepath.Join(t.TempDir(), "missing-resolv.conf")
	a.dialer = w.Dialer
	all := append([]string{"send", "--resolver", w.DNS.Addr(), "--ca-file", w.caFile, "--helo", "client.sender.test"}, args...)
	code := a.run(context.Background(), all)
	return result{code, out.String(), errb.String()}
}

const sendPassword = "Tr0ub4dor&3-sécret"

// secretForms are the password and the encodings AUTH would carry it in.
func secretForms(user string) []string {
	b := base64.StdEncoding.EncodeToString
	return []string{
		sendPassword,
		b([]byte(sendPassword)),
		b([]byte("\x00" + user + "\x00" + sendPassword)),
		b([]byte(user + "\x00" + user + "\x00" + sendPassword)),
	}
}

func assertNoSecret(t *testing.T, r result, user string) {
	t.Helper()
	for _, s := range secretForms(user) {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Fatalf("output contains the password (form %q):\n%s\n%s", s, r.stdout, r.stderr)
		}
	}
}

func TestSendSubmissionText(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	const user = "me@sender.test"
	w.submission(t, map[string]string{user: sendPassword})
	r := w.run(t, map[string]string{"MXRAY_PASSWORD": sendPassword}, "",
		"--server", "smtp.test:587", "--auth-user", user, "--from", user, "--to", "you@rcpt.test", "--header", "X-Campaign: a, b")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	assertNoSecret(t, r, user)
	for _, want := range []string{
		"C: STARTTLS", "S: 220 ", "C: AUTH PLAIN ***", "S: 235 ", "C: MAIL FROM:<me@sender.test>",
		"C: RCPT TO:<you@rcpt.test>", "C: DATA", "S: 354 ", "C: .", "S: 250 2.0.0 Ok: queued as 4F000001",
		"certificate verified for smtp.test", "delivered to smtp.test:587", "queue id 4F000001", "| X-Campaign: a, b",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	msgs := w.box.Messages()
	if len(msgs) != 1 || !bytes.Contains(msgs[0].Data, []byte("X-Campaign: a, b\r\n")) {
		t.Fatalf("mailbox: %d messages", len(msgs))
	}

	// The text trace, with what changes from run to run masked.
	golden.Check(t, "send/submission.txt", []byte(normalizeTrace(r.stdout)))
}

var traceNoise = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+\.\dms from 127\.0\.0\.1:\d+`), "N.Nms from RESOLVER"},
	{regexp.MustCompile(`mxray send [0-9a-f]{12}`), "mxray send RUNID"},
	{regexp.MustCompile(`mxray\.[0-9a-f]{12}@`), "mxray.RUNID@"},
	{regexp.MustCompile(`test message [0-9a-f]{12}`), "test message RUNID"},
	{regexp.MustCompile(`\+\d+ms`), "+Nms"},
	{regexp.MustCompile(`\b\d+ms\b`), "Nms"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d`), "YYYY-MM-DD"},
	{regexp.MustCompile(`Date: .*`), "Date: DATE"},
	{regexp.MustCompile(`X-Mailer: mxray .*`), "X-Mailer: mxray VERSION"},
	{regexp.MustCompile(`TLS_[A-Z0-9_]+`), "CIPHER"},
	{regexp.MustCompile(`mxray test root|serialNumber=\d+`), "CA"},
}

func normalizeTrace(s string) string {
	for _, n := range traceNoise {
		s = n.re.ReplaceAllString(s, n.with)
	}
	// Step headers are padded to the width of the timing they show.
	return regexp.MustCompile(`(?m)^(\+Nms) +(\S+) +Nms`).ReplaceAllString(s, "$1 $2 Nms")
}

func TestSendJSONValidatesAndHidesLOGIN(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	const user = "me"
	w.submission(t, map[string]string{user: sendPassword})
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(sendPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.run(t, nil, "", "--server", "smtp.test:587", "--starttls", "--auth-user", user, "--auth-mech", "login",
		"--password-file", pw, "--from", "me@sender.test", "--to", "you@rcpt.test", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	assertNoSecret(t, r, user)
	doc := validateJSON(t, compileSchema(t), r.stdout)
	tr := doc["trace"].(map[string]any)
	if tr["result"] != "delivered" || tr["queue_id"] != "4F000001" {
		t.Errorf("trace %v %v", tr["result"], tr["queue_id"])
	}
	var auth map[string]any
	for _, s := range tr["steps"].([]any) {
		if s.(map[string]any)["step"] == "auth" {
			auth = s.(map[string]any)
		}
	}
	if auth == nil {
		t.Fatal("no auth step")
	}
	client := auth["client"].([]any)
	if len(client) != 3 || client[0] != "AUTH LOGIN" || client[1] != "***" || client[2] != "***" {
		t.Errorf("LOGIN client lines %v", client)
	}
	if s := auth["server"].([]any); len(s) != 3 || !strings.HasPrefix(s[0].(string), "334 ") || !strings.HasPrefix(s[2].(string), "235") {
		t.Errorf("LOGIN server lines %v", s)
	}

	// The same from standard input.
	r = w.run(t, nil, sendPassword+"\n", "--server", "smtp.test:587", "--auth-user", user, "--password-file", "-",
		"--from", "me@sender.test", "--to", "you@rcpt.test", "--json")
	if r.code != 0 {
		t.Fatalf("--password-file -: exit %d\n%s", r.code, r.stderr)
	}
	assertNoSecret(t, r, user)
}

func TestSendExitCodes(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	w.submission(t, map[string]string{"me": sendPassword}, "nobody@rcpt.test")
	w.mx(t, mailtest.CertSelfSigned)
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.30:25"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MXRAY_PASSWORD": sendPassword}
	sub := []string{"--server", "smtp.test:587", "--auth-user", "me", "--from", "me@sender.test"}
	tests := []struct {
		name string
		args []string
		code report.Exit
		out  string
	}{
		{"delivered", append(sub, "--to", "you@rcpt.test"), 0, "delivered to smtp.test:587"},
		{"rejected at rcpt", append(sub, "--to", "nobody@rcpt.test"), 1, "rejected permanently at rcpt by smtp.test:587: 550 5.1.1"},
		{"quit after rcpt", append(sub, "--to", "you@rcpt.test", "--quit-after", "rcpt"), 0, "stopped after rcpt"},
		{"tarpit", []string{"--from", "me@sender.test", "--to", "you@tarpit.test", "--timeout", "200ms", "--greeting-timeout", "200ms"}, 3, "could not deliver (banner): no greeting within 200ms"},
		{"bad certificate, --verify", []string{"--from", "me@sender.test", "--to", "you@rcpt.test", "--verify"}, 1, "the server's certificate does not verify"},
		{"bad certificate, opportunistic", []string{"--from", "me@sender.test", "--to", "you@rcpt.test"}, 0, "delivered to mx1.rcpt.test:25 in Nms, over TLS with a certificate that does not verify (it is self-signed)"},
		{"bad certificate, --server", []string{"--server", "mx1.rcpt.test", "--from", "me@sender.test", "--to", "you@rcpt.test"}, 1, "the server's certificate does not verify"},
		{"bad certificate, --insecure", []string{"--from", "me@sender.test", "--to", "you@rcpt.test", "--insecure"}, 0, "certificate does NOT verify"},
		{"nothing listens", []string{"--server", "192.0.2.99:25", "--from", "me@sender.test", "--to", "you@rcpt.test"}, 3, "could not deliver (connect)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := w.run(t, env, "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.out) && !strings.Contains(normalizeTrace(r.stdout), tc.out) {
				t.Errorf("exit %d (want %d), want %q in\n%s\n%s", r.code, tc.code, tc.out, r.stdout, r.stderr)
			}
			assertNoSecret(t, r, "me")
		})
	}
}

func TestSendUsageErrors(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	key := filepath.Join(t.TempDir(), "key.pem")
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	notKey := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(notKey, w.CA.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--from", "me@sender.test", "--to", "you@rcpt.test"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"missing from", nil, []string{"--to", "you@rcpt.test"}, "missing --from"},
		{"missing to", nil, []string{"--from", "me@sender.test"}, "missing --to"},
		{"password flag", nil, append(base, "--password", sendPassword), "there is no --password flag"},
		{"password= flag", nil, append(base, "--password="+sendPassword), "there is no --password flag"},
		{"no password source", nil, append(base, "--auth-user", "me", "--server", "smtp.test:587"), "needs a password"},
		{"tls modes", nil, append(base, "--starttls", "--tls", "--server", "smtp.test:465"), "exclude each other"},
		{"tls without server", nil, append(base, "--tls"), "--tls needs --server"},
		{"plaintext auth", map[string]string{"MXRAY_PASSWORD": sendPassword}, append(base, "--no-tls", "--auth-user", "me", "--server", "smtp.test:25"), "--allow-plaintext-auth"},
		{"bad header", nil, append(base, "--header", "no colon"), "--header"},
		{"bad server", nil, append(base, "--server", "smtp..test"), "--server"},
		{"bad server port", nil, append(base, "--server", "smtp.test:"), "--server"},
		{"verify and insecure", nil, append(base, "--verify", "--insecure"), "exclude each other"},
		{"tls-name without server", nil, append(base, "--tls-name", "smtp.test"), "--tls-name needs --server"},
		{"tls-name not a name", nil, append(base, "--server", "192.0.2.25", "--tls-name", "smtp test"), "--tls-name"},
		{"bad quit-after", nil, append(base, "--quit-after", "data"), "--quit-after"},
		{"selector without key", nil, append(base, "--dkim-selector", "s1"), "need --dkim-key"},
		{"key without selector", nil, append(base, "--dkim-key", key), "--dkim-selector"},
		{"not a key", nil, append(base, "--dkim-key", notKey, "--dkim-selector", "s1"), "not a private key"},
		{"missing body file", nil, append(base, "--body-file", "/nonexistent/body"), "--body-file"},
		{"body and eml", nil, append(base, "--body-file", key, "--eml", key), "exclude each other"},
		{"unknown flag", nil, append(base, "--frobnicate"), "frobnicate"},
		{"bad address", nil, []string{"--from", "Me <me@sender.test>", "--to", "you@rcpt.test"}, "bare address"},
		{"password file without user", nil, append(base, "--password-file", key), "needs --auth-user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := w.run(t, tc.env, "", tc.args...)
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d, want 2 and one line with %q; stderr %q stdout %q", r.code, tc.want, r.stderr, r.stdout)
			}
			assertNoSecret(t, r, "me")
		})
	}
}

func TestSendDKIMFromFiles(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	w.mx(t, mailtest.CertValid)
	dir := t.TempDir()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	key := filepath.Join(dir, "key.pem")
	eml := filepath.Join(dir, "m.eml")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	const msg = "From: me@sender.test\nTo: you@rcpt.test\nSubject: eml\n\n.leading dot\nbody\n"
	if err := os.WriteFile(eml, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.run(t, nil, "", "--from", "me@sender.test", "--to", "you@rcpt.test", "--eml", eml, "--dkim-key", key, "--dkim-selector", "ed1")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"DKIM-signed for d=sender.test s=ed1 (ed25519-sha256, relaxed/relaxed)", "verified locally", "no key is published at ed1._domainkey.sender.test"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	got := w.box.Messages()[0].Data
	if !bytes.HasSuffix(got, []byte("From: me@sender.test\r\nTo: you@rcpt.test\r\nSubject: eml\r\n\r\n.leading dot\r\nbody\r\n")) {
		t.Errorf("arrived %q", got)
	}
}

// TestSendCommandTUI: on a terminal `mxray send` opens the TUI; after q the whole
// trace is printed and the exit code is the trace's. No frame shows the
// password.
func TestSendCommandTUI(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	w.submission(t, map[string]string{"me": sendPassword}, "nobody@rcpt.test")
	for _, tc := range []struct {
		to     string
		code   report.Exit
		screen string // the UI's result line
		want   string // the printed trace's
	}{
		{"you@rcpt.test", 0, "delivered", "delivered to smtp.test:587"},
		{"nobody@rcpt.test", 1, "rejected", "rejected permanently at rcpt"},
	} {
		pr, pw := io.Pipe()
		out := &syncBuffer{}
		var errb bytes.Buffer
		a := newApp(pr, out, &errb)
		a.getenv = func(k string) string { return map[string]string{"MXRAY_PASSWORD": sendPassword}[k] }
		a.isTTY = func(io.Writer) bool { return true }
		a.resolvConf = filepath.Join(t.TempDir(), "missing-resolv.conf")
		a.dialer = w.Dialer
		done := make(chan report.Exit, 1)
		go func() {
			done <- a.run(context.Background(), []string{"send", "--resolver", w.DNS.Addr(), "--ca-file", w.caFile, "--helo", "client.sender.test",
				"--server", "smtp.test:587", "--auth-user", "me", "--from", "me@sender.test", "--to", tc.to})
		}()
		waitOutput(t, out, tc.screen, 20*time.Second)
		if _, err := pw.Write([]byte("q")); err != nil {
			t.Fatal(err)
		}
		var code report.Exit
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the TUI did not quit on q")
		}
		pw.Close()
		r := result{code, out.String(), errb.String()}
		if code != tc.code || !strings.Contains(r.stdout, tc.want) || !strings.Contains(r.stdout, "\x1b[?1049h") {
			t.Errorf("%s: exit %d (want %d), want %q after the UI:\n%s", tc.to, code, tc.code, tc.want, tail(r.stdout, 3000))
		}
		assertNoSecret(t, r, "me")
	}
}

func TestWriteStepInterleaves(t *testing.T) {
	var b bytes.Buffer
	report.WriteTraceStep(&b, send.Step{Step: "auth", StartedMs: 12, DurationMs: 3, Host: "192.0.2.25:587",
		Client: []string{"AUTH LOGIN", "***", "***"},
		Server: []string{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235-2.7.0 Authentication", "235 2.7.0 successful"},
		Reply:  &send.Reply{Code: 235}})
	report.WriteTraceStep(&b, send.Step{Step: "rcpt", StartedMs: 15, DurationMs: 1, Client: []string{"RCPT TO:<x@y.test>"},
		Server: []string{"550 5.1.1 no such user"}, Reply: &send.Reply{Code: 550}, Error: "SMTP error 550: no such user"})
	report.WriteTraceStep(&b, send.Step{Step: "banner", StartedMs: 16, DurationMs: 300, Error: "smtp: timed out: greeting: no answer within 300ms"})
	want := `+12ms    auth            3ms  192.0.2.25:587
         C: AUTH LOGIN
         S: 334 VXNlcm5hbWU6
         C: ***
         S: 334 UGFzc3dvcmQ6
         C: ***
         S: 235-2.7.0 Authentication
         S: 235 2.7.0 successful
+15ms    rcpt            1ms
         C: RCPT TO:<x@y.test>
         S: 550 5.1.1 no such user
+16ms    banner        300ms
         ! smtp: timed out: greeting: no answer within 300ms
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// --server without a port, --tls-name for a server given by address, and
// the result line of a delivery in clear text.
func TestSendServerDefaults(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	w.submission(t, map[string]string{"me": sendPassword})
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "smtp.test", Domains: []string{"rcpt.test"}, Mailbox: w.box}, "192.0.2.25:25"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MXRAY_PASSWORD": sendPassword}
	base := []string{"--from", "me@sender.test", "--to", "you@rcpt.test"}
	r := w.run(t, env, "", append(base, "--server", "smtp.test", "--starttls", "--auth-user", "me")...)
	if r.code != 0 || !strings.Contains(r.stdout, "via smtp.test:587\n") || !strings.Contains(r.stdout, "delivered to smtp.test:587") {
		t.Errorf("--server smtp.test --starttls: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = w.run(t, env, "", append(base, "--server", "192.0.2.25", "--starttls", "--auth-user", "me", "--tls-name", "smtp.test", "--json")...)
	doc := validateJSON(t, compileSchema(t), r.stdout)
	tr := doc["trace"].(map[string]any)
	if r.code != 0 || tr["server"] != "192.0.2.25:587" || tr["encryption"] != "tls" || !strings.Contains(r.stdout, `"server_name": "smtp.test"`) {
		t.Errorf("--tls-name: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = w.run(t, nil, "", append(base, "--server", "smtp.test")...)
	if r.code != 0 || !strings.Contains(normalizeTrace(r.stdout), "delivered to smtp.test:25 in Nms, in clear text (no TLS)\n") {
		t.Errorf("port 25 without STARTTLS: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Direct delivery to an MX whose certificate does not verify goes on, and
// the JSON says so (and validates).
func TestSendOpportunisticJSON(t *testing.T) {
	t.Parallel()
	w := newSendWorld(t)
	w.mx(t, mailtest.CertSelfSigned)
	r := w.run(t, nil, "", "--from", "me@sender.test", "--to", "you@rcpt.test", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	tr := validateJSON(t, compileSchema(t), r.stdout)["trace"].(map[string]any)
	if tr["encryption"] != "tls-unverified" || tr["certificate_error"] != "it is self-signed" || tr["ehlo_name"] != "client.sender.test" || tr["ehlo_name_source"] != "option" {
		t.Errorf("trace %v", tr)
	}
	if !strings.Contains(r.stdout, `"opportunistic": true`) {
		t.Errorf("the tls step does not say opportunistic:\n%s", r.stdout)
	}
}

func TestFQDNOf(t *testing.T) {
	hosts := `# comment
127.0.0.1 localhost
127.0.1.1 box.example.com box   # Debian's line
192.0.2.9 other other.example.org
10.0.0.1 short
`
	for host, want := range map[string]string{
		"mail.example.net": "mail.example.net",
		"box":              "box.example.com",
		"other":            "other.example.org",
		"short":            "",
		"vm":               "",
		"localhost":        "",
		"":                 "",
	} {
		if got := fqdnOf(host, strings.NewReader(hosts)); got != want {
			t.Errorf("fqdnOf(%q) = %q, want %q", host, got, want)
		}
	}
	if got := fqdnOf("box", nil); got != "" {
		t.Errorf("without a hosts file: %q", got)
	}
}
