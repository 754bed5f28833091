package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// runOnTerminal runs the command as if stdout were a terminal of the given
// width (the TUI is turned off with --no-tui by the caller).
func runOnTerminal(t *testing.T, w *mailtest.World, width int, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.getenv = func(k string) string { return env[k] }
	a.isTTY = func(io.Writer) bool { return true }
	a.width = func(io.Writer) int { return width }
	a.dialer = w.Dialer
	code := a.run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// TestTextFitsTheTerminal: on a terminal the text report wraps to its
// width (colour on or off); piped, long lines are kept.
func TestTextFitsTheTerminal(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	args := []string{"check", "broken.example", "--only", "dns,mx,spf,dmarc,dkim", "--resolver", w.DNS.Addr(), "--no-tui", "-v"}
	for _, env := range []map[string]string{nil, {"NO_COLOR": "1"}} {
		r := runOnTerminal(t, w, 64, env, args...)
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if (env == nil) != strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("colour with NO_COLOR=%q: %v", env["NO_COLOR"], strings.Contains(r.stdout, "\x1b["))
		}
		for _, l := range strings.Split(r.stdout, "\n") {
			if cw := ansi.StringWidth(l); cw > 64 {
				t.Errorf("line of %d columns on a 64-column terminal: %q", cw, l)
			}
		}
	}
	piped := runApp(t, w, "", args...)
	long := false
	for _, l := range strings.Split(piped.stdout, "\n") {
		long = long || len(l) > 100
	}
	if !long {
		t.Errorf("piped output has no line over 100 columns: long lines were wrapped")
	}
}

// TestVerboseShowsWhatWasRead: with -v (text) and in Markdown, a passing
// check shows the record it read, from the real check's data.
func TestVerboseShowsWhatWasRead(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	const record = "v=spf1 mx ip4:192.0.2.0/24 include:_spf.mailprovider.example -all"
	text := runApp(t, w, "", "check", "good.example", "--only", "spf,mx", "--resolver", w.DNS.Addr(), "-v")
	if text.code != report.ExitOK || !strings.Contains(text.stdout, "[PASS] SPF (spf)") || !strings.Contains(text.stdout, "  record: "+record+"\n") {
		t.Fatalf("exit %d, -v text lacks the SPF record:\n%s%s", text.code, text.stdout, text.stderr)
	}
	plain := runApp(t, w, "", "check", "good.example", "--only", "spf,mx", "--resolver", w.DNS.Addr())
	if strings.Contains(plain.stdout, record) {
		t.Errorf("the record is shown without -v:\n%s", plain.stdout)
	}
	md := runApp(t, w, "", "check", "good.example", "--only", "spf,mx", "--resolver", w.DNS.Addr(), "--format", "markdown")
	if !strings.Contains(md.stdout, "### What was read") || !strings.Contains(md.stdout, "- record: `"+record+"`\n") {
		t.Fatalf("markdown lacks the SPF record:\n%s", md.stdout)
	}
}
