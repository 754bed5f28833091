package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/cmd/mxray/internal/queue"
	"github.com/mxray/mxray/report"
)

const submitUsage = `Usage: mxray submit --nats URL -f FILE [--wait [--format ndjson|json]]

Puts one job per domain of FILE ('-': standard input; one domain a line,
# comments) in the NATS JetStream work queue (stream MXRAY_JOBS) for
mxray worker, and prints how many. A line that is not a domain gets the
error document mxray check -f gives it, published with the results. The
checks run with the workers' flags.

With --wait, it then collects the results (stream MXRAY_RESULTS) and prints
each job's document once, in input order (--unordered: as they come), and
exits as mxray check -f does: 0 ok, 1 findings at or above --fail-on, 3 a
document could not decide, 130 interrupted (the jobs stay queued).

Flags:
`

// submitFlags are the flags of `submit`.
type submitFlags struct {
	url       string
	file      string
	wait      bool
	format    string
	failOn    string
	window    int
	unordered bool
}

// maxResultSize bounds a result read back from the queue.
const maxResultSize = 64 << 20

func (a *app) submit(ctx context.Context, args []string) (report.Exit, error) {
	var s submitFlags
	fs := newFlagSet("submit", a.stdout, submitUsage)
	fs.StringVar(&s.url, "nats", "", "the NATS server (nats://host:4222; default $NATS_URL)")
	fs.StringVar(&s.file, "f", "", "read domains from this file, one per line ('-' for standard input)")
	fs.BoolVar(&s.wait, "wait", false, "wait for every result and print them")
	fs.StringVar(&s.format, "format", "ndjson", "with --wait: ndjson (one document a line) or json (one array)")
	fs.StringVar(&s.failOn, "fail-on", "fail", "with --wait: exit 1 when a finding is at least this severe: warn or fail")
	fs.IntVar(&s.window, "window", 4096, "with --wait: at most this many jobs queued and not yet printed (input order holds the others back)")
	fs.BoolVar(&s.unordered, "unordered", false, "with --wait: print each document when it comes, not in input order")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	if len(pos) > 0 {
		return 0, usagef("unexpected argument %q (give the domains in a file with -f; see mxray submit -h)", pos[0])
	}
	if s.file == "" {
		return 0, usagef("missing -f FILE (one domain a line; see mxray submit -h)")
	}
	url, err := a.natsURL(s.url)
	if err != nil {
		return 0, err
	}
	var format report.Format
	switch strings.ToLower(strings.TrimSpace(s.format)) {
	case "ndjson":
		format = report.FormatNDJSON
	case "json":
		format = report.FormatJSON
	default:
		return 0, usagef("--format %q: want ndjson or json", s.format)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !s.wait {
		for _, name := range []string{"format", "fail-on", "window", "unordered"} {
			if set[name] {
				return 0, usagef("%s works with --wait only", dashes(name))
			}
		}
	}
	failOn, err := (&checkFlags{failOn: s.failOn}).failOnSeverity()
	if err != nil {
		return 0, err
	}
	if s.window < 1 || s.window > 1_000_000 {
		return 0, usagef("--window %d: want 1 to 1000000", s.window)
	}
	f := &checkFlags{file: s.file}
	if f.file != "-" {
		// A file that cannot be read or holds no domain is a usage error
		// before anything is queued.
		if err := a.readInputs(ctx, f, 0, func(in bulkInput) bool { return in.bad != nil }); err != nil {
			return 0, err
		}
	}
	batch, err := queue.NewBatch()
	if err != nil {
		return 0, err
	}

	// A publication the queue refuses stops the submission.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	nc, js, err := connectQueue(ctx, url, "mxray submit",
		jetstream.WithPublishAsyncMaxPending(1024),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			stop(fmt.Errorf("the queue did not take %s (%s)", m.Header.Get(jetstream.MsgIDHeader), plainQueueError(err)))
		}))
	if err != nil {
		return 0, err
	}
	defer nc.Close()

	sub := &submission{batch: batch, js: js, fail: stop}
	var col *collector
	if s.wait {
		col, err = a.collect(ctx, stop, js, batch, format, failOn, s.window, !s.unordered)
		if err != nil {
			return 0, fmt.Errorf("the NATS server at %s: %s", queue.Redact(url), plainQueueError(err))
		}
		defer col.stop()
		sub.col = col
	}
	readErr := a.readInputs(ctx, f, 1024, func(in bulkInput) bool { return sub.send(ctx, in) })
	sub.finish(ctx)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return 0, cause
	}
	if readErr != nil {
		return 0, readErr
	}
	if ctx.Err() != nil {
		fmt.Fprintf(a.stderr, "mxray submit: interrupted; %d jobs were queued as batch %s\n", sub.jobs, batch)
		if col != nil {
			col.stop()
			col.close()
		}
		return report.ExitInterrupted, nil
	}
	if col == nil {
		msg := fmt.Sprintf("%d jobs queued as batch %s; their results will be on %s", sub.jobs, batch, batch.ResultsFilter())
		if sub.bad > 0 {
			msg += fmt.Sprintf(" (%d lines are not domains: their error documents are there already)", sub.bad)
		}
		fmt.Fprintln(a.stdout, msg)
		return report.ExitOK, nil
	}
	fmt.Fprintf(a.stderr, "mxray submit: %d jobs queued as batch %s; waiting for the results\n", sub.jobs, batch)
	code, err := col.wait(ctx, sub.sent)
	if err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			return 0, cause
		}
		fmt.Fprintf(a.stderr, "mxray submit: interrupted; the jobs of batch %s stay queued and their results will be on %s\n", batch, batch.ResultsFilter())
		return report.ExitInterrupted, nil
	}
	return code, nil
}

// submission publishes the jobs of one batch.
type submission struct {
	batch queue.Batch
	js    jetstream.JetStream
	col   *collector // nil without --wait
	fail  context.CancelCauseFunc

	sent, jobs, bad int
}

// send queues one input: a domain becomes a job, a line that is not a
// domain its error document, published as that job's result. With
// --wait, it first waits for room in the collector's window.
func (s *submission) send(ctx context.Context, in bulkInput) bool {
	seq := s.sent
	if s.col != nil {
		var ok bool
		input := in.t.Input
		if in.bad != nil {
			input = in.bad.Input
		}
		if seq, ok = s.col.reserve(ctx, input, in.line); !ok {
			return false
		}
	}
	s.sent++
	id := s.batch.Job(seq)
	var err error
	if in.bad != nil {
		s.bad++
		doc := in.bad.Document()
		doc.JobID = string(id)
		var data []byte
		if data, err = encodeDoc(doc); err == nil {
			_, err = s.js.PublishAsync(id.Subject(), data, jetstream.WithMsgID(string(id)))
		}
	} else {
		s.jobs++
		job := queue.Job{ID: id, Line: in.line, Input: in.t.Input, Domain: in.t.Domain}
		var data []byte
		if data, err = job.Encode(); err == nil {
			_, err = s.js.PublishAsync(queue.JobsSubject, data, jetstream.WithMsgID(string(id)))
		}
	}
	if err != nil {
		// PublishAsync fails only before sending (too many pending, closed
		// connection): nothing was queued.
		if s.col != nil {
			s.col.abandon(seq)
		}
		s.fail(fmt.Errorf("the queue did not take %s (%s)", id, plainQueueError(err)))
		return false
	}
	return true
}

// finish waits until the queue has acknowledged every publication (at
// most queueTimeout after the last one); it stops the submission when the
// queue does not.
func (s *submission) finish(ctx context.Context) {
	select {
	case <-s.js.PublishAsyncComplete():
	case <-ctx.Done():
	case <-time.After(queueTimeout):
		s.fail(fmt.Errorf("the queue did not confirm %d of the jobs within %s", s.js.PublishAsyncPending(), queueTimeout))
	}
}

// collector reads a batch's results back from the queue and prints each
// job's document once: the first result of a job is kept, later ones
// (a job checked twice) are dropped. In order, a window of at most size
// jobs is in flight, so memory stays bounded whatever the batch's length.
type collector struct {
	out    io.Writer
	format report.Format
	failOn checks.Severity
	batch  queue.Batch
	win    *window[jobDoc]
	iter   jetstream.MessagesContext
	fail   context.CancelCauseFunc

	mu      sync.Mutex
	waiting map[int]queued // jobs queued, no result yet
	emitted int
	code    report.Exit
	closed  bool
	moved   chan struct{} // a token after each document printed

	stopOnce sync.Once
	readDone chan struct{}
}

// queued is what the collector remembers of a job until its result: the
// input line, for the error document of a result that is not one.
type queued struct {
	input string
	line  int
}

// jobDoc is one job's document as printed: the bytes, and its exit code.
type jobDoc struct {
	data []byte
	code report.Exit
}

// collect starts reading the batch's results.
func (a *app) collect(ctx context.Context, fail context.CancelCauseFunc, js jetstream.JetStream, b queue.Batch, format report.Format, failOn checks.Severity, size int, ordered bool) (*collector, error) {
	cctx, cancel := context.WithTimeout(ctx, queueTimeout)
	defer cancel()
	cons, err := queue.ResultsConsumer(cctx, js, b)
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, err
	}
	c := newCollector(a.stdout, format, failOn, b, size, ordered, fail)
	c.iter = it
	go c.read()
	return c, nil
}

// newCollector returns a collector that reads nothing yet (see read).
func newCollector(out io.Writer, format report.Format, failOn checks.Severity, b queue.Batch, size int, ordered bool, fail context.CancelCauseFunc) *collector {
	c := &collector{out: out, format: format, failOn: failOn, batch: b, waiting: map[int]queued{},
		moved: make(chan struct{}, 1), readDone: make(chan struct{}), fail: fail}
	c.win = newWindow(size, ordered, c.emit)
	return c
}

// reserve waits for room in the window and returns the next job's number;
// in is the job's input line, line its number.
func (c *collector) reserve(ctx context.Context, in string, line int) (int, bool) {
	seq, ok := c.win.reserve(ctx)
	if !ok {
		return 0, false
	}
	c.mu.Lock()
	c.waiting[seq] = queued{input: quoteInput(in), line: line}
	c.mu.Unlock()
	return seq, true
}

// abandon forgets a job that was not queued after all.
func (c *collector) abandon(seq int) {
	c.mu.Lock()
	delete(c.waiting, seq)
	c.mu.Unlock()
	c.win.drop(seq)
}

// read takes the results as the queue delivers them until stopped.
func (c *collector) read() {
	defer close(c.readDone)
	for {
		msg, err := c.iter.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			continue // the ordered consumer recreates itself
		}
		c.take(msg.Subject(), msg.Data())
	}
}

// take handles one result message: the first result of a job of the
// batch is put in the window; a duplicate, or a result of another batch,
// is dropped.
func (c *collector) take(subject string, data []byte) {
	id, err := queue.ResultJob(subject)
	if err != nil {
		return
	}
	b, seq, _ := id.Parse()
	if b != c.batch {
		return
	}
	c.mu.Lock()
	q, first := c.waiting[seq]
	delete(c.waiting, seq)
	c.mu.Unlock()
	if !first {
		return
	}
	c.win.done(seq, c.result(id, q, data))
}

// result validates a worker's document and returns it as printed. A
// document that is not an mxray/v1 document of this job becomes an error
// document saying so: nothing is claimed about the domain.
func (c *collector) result(id queue.JobID, q queued, data []byte) jobDoc {
	var doc report.JSONReport
	why := ""
	switch {
	case len(data) > maxResultSize:
		why = fmt.Sprintf("is %d bytes, more than %d", len(data), maxResultSize)
	case !utf8.Valid(data):
		why = "is not valid UTF-8"
	case json.Unmarshal(data, &doc) != nil:
		why = "is not a JSON document"
	case doc.Schema != report.SchemaVersion:
		why = "is not an " + report.SchemaVersion + " document"
	case doc.JobID != string(id):
		why = "answers another job"
	}
	if why != "" {
		if q.input == "" {
			q.input = "(unknown)"
		}
		doc = report.JSONReport{Schema: report.SchemaVersion, JobID: string(id), Input: q.input, Line: max(q.line, 1), StartedAt: time.Now().UTC().Format(time.RFC3339),
			Status: checks.StatusError, Resolvers: []string{}, Checks: []report.JSONCheck{}, Error: "the worker's result " + why}
		var err error
		if data, err = encodeDoc(doc); err != nil {
			data = nil
		}
	}
	return jobDoc{data: data, code: docExit(c.failOn, doc)}
}

// docExit is the exit code `check -f` gives a document (report.ExitCode
// on what the document says), with its top-level status counted too.
func docExit(failOn checks.Severity, doc report.JSONReport) report.Exit {
	rep := &checks.Report{Domain: doc.Domain, Err: doc.Error, Interrupted: doc.Interrupted}
	for _, ch := range doc.Checks {
		rep.Results = append(rep.Results, checks.Result{ID: ch.ID, Status: ch.Status, Err: ch.Error, Skip: ch.SkipReason, Findings: ch.Findings})
	}
	rep.Results = append(rep.Results, checks.Result{ID: "document", Status: doc.Status})
	return report.ExitCode(failOn, rep)
}

// emit prints one document (called by the window, one at a time).
func (c *collector) emit(r jobDoc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	var err error
	switch {
	case c.format == report.FormatJSON:
		if c.emitted == 0 {
			b.WriteString("[\n  ")
		} else {
			b.WriteString(",\n  ")
		}
		err = json.Indent(&b, r.data, "  ", "  ")
	default:
		if err = json.Compact(&b, r.data); err == nil {
			b.WriteByte('\n')
		}
	}
	if err == nil {
		_, err = c.out.Write(b.Bytes())
	}
	if err != nil {
		c.fail(fmt.Errorf("cannot write the results: %s", oneLine(err.Error())))
	}
	c.emitted++
	c.code = report.WorseExit(c.code, r.code)
	select {
	case c.moved <- struct{}{}:
	default:
	}
}

// wait returns once total documents are printed (or ctx ended), closes the
// output and returns the worst exit code.
func (c *collector) wait(ctx context.Context, total int) (report.Exit, error) {
	for {
		c.mu.Lock()
		n := c.emitted
		c.mu.Unlock()
		if n >= total {
			break
		}
		select {
		case <-c.moved:
		case <-ctx.Done():
			c.stop()
			return 0, c.close()
		}
	}
	c.stop()
	if err := c.close(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, nil
}

// stop stops reading results.
func (c *collector) stop() {
	c.stopOnce.Do(func() {
		if c.iter != nil {
			c.iter.Stop()
			<-c.readDone
		}
	})
}

// close ends the output (the JSON array's closing bracket).
func (c *collector) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.format != report.FormatJSON {
		c.closed = true
		return nil
	}
	c.closed = true
	end := "\n]\n"
	if c.emitted == 0 {
		end = "[]\n"
	}
	if _, err := io.WriteString(c.out, end); err != nil {
		return fmt.Errorf("cannot write the results: %s", oneLine(err.Error()))
	}
	return nil
}
