package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/cmd/mxray/internal/queue"
	"github.com/mxray/mxray/report"
)

func TestQueueUsageErrors(t *testing.T) {
	file := writeFile(t, "d.txt", "good.example\n")
	empty := writeFile(t, "e.txt", "# nothing\nnot a domain\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"worker"}, "missing --nats URL"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "example.com"}, `unexpected argument "example.com"`},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--json"}, "unknown flag --json"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "-f", file}, "unknown flag -f"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--concurrency", "0"}, "--concurrency 0: want 1 to 1024"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--ack-wait", "1m"}, "--ack-wait 1m0s: want more than --check-timeout (2m0s)"},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--only", "nosuch"}, `unknown check "nosuch"`},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--resolver", "nonsense"}, `invalid resolver "nonsense"`},
		{[]string{"worker", "--nats", "nats://127.0.0.1:1", "--smtp-rate", "fast"}, `--smtp-rate "fast": want N/s, N/m or N/h`},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1"}, "missing -f FILE"},
		{[]string{"submit", "-f", file}, "missing --nats URL"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", file, "--format", "json"}, "--format works with --wait only"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", file, "--wait", "--format", "text"}, `--format "text": want ndjson or json`},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", file, "--wait", "--fail-on", "maybe"}, "--fail-on"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", file, "--wait", "--window", "0"}, "--window 0"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", empty}, "no domain to check (line 2:"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "-f", filepath.Join(t.TempDir(), "missing")}, "no such file"},
		{[]string{"submit", "--nats", "nats://127.0.0.1:1", "--wiat"}, "did you mean --wait?"},
		{[]string{"sumbit"}, "did you mean submit?"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runApp(t, nil, "", tt.args...)
			if r.code != report.ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit 2 and one line with %q", r.code, r.stderr, r.stdout, tt.want)
			}
		})
	}
}

// TestQueueUnreachable: no server at the URL, or one without JetStream:
// one plain line, exit 3.
func TestQueueUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "nats://" + ln.Addr().String()
	ln.Close()
	file := writeFile(t, "d.txt", "good.example\n")
	for _, args := range [][]string{
		{"worker", "--nats", dead, "--resolver", "127.0.0.1"},
		{"submit", "--nats", "user:secret@" + strings.TrimPrefix(dead, "nats://"), "-f", file},
	} {
		r := runApp(t, nil, "", args...)
		if r.code != report.ExitCouldNotRun || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "cannot reach the NATS server at") {
			t.Errorf("%v: exit %d, stderr %q", args[0], r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "secret") || strings.Contains(r.stderr, "nats: ") {
			t.Errorf("%v: stderr %q shows the password or Go error text", args[0], r.stderr)
		}
	}
}

// TestSubmitThenWorker: submit without --wait queues one job per domain
// and publishes the error document of the line that is not a domain; a
// worker run in process then answers every job and stops on interrupt.
func TestSubmitThenWorker(t *testing.T) {
	t.Parallel()
	url := natsServer(t)
	w, file, domains := bulkWorld(t, 12, 0)
	r := runApp(t, w, "", "submit", "--nats", url, "-f", file)
	if r.code != report.ExitOK || !strings.HasPrefix(r.stdout, "12 jobs queued as batch ") || !strings.Contains(r.stdout, "1 lines are not domains") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	count := func(stream string) uint64 {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().State.Msgs
	}
	if n := count(queue.JobsStream); n != 12 {
		t.Fatalf("%d jobs queued, want 12", n)
	}
	if n := count(queue.ResultsStream); n != 1 {
		t.Fatalf("%d results before any worker, want 1 (the error document)", n)
	}

	wctx, stop := context.WithCancel(ctx)
	var out, errb syncBuffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.getenv = func(string) string { return "" }
	done := make(chan report.Exit)
	go func() {
		done <- a.run(wctx, []string{"worker", "--nats", url, "--resolver", w.DNS.Addr(), "--only", "mx", "--concurrency", "4"})
	}()
	for count(queue.ResultsStream) < uint64(len(domains)) {
		select {
		case <-ctx.Done():
			t.Fatalf("the worker answered %d of %d: %s", count(queue.ResultsStream), len(domains), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	select {
	case code := <-done:
		if code != report.ExitInterrupted {
			t.Fatalf("worker exit %d after interrupt, want 130: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker did not stop within 30s of the interrupt: %s", errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted after 12 jobs; 0 put back") {
		t.Fatalf("stderr %q", errb.String())
	}
	if n := count(queue.JobsStream); n != 0 {
		t.Fatalf("%d jobs left", n)
	}
}

// TestCollector: the first result of a job is printed, in job order;
// duplicates and other batches' results are dropped; a result that is not
// this job's mxray/v1 document becomes an error document (exit 3), never
// a verdict.
func TestCollector(t *testing.T) {
	b := queue.Batch("0123456789abcdef")
	var out bytes.Buffer
	c := newCollector(&out, report.FormatNDJSON, checks.SevFail, b, 8, true, func(error) {})
	for range 5 {
		if _, ok := c.reserve(context.Background(), "x.example", 1); !ok {
			t.Fatal("no room")
		}
	}
	doc := func(seq int, status checks.Status) []byte {
		d := report.JSONReport{Schema: report.SchemaVersion, JobID: string(b.Job(seq)), Domain: "x.example", StartedAt: "2026-01-01T00:00:00Z",
			Status: status, Resolvers: []string{}, Checks: []report.JSONCheck{}}
		data, err := encodeDoc(d)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	c.take(b.Job(1).Subject(), doc(1, checks.StatusWarn))
	c.take(b.Job(0).Subject(), doc(0, checks.StatusPass))
	c.take(b.Job(0).Subject(), doc(0, checks.StatusFail)) // a duplicate: dropped
	c.take("mxray.results.fedcba9876543210.2", doc(2, checks.StatusFail))
	c.take(b.Job(2).Subject(), []byte(`{"schema":"mxray/v1","job_id":"`+string(b.Job(3))+`","status":"fail"}`))
	c.take(b.Job(3).Subject(), []byte("\xff"))
	c.take(b.Job(4).Subject(), doc(4, checks.StatusFail))
	code, err := c.wait(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{`"status":"pass"`, `"status":"warn"`, `answers another job`, `is not valid UTF-8`, `"status":"fail"`}
	if len(lines) != len(want) {
		t.Fatalf("%d documents:\n%s", len(lines), out.String())
	}
	sch := compileSchema(t)
	for i, l := range lines {
		d := validateJSON(t, sch, l)
		if !strings.Contains(l, want[i]) || d["job_id"] != string(b.Job(i)) {
			t.Errorf("document %d = %s, want %s", i, l, want[i])
		}
	}
	if code != report.ExitFindings {
		t.Fatalf("exit %d, want 1", code)
	}
}

// FuzzCollectorResult: whatever a worker publishes, the collector prints
// one mxray/v1 document of the job and a defined exit code.
func FuzzCollectorResult(f *testing.F) {
	f.Add([]byte(`{"schema":"mxray/v1","job_id":"b.0","domain":"x.example","started_at":"2026-01-01T00:00:00Z","duration_ms":1,"status":"fail","resolvers":[],"checks":[{"id":"mx","status":"bogus","findings":[{"id":"mx.x","severity":"nope"}]}],"dns_queries":0}`))
	f.Add([]byte(`{"schema":"mxray/v1","job_id":"b.0"}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte("{\"schema\":\"mxray/v1\",\"job_id\":\"b.0\",\"input\":\"\x1b[31m\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector(nil, report.FormatNDJSON, checks.SevWarn, "b", 1, true, func(error) {})
		r := c.result("b.0", queued{input: "x.example", line: 3}, data)
		var d struct {
			Schema string `json:"schema"`
			JobID  string `json:"job_id"`
		}
		if err := json.Unmarshal(r.data, &d); err != nil || d.Schema != report.SchemaVersion || d.JobID != "b.0" {
			t.Fatalf("printed %q for %q", r.data, data)
		}
		switch r.code {
		case report.ExitOK, report.ExitFindings, report.ExitCouldNotRun:
		default:
			t.Fatalf("exit %d", r.code)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.data); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWorkerUntrustedResolver: a worker whose resolver cannot be trusted
// answers no job: it puts the job back and stops with the reason (exit 3),
// and the jobs stay queued for a worker that can decide.
func TestWorkerUntrustedResolver(t *testing.T) {
	t.Parallel()
	url := natsServer(t)
	file := writeFile(t, "d.txt", "good.example\nbroken.example\n")
	if r := runApp(t, nil, "", "submit", "--nats", url, "-f", file); r.code != report.ExitOK {
		t.Fatalf("submit: exit %d, %s", r.code, r.stderr)
	}
	lying := mailtest.New(t, "good.example. MX 10 mx1.good.example.\n") // no root zone: "." is NXDOMAIN
	r := runApp(t, nil, "", "worker", "--nats", url, "--resolver", lying.DNS.Addr(), "--only", "mx", "--concurrency", "1")
	if r.code != report.ExitCouldNotRun || !strings.Contains(r.stderr, "mxray worker: ") || strings.Contains(r.stderr, "interrupted") {
		t.Fatalf("exit %d, stderr %q; want 3 and the reason", r.code, r.stderr)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for stream, want := range map[string]uint64{queue.JobsStream: 2, queue.ResultsStream: 0} {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.CachedInfo().State.Msgs; n != want {
			t.Errorf("%s holds %d messages, want %d", stream, n, want)
		}
	}
	t.Logf("stderr: %s", r.stderr)
}
