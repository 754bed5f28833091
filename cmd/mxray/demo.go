package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

const demoUsage = `Usage: mxray demo [DOMAIN...] [flags]

Starts the built-in mail world (DNS, mail servers and web servers on
127.0.0.1, no network needed) and checks its domains:
%s
The demo exits 0 when it ran, whatever it found.

Flags:
`

func (a *app) demo(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	var list strings.Builder
	for _, d := range demo.Domains {
		fmt.Fprintf(&list, "  %-18s %s\n", d.Name, d.Description)
	}
	fs := newFlagSet("demo", a.stdout, fmt.Sprintf(demoUsage, list.String()))
	f.register(fs.FlagSet, false)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	sel, err := f.selection()
	if err != nil {
		return 0, err
	}
	out, err := a.output(&f)
	if err != nil {
		return 0, err
	}
	if f.timeout == checks.DefaultTimeout {
		f.timeout = demoTimeout // everything is local: fail fast
	}
	opts, err := f.options()
	if err != nil {
		return 0, err
	}
	names := pos
	if len(names) == 0 {
		for _, d := range demo.Domains {
			names = append(names, d.Name)
		}
	}
	var targets []checks.Target
	for _, n := range names {
		d, err := normalizeDomain(n)
		if err != nil {
			return 0, err
		}
		if !isDemoDomain(d) {
			return 0, usagef("%s is not a demo domain (see mxray demo -h)", d)
		}
		t, err := f.target(d, n)
		if err != nil {
			return 0, err
		}
		targets = append(targets, t)
	}

	world, err := demo.Start()
	if err != nil {
		return 0, err
	}
	defer world.Close()
	if a.useTUI(&f) {
		named := targets
		if len(pos) == 0 {
			named = nil
		}
		return a.demoTUI(ctx, &f, world, sel, opts, named)
	}
	var reps []*checks.Report
	rs := demoSpec(world, opts, sel)
	for _, t := range targets {
		rep, err := rs.run(ctx, t, nil)
		if err != nil {
			return 0, err
		}
		reps = append(reps, rep)
		if ctx.Err() != nil {
			break
		}
	}
	if err := report.Write(a.stdout, out, reps...); err != nil {
		return 0, err
	}
	if ctx.Err() != nil {
		return report.ExitInterrupted, nil
	}
	return report.ExitOK, nil
}

// demoSpec checks demo domains as check does (the same run path, behind
// the same trust decision), against the demo world: its resolver, its
// dialer and its test CA.
func demoSpec(world *mailtest.World, opts checks.Options, sel []checks.Check) *runSpec {
	return &runSpec{servers: []string{world.DNS.Addr()}, opts: opts, checks: sel, dialer: world.Dialer,
		rootCAs: world.CA.Pool(), gate: newTrustGate()}
}

func isDemoDomain(d string) bool {
	for _, x := range demo.Domains {
		if x.Name == d {
			return true
		}
	}
	return false
}

// demoTimeout is the default per-wait timeout of the demo: every server is
// on loopback, so a longer wait means a scripted misbehaviour.
const demoTimeout = 2 * time.Second
