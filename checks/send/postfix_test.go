package send_test

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
)

// postfixBin returns the postfix command, skipping the test with a reason
// where a private Postfix cannot run here, and failing it when CI promised
// one (MXRAY_EXPECT_POSTFIX=1). (checks/smtp has a similar harness in a
// _test.go file, which other packages cannot import.)
func postfixBin(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("MXRAY_EXPECT_POSTFIX") == "1" {
			t.Fatalf("MXRAY_EXPECT_POSTFIX=1 but %s", why)
		}
		t.Skipf("skipping the Postfix delivery test: %s (install Debian's postfix and run as root, as .ci/run does)", why)
	}
	bin := "/usr/sbin/postfix"
	if p, err := exec.LookPath("postfix"); err == nil {
		bin = p
	} else if _, err := os.Stat(bin); err != nil {
		missing("postfix is not installed")
	}
	if os.Geteuid() != 0 {
		missing("a private Postfix instance must be started as root")
	}
	if _, err := os.Stat("/usr/lib/postfix/sbin/smtpd"); err != nil {
		missing("Postfix's daemons are not in /usr/lib/postfix/sbin")
	}
	return bin
}

// loopbackPort25 finds a 127.0.0.x address whose port 25 is free.
func loopbackPort25(t *testing.T) string {
	t.Helper()
	start := 2 + os.Getpid()%200
	for i := range 250 {
		ip := fmt.Sprintf("127.0.0.%d", 2+(start+i)%250)
		l, err := net.Listen("tcp", ip+":25")
		if err == nil {
			l.Close()
			return ip
		}
	}
	t.Fatal("no 127.0.0.x address with a free port 25")
	return ""
}

type postfix struct {
	ip      string
	maildir string // Maildir of you@pf.test
	log     string
}

// startPostfix runs a private Postfix on ip:25: the MX of pf.test, with
// STARTTLS, delivering you@pf.test to a Maildir through the virtual agent;
// and on ip:587 a submission service (TLS required, then SASL through the
// Dovecot auth protocol server at saslAddr).
func startPostfix(t *testing.T, bin string, certPEM, keyPEM []byte, saslAddr string) *postfix {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"queue", "data", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "mail"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// Postfix's own data (the master lock, TLS caches) belongs to postfix.
	pu, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(pu.Uid)
	gid, _ := strconv.Atoi(pu.Gid)
	if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pf := &postfix{ip: loopbackPort25(t), maildir: filepath.Join(dir, "mail", "you"), log: filepath.Join(dir, "maillog")}
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.pf.test
mydomain = pf.test
myorigin = pf.test
mydestination =
inet_interfaces = 127.0.0.1
proxy_interfaces = %[2]s
inet_protocols = ipv4
mynetworks = 192.0.2.254/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = pf.test
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = inline:{ you@pf.test=you/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP
smtpd_tls_security_level = may
smtpd_tls_cert_file = %[1]s/cert.pem
smtpd_tls_key_file = %[1]s/key.pem
smtpd_tls_protocols = >=TLSv1.2
maillog_file_prefixes = %[1]s
maillog_file = %[1]s/maillog
biff = no
`, dir, pf.ip)
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte(mainCF), 0o644); err != nil {
		t.Fatal(err)
	}
	// Debian's stock master.cf, with our port-25 listener instead of its
	// own and chroot off (the queue directory is not a jail).
	stock, err := os.ReadFile("/usr/share/postfix/master.cf.dist")
	if err != nil {
		if stock, err = os.ReadFile("/etc/postfix/master.cf.proto"); err != nil {
			t.Fatalf("no stock master.cf: %v", err)
		}
	}
	var mc strings.Builder
	fmt.Fprintf(&mc, "%s:25 inet n - n - - smtpd\n", pf.ip)
	fmt.Fprintf(&mc, "%s:587 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes"+
		" -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=inet:%s"+
		" -o smtpd_relay_restrictions=permit_sasl_authenticated,reject -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject\n", pf.ip, saslAddr)
	mc.WriteString("postlog unix-dgram n - n - 1 postlogd\n")
	drop := false
	for _, line := range strings.Split(string(stock), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(line, "#"):
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !drop {
				mc.WriteString(line + "\n")
			}
			continue
		}
		drop = len(f) < 8 || f[1] == "inet" || f[0] == "postlog"
		if !drop {
			f[4] = "n"
			mc.WriteString(strings.Join(f, " ") + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "master.cf"), []byte(mc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", dir, "start-fg")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("postfix start-fg: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
			return
		default:
		}
		if b, err := exec.Command(bin, "-c", dir, "stop").CombinedOutput(); err != nil {
			t.Logf("postfix stop: %v %s", err, b)
			_ = cmd.Process.Kill()
		}
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for port := 25; ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", pf.ip, port), time.Second)
		if err == nil {
			c.Close()
			if port == 587 {
				return pf
			}
			port = 587
			continue
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(pf.log)
			check, _ := exec.Command(bin, "-c", dir, "check").CombinedOutput()
			t.Fatalf("postfix exited: %v\n%s\n%s\npostfix check: %s", waitErr, out.String(), log, check)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(pf.log)
			t.Fatalf("postfix did not listen on %s:25: %s\n%s", pf.ip, out.String(), log)
		}
	}
}

// waitDelivered waits for Postfix's virtual agent to write a message into
// the Maildir (an external process: polling with a deadline).
func (pf *postfix) waitDelivered(t *testing.T) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(pf.maildir, "new", "*"))
		if len(files) > 0 {
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(pf.log)
	t.Fatalf("nothing delivered to %s within 30s; maillog:\n%s", pf.maildir, log)
	return nil
}

// TestPostfixDelivery sends through real Debian Postfix: direct to the MX
// of pf.test (found through the fake world's DNS, connected on port 25 of
// a 127.0.0.x address), STARTTLS with a certificate from the world's CA,
// DKIM-signed; the message lands in a Maildir with the signature intact.
func TestPostfixDelivery(t *testing.T) {
	bin := postfixBin(t)
	w := newWorld(t)
	cert, err := w.Cert(mailtest.CertValid, "mx.pf.test", "smtp.pf.test")
	if err != nil {
		t.Fatal(err)
	}
	var certPEM []byte
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	sasl := fakeDovecot(t, map[string]string{"me@pf.test": sendPassword})
	pf := startPostfix(t, bin, certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), sasl)
	if err := w.DNS.AddZone(fmt.Sprintf("$ORIGIN pf.test.\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ MX 10 mx\nmx A %[1]s\nsmtp A %[1]s\n", pf.ip)); err != nil {
		t.Fatal(err)
	}
	env, err := w.Env(checks.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	env.Dialer = &net.Dialer{} // the real network stack, to 127.0.0.x:25

	k := rsaKey(t)
	w.publish(t, "pf", k)

	// An unknown recipient is rejected at RCPT with Postfix's codes.
	tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"nobody@pf.test"}})
	if r := tr.Rejection; tr.Result != send.ResultRejected || r == nil || r.Stage != "rcpt" || r.Code != 550 || r.Enhanced != "5.1.1" {
		t.Fatalf("unknown user: %s %+v\n%s", tr.Result, r, dump(tr))
	}

	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@pf.test"}, EML: []byte(eml),
		DKIM: &send.DKIMOptions{Selector: "pf", Key: k}})
	if tr.Result != send.ResultDelivered || tr.QueueID == "" {
		t.Fatalf("%s (queue id %q): %s\n%s", tr.Result, tr.QueueID, tr.Error, dump(tr))
	}
	ts := find(tr, "tls")
	if len(ts) != 1 || !ts[0].TLS.Verified {
		t.Errorf("STARTTLS with Postfix: %+v", ts)
	}
	got := pf.waitDelivered(t)
	// The Maildir holds LF line endings, Postfix's own header fields on
	// top (Return-Path, Delivered-To, Received), then our message.
	want := bytes.ReplaceAll(send.CRLF([]byte(eml)), []byte("\r\n"), []byte("\n"))
	if !bytes.HasSuffix(got, want) || !bytes.Contains(got, []byte("\nDKIM-Signature: ")) {
		t.Fatalf("delivered:\n%s\nwant it to end with:\n%s", got, want)
	}
	if !bytes.Contains(got, []byte(tr.QueueID)) {
		t.Errorf("the Received field does not name queue id %s", tr.QueueID)
	}
	vs := w.verifyAtReceiver(t, bytes.ReplaceAll(got, []byte("\n"), []byte("\r\n")))
	if len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM at the receiver: %+v", vs)
	}
	t.Logf("delivered through Postfix at %s:25, queue id %s, %d steps in %d ms", pf.ip, tr.QueueID, len(tr.Steps), tr.DurationMs)

	// Submission on port 587: STARTTLS (required: 587), then SASL through
	// Postfix's Dovecot client, PLAIN and LOGIN, then delivery.
	secrets := []string{sendPassword, base64.StdEncoding.EncodeToString([]byte(sendPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00me@pf.test\x00" + sendPassword))}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		tr := run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587",
			AuthUser: "me@pf.test", Password: sendPassword, AuthMech: mech})
		if tr.Result != send.ResultDelivered || tr.QueueID == "" {
			t.Fatalf("%s: %s: %s\n%s", mech, tr.Result, tr.Error, dump(tr))
		}
		a := find(tr, "auth")
		if len(a) != 1 || a[0].Reply == nil || a[0].Reply.Code != 235 {
			t.Errorf("%s: auth step %+v", mech, a)
		}
		out, _ := json.Marshal(tr)
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Fatalf("%s: the trace contains %q", mech, s)
			}
		}
	}
	tr = run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587",
		AuthUser: "me@pf.test", Password: "wrong"})
	if r := tr.Rejection; r == nil || r.Stage != "auth" || r.Code != 535 {
		t.Errorf("wrong password: %s %+v", tr.Result, r)
	}
	// Without AUTH, Postfix refuses the recipient on the submission port.
	tr = run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587"})
	if r := tr.Rejection; r == nil || r.Stage != "rcpt" || r.Code != 554 {
		t.Errorf("unauthenticated: %s %+v", tr.Result, r)
	}
}

const sendPassword = "pf-Pässw0rd"

// fakeDovecot: Postfix's
// smtpd_sasl_type=dovecot speaks Dovecot's line-based auth protocol
// (https://doc.dovecot.org/developer_manual/design/auth_protocol/); this
// is a minimal server of it for PLAIN and LOGIN, so the test needs no
// Dovecot or Cyrus set-up.
func fakeDovecot(t *testing.T, users map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveDovecotAuth(c, users)
		}
	}()
	return l.Addr().String()
}

func serveDovecotAuth(c net.Conn, users map[string]string) {
	defer c.Close()
	fmt.Fprintf(c, "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t%d\nCUID\t1\nCOOKIE\t%032x\nDONE\n", os.Getpid(), 1)
	type req struct {
		mech string
		user string
		step int
	}
	reqs := map[string]*req{}
	b64 := base64.StdEncoding
	finish := func(id, user, pass string) {
		if want, ok := users[user]; ok && want == pass {
			fmt.Fprintf(c, "OK\t%s\tuser=%s\n", id, user)
		} else {
			fmt.Fprintf(c, "FAIL\t%s\tuser=%s\n", id, user)
		}
		delete(reqs, id)
	}
	// step feeds one client response (nil: none yet) to a request.
	step := func(id string, r *req, resp []byte) {
		switch r.mech {
		case "PLAIN":
			if resp == nil {
				fmt.Fprintf(c, "CONT\t%s\t\n", id)
				return
			}
			p := strings.SplitN(string(resp), "\x00", 3)
			if len(p) != 3 {
				fmt.Fprintf(c, "FAIL\t%s\n", id)
				return
			}
			finish(id, p[1], p[2])
		case "LOGIN":
			switch {
			case r.step == 0 && resp == nil:
				r.step = 1
				fmt.Fprintf(c, "CONT\t%s\t%s\n", id, b64.EncodeToString([]byte("Username:")))
			case r.step <= 1:
				r.user, r.step = string(resp), 2
				fmt.Fprintf(c, "CONT\t%s\t%s\n", id, b64.EncodeToString([]byte("Password:")))
			default:
				finish(id, r.user, string(resp))
			}
		default:
			fmt.Fprintf(c, "FAIL\t%s\n", id)
		}
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case f[0] == "AUTH" && len(f) >= 3:
			r := &req{mech: strings.ToUpper(f[2])}
			reqs[f[1]] = r
			var resp []byte
			for _, p := range f[3:] {
				if v, ok := strings.CutPrefix(p, "resp="); ok {
					resp, _ = b64.DecodeString(v)
					if resp == nil {
						resp = []byte{}
					}
				}
			}
			step(f[1], r, resp)
		case f[0] == "CONT" && len(f) >= 3:
			if r := reqs[f[1]]; r != nil {
				resp, _ := b64.DecodeString(f[2])
				if resp == nil {
					resp = []byte{}
				}
				step(f[1], r, resp)
			}
		}
	}
}
