package tui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
)

// RunFunc runs checks against a domain and streams their events. ids lists
// the checks to run (nil: all of Options.Checks). It must honour ctx: a
// cancelled run returns promptly with its unfinished checks in error.
// events is called from the runner's goroutines.
type RunFunc func(ctx context.Context, domain string, ids []string, events func(checks.Event)) (*checks.Report, error)

// SendFunc sends a test message for a domain and reports each protocol step
// as it finishes (onStep is called in order from the sending goroutine).
type SendFunc func(ctx context.Context, domain string, onStep send.StepFunc) (*send.Trace, error)

// CheckInfo names one dashboard row.
type CheckInfo struct {
	ID    string
	Title string
	// Needs are the checks it waits for (checks.Check.Needs): a running
	// row says which it is still waiting for.
	Needs []string
}

// DemoDomain is a domain the demo picker offers.
type DemoDomain struct {
	Name        string
	Description string
}

// Options configure a Model.
type Options struct {
	// Domain is the domain checked (empty in the demo until one is picked).
	Domain string
	// Resolvers are shown in the header.
	Resolvers []string
	// Checks are the dashboard rows, in order.
	Checks []CheckInfo
	// Run starts runs (nil: no run; the dashboard waits for one).
	Run RunFunc
	// Send, when set, lets the user send a test message (key s).
	Send SendFunc
	// Demo, when non-empty, starts on the demo picker with these domains.
	Demo []DemoDomain
	// Explain looks up a finding's catalogue entry (why it matters).
	Explain func(id string) (checks.Def, bool)
	// Now is the clock (nil: time.Now). Tests pass a fixed clock.
	Now func() time.Time
	// Renderer binds the styles (nil: lipgloss's default renderer).
	Renderer *lipgloss.Renderer
	// NoColor drops colours (NO_COLOR); ASCII uses plain glyphs.
	NoColor, ASCII bool
	// Static disables animation (the spinner shows one frame), for stable
	// golden files and screen readers.
	Static bool
	// AutoStart starts a run of every check at Init (check command).
	AutoStart bool
	// AutoSend starts on the trace pane and sends at Init (send command).
	AutoSend bool
	// Copy puts text on the terminal's clipboard (y), e.g. with OSC 52
	// (termenv's Output.Copy); nil: copying is not offered.
	Copy func(text string) error
	// ExportDir is where e writes the report ("": the current directory).
	ExportDir string
	// CheckTimeout bounds each check (shown beside a running check's
	// time); 0: not shown.
	CheckTimeout time.Duration
	// Domains, when set, starts on a list of these domains, sorted by
	// worst status as their runs end: each is checked in the background
	// (at most Concurrency at once) and opens its dashboard (RunDomains).
	Domains []DomainInput
	// Concurrency bounds the background runs of Domains (0: 4).
	Concurrency int
	// Message, when set, makes the run a message run (mxray analyze,
	// mxray receive): the header names the message (From, Subject), a
	// Headers pane lists its fields and Received chain, and the panes of a
	// domain's checks (SPF tree, MX matrix) are not offered.
	Message *report.MessageInfo
	// Inbox, when set, starts on the list of the messages a test inbox
	// receives (mxray receive), newest first; enter opens a message's
	// dashboard with its Headers pane (RunDomains).
	Inbox *InboxOptions
	// FailOn is the --fail-on threshold of each domain's exit code in
	// the list's summaries.
	FailOn checks.Severity
}

// Run runs the UI as a full-screen program until the user quits (or ctx is
// cancelled), then cancels and waits for any run still in flight, and
// returns the final report: the last full run with re-run checks replaced.
//
// When the last run's resolver could not be trusted or did not answer
// (Options.Run returned a *dnsq.UntrustedError, possibly wrapped), Run
// returns no report and that error, whether or not Options.Run also
// returned a report: no verdict may be drawn from that resolver. When no
// run produced a report, the error is the run's own, or nil. progOpts are
// passed to tea.NewProgram (input, output).
func Run(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) (*checks.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, opts)
	progOpts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, progOpts...)
	p := tea.NewProgram(m, progOpts...)
	final, err := p.Run()
	fm, ok := final.(Model)
	if !ok {
		fm = m
	}
	cancel()
	rep, runErr := fm.finish()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return rep, err
	}
	var ue *dnsq.UntrustedError
	if errors.As(runErr, &ue) {
		return nil, runErr
	}
	if rep == nil && runErr != nil {
		return nil, runErr
	}
	return rep, nil
}

// RunSend runs the UI on the send trace: it sends at once through opts.Send
// to opts.Domain, shows each step as it finishes, and returns the final
// trace when the user quits (cancelling a send still in flight).
func RunSend(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) (*send.Trace, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.AutoSend = true
	m := New(ctx, opts)
	progOpts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, progOpts...)
	final, err := tea.NewProgram(m, progOpts...).Run()
	fm, ok := final.(Model)
	if !ok {
		fm = m
	}
	cancel()
	tr, sendErr := fm.finishSend()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return tr, err
	}
	return tr, sendErr
}

// RunDomains runs the UI on a list of domains (Options.Domains) until the
// user quits, then stops the runs in flight and returns each domain's
// summary, in input order. A domain whose run had not ended is not Done.
func RunDomains(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) ([]DomainSummary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, opts)
	progOpts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, progOpts...)
	final, err := tea.NewProgram(m, progOpts...).Run()
	fm, ok := final.(Model)
	if !ok {
		fm = m
	}
	cancel()
	fm.finish()
	var out []DomainSummary
	if fm.multi != nil {
		fm.multi.stopAll()
		out = fm.multi.summaries()
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return out, err
	}
	return out, nil
}
