package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/bounce"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgbounce"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/report"
)

const analyzeUsage = `Usage: mxray analyze FILE|- [flags]

Judges one email message (a copy from "Show original", a bounce, a message
that landed in spam): its header, every DKIM signature, SPF for the client
address of the trusted Received header, DMARC for the From domain with the
alignment of SPF and DKIM, the ARC chain, receivers' Authentication-Results, one-click unsubscribe for bulk mail, and what a
bounce says to fix. '-' reads the message from standard input. The message
is read as is (re-serialised headers would break DKIM), up to 50 MB.

Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage error or
unreadable message, 3 a check could not decide (timeout, SERVFAIL) and
nothing failed.

Flags:
`

// messageFlags are the flags of the message commands (analyze, receive)
// besides the output and resolver flags they share with check.
type messageFlags struct {
	authservIDs listFlag
	receivedBy  string
}

// registerMessage registers the flags analyze and receive share: those of
// check that apply to a message, and the message's own.
func registerMessage(fs *flag.FlagSet, f *checkFlags, m *messageFlags, receivedBy bool) {
	f.greeting = checks.DefaultGreetingTimeout // no SMTP check runs; options() still validates it
	fs.BoolVar(&f.jsonOut, "json", false, "print the mxray/v1 JSON document (same as --format json)")
	fs.StringVar(&f.format, "format", "", "output format: text, json, ndjson, markdown, junit")
	fs.Var(&f.resolvers, "resolver", "DNS resolver IP[:port] (repeatable; default: /etc/resolv.conf)")
	fs.DurationVar(&f.timeout, "timeout", checks.DefaultTimeout, "bound on every single network wait (a DNS query)")
	fs.DurationVar(&f.checkTimeout, "check-timeout", checks.DefaultCheckTimeout, "bound on each whole check")
	fs.StringVar(&f.failOn, "fail-on", "fail", "exit 1 when a finding is at least this severe: warn or fail")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour in text output (NO_COLOR is honoured too)")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print the report instead of opening the terminal UI")
	fs.BoolVar(&f.verbose, "verbose", false, "show evidence (DNS queries, records, header fields) and why each finding matters")
	fs.BoolVar(&f.verbose, "v", false, "short for --verbose")
	fs.Var(&f.profiles, "profile", "grade the message against mailbox providers' sender rules: gmail, yahoo, microsoft, apple, laposte\n(repeatable, comma-separated)")
	fs.BoolVar(&f.bulkSender, "bulk", false, "with --profile: the sender sends in bulk, so the bulk-sender rules are graded")
	fs.Var(&m.authservIDs, "authserv-id", "trust the Authentication-Results of this receiver (its authserv-id, e.g. mx.google.com; repeatable, comma-separated)")
	if receivedBy {
		fs.StringVar(&m.receivedBy, "received-by", "", "the receiving host whose Received header carries the client IP (default: the topmost with a public IP)")
	}
}

// bounceSkips says which checks do not run on a bounce: its signatures,
// SPF, DMARC and header belong to the server that reported the failure, not
// to the user, whose fix msg-bounce gives. Nil for other messages.
func bounceSkips(m *message.Message, chks []checks.Check) map[string]string {
	rep, err := bounce.Parse(m.Raw)
	if err != nil || rep.Format == bounce.FormatNone || rep.Format == bounce.FormatAutoReply {
		return nil
	}
	who := "the reporting server"
	if rep.ReportingMTA != "" {
		who = safetext.Line(rep.ReportingMTA)
	}
	skip := map[string]string{}
	for _, c := range chks {
		if c.ID() != msgbounce.ID {
			skip[c.ID()] = "the message is a bounce: its own authentication and header are those of " + who + ", not yours (msg-bounce says what to fix)"
		}
	}
	return skip
}

// messageChecks returns the checks of a message run and the registry their
// dependencies come from: the message checks and, when --profile names
// providers, the profile check, which also grades the From domain's own
// records (the domain checks it reads run as its hidden dependencies).
func messageChecks(opts checks.Options) (run, registry []checks.Check) {
	run = all.MessageChecks()
	if len(opts.Profiles) == 0 {
		return run, run
	}
	run = append(run, profile.Check{})
	registry = append([]checks.Check{}, run...)
	for _, c := range all.Checks() {
		if c.ID() != profile.ID {
			registry = append(registry, c)
		}
	}
	return run, registry
}

// authservIDs returns the --authserv-id values in lower case without a
// trailing dot; a value that is not one word is a usage error.
func (m *messageFlags) authserv() ([]string, error) {
	var out []string
	for _, id := range m.authservIDs {
		id = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(id), "."))
		if id == "" || len(id) > 255 || strings.ContainsFunc(id, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == ';' || r == '('
		}) {
			return nil, usagef("--authserv-id %q is not an authserv-id (one word, e.g. mx.google.com)", safetext.Line(id))
		}
		out = append(out, id)
	}
	return out, nil
}

// receivedByHost validates --received-by: a host name, in lower-case
// A-label form.
func (m *messageFlags) receivedByHost() (string, error) {
	if m.receivedBy == "" {
		return "", nil
	}
	h := message.ALabel(m.receivedBy)
	if h == "" {
		return "", usagef("--received-by %q is not a host name", safetext.Line(m.receivedBy))
	}
	return h, nil
}

func (a *app) analyze(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	var mf messageFlags
	fs := newFlagSet("analyze", a.stdout, analyzeUsage)
	registerMessage(fs.FlagSet, &f, &mf, true)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	switch {
	case len(pos) == 0:
		return 0, usagef("missing message file (e.g. mxray analyze message.eml, or - for standard input; see mxray analyze -h)")
	case len(pos) > 1:
		return 0, usagef("give one message file, not %d (see mxray analyze -h)", len(pos))
	}
	st, err := a.settings(&f)
	if err != nil {
		return 0, err
	}
	out, failOn, opts := st.out, st.failOn, st.opts
	ids, err := mf.authserv()
	if err != nil {
		return 0, err
	}
	by, err := mf.receivedByHost()
	if err != nil {
		return 0, err
	}
	raw, err := a.readMessage(pos[0])
	if err != nil {
		return 0, err
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}
	m := message.Parse(raw, message.Options{ReceivedBy: by})
	r := &messageRun{servers: servers, opts: opts, dialer: a.dialer, gate: newTrustGate(), authservIDs: ids}
	if a.useTUI(&f) {
		return a.analyzeTUI(ctx, &f, r, m, failOn)
	}
	return a.writeMessage(ctx, r, m, nil, out, failOn)
}

// writeMessage analyses m and writes its document: the exit code is the
// one check would give. smtp is how the message arrived (receive), nil
// for a file.
func (a *app) writeMessage(ctx context.Context, r *messageRun, m *message.Message, smtp *report.SMTPSession, out report.Options, failOn checks.Severity) (report.Exit, error) {
	out.Message = &report.MessageInfo{Message: m, SMTP: smtp}
	rep, err := r.run(ctx, m, nil)
	if isUntrusted(err) && out.Format != report.FormatText {
		// Machine formats still get their document (status error, the
		// reason); people get the one line on stderr.
		if werr := report.Write(a.stdout, out, undecidedReport(r.target(m), r.servers, err)); werr != nil {
			return 0, werr
		}
	}
	if err != nil {
		return 0, err
	}
	if err := report.Write(a.stdout, out, rep); err != nil {
		return 0, err
	}
	if rep.Interrupted {
		return report.ExitInterrupted, nil
	}
	return report.ExitCode(failOn, rep), nil
}

// readMessage reads the message file (or standard input for "-"), at most
// the size limit: an unreadable, empty or oversized message is a usage
// error in one line.
func (a *app) readMessage(name string) ([]byte, error) {
	var r io.Reader = a.stdin
	label := "standard input"
	if name != "-" {
		label = safetext.Line(name)
		fh, err := os.Open(name)
		if err != nil {
			return nil, usagef("cannot read %s: %s", label, fileReason(err))
		}
		defer fh.Close()
		r = fh
	}
	limit := message.DefaultLimits.MaxSize
	raw, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, usagef("cannot read %s: %s", label, fileReason(err))
	}
	switch {
	case len(raw) > limit:
		return nil, usagef("%s is over %d MB, the most mxray reads of a message", label, limit>>20)
	case len(strings.TrimSpace(string(raw))) == 0:
		return nil, usagef("%s is empty: give a message with its header (e.g. saved with \"Show original\" or \"Download message\")", label)
	}
	return raw, nil
}

// fileReason says why a file cannot be read, without Go's error text.
func fileReason(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "is a directory"):
		return "it is a directory"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// messageRun is what every message of an invocation is analysed with
// (one for analyze, each received message for receive).
type messageRun struct {
	servers     []string
	opts        checks.Options
	dialer      checks.Dialer
	gate        *trustGate // the invocation's one decision about its resolvers
	authservIDs []string
	// ids, when set, keeps only these message checks (the TUI re-running
	// some); their Needs are still run.
	ids []string
}

// target is the run's target for m: its From domain and the message.
func (r *messageRun) target(m *message.Message) checks.Target {
	return checks.Target{Domain: m.FromDomain, Input: m.FromDomain, Message: m, AuthservIDs: r.authservIDs}
}

// run analyses m with a fresh DNS cache. As for check, the resolvers'
// trust is decided beside the checks (once per invocation) and, when they
// cannot be trusted, the checks are cancelled and the error is a
// *dnsq.UntrustedError: no verdict is returned.
func (r *messageRun) run(ctx context.Context, m *message.Message, events func(checks.Event)) (*checks.Report, error) {
	if err := r.gate.failed(); err != nil {
		return nil, err
	}
	env, err := newEnv(r.servers, r.opts, r.dialer, nil)
	if err != nil {
		return nil, err
	}
	defer env.DNS.Close()
	t := r.target(m)
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	trust := make(chan error, 1)
	go func() {
		err := r.gate.decide(rctx, env.DNS, t.Domain)
		if err != nil {
			cancel(err)
		}
		trust <- err
	}()
	chks, reg := messageChecks(r.opts)
	runner := &checks.Runner{Env: env, Checks: subset(chks, r.ids), Registry: reg, Events: events, Skip: bounceSkips(m, chks)}
	rep := runner.Run(rctx, t)
	if err := <-trust; err != nil && ctx.Err() == nil {
		return nil, err
	}
	return rep, nil
}

// analyzeTUI shows the message's checks in the terminal UI, as check shows
// a domain's; the exit code is the one the printed report would give.
// Its Headers pane shows the message's fields and Received chain; the
// summary left on the terminal when it closes names the sender and the
// trusted hop.
func (a *app) analyzeTUI(ctx context.Context, f *checkFlags, r *messageRun, m *message.Message, failOn checks.Severity) (report.Exit, error) {
	chks, _ := messageChecks(r.opts)
	opts := a.tuiBase(f, chks)
	opts.Domain = m.FromDomain
	if opts.Domain == "" {
		opts.Domain = "message"
	}
	opts.Resolvers = r.servers
	opts.AutoStart = true
	opts.Message = &report.MessageInfo{Message: m}
	opts.Run = func(ctx context.Context, _ string, ids []string, events func(checks.Event)) (*checks.Report, error) {
		rs := *r
		rs.ids = ids
		return rs.run(ctx, m, events)
	}
	rep, err := a.runTUI(ctx, opts)
	if err != nil {
		return 0, err
	}
	if rep == nil {
		return report.ExitCouldNotRun, nil
	}
	out, err := a.output(f)
	if err != nil {
		out = report.Options{}
	}
	out.Format, out.Verbose = report.FormatText, false
	out.Message = &report.MessageInfo{Message: m}
	_ = report.Write(a.stdout, out, withoutInfo(rep))
	return report.ExitCode(failOn, rep), nil
}
