package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/report"
)

// writeFile writes a test input file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runBinary runs the real mxray program and returns its exit code and
// output.
func runBinary(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := command(binary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	_ = cmd.Run()
	return result{report.Exit(cmd.ProcessState.ExitCode()), out.String(), errb.String()}
}

// errorDocFields are the fields of a bulk error document, no more.
var errorDocFields = []string{"checks", "dns_queries", "duration_ms", "error", "input", "line", "resolvers", "schema", "started_at", "status"}

// TestBulkBadLinesBecomeErrorDocuments: a line that is not a domain does
// not stop the batch; it becomes an error document in its place, and the
// documents follow the input's order, in every format, with the real
// binary.
func TestBulkBadLinesBecomeErrorDocuments(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	sch := compileSchema(t)
	long := strings.Repeat("a", 5000) + ".example"
	in := "good.example\nbad domain!\n# a comment\n\nbroken.example   # trailing comment\nuser@example.com\nnomail.example\n" + long + "\n\xff\xfe.example\n"
	file := writeFile(t, "domains.txt", in)
	base := []string{"check", "-f", file, "--only", "mx", "--resolver", w.DNS.Addr(), "--concurrency", "3"}
	type want struct {
		domain string
		line   int
	}
	wants := []want{{"good.example", 0}, {"", 2}, {"broken.example", 0}, {"", 6}, {"nomail.example", 0}, {"", 8}, {"", 9}}
	checkDocs := func(t *testing.T, docs []map[string]any) {
		t.Helper()
		if len(docs) != len(wants) {
			t.Fatalf("%d documents, want %d", len(docs), len(wants))
		}
		for i, wd := range wants {
			d := docs[i]
			if wd.domain != "" {
				if d["domain"] != wd.domain {
					t.Errorf("document %d: domain %v, want %s (input order)", i, d["domain"], wd.domain)
				}
				continue
			}
			var keys []string
			for k := range d {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != strings.Join(errorDocFields, ",") {
				t.Errorf("document %d has fields %v, want %v", i, keys, errorDocFields)
			}
			if d["line"] != float64(wd.line) || d["status"] != "error" || len(d["checks"].([]any)) != 0 || d["error"] == "" {
				t.Errorf("document %d is not the error document of line %d: %v", i, wd.line, d)
			}
		}
		if in := docs[1]["input"]; in != "bad domain!" {
			t.Errorf("input = %q", in)
		}
		if in := docs[5]["input"].(string); len(in) > 300 || !strings.HasPrefix(in, "aaaa") {
			t.Errorf("long line quoted as %d bytes", len(in))
		}
		if e := docs[5]["error"].(string); !strings.Contains(e, "longer than 4096 bytes") {
			t.Errorf("long line: error %q", e)
		}
	}

	// Each case runs the real binary (a process start and a trust probe):
	// they read the world only, so they overlap.
	t.Run("ndjson", func(t *testing.T) {
		t.Parallel()
		r := runBinary(t, "", append(base, "--format", "ndjson")...)
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d, want 1 (broken.example fails); stderr %q", r.code, r.stderr)
		}
		var docs []map[string]any
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			docs = append(docs, validateJSON(t, sch, sc.Text()))
		}
		checkDocs(t, docs)
	})
	t.Run("json is one array", func(t *testing.T) {
		t.Parallel()
		r := runBinary(t, "", append(base, "--json")...)
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
		}
		inst, err := jsonschemaUnmarshal(r.stdout)
		if err != nil {
			t.Fatalf("not one JSON value: %v\n%s", err, r.stdout)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("does not validate: %v", err)
		}
		var docs []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil {
			t.Fatalf("not an array of documents: %v", err)
		}
		checkDocs(t, docs)
	})
	t.Run("text ends with a summary table", func(t *testing.T) {
		t.Parallel()
		r := runBinary(t, "", append(base, "--format", "text")...)
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
		}
		i := strings.LastIndex(r.stdout, "\ndomain ")
		if i < 0 {
			t.Fatalf("no summary table:\n%s", r.stdout)
		}
		table := r.stdout[i:]
		for _, want := range []string{"status  fail  warn", "good.example", "PASS", "broken.example", "FAIL", "line 2: bad domain!", "ERROR", "3 domains and 4 lines that are not domains: "} {
			if !strings.Contains(table, want) {
				t.Errorf("summary lacks %q:\n%s", want, table)
			}
		}
		if !strings.Contains(r.stdout, "line 2: ERROR \"bad domain!\"\n  not checked: invalid domain") {
			t.Errorf("no error entry for line 2:\n%s", r.stdout)
		}
	})
	t.Run("only error documents and passes exit 3", func(t *testing.T) {
		t.Parallel()
		f := writeFile(t, "d.txt", "good.example\nnot a domain\n")
		r := runBinary(t, "", "check", "-f", f, "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson")
		if r.code != report.ExitCouldNotRun || strings.Count(r.stdout, "\n") != 2 {
			t.Fatalf("exit %d, want 3 (an error document counts as 3); stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("stdin with no domain exits 2 before any output", func(t *testing.T) {
		t.Parallel()
		r := runBinary(t, "bad one\n# c\nanother bad\n", "check", "-f", "-", "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson")
		if r.code != report.ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "standard input: no domain to check (line 1:") {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("a Windows file: byte order mark and CRLF", func(t *testing.T) {
		t.Parallel()
		f := writeFile(t, "d.txt", "\ufeffgood.example\r\nnomail.example\r\n")
		r := runApp(t, w, "", "check", "-f", f, "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson")
		if r.code != report.ExitOK || strings.Count(r.stdout, "\n") != 2 || strings.Contains(r.stdout, `"error"`) {
			t.Fatalf("exit %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("several arguments print one array", func(t *testing.T) {
		t.Parallel()
		r := runBinary(t, "", "check", "good.example", "nomail.example", "--only", "mx", "--resolver", w.DNS.Addr(), "--json")
		var docs []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 2 || docs[0]["domain"] != "good.example" {
			t.Fatalf("exit %d, err %v, stdout %s", r.code, err, r.stdout)
		}
		one := runBinary(t, "", "check", "good.example", "--only", "mx", "--resolver", w.DNS.Addr(), "--json")
		if !strings.HasPrefix(one.stdout, "{") {
			t.Fatalf("one domain must still print one object: %.40q", one.stdout)
		}
	})
}

// jsonschemaUnmarshal decodes exactly one JSON value for the validator.
func jsonschemaUnmarshal(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// TestBulkReorderWindow: a slow domain at the head of the input holds the
// reorder window (4 × --concurrency documents): the documents behind it
// wait, at most a window of them, and are written in input order once it
// is done; --unordered writes them as they finish.
func TestBulkReorderWindow(t *testing.T) {
	t.Parallel()
	w := demoZonesWorld(t) // --only mx; its own: it adds zones and a delay
	var zone, list strings.Builder
	list.WriteString("slow.example\n")
	zone.WriteString("slow.example. MX 10 mx1.good.example.\n")
	for i := range 30 {
		fmt.Fprintf(&zone, "d%02d.example. MX 10 mx1.good.example.\n", i)
		fmt.Fprintf(&list, "d%02d.example\n", i)
	}
	if err := w.DNS.AddZone(zone.String()); err != nil {
		t.Fatal(err)
	}
	w.DNS.ScriptDelay("slow.example.", dns.TypeMX, 500*time.Millisecond)
	file := writeFile(t, "domains.txt", list.String())
	const concurrency = 2
	run := func(t *testing.T, extra ...string) (domains []string, held int) {
		t.Helper()
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		a.getenv = func(string) string { return "" }
		a.onWindow = func(n int) { held = n }
		args := append([]string{"check", "-f", file, "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson",
			"--concurrency", fmt.Sprint(concurrency)}, extra...)
		if code := a.run(context.Background(), args); code != report.ExitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			var d struct{ Domain string }
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			domains = append(domains, d.Domain)
		}
		if len(domains) != 31 {
			t.Fatalf("%d documents, want 31", len(domains))
		}
		return domains, held
	}
	// Both runs wait out the slow head: they overlap (each has its own app
	// and window; the world is only read).
	t.Run("ordered", func(t *testing.T) {
		t.Parallel()
		domains, held := run(t)
		want := strings.Split(strings.TrimSpace(list.String()), "\n")
		if strings.Join(domains, " ") != strings.Join(want, " ") {
			t.Fatalf("not in input order: %v", domains)
		}
		// While slow.example is looked up, the other worker finishes what
		// the window lets it start: at most 4×2 documents are held.
		if held > windowPerWorker*concurrency {
			t.Fatalf("%d documents held at once, window is %d", held, windowPerWorker*concurrency)
		}
		if held == 0 {
			t.Fatalf("no document waited behind the slow head: the test did not test the window")
		}
		t.Logf("held at most %d documents behind the slow head (window %d)", held, windowPerWorker*concurrency)
	})
	t.Run("unordered", func(t *testing.T) {
		t.Parallel()
		domains, _ := run(t, "--unordered")
		if domains[0] == "slow.example" {
			t.Fatalf("--unordered waited for the slow head: %v", domains)
		}
	})
}

// TestWindowBoundsWork: the window hands out no slot beyond its size
// until the head is done, and emits in order.
func TestWindowBoundsWork(t *testing.T) {
	var got []int
	win := newWindow(3, true, func(v int) { got = append(got, v) })
	ctx := context.Background()
	for i := range 3 {
		if seq, ok := win.reserve(ctx); !ok || seq != i {
			t.Fatalf("reserve %d: %d %v", i, seq, ok)
		}
	}
	win.done(2, 2)
	win.done(1, 1)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, ok := win.reserve(short); ok {
		t.Fatal("a fourth slot while the head is not done")
	}
	if len(got) != 0 || win.held() != 2 {
		t.Fatalf("emitted %v, held %d before the head was done", got, win.held())
	}
	win.drop(0) // the head could not be produced: the rest moves on
	if fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("emitted %v", got)
	}
	for i := range 3 {
		if seq, ok := win.reserve(ctx); !ok || seq != 3+i {
			t.Fatalf("reserve after release: %d %v", seq, ok)
		}
	}
}

// brokenPipe is a stdout that fails every write, like a closed pipe.
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, fmt.Errorf("broken pipe") }

// TestBulkStopsWhenOutputFails: once stdout cannot be written, no more
// domains are checked.
func TestBulkStopsWhenOutputFails(t *testing.T) {
	t.Parallel()
	w := demoZonesWorld(t) // --only mx; its own: it counts queries
	var list strings.Builder
	for i := range 50 {
		fmt.Fprintf(&list, "d%02d.example\n", i)
	}
	file := writeFile(t, "domains.txt", list.String())
	var errb bytes.Buffer
	a := newApp(strings.NewReader(""), brokenPipe{}, &errb)
	a.getenv = func(string) string { return "" }
	code := a.run(context.Background(), []string{"check", "-f", file, "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "ndjson", "--concurrency", "1"})
	if code != report.ExitCouldNotRun || strings.Count(errb.String(), "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if n := w.DNS.QueryCount("d49.example.", dns.TypeMX); n != 0 {
		t.Fatalf("the last domain was looked up %d times after the output failed", n)
	}
}
