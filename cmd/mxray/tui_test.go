package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
)

// syncBuffer is a bytes.Buffer safe for the renderer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitOutput polls until the output contains text.
func waitOutput(t *testing.T, out interface{ String() string }, text string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the screen after %s; last output:\n%q", text, d, tail(out.String(), 3000))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pressAndWait types key on a program's input and returns the exit code
// it sends on done, failing the test when it has not ended within 10 s.
func pressAndWait(t *testing.T, pw io.Writer, key string, done <-chan report.Exit) report.Exit {
	t.Helper()
	if _, err := pw.Write([]byte(key)); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("the program did not end on %q", key)
	}
	return 0
}

// plainText is an output without its escape sequences, for waitOutput.
type plainText struct {
	out  interface{ String() string }
	ansi *regexp.Regexp
}

func (p plainText) String() string { return p.ansi.ReplaceAllString(p.out.String(), "") }

// raceEnabled reports whether the test binary runs under the race
// detector, which slows every goroutine several times: wall-clock
// assertions then only log.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// runTUIApp runs the app as if on a terminal, waits for the run to finish
// on screen, quits with q and returns the exit code.
func runTUIApp(t *testing.T, args ...string) (report.Exit, string) {
	t.Helper()
	w := sharedDemoWorld(t)
	args = append(args, "--resolver", w.DNS.Addr())
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	var errb bytes.Buffer
	a := newApp(pr, out, &errb)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	a.dialer = w.Dialer
	done := make(chan report.Exit, 1)
	start := time.Now()
	go func() { done <- a.run(context.Background(), args) }()
	waitOutput(t, out, "mxray", 5*time.Second)
	first := time.Since(start)
	t.Logf("first frame %s after the command started", first.Round(100*time.Microsecond))
	if first > 500*time.Millisecond && !raceEnabled() { // the goal is 50ms; generous for a busy CI machine
		t.Errorf("first frame after %s", first)
	}
	waitOutput(t, out, "DNS queries", 20*time.Second) // the summary of a finished run
	return pressAndWait(t, pw, "q", done), out.String()
}

// TestCheckTUIExitCode: the TUI's exit code is the one the report gives
// without the TUI. Not parallel: it times the first frame (runTUIApp),
// so it runs before the parallel tests load the machine.
func TestCheckTUIExitCode(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"pass", []string{"check", "good.example", "--only", "dns,mx"}},
		{"fail", []string{"check", "broken.example", "--only", "mx,spf"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, screen := runTUIApp(t, tt.args...)
			w := sharedDemoWorld(t)
			plain := runApp(t, w, "", append(tt.args, "--resolver", w.DNS.Addr(), "--no-tui")...)
			if code != plain.code {
				t.Fatalf("TUI exit %d, report exit %d\n%s", code, plain.code, plain.stdout)
			}
			if !strings.Contains(screen, "MX records") {
				t.Fatalf("the dashboard does not list the mx check:\n%s", tail(screen, 2000))
			}
		})
	}
	if code, _ := runTUIApp(t, "check", "broken.example", "--only", "mx"); code != report.ExitFindings {
		t.Fatalf("broken.example: exit %d, want %d", code, report.ExitFindings)
	}
}

// TestNoTUIForMachineOutput: --json, --format and --no-tui print the report
// even on a terminal.
func TestNoTUIForMachineOutput(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	for _, flag := range [][]string{{"--json"}, {"--format", "text"}, {"--no-tui"}} {
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		a.getenv = func(string) string { return "" }
		a.isTTY = func(io.Writer) bool { return true }
		a.dialer = w.Dialer
		args := append([]string{"check", "good.example", "--only", "mx", "--resolver", w.DNS.Addr()}, flag...)
		if code := a.run(context.Background(), args); code != report.ExitOK {
			t.Fatalf("%v: exit %d: %s", flag, code, errb.String())
		}
		if !strings.Contains(out.String(), "good.example") || strings.Contains(out.String(), "\x1b[?1049h") {
			t.Fatalf("%v: not a printed report:\n%s", flag, out.String())
		}
	}
}

// TestDemoTUIInTerminal drives the real binary in a pseudo-terminal (tmux):
// `mxray demo` starts, renders, runs a domain and quits on q with exit 0.
func TestDemoTUIInTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: cannot drive the TUI in a pseudo-terminal (.ci/run installs it; apt-get install tmux)")
	}
	t.Parallel() // its own tmux server (socket) and demo world
	bin := binary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	exitFile := filepath.Join(dir, "exit")
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { tm("kill-server") })
	script := "env LANG=C.UTF-8 TERM=xterm-256color NO_COLOR= " + binEnv + " " + bin + " demo; echo $? > " + exitFile + "; sleep 30"
	start := time.Now()
	if out, err := tm("new-session", "-d", "-x", "80", "-y", "24", script); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	screen := func() string {
		s, _ := tm("capture-pane", "-p")
		return s
	}
	waitScreen := func(text string, d time.Duration) time.Duration {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			s := screen()
			if strings.Contains(s, text) {
				return time.Since(start)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q on the screen after %s:\n%s", text, d, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := waitScreen("broken.example", 10*time.Second)
	t.Logf("demo picker on screen %s after the process started (includes starting the mail world)", first.Round(time.Millisecond))
	if _, err := tm("send-keys", "j", "Enter"); err != nil {
		t.Fatal(err)
	}
	waitScreen("DNS queries", 30*time.Second)
	if s := screen(); !strings.Contains(s, "[FAIL]") || !strings.Contains(s, "SPF") {
		t.Fatalf("broken.example's dashboard:\n%s", s)
	}
	if _, err := tm("send-keys", "q"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(exitFile)
		if err == nil && len(b) > 0 {
			if got := strings.TrimSpace(string(b)); got != "0" {
				t.Fatalf("mxray demo exited %s, want 0", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mxray demo did not exit on q:\n%s", screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSendTUI: the send helper shows a trace and returns it after q.
func TestSendTUI(t *testing.T) {
	t.Parallel()
	w := demoWorld(t) // its own: the send leaves a message in its mailbox
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	a := newApp(pr, out, io.Discard)
	a.getenv = func(string) string { return "" }
	type res struct {
		tr  *send.Trace
		err error
	}
	done := make(chan res, 1)
	go func() {
		tr, err := a.sendTUI(context.Background(), true, "good.example", env, send.Options{From: "demo@mxray.example", To: []string{"postmaster@good.example"}})
		done <- res{tr, err}
	}()
	waitOutput(t, out, "Send trace", 10*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "delivered") {
		if time.Now().After(deadline) {
			t.Fatalf("no delivery on the screen:\n%q", tail(out.String(), 3000))
		}
		time.Sleep(10 * time.Millisecond) // a bounded poll of the screen
	}
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.tr == nil || r.tr.Result != send.ResultDelivered || len(r.tr.Steps) == 0 {
			t.Fatalf("sendTUI: %+v %v", r.tr, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sendTUI did not return after q")
	}
}

// TestQuitLeavesSummary drives the real binary in a pseudo-terminal
// (tmux): after q the full screen is gone and the terminal keeps the
// report's summary line and every finding at or above warn, without the
// informational ones, like the text report.
func TestQuitLeavesSummary(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: cannot drive the TUI in a pseudo-terminal (.ci/run installs it; apt-get install tmux)")
	}
	t.Parallel() // its own tmux server (socket) and demo world
	bin := binary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	exitFile := filepath.Join(dir, "exit")
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { tm("kill-server") })
	script := "env LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 " + binEnv + " " + bin + " demo broken.example; echo $? > " + exitFile + "; sleep 30"
	if out, err := tm("new-session", "-d", "-x", "100", "-y", "30", script); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	if _, err := tm("set-option", "-g", "history-limit", "5000"); err != nil {
		t.Fatal(err)
	}
	screen := func() string {
		s, _ := tm("capture-pane", "-p", "-J", "-S", "-5000")
		return s
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(screen(), "DNS queries") {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish on screen:\n%s", screen())
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
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mxray demo did not exit on q:\n%s", screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	left := screen()
	for _, want := range []string{
		"broken.example: FAIL in ", // the summary line
		"spf.lookup-limit",         // a fail
		"mx.cname",                 // a warn
		"fix: ",                    // with its fix
		"checks: ",                 // the counts
	} {
		if !strings.Contains(left, want) {
			t.Errorf("%q is not left on the terminal:\n%s", want, left)
		}
	}
	for _, gone := range []string{
		"dns.dnssec-unsigned", // info
		"enter why & fix",     // the full screen's hint bar
	} {
		if strings.Contains(left, gone) {
			t.Errorf("%q is left on the terminal:\n%s", gone, left)
		}
	}
	// The golden is what remains, with what changes from run to run (times,
	// the world's port, the query count) fixed.
	for _, r := range []struct{ re, to string }{
		{`\b\d+(\.\d+)?(ms|s)\b`, "1ms"},
		{`127\.0\.0\.1:\d+`, "127.0.0.1:53"},
		{`\d+ DNS quer(y|ies)`, "41 DNS queries"},
	} {
		left = regexp.MustCompile(r.re).ReplaceAllString(left, r.to)
	}
	golden.Check(t, "tui/quit-summary.txt", []byte(strings.TrimSpace(left)+"\n"))
}

// TestCheckSeveralDomainsTUI: several domains (here -f FILE) on a
// terminal open the list; quitting leaves one line per domain, worst
// first, and the exit code is the worst domain's, as without the UI.
func TestCheckSeveralDomainsTUI(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	file := filepath.Join(t.TempDir(), "domains.txt")
	if err := os.WriteFile(file, []byte("good.example\nnot a domain!\nbroken.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	a := newApp(pr, out, io.Discard)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	a.dialer = w.Dialer
	// The list as check's dispatch opens it for -f on a terminal.
	var sel []checks.Check
	for _, c := range all.Checks() {
		if id := c.ID(); id == "dns" || id == "mx" {
			sel = append(sel, c)
		}
	}
	r := &runSpec{servers: []string{w.DNS.Addr()}, opts: checks.Options{Timeout: 2 * time.Second}, checks: sel, dialer: w.Dialer, gate: newTrustGate()}
	f := &checkFlags{file: file, concurrency: 4}
	done := make(chan report.Exit, 1)
	go func() {
		code, err := a.multiTUI(context.Background(), f, r, nil, checks.SevFail)
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	waitOutput(t, out, "3 domains", 10*time.Second)
	// Every run ended: the status line counts them all, with none running
	// (either domain may end first; quitting before broken.example's run
	// ended rightly exits 3).
	ansi := regexp.MustCompile("\x1b\\[[0-9;?]*[a-zA-Z]")
	waitOutput(t, plainText{out, ansi}, "1 fail | 1 error | 1 pass", 20*time.Second) // ASCII glyphs: no TERM
	if code := pressAndWait(t, pw, "q", done); code != report.ExitFindings {
		t.Fatalf("exit %d, want %d (broken.example fails)", code, report.ExitFindings)
	}
	s := out.String()
	left := s[strings.LastIndex(s, "\x1b[?1049l")+1:] // after the full screen
	left = regexp.MustCompile("\x1b\\[[0-9;?]*[a-zA-Z]").ReplaceAllString(left, "")
	fail, bad, pass := strings.Index(left, "[FAIL] broken.example"), strings.Index(left, "not a domain!"), strings.Index(left, "[PASS] good.example")
	if fail < 0 || bad < 0 || pass < 0 || !(fail < bad && bad < pass) {
		t.Fatalf("summary left on the terminal (worst first):\n%s", left)
	}
}
