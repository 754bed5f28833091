package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PostfixTB is the part of testing.TB that StartPostfix uses.
type PostfixTB interface {
	TB
	TempDir() string
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
}

// PostfixConfig describes a private Postfix instance for StartPostfix.
type PostfixConfig struct {
	// Hostname is myhostname (and the name in the banner).
	Hostname string
	// Domain is mydomain and myorigin.
	Domain string
	// Cert is the certificate smtpd offers with STARTTLS
	// (smtpd_tls_security_level = may); nil: no TLS settings.
	Cert *tls.Certificate
	// IP is the loopback address every listener binds. Empty: 127.0.0.1
	// when every listener takes a free port, else a 127.0.0.x address on
	// which the listeners' fixed ports are free. An address other than
	// 127.0.0.1 is declared in proxy_interfaces.
	IP string
	// Listeners are the smtpd services in master.cf, at least one.
	Listeners []PostfixListener
	// Main holds main.cf settings ("name = value") added after the base
	// settings the harness writes; name none of those twice.
	Main []string
	// Mailbox, if set (like "you@pf.test"), is delivered by the virtual
	// agent to a Maildir (Postfix.Maildir) as uid/gid 65534; its domain
	// is the only virtual mailbox domain.
	Mailbox string
}

// PostfixListener is one smtpd service of a private Postfix.
type PostfixListener struct {
	// Port is the TCP port; 0 picks a free one.
	Port int
	// Options follow "smtpd" on the master.cf line, like
	// "-o smtpd_tls_security_level=none".
	Options string
}

// Postfix is a running private Postfix instance.
type Postfix struct {
	// IP is the address the listeners bind.
	IP string
	// Ports are the listeners' ports, in PostfixConfig.Listeners order.
	Ports []int
	// Dir is the configuration directory (queue, data and mail below it).
	Dir string
	// Maildir is the Maildir of PostfixConfig.Mailbox ("" without one).
	Maildir string
	// Log is the path of Postfix's maillog.
	Log string
}

// PostfixBin returns the postfix command. Where a private Postfix cannot
// run here (not installed, not root, daemons elsewhere than Debian puts
// them) it skips the test with the reason, or fails it when the
// environment promised Postfix (MXRAY_EXPECT_POSTFIX=1, as .ci/run sets).
func PostfixBin(tb PostfixTB) string {
	tb.Helper()
	missing := func(why string) {
		tb.Helper()
		if os.Getenv("MXRAY_EXPECT_POSTFIX") == "1" {
			tb.Fatalf("MXRAY_EXPECT_POSTFIX=1 but %s", why)
		}
		tb.Skipf("skipping the Postfix integration test: %s (install Debian's postfix and run as root, as .ci/run does; MXRAY_EXPECT_POSTFIX=1 makes this a failure)", why)
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

// StartPostfix runs a private Debian Postfix (postfix start-fg with its own
// config directory) whose smtpd listeners are on loopback, and returns when
// every listener accepts connections. It skips or fails the test as
// PostfixBin does where Postfix cannot run, fails it when Postfix does not
// start, and stops Postfix when the test ends.
func StartPostfix(tb PostfixTB, cfg PostfixConfig) *Postfix {
	tb.Helper()
	bin := PostfixBin(tb)
	if len(cfg.Listeners) == 0 {
		tb.Fatalf("mailtest: StartPostfix without listeners")
	}
	dir := tb.TempDir()
	// Postfix's daemons, running as mail_owner, must reach the directory.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
	}
	subdirs := []string{"queue", "data"}
	if cfg.Mailbox != "" {
		subdirs = append(subdirs, "mail")
	}
	for _, d := range subdirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
	}
	// Postfix's own data (the master lock, TLS caches) belongs to postfix.
	pu, err := user.Lookup("postfix")
	if err != nil {
		tb.Fatalf("no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(pu.Uid)
	gid, _ := strconv.Atoi(pu.Gid)
	if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	makeQueue(tb, filepath.Join(dir, "queue"), uid)

	pf := &Postfix{IP: cfg.IP, Dir: dir, Log: filepath.Join(dir, "maillog")}
	if pf.IP == "" {
		pf.IP = loopbackIP(tb, cfg.Listeners)
	}
	for _, l := range cfg.Listeners {
		port := l.Port
		if port == 0 {
			port = freePort(tb, pf.IP)
		}
		pf.Ports = append(pf.Ports, port)
	}

	var mainCF strings.Builder
	fmt.Fprintf(&mainCF, `compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = %[2]s
mydomain = %[3]s
myorigin = %[3]s
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 192.0.2.254/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP
maillog_file_prefixes = %[1]s
maillog_file = %[1]s/maillog
biff = no
`, dir, cfg.Hostname, cfg.Domain)
	if pf.IP != "127.0.0.1" {
		fmt.Fprintf(&mainCF, "proxy_interfaces = %s\n", pf.IP)
	}
	if cfg.Cert != nil {
		certPEM, keyPEM, err := encodePEM(cfg.Cert)
		if err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
		writeFile(tb, filepath.Join(dir, "cert.pem"), certPEM, 0o644)
		writeFile(tb, filepath.Join(dir, "key.pem"), keyPEM, 0o600)
		fmt.Fprintf(&mainCF, `smtpd_tls_security_level = may
smtpd_tls_cert_file = %[1]s/cert.pem
smtpd_tls_key_file = %[1]s/key.pem
smtpd_tls_protocols = >=TLSv1.2
`, dir)
	}
	if cfg.Mailbox != "" {
		local, domain, ok := strings.Cut(cfg.Mailbox, "@")
		if !ok {
			tb.Fatalf("mailtest: mailbox %q is not an address", cfg.Mailbox)
		}
		if err := os.Chown(filepath.Join(dir, "mail"), 65534, 65534); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
		pf.Maildir = filepath.Join(dir, "mail", local)
		fmt.Fprintf(&mainCF, `virtual_mailbox_domains = %[2]s
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = inline:{ %[3]s=%[4]s/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
`, dir, domain, cfg.Mailbox, local)
	}
	for _, s := range cfg.Main {
		mainCF.WriteString(s + "\n")
	}
	writeFile(tb, filepath.Join(dir, "main.cf"), []byte(mainCF.String()), 0o644)
	writeFile(tb, filepath.Join(dir, "master.cf"), []byte(masterCF(tb, pf, cfg.Listeners)), 0o644)
	// Postfix waits (in 300 ms steps, up to 2 s) until a configuration file
	// is older than the current second, so that an edit made while it reads
	// is never half seen. These files are complete: date them back.
	past := time.Now().Add(-time.Minute)
	for _, f := range []string{"main.cf", "master.cf"} {
		if err := os.Chtimes(filepath.Join(dir, f), past, past); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
	}

	cmd := exec.Command(bin, "-c", dir, "start-fg")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("postfix start-fg: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		select {
		case <-exited:
			return
		default:
		}
		if b, err := exec.Command(bin, "-c", dir, "stop").CombinedOutput(); err != nil {
			tb.Logf("postfix stop: %v %s", err, b)
			_ = cmd.Process.Kill()
		}
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// Ready when every listener accepts (the master opens them at start).
	deadline := time.Now().Add(20 * time.Second)
	for i := range pf.Ports {
		for {
			c, err := net.DialTimeout("tcp", pf.Addr(i), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				check, _ := exec.Command(bin, "-c", dir, "check").CombinedOutput()
				tb.Fatalf("postfix exited: %v\n%s\n%s\npostfix check: %s", waitErr, out.String(), pf.ReadLog(), check)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				tb.Fatalf("postfix did not listen on %s: %s\n%s", pf.Addr(i), out.String(), pf.ReadLog())
			}
		}
	}
	return pf
}

// makeQueue creates the queue directory's subdirectories with the owners
// and modes Postfix's own post-install gives them, and a quick-start marker,
// so that "postfix start-fg" skips its integrity check: the check runs some
// twenty postconf processes and took 2-3 s of every test that starts Postfix,
// to verify a directory this function has just laid out.
func makeQueue(tb TB, queue string, postfixUID int) {
	tb.Helper()
	postdrop := 0
	if g, err := user.LookupGroup("postdrop"); err == nil {
		postdrop, _ = strconv.Atoi(g.Gid)
	}
	dirs := []struct {
		name string
		mode os.FileMode
		uid  int
		gid  int
	}{
		{"active", 0o700, postfixUID, 0}, {"bounce", 0o700, postfixUID, 0}, {"corrupt", 0o700, postfixUID, 0},
		{"defer", 0o700, postfixUID, 0}, {"deferred", 0o700, postfixUID, 0}, {"flush", 0o700, postfixUID, 0},
		{"hold", 0o700, postfixUID, 0}, {"incoming", 0o700, postfixUID, 0}, {"private", 0o700, postfixUID, 0},
		{"saved", 0o700, postfixUID, 0}, {"trace", 0o700, postfixUID, 0},
		{"maildrop", 0o730, postfixUID, postdrop}, {"public", 0o710, postfixUID, postdrop}, {"pid", 0o755, 0, 0},
	}
	for _, d := range dirs {
		p := filepath.Join(queue, d.name)
		if err := os.Mkdir(p, d.mode); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
		if err := os.Chown(p, d.uid, d.gid); err != nil {
			tb.Fatalf("mailtest: %v", err)
		}
		if err := os.Chmod(p, d.mode); err != nil { // Mkdir's mode is masked by the umask
			tb.Fatalf("mailtest: %v", err)
		}
	}
	writeFile(tb, filepath.Join(queue, "quick-start"), nil, 0o644)
}

// Addr is the host:port of listener i.
func (pf *Postfix) Addr(i int) string {
	return net.JoinHostPort(pf.IP, strconv.Itoa(pf.Ports[i]))
}

// ReadLog returns Postfix's maillog so far (nil when there is none yet).
func (pf *Postfix) ReadLog() []byte {
	b, _ := os.ReadFile(pf.Log)
	return b
}

// WaitDelivered waits up to 30 seconds for Postfix's virtual agent to
// write a message into the Maildir of PostfixConfig.Mailbox and returns
// the first one. Postfix is an external process, so this polls.
func (pf *Postfix) WaitDelivered(tb TB) []byte {
	tb.Helper()
	if pf.Maildir == "" {
		tb.Fatalf("mailtest: WaitDelivered on a Postfix without a Mailbox")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(pf.Maildir, "new", "*"))
		if len(files) > 0 {
			b, err := os.ReadFile(files[0])
			if err != nil {
				tb.Fatalf("mailtest: %v", err)
			}
			return b
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("nothing delivered to %s within 30s; maillog:\n%s", pf.Maildir, pf.ReadLog())
	return nil
}

// masterCF is Debian's stock master.cf with the given smtpd listeners
// instead of its own inet services, postlog as a dgram service, and chroot
// off (the config directory is not set up as a jail).
func masterCF(tb TB, pf *Postfix, listeners []PostfixListener) string {
	tb.Helper()
	stock, err := os.ReadFile("/usr/share/postfix/master.cf.dist")
	if err != nil {
		if stock, err = os.ReadFile("/etc/postfix/master.cf.proto"); err != nil {
			tb.Fatalf("no stock master.cf: %v", err)
		}
	}
	var mc strings.Builder
	for i, l := range listeners {
		line := pf.Addr(i) + " inet n - n - - smtpd"
		if l.Options != "" {
			line += " " + l.Options
		}
		mc.WriteString(line + "\n")
	}
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
	return mc.String()
}

// loopbackIP picks the listeners' address: 127.0.0.1 when they all take
// free ports, else a 127.0.0.x address where their fixed ports are free.
func loopbackIP(tb TB, listeners []PostfixListener) string {
	tb.Helper()
	var fixed []int
	for _, l := range listeners {
		if l.Port != 0 {
			fixed = append(fixed, l.Port)
		}
	}
	if len(fixed) == 0 {
		return "127.0.0.1"
	}
	start := 2 + os.Getpid()%200
	for i := range 250 {
		ip := fmt.Sprintf("127.0.0.%d", 2+(start+i)%250)
		if portsFree(ip, fixed) {
			return ip
		}
	}
	tb.Fatalf("mailtest: no 127.0.0.x address with ports %v free", fixed)
	return ""
}

func portsFree(ip string, ports []int) bool {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// freePort returns a TCP port that is free on ip now, chosen below the
// kernel's ephemeral range: Postfix binds it only later, and a port from
// the ephemeral range (what listening on port 0 gives) may meanwhile be
// taken by any outgoing loopback connection of the tests running in
// parallel ("bind 127.0.0.1 port 35131: Address already in use").
func freePort(tb TB, ip string) int {
	tb.Helper()
	lo := ephemeralLow()
	base := max(1024, lo-20000)
	span := lo - base
	start := rand.IntN(span)
	for i := range span {
		p := base + (start+i)%span
		if portsFree(ip, []int{p}) {
			return p
		}
	}
	tb.Fatalf("mailtest: no free port below %d on %s", lo, ip)
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux
// default 32768).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil && lo > 2048 {
				return lo
			}
		}
	}
	return 32768
}

// encodePEM returns the certificate chain and the PKCS #8 private key of
// cert in PEM, as Postfix reads them.
func encodePEM(cert *tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func writeFile(tb TB, name string, data []byte, perm os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(name, data, perm); err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
}
