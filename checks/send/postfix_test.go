package send_test

import (
	"bytes"
	"crypto/x509"
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
// STARTTLS, delivering you@pf.test to a Maildir through the virtual agent.
func startPostfix(t *testing.T, bin string, certPEM, keyPEM []byte) *postfix {
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
	for {
		c, err := net.DialTimeout("tcp", pf.ip+":25", time.Second)
		if err == nil {
			c.Close()
			return pf
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
	cert, err := w.Cert(mailtest.CertValid, "mx.pf.test")
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
	pf := startPostfix(t, bin, certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err := w.DNS.AddZone(fmt.Sprintf("$ORIGIN pf.test.\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ MX 10 mx\nmx A %s\n", pf.ip)); err != nil {
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
}
