package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/cmd/mxray/internal/queue"
	"github.com/mxray/mxray/report"
)

const workerUsage = `Usage: mxray worker --nats URL [--concurrency 64] [check flags]

Takes jobs from the NATS JetStream work queue (stream MXRAY_JOBS, filled by
mxray submit), checks each domain exactly as mxray check -f does with the
check flags given here, publishes its mxray/v1 document with its job_id to
mxray.results.<job id> (stream MXRAY_RESULTS), then acknowledges the job.
A job whose worker dies is given to another worker after --ack-wait; a
job may therefore be checked twice, and readers keep one result per job.
Runs until interrupted (Ctrl+C, SIGTERM): it then takes no more jobs,
puts back the jobs it was checking and exits 130.

The SMTP politeness limits (such as a per-address rate) are per worker:
divide what a mail server may take by the number of workers.

Flags:
`

// workerOmits are the check flags that make no sense for a worker: how a
// report is printed, which domains are read, and the exit threshold.
var workerOmits = map[string]bool{
	"json": true, "format": true, "fail-on": true, "no-color": true, "no-tui": true,
	"verbose": true, "v": true, "f": true, "concurrency": true, "unordered": true, "shard": true,
}

// workerFlags are the flags of `worker` besides the check flags.
type workerFlags struct {
	url         string
	concurrency int
	ackWait     time.Duration
	verbose     bool
	smtpRate    rateFlag
}

// registerSome registers the check flags into fs, less those in omit.
func (f *checkFlags) registerSome(fs *flag.FlagSet, omit map[string]bool) {
	all := flag.NewFlagSet("check", flag.ContinueOnError)
	f.register(all, true)
	all.VisitAll(func(fl *flag.Flag) {
		if !omit[fl.Name] {
			fs.Var(fl.Value, fl.Name, fl.Usage)
		}
	})
}

// natsURL is the --nats flag's value, else $NATS_URL.
func (a *app) natsURL(flagValue string) (string, error) {
	u := strings.TrimSpace(flagValue)
	if u == "" {
		u = strings.TrimSpace(a.getenv("NATS_URL"))
	}
	if u == "" {
		return "", usagef("missing --nats URL (e.g. --nats nats://queue:4222, or set NATS_URL)")
	}
	return u, nil
}

// queueTimeout bounds connecting to the queue and each of its requests.
const queueTimeout = 10 * time.Second

// connectQueue connects to the NATS server at url and makes sure the
// streams exist, saying in plain words what is wrong when it cannot.
func connectQueue(ctx context.Context, url, name string, opts ...jetstream.JetStreamOpt) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := queue.Connect(url, name, queueTimeout)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the NATS server at %s (%s)", queue.Redact(url), plainQueueError(err))
	}
	js, err := jetstream.New(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("the NATS server at %s: %s", queue.Redact(url), plainQueueError(err))
	}
	sctx, cancel := context.WithTimeout(ctx, queueTimeout)
	defer cancel()
	if err := queue.EnsureStreams(sctx, js); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("the NATS server at %s: %s", queue.Redact(url), plainQueueError(err))
	}
	return nc, js, nil
}

// plainQueueError says what went wrong with the queue in plain words.
func plainQueueError(err error) string {
	switch {
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return "JetStream is not enabled on it (start nats-server with -js)"
	case errors.Is(err, nats.ErrNoServers):
		return "no server answered"
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired):
		return "the server refused the credentials"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoStreamResponse):
		return fmt.Sprintf("no answer within %s", queueTimeout)
	case errors.Is(err, queue.ErrStreamConfig):
		return strings.TrimPrefix(err.Error(), queue.ErrStreamConfig.Error()+": ")
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && api.Description != "" {
		return safetext.Line(api.Description)
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "nats: ")
	if i := strings.LastIndex(s, ": nats: "); i >= 0 {
		s = s[i+len(": nats: "):]
	}
	return safetext.Line(s)
}

func (a *app) worker(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	var w workerFlags
	fs := newFlagSet("worker", a.stdout, workerUsage)
	f.registerSome(fs.FlagSet, workerOmits)
	fs.StringVar(&w.url, "nats", "", "the NATS server (nats://host:4222; default $NATS_URL)")
	fs.IntVar(&w.concurrency, "concurrency", 64, "how many domains to check at once")
	fs.DurationVar(&w.ackWait, "ack-wait", 0, "give a job to another worker when its worker has said nothing for this long (default --check-timeout + 30s)")
	fs.Var(&w.smtpRate, "smtp-rate", "connect to one MX address at most this often, N/s, N/m or N/h, from this worker\n(a fleet of N workers: divide the rate a server should see by N); each address's\nresult is shared by the domains using it for an hour")
	fs.BoolVar(&w.verbose, "verbose", false, "log every job (its ID, line, domain, status and time) on standard error")
	fs.BoolVar(&w.verbose, "v", false, "short for --verbose")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	if len(pos) > 0 {
		return 0, usagef("unexpected argument %q (a worker takes its domains from the queue; see mxray worker -h)", pos[0])
	}
	url, err := a.natsURL(w.url)
	if err != nil {
		return 0, err
	}
	if w.concurrency < 1 || w.concurrency > 1024 {
		return 0, usagef("--concurrency %d: want 1 to 1024", w.concurrency)
	}
	sel, err := f.selection()
	if err != nil {
		return 0, err
	}
	f.addressSelection(sel)
	opts, err := f.options()
	if err != nil {
		return 0, err
	}
	if f.dkimProbe == "" {
		// A worker checks many domains: as check -f, it guesses only
		// their mail providers' DKIM selectors unless told otherwise.
		opts.DKIMProbe = checks.DKIMProbeProvider
	}
	if w.ackWait == 0 {
		w.ackWait = f.checkTimeout + 30*time.Second
	}
	if w.ackWait <= f.checkTimeout || w.ackWait > 24*time.Hour {
		return 0, usagef("--ack-wait %s: want more than --check-timeout (%s) and at most 24h", w.ackWait, f.checkTimeout)
	}
	// The flags every job is checked with (--helo, --selector).
	if _, err := f.target("example.com", "example.com"); err != nil {
		return 0, err
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}

	nc, js, err := connectQueue(ctx, url, "mxray worker")
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	cctx, cancel := context.WithTimeout(ctx, queueTimeout)
	cons, err := queue.WorkerConsumer(cctx, js, w.ackWait, maxAckPending)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("the NATS server at %s: %s", queue.Redact(url), plainQueueError(err))
	}
	wk := &worker{
		app: a, f: &f, w: &w, js: js, maxPayload: nc.MaxPayload(),
		run: &runSpec{servers: servers, opts: opts, checks: sel, named: len(f.only) > 0, dialer: a.dialer, gate: newTrustGate(), decideFirst: true},
	}
	// As check -f: one bound on the DNS questions in flight, and one
	// cache of the MX addresses' results spacing connections to each.
	wk.run.forBulk(w.smtpRate.rate())
	fmt.Fprintf(a.stderr, "mxray worker: taking jobs from %s (%s), %d at a time\n", queue.Redact(url), queue.JobsStream, w.concurrency)
	err = wk.loop(ctx, cons)
	if ferr := nc.FlushTimeout(queueTimeout); ferr != nil && err == nil && ctx.Err() == nil {
		err = fmt.Errorf("the last acknowledgements may not have reached the queue (%s)", plainQueueError(ferr))
	}
	done, back := wk.done.Load(), wk.back.Load()
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(a.stderr, "mxray worker: interrupted after %d jobs; %d put back in the queue\n", done, back)
	return report.ExitInterrupted, nil
}

// maxAckPending bounds the jobs in flight across all workers (the
// consumer's limit): far above any fleet's total --concurrency.
const maxAckPending = 100_000

// worker is one `mxray worker` process: it pulls jobs and checks them.
type worker struct {
	app        *app
	f          *checkFlags
	w          *workerFlags
	js         jetstream.JetStream
	run        *runSpec
	maxPayload int64

	cacheMu   sync.Mutex
	cacheBorn time.Time // when run.smtpCache was made

	logMu      sync.Mutex
	done, back atomic.Int64

	stopOnce sync.Once
	stopErr  error
	stop     context.CancelFunc // stops taking jobs
}

// loop takes jobs until ctx ends or a job stops the worker, checking at
// most --concurrency at once; the client pulls ahead at most as many
// again (their ack wait runs meanwhile: a check is far shorter than it).
// It returns once every job taken is acknowledged or put back, with the
// error that stopped the worker (nil when interrupted).
func (wk *worker) loop(ctx context.Context, cons jetstream.Consumer) error {
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	wk.stop = stop
	it, err := cons.Messages(jetstream.PullMaxMessages(wk.w.concurrency))
	if err != nil {
		return fmt.Errorf("cannot take jobs: %s", plainQueueError(err))
	}
	// Once stopped, the jobs pulled ahead come out of the iterator and
	// are put back at once, not left to their ack wait.
	go func() {
		<-lctx.Done()
		it.Drain()
	}()
	slots := make(chan struct{}, wk.w.concurrency)
	var wg sync.WaitGroup
	lastErr := ""
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			if lctx.Err() == nil {
				wk.halt(fmt.Errorf("the queue stopped giving jobs: %s", plainQueueError(err)))
			}
			break
		}
		if errors.Is(err, jetstream.ErrConsumerDeleted) {
			wk.halt(fmt.Errorf("the consumer %s was deleted from the queue", queue.WorkersConsumer))
			continue
		}
		if err != nil {
			// The server went away or missed its heartbeats: the client
			// reconnects and pulls again by itself. Say so once.
			if m := plainQueueError(err); m != lastErr {
				lastErr = m
				wk.logf("cannot take jobs: %s; retrying", m)
			}
			continue
		}
		lastErr = ""
		select {
		case slots <- struct{}{}:
		case <-lctx.Done():
			wk.putBack(msg)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			wk.handle(ctx, lctx, msg)
		})
	}
	wg.Wait()
	return wk.stopErr
}

// halt stops the worker for good with err: it takes no more jobs.
func (wk *worker) halt(err error) {
	wk.stopOnce.Do(func() {
		wk.stopErr = err
		wk.stop()
	})
}

func (wk *worker) logf(format string, args ...any) {
	wk.logMu.Lock()
	defer wk.logMu.Unlock()
	fmt.Fprintf(wk.app.stderr, "mxray worker: "+format+"\n", args...)
}

// handle checks one job: the document is published to the job's result
// subject, then the job acknowledged. A job interrupted (ctx ended) or
// stopped (lctx ended: the resolver cannot be trusted) is put back for
// another worker; a message that is not a job is dropped.
func (wk *worker) handle(ctx, lctx context.Context, msg jetstream.Msg) {
	job, err := queue.DecodeJob(msg.Data())
	if err != nil {
		wk.logf("dropped a message that is not a job (%s)", plainJobError(err))
		_ = msg.Term()
		return
	}
	if lctx.Err() != nil {
		wk.putBack(msg)
		return
	}
	// Tell the queue the job is in progress three times per ack wait, so
	// a long check is never given to another worker while this one lives.
	hctx, stopBeat := context.WithCancel(ctx)
	defer stopBeat()
	go func() {
		t := time.NewTicker(wk.w.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()

	start := time.Now()
	doc, ok := wk.check(ctx, job)
	if !ok {
		wk.putBack(msg)
		return
	}
	data, err := wk.encode(doc)
	if err != nil {
		wk.logf("job %s: %s; the job goes back to the queue", job.ID, oneLine(err.Error()))
		wk.putBack(msg)
		return
	}
	// The check is done: publish and acknowledge it even when interrupted
	// meanwhile.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queueTimeout)
	defer cancel()
	if _, err := wk.js.Publish(pctx, job.ID.Subject(), data, jetstream.WithMsgID(string(job.ID))); err != nil {
		wk.logf("job %s: the result could not be published (%s); the job goes back to the queue", job.ID, plainQueueError(err))
		wk.putBack(msg)
		return
	}
	if err := msg.Ack(); err != nil {
		wk.logf("job %s: the acknowledgement failed (%s); the job will be checked again", job.ID, plainQueueError(err))
	}
	wk.done.Add(1)
	if wk.w.verbose {
		name := doc.Domain
		switch {
		case doc.Target != nil && doc.Target.Value != "":
			name = doc.Target.Value // an address
		case name == "":
			name = doc.Input
		}
		wk.logf("job %s line %d %s: %s in %s", job.ID, job.Line, safetext.Line(name), doc.Status, time.Since(start).Round(time.Millisecond))
	}
}

// smtpCacheLifetime is how long a worker shares an MX address's result
// with later domains: a batch of check -f lasts as long as its input, a
// worker indefinitely, so its results are renewed.
const smtpCacheLifetime = time.Hour

// spec returns what the next job is checked with: the worker's runSpec
// with a cache of the MX addresses' results younger than
// smtpCacheLifetime.
func (wk *worker) spec() *runSpec {
	wk.cacheMu.Lock()
	defer wk.cacheMu.Unlock()
	now := time.Now()
	if wk.cacheBorn.IsZero() {
		wk.cacheBorn = now
	}
	if now.Sub(wk.cacheBorn) > smtpCacheLifetime {
		wk.run.smtpCache = smtp.NewCache(smtp.DefaultCacheSize, wk.w.smtpRate.rate())
		wk.cacheBorn = now
	}
	rs := *wk.run
	return &rs
}

// putBack returns a job to the queue at once, for another worker.
func (wk *worker) putBack(msg jetstream.Msg) {
	wk.back.Add(1)
	_ = msg.Nak()
}

// check checks the job's input line exactly as `check -f` checks a line:
// a domain gets its report, anything else the error document of that
// line. ok is false when the job must go back to the queue: the check was
// interrupted, or the resolvers cannot be trusted (the worker then stops:
// its every verdict would be undecided).
func (wk *worker) check(ctx context.Context, job queue.Job) (doc report.JSONReport, ok bool) {
	t, err := wk.f.parseTarget(job.Input)
	if err == nil {
		rep, rerr := wk.spec().run(ctx, t, nil)
		switch {
		case ctx.Err() != nil || (rep != nil && rep.Interrupted):
			return doc, false
		case rerr != nil: // untrusted resolvers, or a run that could not start
			wk.halt(rerr)
			return doc, false
		}
		doc = report.Document(rep)
		doc.JobID = string(job.ID)
		return doc, true
	}
	doc = report.InputError{Line: job.Line, Input: quoteInput(job.Input), Reason: usageText(err), At: time.Now()}.Document()
	doc.JobID = string(job.ID)
	return doc, true
}

// encode returns the document as one line of JSON. A document that cannot
// be encoded, or is larger than the server takes, is replaced by an error
// document that says so (status error: nothing is claimed about the
// domain).
func (wk *worker) encode(doc report.JSONReport) ([]byte, error) {
	data, err := encodeDoc(doc)
	why := ""
	switch {
	case err != nil:
		why = "the report could not be encoded as JSON: " + oneLine(err.Error())
	case wk.maxPayload > 0 && int64(len(data)) > wk.maxPayload:
		why = fmt.Sprintf("the report is %d bytes, more than the %d bytes the NATS server takes in one message (raise max_payload)", len(data), wk.maxPayload)
	default:
		return data, nil
	}
	small := report.JSONReport{Schema: doc.Schema, JobID: doc.JobID, Domain: doc.Domain, Input: doc.Input, Line: doc.Line, Target: doc.Target,
		StartedAt: doc.StartedAt, DurationMs: doc.DurationMs, Status: "error", Resolvers: doc.Resolvers, Checks: []report.JSONCheck{},
		DNSQueries: doc.DNSQueries, Error: why}
	return encodeDoc(small)
}

// encodeDoc encodes a document as one line of JSON, as --format ndjson
// writes it (<, > and & not escaped), without the line feed.
func encodeDoc(doc report.JSONReport) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// plainJobError says why a message is not a job, on one line.
func plainJobError(err error) string {
	s := err.Error()
	for _, p := range []string{queue.ErrMalformedJob.Error() + ": ", queue.ErrBadJobID.Error() + ": "} {
		s = strings.TrimPrefix(s, p)
	}
	return safetext.Line(s)
}
