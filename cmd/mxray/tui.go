package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
	"github.com/mxray/mxray/tui"
)

// useTUI reports whether a command opens the terminal UI: on a terminal,
// unless --json, --format or --no-tui asks for the printed report.
func (a *app) useTUI(f *checkFlags) bool {
	return !f.jsonOut && f.format == "" && !f.noTUI && a.isTTY(a.stdout)
}

// tuiBase returns the options every TUI run shares.
func (a *app) tuiBase(f *checkFlags, sel []checks.Check) tui.Options {
	noColor, ascii := tui.PlainTerminal(a.getenv)
	var out io.Writer = a.stdout
	term := termenv.NewOutput(out)
	return tui.Options{
		Checks:       checkInfos(sel),
		Explain:      all.Lookup,
		Renderer:     lipgloss.NewRenderer(out),
		NoColor:      noColor || f.noColor,
		ASCII:        ascii,
		CheckTimeout: f.checkTimeout,
		// y copies with OSC 52: the terminal (or tmux, or the SSH
		// client's terminal) puts the text on the clipboard.
		Copy: func(text string) error {
			term.Copy(text)
			return nil
		},
	}
}

// leaveSummary prints, once the TUI has closed, the report's summary line
// and its findings at or above warn (the text report without info), so
// that the terminal keeps the answer after the full screen is gone.
func (a *app) leaveSummary(f *checkFlags, rep *checks.Report) {
	if rep == nil {
		return
	}
	opts, err := a.output(f)
	if err != nil {
		opts = report.Options{}
	}
	opts.Format, opts.Verbose = report.FormatText, false
	_ = report.Write(a.stdout, opts, withoutInfo(rep))
}

// withoutInfo is a copy of rep without its informational findings.
func withoutInfo(rep *checks.Report) *checks.Report {
	cp := *rep
	cp.Results = make([]checks.Result, len(rep.Results))
	for i, r := range rep.Results {
		r.Findings = nil
		for _, f := range rep.Results[i].Findings {
			if f.Severity.Rank() >= checks.SevWarn.Rank() {
				r.Findings = append(r.Findings, f)
			}
		}
		cp.Results[i] = r
	}
	return &cp
}

// runTUI runs the program on the app's terminal.
func (a *app) runTUI(ctx context.Context, opts tui.Options) (*checks.Report, error) {
	return tui.Run(ctx, opts, tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
}

func checkInfos(cs []checks.Check) []tui.CheckInfo {
	out := make([]tui.CheckInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, tui.CheckInfo{ID: c.ID(), Title: c.Title(), Needs: c.Needs()})
	}
	return out
}

// subset keeps the checks whose IDs are listed (nil: all), in order.
func subset(cs []checks.Check, ids []string) []checks.Check {
	if ids == nil {
		return cs
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []checks.Check
	for _, c := range cs {
		if want[c.ID()] {
			out = append(out, c)
		}
	}
	return out
}

// checkTUI checks one domain in the terminal UI. The exit code is the one
// the final report would give without the UI.
func (a *app) checkTUI(ctx context.Context, f *checkFlags, r *runSpec, t checks.Target, failOn checks.Severity) (report.Exit, error) {
	sel := r.checks
	if t.Kind() == checks.TargetAddress && !r.named {
		sel = addressChecks(sel)
	}
	opts := a.tuiBase(f, sel)
	opts.Domain = t.Name()
	opts.Resolvers = r.servers
	opts.AutoStart = true
	opts.Run = func(ctx context.Context, _ string, ids []string, events func(checks.Event)) (*checks.Report, error) {
		rs := *r
		rs.checks = subset(sel, ids)
		return rs.run(ctx, t, events)
	}
	rep, err := a.runTUI(ctx, opts)
	if err != nil {
		return 0, err
	}
	if rep == nil {
		return report.ExitCouldNotRun, nil
	}
	a.leaveSummary(f, rep)
	return report.ExitCode(failOn, rep), nil
}

// demoTUI shows the demo world in the terminal UI: pick a domain, watch its
// checks, send a test message. With one domain named it opens that domain.
func (a *app) demoTUI(ctx context.Context, f *checkFlags, world *mailtest.World, sel []checks.Check, copts checks.Options, targets []checks.Target) (report.Exit, error) {
	opts := a.tuiBase(f, sel)
	byName := map[string]checks.Target{}
	for _, t := range targets {
		byName[t.Domain] = t
	}
	for _, d := range demo.Domains {
		opts.Demo = append(opts.Demo, tui.DemoDomain{Name: d.Name, Description: d.Description})
		if _, ok := byName[d.Name]; !ok {
			if t, err := f.target(d.Name, d.Name); err == nil {
				byName[d.Name] = t
			}
		}
	}
	if len(targets) == 1 {
		opts.Domain = targets[0].Domain
		opts.AutoStart = true
	}
	rs := demoSpec(world, copts, sel)
	opts.Run = func(ctx context.Context, domain string, ids []string, events func(checks.Event)) (*checks.Report, error) {
		run := *rs
		run.checks = subset(sel, ids)
		return run.run(ctx, byName[domain], events)
	}
	// `s` sends the demo's own test message: authenticated submission
	// through smtp.good.example, DKIM-signed with the key the demo zone
	// publishes, to the postmaster of the domain on screen.
	opts.Send = func(ctx context.Context, domain string, onStep send.StepFunc) (*send.Trace, error) {
		env, err := rs.env()
		if err != nil {
			return nil, err
		}
		defer env.DNS.Close()
		o := demo.SendOptions()
		o.To = []string{"postmaster@" + domain}
		o.OnStep = onStep
		return send.Send(ctx, env, o), nil
	}
	rep, err := a.runTUI(ctx, opts)
	if err != nil {
		return 0, err
	}
	a.leaveSummary(f, rep)
	return report.ExitOK, nil
}

// sendTUI runs one send in the terminal UI (`mxray send` on a terminal):
// the steps appear as they finish, and the final trace is returned when the
// user quits; the caller maps trace.Result to the exit code exactly as
// without the UI. title is what the header names (the server or the
// recipient's domain).
func (a *app) sendTUI(ctx context.Context, noColor bool, title string, env *checks.Env, o send.Options) (*send.Trace, error) {
	f := &checkFlags{noColor: noColor}
	opts := a.tuiBase(f, nil)
	opts.Checks = nil
	opts.Domain = title
	opts.Send = func(ctx context.Context, _ string, onStep send.StepFunc) (*send.Trace, error) {
		o.OnStep = onStep
		return send.Send(ctx, env, o), nil
	}
	return tui.RunSend(ctx, opts, tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
}

// multiTUI checks several domains (arguments, or -f FILE) in the terminal
// UI: a list sorted by worst status as the runs end, each domain opening
// its dashboard. A line of the file that is not a domain is listed as an
// error, never run. The exit code is the worst of the domains' (a domain
// whose run had not ended when the user quit could not decide: 3), as
// without the UI.
func (a *app) multiTUI(ctx context.Context, f *checkFlags, r *runSpec, targets []checks.Target, failOn checks.Severity) (report.Exit, error) {
	r.decideFirst = true // one decision about the resolvers, before any run
	// Many domains, as in bulk: one DNS in-flight bound, and each MX
	// address tested once and no faster than --smtp-rate (a re-run the
	// user asks for tests afresh: see Run below).
	r.forBulk(r.smtpRate)
	byName := map[string]checks.Target{}
	var in []tui.DomainInput
	var addrIDs []string // the rows of an address's dashboard (nil: all)
	for _, c := range addressChecks(r.checks) {
		if !r.named {
			addrIDs = append(addrIDs, c.ID())
		}
	}
	add := func(t checks.Target) {
		name := t.Name()
		byName[name] = t
		input := t.Input
		if input == name {
			input = ""
		}
		d := tui.DomainInput{Name: name, Input: input}
		if t.Kind() == checks.TargetAddress {
			d.Checks = addrIDs
		}
		in = append(in, d)
	}
	for _, t := range targets {
		add(t)
	}
	if f.file != "" {
		err := a.readInputs(ctx, f, 0, f.shard.filter(func(b bulkInput) bool {
			if b.bad != nil {
				in = append(in, tui.DomainInput{Input: b.bad.Input, Err: fmt.Sprintf("line %d: %s", b.bad.Line, b.bad.Reason)})
				return true
			}
			add(b.t)
			return true
		}))
		if err != nil {
			return 0, err
		}
	}
	opts := a.tuiBase(f, r.checks)
	opts.Domains = in
	opts.Resolvers = r.servers
	opts.FailOn = failOn
	opts.Concurrency = f.concurrency
	var ranMu sync.Mutex
	ran := map[string]bool{}
	opts.Run = func(ctx context.Context, domain string, ids []string, events func(checks.Event)) (*checks.Report, error) {
		rs := *r
		rs.checks = subset(r.checks, ids)
		ranMu.Lock()
		again := ran[domain]
		ran[domain] = true
		ranMu.Unlock()
		if again {
			// A re-run the user asked for tests the MX addresses afresh
			// (the user may have just fixed them), not the shared results.
			rs.smtpCache = nil
		}
		return rs.run(ctx, byName[domain], events)
	}
	sums, err := tui.RunDomains(ctx, opts, tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
	if err != nil {
		return 0, err
	}
	a.leaveDomainSummaries(f, sums)
	code := report.ExitOK
	for _, s := range sums {
		if !s.Done {
			code = report.WorseExit(code, report.ExitCouldNotRun)
			continue
		}
		code = report.WorseExit(code, s.Exit)
	}
	return code, nil
}

// leaveDomainSummaries prints, once the list has closed, one line per
// domain (worst first): its status, and its fail and warn counts or why
// nothing was decided, so that the terminal keeps the answer.
func (a *app) leaveDomainSummaries(f *checkFlags, sums []tui.DomainSummary) {
	if len(sums) == 0 {
		return
	}
	opts, err := a.output(f)
	if err != nil {
		opts = report.Options{}
	}
	rank := func(s tui.DomainSummary) int {
		if !s.Done {
			return -1
		}
		return s.Status.Rank()
	}
	order := make([]int, len(sums))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rank(sums[order[i]]) > rank(sums[order[j]]) })
	w := 6
	for _, s := range sums {
		w = max(w, min(len(s.Name+s.Input), 60))
	}
	var b strings.Builder
	for _, i := range order {
		s := sums[i]
		name := safetext.Line(s.Name)
		if s.Name == "" {
			name = safetext.Line(s.Input)
		}
		badge, what := report.Badge(s.Status), ""
		switch {
		case !s.Done:
			badge, what = "[    ]", "not finished when the list was closed"
		case s.Err != "" && s.Fail+s.Warn == 0:
			what = safetext.Line(s.Err)
		default:
			what = fmt.Sprintf("%d fail, %d warn", s.Fail, s.Warn)
		}
		if opts.Color && s.Done {
			badge = colorBadge(s.Status, badge)
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", badge, w, name, what)
	}
	io.WriteString(a.stdout, b.String())
}

// colorBadge paints a status badge as the text report does.
func colorBadge(s checks.Status, badge string) string {
	code := map[checks.Status]string{checks.StatusPass: "32", checks.StatusWarn: "33", checks.StatusFail: "31", checks.StatusError: "35"}[s]
	if code == "" {
		return badge
	}
	return "\x1b[" + code + "m" + badge + "\x1b[0m"
}
