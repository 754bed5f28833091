package smtp_test

import (
	"bytes"
	"context"
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
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// requirePostfix skips the test where Postfix cannot run here, and fails
// it when CI said Postfix must be there (MXRAY_EXPECT_POSTFIX=1).
func requirePostfix(t *testing.T) string {
	t.Helper()
	expect := os.Getenv("MXRAY_EXPECT_POSTFIX") == "1"
	miss := func(why string) {
		if expect {
			t.Fatalf("MXRAY_EXPECT_POSTFIX=1 but %s", why)
		}
		t.Skipf("skipping the Postfix integration test: %s (install Debian's postfix and run as root; .ci/run does)", why)
	}
	bin, err := exec.LookPath("postfix")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/postfix"); err2 != nil {
			miss("postfix is not installed")
		}
		bin = "/usr/sbin/postfix"
	}
	if os.Geteuid() != 0 {
		miss("Postfix must be started as root")
	}
	if _, err := os.Stat("/usr/lib/postfix/sbin/smtpd"); err != nil {
		miss("Postfix's daemons are not in /usr/lib/postfix/sbin")
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPostfix writes a config directory and runs a private Postfix
// instance listening on two loopback ports: tlsPort offers STARTTLS with
// the given certificate, plainPort offers none. It stops in Cleanup.
func startPostfix(t *testing.T, bin string, certPEM, keyPEM []byte) (tlsPort, plainPort int) {
	t.Helper()
	dir := t.TempDir()
	// Postfix daemons running as mail_owner must reach the directory.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"queue", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The master's lock file lives in data_directory, owned by mail_owner.
	if u, err := user.Lookup("postfix"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Fatalf("no postfix user: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsPort, plainPort = freePort(t), freePort(t)
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx1.pf.test
mydomain = pf.test
myorigin = pf.test
mydestination = pf.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 192.0.2.254/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_recipient_maps =
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP
smtpd_tls_security_level = may
smtpd_tls_cert_file = %[1]s/cert.pem
smtpd_tls_key_file = %[1]s/key.pem
smtpd_tls_protocols = >=TLSv1.2
disable_vrfy_command = yes
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
biff = no
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte(mainCF), 0o644); err != nil {
		t.Fatal(err)
	}
	// Debian's stock master.cf without its port-25 listener, with chroot
	// off (the config dir is not set up as a jail).
	stock, err := os.ReadFile("/usr/share/postfix/master.cf.dist")
	if err != nil {
		stock, err = os.ReadFile("/etc/postfix/master.cf.proto")
		if err != nil {
			t.Fatalf("no stock master.cf: %v", err)
		}
	}
	var mc strings.Builder
	fmt.Fprintf(&mc, "127.0.0.1:%d inet n - n - - smtpd\n", tlsPort)
	fmt.Fprintf(&mc, "127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_security_level=none -o myhostname=mx2.pf.test\n", plainPort)
	mc.WriteString("postlog unix-dgram n - n - 1 postlogd\n")
	skip := false
	for _, line := range strings.Split(string(stock), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(line, "#"):
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !skip {
				mc.WriteString(line + "\n")
			}
			continue
		}
		skip = len(f) < 8 || f[1] == "inet" || f[0] == "postlog"
		if skip {
			continue
		}
		f[4] = "n"
		mc.WriteString(strings.Join(f, " ") + "\n")
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
		stop := exec.Command(bin, "-c", dir, "stop")
		if b, err := stop.CombinedOutput(); err != nil {
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
	// Ready when both listeners accept (the master opens them at start).
	deadline := time.Now().Add(20 * time.Second)
	for _, p := range []int{tlsPort, plainPort} {
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
				t.Fatalf("postfix exited: %v\n%s\n%s", waitErr, out.String(), log)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
				t.Fatalf("postfix did not listen on %d: %s\n%s", p, out.String(), log)
			}
		}
	}
	return tlsPort, plainPort
}

// TestPostfix checks a real Debian Postfix on loopback: one listener with
// STARTTLS and a test-CA certificate, one without TLS.
func TestPostfix(t *testing.T) {
	bin := requirePostfix(t)
	w := mailtest.New(t, `
$ORIGIN test.
@    IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN pf.test.
@    IN MX 10 mx1
@    IN MX 20 mx2
mx1  IN A 192.0.2.50
mx2  IN A 192.0.2.51
`)
	_ = w.PTR("192.0.2.50", "mx1.pf.test")
	_ = w.PTR("192.0.2.51", "mx2.pf.test")
	cert, err := w.Cert(mailtest.CertValid, "mx1.pf.test")
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
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	tlsPort, plainPort := startPostfix(t, bin, certPEM, keyPEM)
	w.Dialer.Route("192.0.2.50:25", fmt.Sprintf("127.0.0.1:%d", tlsPort))
	w.Dialer.Route("192.0.2.51:25", fmt.Sprintf("127.0.0.1:%d", plainPort))

	env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}, tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: "pf.test", HELO: "probe.mxray.test"})
	smtpRes, tlsRes := rep.Results[0], rep.Results[1]

	if got := ids(smtpRes); len(got) != 0 || smtpRes.Err != "" {
		t.Errorf("smtp findings %v (err %q)", got, smtpRes.Err)
	}
	d := smtpRes.Data.(smtp.Data)
	a1 := d.Hosts[0].Addresses[0]
	if a1.Outcome != "completed" || !a1.STARTTLS || a1.TLS == "" || a1.BannerHost != "mx1.pf.test" {
		t.Errorf("mx1: %+v", a1)
	}
	if a1.Relay == nil || a1.Relay.Accepted || a1.Relay.Reply == nil || a1.Relay.Reply.Code < 500 {
		t.Errorf("relay probe: %+v", a1.Relay)
	}
	if a1.Postmaster == nil || !a1.Postmaster.Accepted {
		t.Errorf("postmaster: %+v", a1.Postmaster)
	}
	if a1.VRFY == nil || a1.VRFY.Accepted {
		t.Errorf("VRFY: %+v", a1.VRFY)
	}
	a2 := d.Hosts[1].Addresses[0]
	if a2.Outcome != "completed" || a2.STARTTLS {
		t.Errorf("mx2: %+v", a2)
	}

	want := "tls.starttls-missing:fail"
	if got := strings.Join(ids(tlsRes), ","); got != want {
		t.Errorf("tls findings %s, want %s", got, want)
	}
	td := tlsRes.Data.(tlscheck.Data)
	ta := td.Hosts[0].Addresses[0]
	if !ta.Trusted || !ta.NameMatch || ta.OldProbe != "refused" || ta.Version == "" {
		t.Errorf("mx1 TLS: %+v", ta)
	}
	t.Logf("Postfix mx1: %s %s, handshake %.1f ms; extensions %v", ta.Version, ta.Cipher, ta.HandshakeMs, a1.Extensions)
}
