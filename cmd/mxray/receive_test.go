package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/report"
)

// loopZone lets mail from 127.0.0.1 pass SPF for loop.example.
const loopZone = `
loop.example. TXT "v=spf1 ip4:127.0.0.1 -all"
loop.example. MX 10 inbox.loop.example.
inbox.loop.example. A 127.0.0.1
`

// receiver is a running `mxray receive` (the real binary).
type receiver struct {
	cmd            *exec.Cmd
	addr           string
	stdout, stderr *bytes.Buffer
}

// startReceive starts the real binary's receive on a free loopback port
// and returns once it says where it listens (a bounded wait on its
// stderr).
func startReceive(t *testing.T, args ...string) *receiver {
	t.Helper()
	cmd := command(binary(t), append([]string{"receive", "--listen", "127.0.0.1:0"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
			}
			stderr.WriteString(sc.Text() + "\n")
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		m := regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+) `).FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("receive says %q", l)
		}
		r := &receiver{cmd: cmd, addr: m[1], stdout: &stdout, stderr: &stderr}
		go func() { <-lines; pw.Close() }()
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("receive did not start listening within 20s")
	}
	return nil
}

// wait waits (bounded) for the receiver to exit and returns its exit code.
func (r *receiver) wait(t *testing.T) report.Exit {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("receive did not exit; stdout %s", r.stdout.String())
	}
	return report.Exit(r.cmd.ProcessState.ExitCode())
}

// TestSendToReceive is the round trip mxray send → mxray receive on
// loopback: the received document's msg-spf judged the real client
// address (127.0.0.1, which loop.example's SPF allows) and HELO, and
// msg-dkim verified the signature send made with --dkim-key.
func TestSendToReceive(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	rcv := startReceive(t, "--count", "1", "--format", "ndjson", "--resolver", w.DNS.Addr(), "--hostname", "inbox.loop.example", "--timeout", "2s")
	key := filepath.Join(messageDirKeys(t), "s1.pem")
	send := command(binary(t), "send", "--server", rcv.addr, "--starttls", "--insecure", "--from", "alice@loop.example", "--to", "anyone@else.example",
		"--helo", "client.loop.example", "--dkim-key", key, "--dkim-selector", "s1", "--dkim-domain", "sender.example",
		"--resolver", w.DNS.Addr(), "--no-tui", "--timeout", "5s")
	send.Env = append(send.Env, "MXRAY_PASSWORD=")
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	code := rcv.wait(t)
	if code != report.ExitOK {
		t.Fatalf("receive exit %d\nstdout %s\nstderr %s", code, rcv.stdout, rcv.stderr)
	}
	d := validateJSON(t, compileSchema(t), rcv.stdout.String())
	var doc report.JSONReport
	if err := json.Unmarshal(rcv.stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Domain != "loop.example" || doc.Message == nil || doc.Message.SMTP == nil {
		t.Fatalf("document %v", d)
	}
	s := doc.Message.SMTP
	if s.ClientIP.String() != "127.0.0.1" || s.HELO != "client.loop.example" || s.MailFrom != "alice@loop.example" || s.TLS == nil || !strings.HasPrefix(s.TLS.Version, "TLS 1.") {
		t.Errorf("smtp facts %+v", s)
	}
	if len(s.RcptTo) != 1 || s.RcptTo[0] != "anyone@else.example" {
		t.Errorf("rcpt %v", s.RcptTo)
	}
	status := map[string]string{}
	for _, c := range doc.Checks {
		status[c.ID] = string(c.Status)
		if c.ID == "msg-spf" {
			b, _ := json.Marshal(c.Data)
			if !strings.Contains(string(b), `"ip":"127.0.0.1"`) || !strings.Contains(string(b), `"helo":"client.loop.example"`) {
				t.Errorf("msg-spf data %s", b)
			}
		}
	}
	if status["msg-spf"] != "pass" || status["msg-dkim"] != "pass" {
		t.Errorf("statuses %v\n%s", status, rcv.stdout)
	}
	if doc.Message.TrustedHop != 0 || doc.Message.Received[0].By != "inbox.loop.example" {
		t.Errorf("trusted hop %d %+v", doc.Message.TrustedHop, doc.Message.Received)
	}
}

func messageDirKeys(t *testing.T) string {
	t.Helper()
	return filepath.Join(filepath.Dir(corpus(t, "good")), "keys")
}

// smtpSession speaks a minimal SMTP session to addr and returns the
// server's replies.
func smtpSession(t *testing.T, addr string, lines ...string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	var replies []string
	read := func() {
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				replies = append(replies, "EOF")
				return
			}
			if len(l) < 4 || l[3] != '-' {
				replies = append(replies, strings.TrimSpace(l))
				return
			}
		}
	}
	read()
	for _, l := range lines {
		fmt.Fprintf(c, "%s\r\n", l)
		if strings.HasPrefix(l, "Subject") || strings.HasPrefix(l, "From:") || l == "" || l == "body" {
			continue // message lines: no reply until the final dot
		}
		read()
	}
	return replies
}

// TestReceiveTextCountAndBounds: plain SMTP without TLS, the text report
// as the message arrives, --count 2 waits for the second; a message over
// --max-size is refused (552) and not counted; exit is the worst message's.
func TestReceiveTextCountAndBounds(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	rcv := startReceive(t, "--count", "2", "--no-color", "--resolver", w.DNS.Addr(), "--max-size", "2048", "--timeout", "2s")
	// Unsigned, From loop.example: msg-dkim.none is a warning only.
	ok := smtpSession(t, rcv.addr, "EHLO client.loop.example", "MAIL FROM:<a@loop.example>", "RCPT TO:<x@y.example>", "DATA",
		"From: a@loop.example", "Subject: hi", "", "body", ".", "QUIT")
	if !strings.HasPrefix(ok[len(ok)-2], "250") {
		t.Fatalf("replies %q", ok)
	}
	big := smtpSession(t, rcv.addr, "EHLO client.loop.example", "MAIL FROM:<a@loop.example> SIZE=999999", "QUIT")
	if !strings.HasPrefix(big[2], "552") {
		t.Errorf("oversized message: replies %q", big)
	}
	// No From: msg-headers fails, the worst exit is 1.
	smtpSession(t, rcv.addr, "HELO client.loop.example", "MAIL FROM:<>", "RCPT TO:<x@y.example>", "DATA", "Subject: no from", "", "body", ".", "QUIT")
	if code := rcv.wait(t); code != report.ExitFindings {
		t.Errorf("exit %d, want 1\n%s", code, rcv.stdout)
	}
	out := rcv.stdout.String()
	if strings.Count(out, "message from ") != 2 || !strings.Contains(out, "received: from 127.0.0.1 (HELO client.loop.example), MAIL FROM <a@loop.example>, without TLS") {
		t.Errorf("text:\n%s", out)
	}
}

// TestReceiveInterrupt: receive until interrupted exits 130 on SIGINT.
func TestReceiveInterrupt(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	rcv := startReceive(t, "--resolver", w.DNS.Addr())
	if err := rcv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := rcv.wait(t); code != report.ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
}

// TestReceiveUsage: bad flags are one line and exit 2.
func TestReceiveUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--count", "-1"}, {"--max-size", "10"}, {"--listen", "nope"}, {"--tls-cert", "c.pem"}, {"--hostname", "[1.2.3.4]"},
		{"extra"}, {"--session-timeout", "0s"}, {"--max-connections", "0"},
	} {
		r := runApp(t, nil, "", append([]string{"receive"}, args...)...)
		if r.code != report.ExitUsage || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestStampParses: the Received field receive adds is read back as the
// trusted hop with the session's address and HELO, and hostile HELO and
// MAIL FROM text cannot add fields or break it.
func TestStampParses(t *testing.T) {
	s := &report.SMTPSession{HELO: "evil\r\nX-Injected: 1 (x [10.0.0.1]);", MailFrom: "a@b.example>\r\nX-Bad: 1",
		RcptTo: []string{"r@x.example"}, ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.ClientIP = netip.MustParseAddr("198.51.100.7")
	raw := append(stamp("inbox.example", "mxray1", s), []byte("From: a@b.example\r\n\r\nbody\r\n")...)
	m := message.Parse(raw, message.Options{ReceivedBy: "inbox.example"})
	hop := m.Trusted()
	if hop == nil || hop.ClientIP.String() != "198.51.100.7" || !strings.HasPrefix(hop.HELO, "evilX-Injected") {
		t.Fatalf("trusted hop %+v\n%s", hop, raw)
	}
	if len(m.Header("X-Injected"))+len(m.Header("X-Bad")) != 0 || !m.HasReturnPath {
		t.Errorf("injected fields:\n%s", raw)
	}
}

// TestPostfixToReceive: a private Postfix relays a message to mxray
// receive (relayhost), as an outbound MTA would deliver to an MX: the
// document shows Postfix's hop below receive's own, and msg-spf judged
// the address and HELO Postfix connected with. MXRAY_EXPECT_POSTFIX=1
// makes a missing Postfix a failure.
func TestPostfixToReceive(t *testing.T) {
	t.Parallel()
	mailtest.PostfixBin(t)
	w := messageWorld(t, loopZone)
	rcv := startReceive(t, "--count", "1", "--format", "ndjson", "--resolver", w.DNS.Addr(), "--hostname", "inbox.loop.example", "--timeout", "2s")
	pf := mailtest.StartPostfix(t, mailtest.PostfixConfig{
		Hostname:  "mx.pf.test",
		Domain:    "pf.test",
		Listeners: []mailtest.PostfixListener{{Port: 0}},
		Main: []string{
			"mydestination =",
			"relay_domains = else.example",
			"relayhost = [" + strings.Replace(rcv.addr, ":", "]:", 1),
			"smtp_host_lookup = native",
			"smtp_tls_security_level = may",
		},
	})
	replies := smtpSession(t, net.JoinHostPort(pf.IP, fmt.Sprint(pf.Ports[0])), "EHLO client.loop.example", "MAIL FROM:<alice@loop.example>",
		"RCPT TO:<bob@else.example>", "DATA", "From: alice@loop.example", "Subject: through Postfix", "", "body", ".", "QUIT")
	if !strings.HasPrefix(replies[len(replies)-2], "250") {
		t.Fatalf("Postfix replies %q", replies)
	}
	if code := rcv.wait(t); code != report.ExitOK {
		logb, _ := os.ReadFile(pf.Log)
		t.Fatalf("receive exit %d\n%s\n%s\nPostfix log:\n%s", code, rcv.stdout, rcv.stderr, logb)
	}
	validateJSON(t, compileSchema(t), rcv.stdout.String())
	var doc report.JSONReport
	if err := json.Unmarshal(rcv.stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Message
	if m == nil || m.SMTP == nil || m.SMTP.HELO != "mx.pf.test" || m.SMTP.MailFrom != "alice@loop.example" || len(m.Received) < 2 || m.Received[1].By != "mx.pf.test" || !m.Received[0].Trusted {
		t.Fatalf("message %+v", m)
	}
	for _, c := range doc.Checks {
		if c.ID == "msg-spf" {
			b, _ := json.Marshal(c.Data)
			if c.Status != "pass" || !strings.Contains(string(b), `"ip":"`+m.SMTP.ClientIP.String()+`"`) || !strings.Contains(string(b), `"helo":"mx.pf.test"`) {
				t.Errorf("msg-spf %s %s", c.Status, b)
			}
		}
	}
	t.Logf("Postfix at %s relayed to mxray receive at %s: client %s, TLS %+v", pf.IP, rcv.addr, m.SMTP.ClientIP, m.SMTP.TLS)
}

// FuzzStamp: whatever a client sends as HELO, MAIL FROM and RCPT TO, the
// fields receive adds are exactly a Return-Path and a Received field,
// read back as the trusted hop with the session's address.
func FuzzStamp(f *testing.F) {
	f.Add("client.example", "a@b.example", "r@c.example")
	f.Add("evil\r\nX-Injected: 1", "a@b>\r\nX: y", "(x [10.0.0.1]);")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, helo, from, rcpt string) {
		s := &report.SMTPSession{ClientIP: netip.MustParseAddr("203.0.113.9"), HELO: helo, MailFrom: from, RcptTo: []string{rcpt},
			ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		head := stamp("inbox.example", "mxray1", s)
		m := message.Parse(append(head, "From: a@b.example\r\n\r\nbody\r\n"...), message.Options{ReceivedBy: "inbox.example"})
		if len(m.Fields) != 3 || len(m.Header("Received")) != 1 || !m.HasReturnPath {
			t.Fatalf("fields %+v from %q", m.Fields, head)
		}
		if hop := m.Trusted(); hop == nil || hop.ClientIP != s.ClientIP {
			t.Fatalf("trusted hop %+v from %q", hop, head)
		}
	})
}

// TestReceiveTUI: on a terminal, receive opens the inbox list; two
// messages sent over real SMTP on loopback appear in it (newest first),
// --count 2 says so rather than closing, enter opens a message's
// dashboard, esc goes back, q quits with the worst message's exit code.
func TestReceiveTUI(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	pr, pw := io.Pipe()
	defer pw.Close()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	a := newApp(pr, out, errOut)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	done := make(chan report.Exit, 1)
	go func() {
		code, err := a.receive(t.Context(), []string{"--listen", "127.0.0.1:0", "--count", "2", "--resolver", w.DNS.Addr(), "--timeout", "2s"})
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	waitOutput(t, errOut, "listening on", 20*time.Second)
	m := regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+) `).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("receive says %q", errOut.String())
	}
	smtpSession(t, m[1], "EHLO client.loop.example", "MAIL FROM:<a@loop.example>", "RCPT TO:<x@y.example>", "DATA",
		"From: a@loop.example", "Subject: first one", "", "body", ".", "QUIT")
	waitOutput(t, out, "first one", 20*time.Second)
	smtpSession(t, m[1], "HELO second.loop.example", "MAIL FROM:<>", "RCPT TO:<x@y.example>", "DATA", "Subject: no from", "", "body", ".", "QUIT")
	waitOutput(t, out, "2 of 2 received, press q", 20*time.Second)
	s := out.String()
	if i, j := strings.LastIndex(s, "no from"), strings.LastIndex(s, "first one"); i < 0 || j < 0 || i > j {
		t.Errorf("want the newest message first:\n%s", s)
	}
	if _, err := pw.Write([]byte("\r")); err != nil { // enter: the newest message's dashboard
		t.Fatal(err)
	}
	waitOutput(t, out, "Bounce", 10*time.Second)
	if _, err := pw.Write([]byte("\x1b")); err != nil { // esc: back to the list
		t.Fatal(err)
	}
	waitOutput(t, out, "newest first; enter opens", 10*time.Second)
	if code := pressAndWait(t, pw, "q", done); code != report.ExitFindings {
		t.Errorf("exit %d, want 1 (the message without From fails)", code)
	}
	if !strings.Contains(out.String(), "mxray receive: 2 messages received on 127.0.0.1:") {
		t.Errorf("no summary left on the terminal:\n%s", out.String()[max(0, len(out.String())-500):])
	}
}

// TestReceiveTUIInTerminal drives the real binary in a pseudo-terminal
// (tmux): a message sent to receive over SMTP appears in the inbox list,
// --count 1 says so and waits for q, and the exit code is the message's.
func TestReceiveTUIInTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: cannot drive the TUI in a pseudo-terminal (.ci/run installs it; apt-get install tmux)")
	}
	t.Parallel()
	w := messageWorld(t, loopZone)
	bin := binary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	exitFile, errFile := filepath.Join(dir, "exit"), filepath.Join(dir, "stderr")
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { tm("kill-server") })
	script := "env LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 " + binEnv + " " + bin + " receive --listen 127.0.0.1:0 --count 1 --timeout 2s --resolver " + w.DNS.Addr() +
		" 2> " + errFile + "; echo $? > " + exitFile + "; sleep 30"
	if out, err := tm("new-session", "-d", "-x", "120", "-y", "30", script); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	screen := func() string {
		s, _ := tm("capture-pane", "-p", "-J")
		return s
	}
	var addr []string
	deadline := time.Now().Add(30 * time.Second)
	for addr == nil {
		b, _ := os.ReadFile(errFile)
		addr = regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+) `).FindStringSubmatch(string(b))
		if addr == nil && time.Now().After(deadline) {
			t.Fatalf("receive did not start listening: %s\n%s", b, screen())
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of the file
	}
	smtpSession(t, addr[1], "EHLO client.loop.example", "MAIL FROM:<a@loop.example>", "RCPT TO:<x@y.example>", "DATA",
		"From: a@loop.example", "Subject: hello from tmux", "", "body", ".", "QUIT")
	deadline = time.Now().Add(30 * time.Second)
	for s := screen(); !strings.Contains(s, "1 of 1 received, press q") || !strings.Contains(s, "hello from tmux"); s = screen() {
		if time.Now().After(deadline) {
			t.Fatalf("the message did not appear on screen:\n%s", s)
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of the screen
	}
	if _, err := tm("send-keys", "q"); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(exitFile)
		if err == nil && len(b) > 0 {
			if got := strings.TrimSpace(string(b)); got != "0" {
				t.Errorf("exit %s, want 0 (an unsigned message warns only)", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mxray receive did not exit on q:\n%s", screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := screen(); !strings.Contains(s, "mxray receive: 1 message received on 127.0.0.1:") || !strings.Contains(s, "[WARN] from a@loop.example via 127.0.0.1, subject hello from tmux  0 fail, 4 warn") {
		t.Errorf("no summary left on the terminal:\n%s", s)
	}
}

// TestReceiveTUICtrlC: ctrl+c in the inbox list exits 130, as elsewhere.
func TestReceiveTUICtrlC(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	a := newApp(pr, out, io.Discard)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	done := make(chan report.Exit, 1)
	go func() {
		code, err := a.receive(t.Context(), []string{"--listen", "127.0.0.1:0", "--resolver", w.DNS.Addr()})
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	waitOutput(t, out, "0 received", 20*time.Second)
	if code := pressAndWait(t, pw, "\x03", done); code != report.ExitInterrupted { // ctrl+c
		t.Errorf("exit %d, want 130", code)
	}
}

// TestInboxAcceptsNoMoreThanCount: with --count N, the N+1th message is
// refused (421) at once instead of being accepted with 250 into the queue
// and never analysed or reported (found in review).
func TestInboxAcceptsNoMoreThanCount(t *testing.T) {
	in := &inbox{host: "mx.test", maxRcpt: 100, queue: make(chan received, 4), limit: 2}
	for i := range 2 {
		if err := in.deliver(received{raw: []byte("x")}); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	err := in.deliver(received{raw: []byte("x")})
	var se *gosmtp.SMTPError
	if !errors.As(err, &se) || se.Code != 421 {
		t.Errorf("third message with --count 2: %v, want 421", err)
	}
	if len(in.queue) != 2 {
		t.Errorf("%d queued, want 2", len(in.queue))
	}
}
