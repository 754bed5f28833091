package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// result is one in-process run of the command.
type result struct {
	code           report.Exit
	stdout, stderr string
}

func runApp(t *testing.T, w *mailtest.World, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb)
	a.getenv = func(string) string { return "" }
	a.resolvConf = filepath.Join(t.TempDir(), "missing-resolv.conf")
	if w != nil {
		a.dialer = w.Dialer
	}
	code := a.run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// demoWorld starts the demo world for a test.
func demoWorld(t *testing.T) *mailtest.World {
	t.Helper()
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// demoZonesWorld serves the demo's zones without its servers (mail, TLS,
// HTTPS, blocklists), for the runs that only ask DNS questions: starting
// the whole demo costs an RSA key.
func demoZonesWorld(t *testing.T) *mailtest.World {
	t.Helper()
	z, err := demo.Zones()
	if err != nil {
		t.Fatal(err)
	}
	return mailtest.New(t, z)
}

// shared is the demo world of sharedDemoWorld, started by the first test
// that asks for it and closed by TestMain.
var shared struct {
	once sync.Once
	w    *mailtest.World
	err  error
}

// sharedDemoWorld returns the one demo world shared by the tests that only
// query it: no zone change, no scripted misbehaviour, no SMTP check (the
// greylisting host keeps state), no query counter or mailbox read. Those
// that do any of these start their own with demoWorld.
func sharedDemoWorld(t *testing.T) *mailtest.World {
	t.Helper()
	shared.once.Do(func() { shared.w, shared.err = demo.Start() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.w
}

func TestUsageErrorsAreOneLineAndExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "domains.txt")
	if err := os.WriteFile(f, []byte("# comment\n\nbad domain!\nuser@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# only a comment\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "bad domain!"}, "invalid domain"},
		{[]string{"check", "example.com", "--bogus"}, "unknown flag --bogus (see mxray check -h)"},
		{[]string{"check", "example.com", "--jsn"}, "unknown flag --jsn (did you mean --json?"},
		{[]string{"check", "example.com", "-jsno"}, "did you mean --json?"},
		{[]string{"check", "example.com", "--timeout", "soon"}, `--timeout "soon": not a duration`},
		{[]string{"check", "example.com", "--dkim-probe", "bogus"}, `--dkim-probe "bogus": want provider, common, full or off`},
		{[]string{"check", "example.com", "--timeout"}, "--timeout needs a value"},
		{[]string{"check", "-f"}, "-f needs a value"},
		{[]string{"check", "example.com", "--concurrency", "many"}, `--concurrency "many": not a number`},
		{[]string{"check", "example.com", "--format", "jsn"}, `unknown format "jsn" (did you mean json?`},
		{[]string{"chek", "example.com"}, `unknown command "chek" (did you mean check?`},
		{[]string{"exlpain", "spf"}, "did you mean explain?"},
		{[]string{"example.com"}, "did you mean mxray check example.com?"},
		{[]string{"Bücher.example"}, "did you mean mxray check xn--bcher-kva.example?"},
		{[]string{"--json", "example.com"}, "unknown flag --json before the command"},
		{[]string{"version", "extra"}, "no argument"},
		{[]string{"check", "--resolver", "nonsense", "example.com"}, `invalid resolver "nonsense"`},
		{[]string{"check"}, "missing domain"},
		{[]string{"check", "example.com", "--fail-on", "maybe"}, "--fail-on"},
		{[]string{"check", "example.com", "--only", "nosuch"}, `unknown check "nosuch"`},
		{[]string{"check", "example.com", "--skip", "dnsbll"}, `unknown check "dnsbll" (did you mean dnsbl?`},
		{[]string{"check", "example.com", "--format", "yaml"}, "unknown format"},
		{[]string{"check", "example.com", "--json", "--format", "text"}, "conflicts"},
		{[]string{"check", "example.com", "--timeout", "-1s"}, "--timeout"},
		{[]string{"check", "example.com", "--timeout", "1ns"}, "--timeout 1ns: want a duration between 1ms and 1h"},
		{[]string{"check", "example.com", "--greeting-timeout", "0s"}, "--greeting-timeout 0s: want a duration between 1ms and 10m"},
		{[]string{"send", "--from", "a@example.com", "--to", "b@example.com", "--timeout", "1ns"}, "--timeout 1ns"},
		{[]string{"check", "example.com", "--ip", "300.1.1.1"}, "not an IP address"},
		{[]string{"check", "user@example.com"}, "email address"},
		{[]string{"check", "localhost"}, "two labels"},
		{[]string{"check", strings.Repeat("a", 70) + ".com"}, "invalid domain"},
		{[]string{"check", "-f", f}, "no domain to check (line 3: invalid domain"},
		{[]string{"check", "-f", empty}, "no domain to check"},
		{[]string{"check", "-f", filepath.Join(dir, "missing.txt")}, "missing.txt: no such file"},
		{[]string{"check", "-f", dir}, "cannot be read"},
		{[]string{"check", "-f", f, "example.com"}, "not both"},
		{[]string{"explain", "mx.cnam"}, "did you mean mx.cname"},
		{[]string{"demo", "example.com"}, "not a demo domain"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"send", "--form", "a@example.com"}, "did you mean --from?"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runApp(t, nil, "", tt.args...)
			if r.code != report.ExitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("stderr = %q, want one line containing %q", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Fatalf("stdout not empty on usage error: %q", r.stdout)
			}
		})
	}
}

// schema is report/schema.json compiled once for the package: compiling
// costs tens of milliseconds of CPU, and a compiled schema is only read
// (every Validate keeps its own state), so parallel tests share it.
var schema struct {
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schema.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.Schema))
		if err != nil {
			schema.err = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("mxray-v1.json", doc); err != nil {
			schema.err = err
			return
		}
		schema.s, schema.err = c.Compile("mxray-v1.json")
	})
	if schema.err != nil {
		t.Fatal(schema.err)
	}
	return schema.s
}

func validateJSON(t *testing.T, s *jsonschema.Schema, doc string) map[string]any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("output does not validate against report/schema.json: %v\n%s", err, doc)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckJSONAgainstTheWorld(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	sch := compileSchema(t)
	res := w.DNS.Addr()

	// Flags before and after the domain give the same document.
	a := runApp(t, w, "", "check", "--json", "--resolver", res, "--only", "dns,mx", "good.example")
	b := runApp(t, w, "", "check", "good.example", "--only", "dns,mx", "--resolver", res, "--json")
	if a.code != report.ExitOK || b.code != report.ExitOK {
		t.Fatalf("exit %d/%d, stderr %q %q", a.code, b.code, a.stderr, b.stderr)
	}
	da, db := validateJSON(t, sch, a.stdout), validateJSON(t, sch, b.stdout)
	if da["domain"] != "good.example" || da["status"] != "pass" || db["status"] != "pass" {
		t.Fatalf("documents: %v / %v", da, db)
	}
	cs := da["checks"].([]any)
	if len(cs) != 2 || cs[0].(map[string]any)["id"] != "dns" || cs[1].(map[string]any)["id"] != "mx" {
		t.Fatalf("checks = %v", cs)
	}
	if da["dns_queries"].(float64) < 1 {
		t.Fatalf("dns_queries = %v", da["dns_queries"])
	}

	// The broken domain fails: exit 1.
	r := runApp(t, w, "", "check", "broken.example", "--resolver", res, "--only", "mx", "--json")
	if r.code != report.ExitFindings {
		t.Fatalf("broken.example: exit %d, stderr %q", r.code, r.stderr)
	}
	validateJSON(t, sch, r.stdout)
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	w := demoWorld(t) // its own: it adds zones
	res := w.DNS.Addr()
	if err := w.DNS.AddZone(`
warn.example. MX 10 mx.warn.example.
warn.example. MX 20 alias.warn.example.
mx.warn.example. A 192.0.2.77
alias.warn.example. CNAME mx.warn.example.
xn--bcher-kva.example. MX 10 mx.warn.example.
xn--bcher-kva.example. MX 20 mx1.good.example.
`); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()

	lying := mailtest.New(t, "good.example. MX 10 mx1.good.example.\n") // no root zone: "." is NXDOMAIN

	tests := []struct {
		name string
		args []string
		want report.Exit
	}{
		{"resolver denies the root zone", []string{"check", "good.example", "--resolver", lying.DNS.Addr()}, report.ExitCouldNotRun},
		{"warn below default threshold", []string{"check", "warn.example", "--only", "mx", "--resolver", res}, report.ExitOK},
		{"warn at --fail-on warn", []string{"check", "warn.example", "--only", "mx", "--resolver", res, "--fail-on", "warn"}, report.ExitFindings},
		{"fail", []string{"check", "broken.example", "--only", "mx", "--resolver", res}, report.ExitFindings},
		{"resolver unreachable", []string{"check", "good.example", "--resolver", dead, "--timeout", "200ms", "--only", "dns,mx"}, report.ExitCouldNotRun},
		{"IDN", []string{"check", "bücher.example", "--only", "mx", "--resolver", res, "--json"}, report.ExitOK},
		{"no resolver configured", []string{"check", "good.example"}, report.ExitCouldNotRun},
		{"help", []string{"check", "-h"}, report.ExitOK},
		{"version", []string{"version"}, report.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, w, "", tt.args...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, tt.want, r.stdout, r.stderr)
			}
			if tt.name == "IDN" && !strings.Contains(r.stdout, `"domain": "xn--bcher-kva.example"`) {
				t.Fatalf("IDN not converted to A-labels:\n%s", r.stdout)
			}
			if tt.want == report.ExitCouldNotRun && strings.Count(r.stderr, "\n") > 1 {
				t.Fatalf("stderr not one line: %q", r.stderr)
			}
		})
	}
}

func TestBulkNDJSON(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	sch := compileSchema(t)
	f := filepath.Join(t.TempDir(), "domains.txt")
	if err := os.WriteFile(f, []byte("good.example\n# a comment\n\nbroken.example  # trailing comment\nnomail.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"-f", f}, ""},
		{[]string{"-f", "-"}, "good.example\nbroken.example\nnomail.example\n"},
	} {
		args := append([]string{"check", "--format", "ndjson", "--only", "mx", "--resolver", w.DNS.Addr(), "--concurrency", "2"}, src.args...)
		r := runApp(t, w, src.stdin, args...)
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d (broken.example fails), stderr %q", r.code, r.stderr)
		}
		domains := map[string]bool{}
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		for sc.Scan() {
			d := validateJSON(t, sch, sc.Text())
			domains[d["domain"].(string)] = true
		}
		if len(domains) != 3 || !domains["nomail.example"] {
			t.Fatalf("domains = %v", domains)
		}
	}
}

func TestDemoRuns(t *testing.T) {
	t.Parallel()
	r := runApp(t, nil, "", "demo", "--no-tui")
	if r.code != report.ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, d := range demo.Domains {
		if !strings.Contains(r.stdout, d.Name) {
			t.Errorf("demo output lacks %s", d.Name)
		}
	}
	// Every finding the demo produces is in the catalogue.
	j := runApp(t, nil, "", "demo", "--json")
	ids := regexp.MustCompile(`"id": "([a-z0-9]+\.[a-z0-9-]+)"`).FindAllStringSubmatch(j.stdout, -1)
	if len(ids) == 0 {
		t.Fatal("no findings in the demo")
	}
	for _, m := range ids {
		if _, ok := all.Lookup(m[1]); !ok {
			t.Errorf("demo emits %s, which is not in the catalogue", m[1])
		}
	}
}

// TestFindingCatalogue pins every finding ID and its severity (the public
// contract) and checks the catalogue's consistency.
func TestFindingCatalogue(t *testing.T) {
	idRE := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	var b strings.Builder
	for _, c := range append(all.Checks(), all.MessageChecks()...) {
		for _, d := range c.Findings() {
			if !idRE.MatchString(d.ID) || !strings.HasPrefix(d.ID, c.ID()+".") {
				t.Errorf("%s: ID must be %s.<kebab-name>", d.ID, c.ID())
			}
			if seen[d.ID] {
				t.Errorf("%s defined twice", d.ID)
			}
			seen[d.ID] = true
			if d.Title == "" || d.Why == "" || d.Fix == "" || !d.Severity.Valid() {
				t.Errorf("%s: incomplete definition", d.ID)
			}
			b.WriteString(d.ID + " " + string(d.Severity) + "\n")
		}
	}
	golden.Check(t, "findings.txt", []byte(b.String()))
}

// unreachable lists the finding IDs that no scenario can produce, each with
// the reason; IDs are never removed once published.
var unreachable = map[string]string{
	"spf.string-too-long": "a DNS character-string holds at most 255 bytes on the wire, so no answer can carry a longer one",
}

// TestEveryFindingHasACase walks the whole catalogue: every finding ID must
// be exercised by a test (named in a _test.go file) or appear in a golden
// produced by a real run, other than the catalogue listings themselves.
func TestEveryFindingHasACase(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	var corpus strings.Builder
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "docs" || n == "fuzz" {
				return filepath.SkipDir
			}
			return nil
		}
		golden := strings.Contains(filepath.ToSlash(p), "/testdata/") && filepath.Base(p) != "findings.txt"
		if !strings.HasSuffix(p, "_test.go") && !golden {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		corpus.Write(b)
		corpus.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	text := corpus.String()
	for _, c := range append(all.Checks(), all.MessageChecks()...) {
		for _, d := range c.Findings() {
			if _, skip := unreachable[d.ID]; !skip && !strings.Contains(text, d.ID) {
				t.Errorf("%s has no scenario or unit case (no test names it, no golden shows it)", d.ID)
			}
		}
	}
}

// TestFindingsDoc checks that docs/findings.md is what `mxray explain
// --markdown` prints (regenerate with -update).
func TestFindingsDoc(t *testing.T) {
	t.Parallel()
	r := runApp(t, nil, "", "explain", "--markdown")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	p := filepath.Join("..", "..", "docs", "findings.md")
	if golden.Updating() {
		if err := os.WriteFile(p, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != r.stdout {
		t.Fatal("docs/findings.md is out of date: run go test ./cmd/mxray -run TestFindingsDoc -update")
	}
	for _, d := range all.Catalogue() {
		e := runApp(t, nil, "", "explain", d.ID)
		if e.code != 0 || !strings.Contains(e.stdout, d.Why) || !strings.Contains(r.stdout, "### `"+d.ID+"`") {
			t.Errorf("explain %s disagrees with the catalogue", d.ID)
		}
	}
}

// scrub replaces what varies between runs (times, ports) in CLI output.
func scrub(s string) string {
	for _, re := range []struct{ re, with string }{
		{`"(duration_ms|rtt_ms)": [0-9.]+`, `"$1": 0`},
		{`"started_at": "[^"]+"`, `"started_at": "2026-01-01T00:00:00Z"`},
		{`127\.0\.0\.1:[0-9]+`, `127.0.0.1:53`},
		{`"dns_queries": [0-9]+`, `"dns_queries": 0`},
		{` in [0-9.]+m?s`, ` in 0ms`},
		{`\) [0-9.]+m?s\n`, ") 0ms\n"},
		{`"proto": "(udp|tcp)"`, `"proto": "udp"`},
		{`\([0-9]+ DNS queries`, `(0 DNS queries`},
		{`[0-9.]+ms, (udp|tcp)`, `0ms, udp`},
	} {
		s = regexp.MustCompile(re.re).ReplaceAllString(s, re.with)
	}
	return s
}

// TestGoldenCLI pins real end-to-end output of the foundation checks.
func TestGoldenCLI(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	for _, tt := range []struct{ name, format, domain string }{
		{"broken.json", "json", "broken.example"},
		{"broken.txt", "text", "broken.example"},
		{"good.json", "json", "good.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, w, "", "check", tt.domain, "--only", "dns,mx", "--resolver", w.DNS.Addr(), "--format", tt.format, "-v")
			if r.stderr != "" {
				t.Fatal(r.stderr)
			}
			golden.Check(t, "cli/"+tt.name, []byte(scrub(r.stdout)))
		})
	}
}
