package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/report"
)

// messageBase is the root and TLD zone of the message worlds: a resolver
// that answers the root's NS records, so the trust probe passes.
const messageBase = `
$ORIGIN .
$TTL 300
.          IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
.          IN NS  a.root.example.
example.   IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
example.   IN NS  a.root.example.
test.      IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
`

// messageWorld serves the corpus zone (testdata/messages/zone.txt) that
// publishes the corpus keys and SPF records, plus extra zone text.
func messageWorld(t *testing.T, extra string) *mailtest.World {
	t.Helper()
	return mailtest.New(t, messageBase+messagetest.Zone(t)+extra)
}

// corpus returns the path of a corpus message.
func corpus(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(messagetest.Dir(t), name+".eml")
}

// TestAnalyzeGolden pins the text and JSON reports of corpus messages
// analysed end to end: the command reads the file, looks the keys and
// SPF records up in the mailtest world, and prints.
func TestAnalyzeGolden(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	sch := compileSchema(t)
	for _, tc := range []struct {
		name, message string
		args          []string
		want          report.Exit
	}{
		{"good", "good", nil, report.ExitOK},
		{"body-modified", "body-modified", nil, report.ExitFindings},
		{"spf-fail", "spf-fail", nil, report.ExitFindings},
		{"arc-fail", "arc-fail", nil, report.ExitFindings},
		{"bulk-no-one-click", "bulk-no-one-click", nil, report.ExitOK}, // a warning
		{"authres-disagrees", "authres-disagrees", []string{"--authserv-id", "mx.rcpt.example"}, report.ExitFindings},
		{"from-missing", "from-missing", nil, report.ExitFindings},
		{"bounce-gmail-dmarc", "bounce-gmail-dmarc", nil, report.ExitFindings}, // a DSN: what to fix
	} {
		for _, format := range []string{"text", "json"} {
			t.Run(tc.name+"."+format, func(t *testing.T) {
				args := append([]string{"analyze", corpus(t, tc.message), "--resolver", w.DNS.Addr(), "--format", format}, tc.args...)
				if format == "text" {
					args = append(args, "-v")
				}
				r := runApp(t, w, "", args...)
				if r.stderr != "" {
					t.Fatalf("stderr: %s", r.stderr)
				}
				if r.code != tc.want {
					t.Errorf("exit %d, want %d\n%s", r.code, tc.want, r.stdout)
				}
				if format == "json" {
					d := validateJSON(t, sch, r.stdout)
					if d["target"].(map[string]any)["kind"] != "message" || d["message"] == nil {
						t.Errorf("not a message document: %s", r.stdout)
					}
				}
				golden.Check(t, "cli/analyze-"+tc.name+"."+format, []byte(scrubMessage(r.stdout)))
			})
		}
	}
}

// scrubMessage is scrub, also for a run of one DNS query.
func scrubMessage(s string) string {
	return regexp.MustCompile(`\([0-9]+ DNS quer(y|ies)`).ReplaceAllString(scrub(s), "(0 DNS queries")
}

// TestAnalyzeStdinAndExitCodes: - reads standard input; --fail-on warn
// turns warnings into exit 1; a message whose From domain has no From has
// no domain in its document.
func TestAnalyzeStdinAndExitCodes(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	sch := compileSchema(t)
	raw, err := os.ReadFile(corpus(t, "good"))
	if err != nil {
		t.Fatal(err)
	}
	r := runApp(t, w, string(raw), "analyze", "-", "--resolver", w.DNS.Addr(), "--json")
	if r.code != report.ExitOK {
		t.Fatalf("exit %d: %s %s", r.code, r.stderr, r.stdout)
	}
	d := validateJSON(t, sch, r.stdout)
	if d["domain"] != "sender.example" {
		t.Errorf("domain %v", d["domain"])
	}
	// unsigned: msg-dkim.none is a warning.
	if r := runApp(t, w, "", "analyze", corpus(t, "unsigned"), "--resolver", w.DNS.Addr(), "--fail-on", "warn"); r.code != report.ExitFindings {
		t.Errorf("unsigned --fail-on warn: exit %d\n%s", r.code, r.stdout)
	}
	r = runApp(t, w, "", "analyze", corpus(t, "from-missing"), "--resolver", w.DNS.Addr(), "--format", "ndjson")
	d = validateJSON(t, sch, r.stdout)
	if _, ok := d["domain"]; ok {
		t.Errorf("a message without From has a domain: %v", d["domain"])
	}
	// Markdown and JUnit, as for check; a message without From is named so.
	for _, f := range []string{"markdown", "junit"} {
		r := runApp(t, w, "", "analyze", corpus(t, "from-missing"), "--resolver", w.DNS.Addr(), "--format", f)
		if r.code != report.ExitFindings || !strings.Contains(r.stdout, "msg-headers.from-missing") {
			t.Errorf("%s: exit %d\n%s", f, r.code, r.stdout)
		}
		if f == "markdown" && !strings.Contains(r.stdout, "## Message from an unknown sender: FAIL") {
			t.Errorf("markdown heading:\n%s", r.stdout)
		}
	}
	// A resolver that does not answer: exit 3 (nothing failed, nothing decided).
	dead := messageWorld(t, "")
	dead.DNS.ScriptTree("sender.example", mailtest.ServFail)
	if r := runApp(t, dead, "", "analyze", corpus(t, "good"), "--resolver", dead.DNS.Addr(), "--timeout", "500ms"); r.code != report.ExitCouldNotRun {
		t.Errorf("SERVFAIL: exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAnalyzeBadInput: an unreadable, empty or oversized message, or a bad
// flag, is one line on stderr and exit 2, before any DNS query.
func TestAnalyzeBadInput(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.eml")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.eml")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(50<<20 + 1); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		says  string
	}{
		{"missing file", "", []string{filepath.Join(dir, "nope.eml")}, "no such file"},
		{"directory", "", []string{dir}, "directory"},
		{"empty file", "", []string{empty}, "is empty"},
		{"empty stdin", "", []string{"-"}, "standard input is empty"},
		{"too large", "", []string{big}, "over 50 MB"},
		{"no file", "", nil, "missing message file"},
		{"two files", "", []string{empty, empty}, "one message file"},
		{"bad authserv-id", "", []string{empty, "--authserv-id", "a b"}, "not an authserv-id"},
		{"bad received-by", "", []string{empty, "--received-by", "[1.2.3.4]"}, "not a host name"},
		{"bad format", "", []string{empty, "--format", "xml"}, "unknown format"},
		{"unknown flag", "", []string{empty, "--only", "spf"}, "unknown flag --only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"analyze", "--resolver", w.DNS.Addr()}, tc.args...)
			before := w.DNS.Queries()
			r := runApp(t, w, tc.stdin, args...)
			if r.code != report.ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.says) {
				t.Fatalf("exit %d, stderr %q, want exit 2 and one line saying %q", r.code, r.stderr, tc.says)
			}
			if !strings.HasPrefix(r.stderr, "mxray analyze: ") || strings.Contains(r.stderr, "open ") {
				t.Errorf("stderr %q", r.stderr)
			}
			if q := w.DNS.Queries(); q != before {
				t.Errorf("%d DNS queries before refusing the input", q-before)
			}
		})
	}
}

// TestAnalyzeBounce: a real bounce of the conformance corpus is decoded
// end to end: msg-bounce says what to fix.
func TestAnalyzeBounce(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	root := filepath.Join(messagetest.Dir(t), "..", "..", "..", "shared", "conformance", "bounces", "eml")
	names, _ := filepath.Glob(filepath.Join(root, "*.eml"))
	if len(names) == 0 {
		t.Skipf("no conformance bounces under %s", root)
	}
	sch := compileSchema(t)
	found := 0
	for _, p := range names[:min(len(names), 12)] {
		r := runApp(t, w, "", "analyze", p, "--resolver", w.DNS.Addr(), "--json", "--timeout", "500ms")
		if r.code == report.ExitUsage {
			t.Fatalf("%s: %s", p, r.stderr)
		}
		d := validateJSON(t, sch, r.stdout)
		for _, c := range d["checks"].([]any) {
			c := c.(map[string]any)
			if c["id"] != "msg-bounce" {
				continue
			}
			for _, f := range c["findings"].([]any) {
				if strings.HasPrefix(f.(map[string]any)["id"].(string), "msg-bounce.") {
					found++
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("no msg-bounce finding over the bounce corpus")
	}
}

// TestAnalyzeTUI: on a terminal analyze opens the check TUI's dashboard
// with the message checks; after q it leaves the summary with the
// message's lines, and exits as the printed report would.
func TestAnalyzeTUI(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	var errb bytes.Buffer
	a := newApp(pr, out, &errb)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	done := make(chan report.Exit, 1)
	go func() {
		done <- a.run(context.Background(), []string{"analyze", corpus(t, "body-modified"), "--resolver", w.DNS.Addr()})
	}()
	waitOutput(t, out, "DKIM signatures", 10*time.Second)
	waitOutput(t, out, "DNS quer", 20*time.Second) // the run finished
	if code := pressAndWait(t, pw, "q", done); code != report.ExitFindings {
		t.Errorf("exit %d, want 1; stderr %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, "message from ") || !strings.Contains(s, "trusted hop: ") {
		t.Errorf("no summary with the message lines left:\n%s", tail(s, 2000))
	}
}

// TestAnalyzeUntrustedResolver: behind a resolver that cannot be trusted,
// analyze gives no verdict: one line on stderr, exit 3, and for --json
// the error document of the message (status error, no checks); receive
// refuses to start.
func TestAnalyzeUntrustedResolver(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, rs := range strangeResolvers {
		t.Run(rs.name, func(t *testing.T) {
			t.Parallel() // each waits out a silent or slow resolver: overlap them
			w := messageWorld(t, "")
			rs.setup(w.DNS)
			// Each run waits out the same silent or late root: they overlap.
			t.Run("json", func(t *testing.T) {
				t.Parallel()
				r := runApp(t, w, "", "analyze", corpus(t, "good"), "--resolver", w.DNS.Addr(), "--timeout", rs.timeout.String(), "--json")
				if r.code != report.ExitCouldNotRun || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, rs.says) {
					t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
				}
				d := validateJSON(t, sch, r.stdout)
				if d["status"] != "error" || len(d["checks"].([]any)) != 0 || d["target"] == nil {
					t.Errorf("document %s", r.stdout)
				}
			})
			t.Run("text", func(t *testing.T) {
				t.Parallel()
				if r := runApp(t, w, "", "analyze", corpus(t, "good"), "--resolver", w.DNS.Addr(), "--timeout", rs.timeout.String()); r.code != report.ExitCouldNotRun || r.stdout != "" {
					t.Errorf("text: exit %d, stdout %q", r.code, r.stdout)
				}
			})
			t.Run("receive", func(t *testing.T) {
				t.Parallel()
				// Bounded: were it to start listening, the deadline ends it.
				var out, errb bytes.Buffer
				a := newApp(strings.NewReader(""), &out, &errb)
				a.getenv = func(string) string { return "" }
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if code := a.run(ctx, []string{"receive", "--listen", "127.0.0.1:0", "--resolver", w.DNS.Addr(), "--timeout", rs.timeout.String()}); code != report.ExitCouldNotRun || !strings.Contains(errb.String(), rs.says) {
					t.Errorf("receive: exit %d, stderr %q", code, errb.String())
				}
			})
		})
	}
}

// TestReceiveSessionTimeout: a client that says nothing is disconnected
// after --session-timeout (here also past --command-timeout).
func TestReceiveSessionTimeout(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, loopZone)
	rcv := startReceive(t, "--resolver", w.DNS.Addr(), "--session-timeout", "1s", "--command-timeout", "1s")
	c, err := net.DialTimeout("tcp", rcv.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("the idle session was not closed: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("closed after %s", took)
	}
}

// TestAnalyzeProfile: --profile grades the message against the providers'
// rules: the profile check runs after the message checks (and the From
// domain's own, as its hidden dependencies) and decides the message rules.
func TestAnalyzeProfile(t *testing.T) {
	t.Parallel()
	w := messageWorld(t, "")
	r := runApp(t, w, "", "analyze", corpus(t, "good"), "--resolver", w.DNS.Addr(), "--profile", "gmail", "--json")
	var doc struct {
		Checks []struct {
			ID     string          `json:"id"`
			Status string          `json:"status"`
			Error  string          `json:"error"`
			Data   json.RawMessage `json:"data"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("exit %d, stderr %q: %v\n%s", r.code, r.stderr, err, r.stdout)
	}
	var ids []string
	for _, c := range doc.Checks {
		ids = append(ids, c.ID)
		if c.ID != "profile" {
			continue
		}
		if c.Status == "skip" || c.Status == "error" || !strings.Contains(string(c.Data), `"message-format"`) {
			t.Errorf("profile: status %s (%s), data %.400s", c.Status, c.Error, c.Data)
		}
		if !strings.Contains(string(c.Data), `"id":"message-format","provider":"gmail"`) && !strings.Contains(string(c.Data), `"message-format"`) {
			t.Errorf("no message-format rule graded: %.400s", c.Data)
		}
	}
	if !slices.Contains(ids, "profile") || !slices.Contains(ids, "msg-dkim") || slices.Contains(ids, "mx") {
		t.Errorf("checks %v: want the message checks and profile, the domain checks only as hidden dependencies", ids)
	}
	if r := runApp(t, w, "", "analyze", corpus(t, "good"), "--resolver", w.DNS.Addr(), "--profile", "aol"); r.code != report.ExitUsage {
		t.Errorf("--profile aol: exit %d", r.code)
	}
}
