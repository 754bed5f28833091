package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/report"
)

const checkUsage = `Usage: mxray check DOMAIN|ADDRESS... [flags]
       mxray check -f FILE [flags]

Checks the mail set-up of each domain. An IP address (192.0.2.7,
2001:db8::1) is checked as a sending address: its reverse DNS, the IP
blocklists and the banner on its port 25 (--no-smtp skips it; --only dnsbl
asks the blocklists alone). Flags may come before or after the domain. Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage error,
3 a check could not decide (timeout, SERVFAIL, blocked port) and nothing failed.

Flags:
`

func (a *app) check(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	fs := newFlagSet("check", a.stdout, checkUsage)
	f.register(fs.FlagSet, true)
	var smtpRate rateFlag
	fs.Var(&smtpRate, "smtp-rate", "with several domains: connect to one MX address at most this often, N/s, N/m or N/h;\neach address is tested once per run and its result shared by the domains using it")
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
	f.addressSelection(sel)
	st, err := a.settings(&f)
	if err != nil {
		return 0, err
	}
	out, failOn, opts := st.out, st.failOn, st.opts
	// Validate every argument before any network work.
	var targets []checks.Target
	for _, p := range pos {
		t, err := f.parseTarget(p)
		if err != nil {
			return 0, err
		}
		targets = append(targets, t)
	}
	if f.file != "" {
		// The flags every line is checked with (--helo, --selector).
		if _, err := f.target("example.com", "example.com"); err != nil {
			return 0, err
		}
		if f.file != "-" {
			// A file that cannot be read or holds no domain is a usage
			// error before any work (reads up to the first domain).
			if err := a.readInputs(ctx, &f, 0, func(in bulkInput) bool { return in.bad != nil }); err != nil {
				return 0, err
			}
		}
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}
	if f.dkimProbe == "" && (f.file != "" || len(targets) > 1) {
		// Several domains: guess only their mail providers' DKIM
		// selectors (a few queries each, not about 70).
		opts.DKIMProbe = checks.DKIMProbeProvider
	}
	r := &runSpec{servers: servers, opts: opts, checks: sel, named: len(f.only) > 0, dialer: a.dialer, gate: newTrustGate(), smtpRate: smtpRate.rate()}
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
	if a.useTUI(&f) && f.file != "-" { // -f - reads the domains where the keys would come from
		return a.multiTUI(ctx, &f, r, targets, failOn) // several domains on a terminal: the list
	}
	return a.bulk(ctx, &f, r, targets, out, failOn)
}

// servers returns the resolvers from --resolver or the system configuration.
func (a *app) servers(flags []string) ([]string, error) {
	if len(flags) == 0 {
		s, err := dnsq.SystemServers(a.resolvConf)
		var pe *os.PathError
		switch {
		case errors.As(err, &pe):
			// Plain words, not Go's "open /etc/resolv.conf: ...".
			return nil, fmt.Errorf("no resolver: %s cannot be read (%s); use --resolver IP", pe.Path, plainFileError(err))
		case errors.Is(err, dnsq.ErrUnreachable):
			return nil, fmt.Errorf("no resolver: %s names no nameserver; use --resolver IP", a.resolvConf)
		case err != nil:
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
	// named: --only named the checks. An address target then reports
	// those that examine domains only as skipped, with the reason, rather
	// than leaving them out without a word (as it does by default).
	named   bool
	dialer  checks.Dialer  // nil: the network
	rootCAs *x509.CertPool // nil: the system roots
	gate    *trustGate     // the invocation's one decision about its resolvers
	// decideFirst makes every run wait for the trust decision before its
	// checks start (bulk: one round trip once, then no run does network
	// work behind an untrusted resolver). A single run decides beside its
	// checks instead, and cancels them when the answer is no.
	decideFirst bool
	// smtpRate is --smtp-rate; shared and smtpCache are set by forBulk.
	smtpRate  smtp.Rate
	shared    *dnsq.InFlight // one bound on the DNS questions in flight of every run
	smtpCache *smtp.Cache    // the MX addresses' results, shared by every run
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
	cs, hint := r.checks, t.Domain
	if t.Kind() == checks.TargetAddress {
		// An address: the checks that examine one, and a trust probe
		// under the reverse tree its lookups start from.
		hint = "in-addr.arpa"
		if len(addressChecks(cs)) == 0 {
			return nil, usagef("%s: none of the selected checks examines an address", t.Address)
		}
		if !r.named {
			cs = addressChecks(cs)
		}
	}
	if r.decideFirst {
		if err := r.gate.decide(ctx, env.DNS, hint); err != nil {
			return nil, err
		}
	}
	if r.smtpCache != nil {
		ctx = smtp.WithCache(ctx, r.smtpCache)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	trust := make(chan error, 1)
	go func() {
		err := r.gate.decide(rctx, env.DNS, hint)
		if err != nil {
			cancel(err)
		}
		trust <- err
	}()
	runner := &checks.Runner{Env: env, Checks: cs, Registry: all.Checks(), Events: events}
	rep := runner.Run(rctx, t)
	if err := <-trust; err != nil && ctx.Err() == nil {
		return nil, err
	}
	return rep, nil
}

func (r *runSpec) env() (*checks.Env, error) {
	return newSharedEnv(r.servers, r.opts, r.dialer, r.rootCAs, r.shared)
}

// newEnv is the one Env factory of the command (check, send, demo): a
// fresh DNS client (a new cache) on servers, the dialer (nil: the
// network), the certificate roots (nil: the system's) and the checks' HTTP
// client.
func newEnv(servers []string, opts checks.Options, dialer checks.Dialer, roots *x509.CertPool) (*checks.Env, error) {
	return newSharedEnv(servers, opts, dialer, roots, nil)
}

// newSharedEnv is newEnv whose DNS client shares the in-flight bound
// shared with other runs' (nil: a bound of its own).
func newSharedEnv(servers []string, opts checks.Options, dialer checks.Dialer, roots *x509.CertPool, shared *dnsq.InFlight) (*checks.Env, error) {
	c, err := dnsq.New(dnsq.Config{Servers: append([]string(nil), servers...), Timeout: opts.Timeout, Shared: shared})
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
