package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/report"
)

const checkUsage = `Usage: mxray check DOMAIN... [flags]
       mxray check -f FILE [flags]

Checks the mail set-up of each domain. Flags may come before or after the
domain. Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage error,
3 a check could not decide (timeout, SERVFAIL, blocked port) and nothing failed.

Flags:
`

// maxBulkDomains bounds the number of domains one invocation accepts.
const maxBulkDomains = 1_000_000

// maxLineLen bounds a line of a domains file.
const maxLineLen = 4096

func (a *app) check(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	fs := newFlagSet("check", a.stdout, checkUsage)
	f.register(fs.FlagSet, true)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	if len(pos) == 0 && f.file == "" {
		return 0, usagef("missing domain (e.g. mxray check example.com; see mxray check -h)")
	}
	if f.file != "" && len(pos) > 0 {
		return 0, usagef("give domains either as arguments or with -f, not both")
	}
	if f.concurrency < 1 || f.concurrency > 1024 {
		return 0, usagef("--concurrency %d: want 1 to 1024", f.concurrency)
	}
	sel, err := f.selection()
	if err != nil {
		return 0, err
	}
	out, err := a.output(&f)
	if err != nil {
		return 0, err
	}
	failOn, err := f.failOnSeverity()
	if err != nil {
		return 0, err
	}
	opts, err := f.options()
	if err != nil {
		return 0, err
	}
	// Validate every argument before any network work.
	var targets []checks.Target
	for _, p := range pos {
		d, err := normalizeDomain(p)
		if err != nil {
			return 0, err
		}
		t, err := f.target(d, p)
		if err != nil {
			return 0, err
		}
		targets = append(targets, t)
	}
	if f.file != "" && f.file != "-" {
		// Validate the whole file first, so a bad line is a usage error
		// before any output; the second pass streams.
		if err := a.readDomains(ctx, &f, func(checks.Target) bool { return true }); err != nil {
			return 0, err
		}
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}
	r := &runSpec{servers: servers, opts: opts, checks: sel, dialer: a.dialer, gate: newTrustGate()}
	if f.file == "" && len(targets) == 1 {
		if a.useTUI(&f) {
			return a.checkTUI(ctx, &f, r, targets[0], failOn)
		}
		rep, err := r.run(ctx, targets[0], nil)
		if isUntrusted(err) && out.Format != report.FormatText {
			// Machine formats still get their document (status error,
			// the reason); people get the one line on stderr.
			if werr := report.Write(a.stdout, out, undecidedReport(targets[0], servers, err)); werr != nil {
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
	return a.bulk(ctx, &f, r, targets, out, failOn)
}

// servers returns the resolvers from --resolver or the system configuration.
func (a *app) servers(flags []string) ([]string, error) {
	if len(flags) == 0 {
		s, err := dnsq.SystemServers(a.resolvConf)
		if err != nil {
			return nil, fmt.Errorf("no resolver: %w (use --resolver IP)", err)
		}
		return s, nil
	}
	var out []string
	for _, s := range flags {
		n, err := dnsq.NormalizeServer(s)
		if err != nil {
			return nil, usagef("--resolver: %v", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// runSpec is what every domain of an invocation is checked with.
type runSpec struct {
	servers []string
	opts    checks.Options
	checks  []checks.Check
	dialer  checks.Dialer  // nil: the network
	rootCAs *x509.CertPool // nil: the system roots
	gate    *trustGate     // the invocation's one decision about its resolvers
	// decideFirst makes every run wait for the trust decision before its
	// checks start (bulk: one round trip once, then no run does network
	// work behind an untrusted resolver). A single run decides beside its
	// checks instead, and cancels them when the answer is no.
	decideFirst bool
}

// run checks one domain with a fresh DNS cache. The first run of an
// invocation also decides whether the resolvers can be trusted, beside its
// checks (the probe shares the dns check's root query, so it costs one
// extra round trip of nothing); when they cannot, the checks are cancelled
// at once and the error is a *dnsq.UntrustedError: no verdict is returned.
func (r *runSpec) run(ctx context.Context, t checks.Target, events func(checks.Event)) (*checks.Report, error) {
	if err := r.gate.failed(); err != nil {
		return nil, err
	}
	env, err := r.env()
	if err != nil {
		return nil, err
	}
	defer env.DNS.Close()
	if r.decideFirst {
		if err := r.gate.decide(ctx, env.DNS, t.Domain); err != nil {
			return nil, err
		}
	}
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
	runner := &checks.Runner{Env: env, Checks: r.checks, Registry: all.Checks(), Events: events}
	rep := runner.Run(rctx, t)
	if err := <-trust; err != nil && ctx.Err() == nil {
		return nil, err
	}
	return rep, nil
}

func (r *runSpec) env() (*checks.Env, error) { return newEnv(r.servers, r.opts, r.dialer, r.rootCAs) }

// newEnv is the one Env factory of the command (check, send, demo): a
// fresh DNS client (a new cache) on servers, the dialer (nil: the
// network), the certificate roots (nil: the system's) and the checks' HTTP
// client.
func newEnv(servers []string, opts checks.Options, dialer checks.Dialer, roots *x509.CertPool) (*checks.Env, error) {
	c, err := dnsq.New(dnsq.Config{Servers: append([]string(nil), servers...), Timeout: opts.Timeout})
	if err != nil {
		return nil, err
	}
	if dialer == nil {
		dialer = &net.Dialer{Timeout: opts.Timeout}
	}
	env := &checks.Env{DNS: c, Dialer: dialer, RootCAs: roots, Now: time.Now, Opts: opts}
	env.HTTP = checks.NewHTTPClient(env)
	return env, nil
}

// bulk checks many domains concurrently and streams the reports in the
// order they finish, with constant memory.
func (a *app) bulk(ctx context.Context, f *checkFlags, r *runSpec, targets []checks.Target, out report.Options, failOn checks.Severity) (report.Exit, error) {
	r.decideFirst = true
	type job struct {
		t   checks.Target
		err error
	}
	jobs := make(chan job)
	var readErr error
	go func() {
		defer close(jobs)
		if f.file == "" {
			for _, t := range targets {
				select {
				case jobs <- job{t: t}:
				case <-ctx.Done():
					return
				}
			}
			return
		}
		readErr = a.readDomains(ctx, f, func(t checks.Target) bool {
			select {
			case jobs <- job{t: t}:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()

	stream := report.NewStream(a.stdout, out)
	var mu sync.Mutex
	code := report.ExitOK
	var firstErr error
	var wg sync.WaitGroup
	for range f.concurrency {
		wg.Go(func() {
			for j := range jobs {
				rep, err := r.run(ctx, j.t, nil)
				if isUntrusted(err) {
					// One document per domain, each saying why nothing
					// was decided; no network work after the decision.
					rep, err = undecidedReport(j.t, r.servers, err), nil
				}
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					if err := stream.Add(rep); err != nil && firstErr == nil {
						firstErr = err
					}
					code = report.WorseExit(code, report.ExitCode(failOn, rep))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := stream.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if readErr != nil {
		return 0, readErr
	}
	if firstErr != nil {
		return 0, firstErr
	}
	if ctx.Err() != nil {
		return report.ExitInterrupted, nil
	}
	if err := r.gate.failed(); err != nil {
		fmt.Fprintf(a.stderr, "mxray check: %s\n", oneLine(err.Error()))
	}
	return code, nil
}

// readDomains reads the -f file: one domain a line, '#' comments, blank
// lines ignored. An invalid line is a usage error naming the line.
func (a *app) readDomains(ctx context.Context, f *checkFlags, emit func(checks.Target) bool) error {
	var in io.Reader
	if f.file == "-" {
		in = a.stdin
	} else {
		file, err := os.Open(f.file)
		if err != nil {
			return usagef("-f: %v", err)
		}
		defer file.Close()
		in = file
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1024), maxLineLen)
	n, count := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		d, err := normalizeDomain(line)
		if err != nil {
			return usagef("%s line %d: %v", f.file, n, err)
		}
		t, err := f.target(d, line)
		if err != nil {
			return err
		}
		if count++; count > maxBulkDomains {
			return usagef("%s: more than %d domains", f.file, maxBulkDomains)
		}
		if !emit(t) || ctx.Err() != nil {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return usagef("%s line %d: %v", f.file, n+1, err)
	}
	return nil
}
