package checks

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Result is the outcome of one check.
type Result struct {
	ID       string
	Title    string
	Status   Status
	Findings []Finding
	Data     any    // check-specific, JSON-encodable; nil when none
	Err      string // why the check could not decide (status error)
	Skip     string // why the check was not run (status skip)
	Started  time.Time
	Duration time.Duration

	dependsOn string // the check whose missing fact made this one undecided
}

// Report is the outcome of a run against one domain.
type Report struct {
	Domain string
	Input  string
	// Address is the address examined on an address target (mxray check
	// 192.0.2.7); invalid otherwise. Domain is then empty.
	Address    netip.Addr
	Resolvers  []string
	StartedAt  time.Time
	Duration   time.Duration
	Results    []Result
	DNSQueries int // DNS queries sent on the wire during the run
	// Interrupted: the run was cancelled (Ctrl+C) before every check
	// finished; unfinished checks have status error and reason
	// "interrupted".
	Interrupted bool
	// Err says, in plain words, why nothing could be decided for the
	// domain, e.g. the resolver cannot be trusted. Results are then empty
	// and the status is error.
	Err string
}

// Name is what the report examined, for people: the domain, or the
// address of an address target.
func (r *Report) Name() string {
	if r.Domain == "" && r.Address.IsValid() {
		return r.Address.String()
	}
	return r.Domain
}

// NothingTested reports whether the run had checks and every one of them
// was skipped: nothing was tested, so the report cannot pass (e.g. mxray
// check 192.0.2.7 --only dnsbl with a zones file of domain lists alone).
func (r *Report) NothingTested() bool {
	if r.Err != "" || len(r.Results) == 0 {
		return false
	}
	for _, res := range r.Results {
		if res.EffectiveStatus() != StatusSkip {
			return false
		}
	}
	return true
}

// NothingTestedReason is the Reason of a report whose checks were all
// skipped.
const NothingTestedReason = "nothing tested: every check was skipped"

// Reason says, in plain words, why the run decided nothing as a whole:
// Err, or NothingTestedReason; "" when it decided something.
func (r *Report) Reason() string {
	switch {
	case r.Err != "":
		return r.Err
	case r.NothingTested():
		return NothingTestedReason
	}
	return ""
}

// Status is the worst effective status over all checks (pass when there
// is none); error when the run could decide nothing (Err), or when every
// check was skipped (NothingTested): a run that tested nothing never
// passes.
func (r *Report) Status() Status {
	if r.Err != "" || r.NothingTested() {
		return StatusError
	}
	worst := StatusPass
	for _, res := range r.Results {
		worst = WorseStatus(worst, res.EffectiveStatus())
	}
	return worst
}

// EffectiveStatus is the result's status, derived from its findings and
// reasons when it carries no valid one (a hand-built result; the Runner
// always sets it): skip when only a skip reason is given, else the worst
// finding's status (an unknown severity counts as error), at least error
// when there is an error reason.
func (r Result) EffectiveStatus() Status {
	if r.Status.Rank() >= 0 {
		return r.Status
	}
	if r.Skip != "" && r.Err == "" && len(r.Findings) == 0 {
		return StatusSkip
	}
	return derivedStatus(r.Findings, r.Err)
}

// derivedStatus is the status that findings and an error reason give a
// check: the worst finding's, pass when none is above info, at least error
// when the check could not decide.
func derivedStatus(finds []Finding, err string) Status {
	st := StatusPass
	for _, f := range finds {
		sev := f.Severity
		if !sev.Valid() {
			sev = SevError
		}
		st = WorseStatus(st, StatusOf(sev))
	}
	if err != "" {
		st = WorseStatus(st, StatusError)
	}
	return st
}

// WorstSeverity returns the worst finding severity in the report, and false
// when there is no finding at all.
func (r *Report) WorstSeverity() (Severity, bool) {
	var worst Severity
	found := false
	for _, res := range r.Results {
		for _, f := range res.Findings {
			worst, found = WorseSeverity(worst, f.Severity), true
		}
	}
	return worst, found
}

// EventKind says what happened in an Event.
type EventKind int

// The event kinds, in the order a check produces them.
const (
	EventStarted  EventKind = iota + 1 // a check began
	EventFinding                       // a check reported a finding
	EventFinished                      // a check ended; Result is set
	EventProgress                      // a check says what it waits for; Progress is set
)

// Event is a progress notification from the Runner, for live displays.
// Events of one check arrive in order; events of different checks interleave.
type Event struct {
	Kind     EventKind
	CheckID  string
	Finding  *Finding  // EventFinding
	Result   *Result   // EventFinished
	Progress *Progress // EventProgress
	At       time.Time
}

// Progress is what a running check waits for, for live displays: "connected
// to 192.0.2.10, waiting for the greeting", since Since, bounded by Limit
// (0 when unbounded). A display shows it with the time waited so far
// ("12s / 30s") until the check's next progress or its end. It is never part
// of a report: verdicts come from findings and data only.
type Progress struct {
	Text  string
	Since time.Time
	Limit time.Duration
}

// ErrNoFact is returned (wrapped in a *DependencyError) by Out.Await when
// the awaited check ended without publishing its fact.
var ErrNoFact = errors.New("checks: dependency published no data")

// ErrNotRun is wrapped in the *DependencyError of a check that did not run
// at all (not in the run, or skipped by the user): a dependant may then
// decide without it, where a check that ran and decided nothing leaves it
// undecided.
var ErrNotRun = errors.New("checks: dependency did not run")

// DependencyError is the error Out.Await returns when the awaited check
// ended without publishing its fact: it failed, decided nothing, was skipped
// or is not available. A check that returns it (wrapped or not) ends with
// status error and the reason "not decided: depends on <check> (<reason>)";
// it adds no finding of its own, so the root cause is reported once, by the
// check it depends on.
type DependencyError struct {
	Check  string // the awaited check's ID
	Reason string // why it published nothing, in plain words
	// notApplicable is set when the awaited check had nothing to test on
	// purpose: the dependant has nothing to test either (skip).
	notApplicable *NotApplicableError
	// notRun is set when the awaited check did not run at all.
	notRun bool
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("not decided: depends on %s (%s)", e.Check, e.Reason)
}

// Unwrap makes errors.Is(err, ErrNoFact) hold, and errors.As find the
// awaited check's *NotApplicableError when it had nothing to test.
func (e *DependencyError) Unwrap() []error {
	switch {
	case e.notApplicable != nil:
		return []error{ErrNoFact, e.notApplicable}
	case e.notRun:
		return []error{ErrNoFact, ErrNotRun}
	}
	return []error{ErrNoFact}
}

// Out is a check's handle on the run: it reports findings and data, and
// exchanges facts with other checks. Its methods are safe for concurrent use.
type Out struct {
	id     string
	run    *run
	defs   []Def // the check's catalogue (Findings), searched by def
	needs  map[string]bool
	mu     sync.Mutex
	finds  []Finding
	data   any
	hidden bool
	runCtx context.Context // the run's context, not the check's deadline
	ownCtx context.Context // the check's own context (Cancels.Cancel)
}

// def is the catalogue entry of a finding ID. A check's catalogue is a
// few dozen entries at most: a scan costs less than the map every run
// used to build of it (a bulk run's largest allocation).
func (o *Out) def(id string) (Def, bool) {
	for i := range o.defs {
		if o.defs[i].ID == id {
			return o.defs[i], true
		}
	}
	return Def{}, false
}

// Hidden reports whether the check runs only because another needs its
// facts (it is not reported): it may then skip the work no fact carries.
func (o *Out) Hidden() bool { return o.hidden }

// Add reports a finding. An empty severity or fix is taken from the
// catalogue entry of the finding's ID.
func (o *Out) Add(f Finding) {
	if d, ok := o.def(f.ID); ok {
		if f.Severity == "" {
			f.Severity = d.Severity
		}
		if f.Fix == "" {
			f.Fix = d.Fix
		}
		if f.Message == "" {
			f.Message = d.Title
		}
	}
	if !f.Severity.Valid() {
		f.Severity = SevError
	}
	if o.ownCtx != nil && errors.Is(context.Cause(o.ownCtx), errCancelled) {
		return // stopped by the user: as for a cancelled run, below
	}
	if o.runCtx != nil && o.runCtx.Err() != nil {
		// The run was cancelled (Ctrl+C, an untrusted resolver): what the
		// check concludes now may be the cancellation's doing, not the
		// domain's. Findings made before it stand.
		return
	}
	o.mu.Lock()
	o.finds = append(o.finds, f)
	o.mu.Unlock()
	if !o.hidden {
		fc := f
		o.run.emit(Event{Kind: EventFinding, CheckID: o.id, Finding: &fc})
	}
}

// Progress tells live displays what the check waits for now (text in plain
// words; limit is the bound on that wait, 0 when none). It is for people
// watching a slow check, not a result: nothing of it reaches the report.
func (o *Out) Progress(text string, limit time.Duration) {
	if o == nil || o.hidden || o.run == nil {
		return
	}
	o.run.emit(Event{Kind: EventProgress, CheckID: o.id, Progress: &Progress{Text: text, Since: time.Now(), Limit: limit}})
}

// SetData records the check's typed data (JSON "data").
func (o *Out) SetData(v any) {
	o.mu.Lock()
	o.data = v
	o.mu.Unlock()
}

// NotApplicableError is what a check's Run returns when, on purpose, there
// is nothing for it to test (the port-25 checks of a domain that publishes
// a null MX): the result is status skip with the reason, never error (it
// is not "could not decide") and never pass (nothing was tested).
type NotApplicableError struct{ Reason string }

func (e *NotApplicableError) Error() string { return "not applicable: " + e.Reason }

// NotApplicable returns a *NotApplicableError with the reason.
func NotApplicable(reason string) error { return &NotApplicableError{Reason: reason} }

// FactKey names the fact of type T that the check with ID Check publishes
// for the checks that need it: the one typed way checks exchange facts.
// The producer's package declares the key next to the fact's type
// (`var FactKey = checks.NewFactKey[*Fact](ID)`), so a consumer imports
// the type it reads and never asserts on any.
type FactKey[T any] struct{ check string }

// NewFactKey returns the key of the fact that check publishes.
func NewFactKey[T any](check string) FactKey[T] { return FactKey[T]{check: check} }

// Check is the ID of the check that publishes the fact.
func (k FactKey[T]) Check() string { return k.check }

// Publish makes v available to the checks that need this one. It must be
// called from the producing check's Run (out of that check). A check
// publishes at most once; later calls are ignored. Publish early (e.g. the
// MX host list as soon as the MX answer is in) so dependants can start.
func (k FactKey[T]) Publish(out *Out, v T) {
	if out.id != k.check {
		panic(fmt.Sprintf("checks: %s publishes the fact of %s", out.id, k.check))
	}
	out.run.fact(k.check).set(v, nil)
}

// Await waits for the fact, which the awaiting check must list in Needs.
// When the producer ended without publishing it (it failed, decided
// nothing, was skipped or is not available) the error is a
// *DependencyError: return it from Run, adding no finding.
func (k FactKey[T]) Await(ctx context.Context, out *Out) (T, error) {
	var zero T
	if !out.needs[k.check] {
		return zero, fmt.Errorf("internal error: check %s awaits %q, which is not in its Needs", out.id, k.check)
	}
	v, err := out.run.fact(k.check).wait(ctx)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, &DependencyError{Check: k.check, Reason: "it published no data"}
	}
	return t, nil
}

type fact struct {
	once sync.Once
	done chan struct{}
	v    any
	err  error
}

func (f *fact) set(v any, err error) {
	f.once.Do(func() {
		f.v, f.err = v, err
		close(f.done)
	})
}

func (f *fact) wait(ctx context.Context) (any, error) {
	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Cancels stops single checks of a run in flight, leaving the others
// running: a live display's "cancel this check". Give it to the run
// through its context (WithCancels); Cancel then ends the check with
// status error and the reason ReasonCancelled, and the checks that need
// it learn that it decided nothing. Its methods are safe for concurrent
// use.
type Cancels struct {
	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
	asked   map[string]bool // cancelled before the check started
}

// NewCancels returns an empty set.
func NewCancels() *Cancels {
	return &Cancels{running: map[string]context.CancelCauseFunc{}, asked: map[string]bool{}}
}

// ReasonCancelled is the Result.Err of a check stopped by Cancels.Cancel.
const ReasonCancelled = "cancelled"

// errCancelled is the cause of a check context cancelled by Cancels.
var errCancelled = errors.New(ReasonCancelled)

type cancelsKey struct{}

// WithCancels returns ctx carrying c, for Runner.Run.
func WithCancels(ctx context.Context, c *Cancels) context.Context {
	return context.WithValue(ctx, cancelsKey{}, c)
}

func cancelsOf(ctx context.Context) *Cancels {
	c, _ := ctx.Value(cancelsKey{}).(*Cancels)
	return c
}

// Cancel stops check id: at once when it is running, when it starts
// otherwise. It reports whether the check was running.
func (c *Cancels) Cancel(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.running[id]; ok {
		f(errCancelled)
		return true
	}
	c.asked[id] = true
	return false
}

// register makes check id's context cancellable; done forgets it.
func (c *Cancels) register(id string, cancel context.CancelCauseFunc) (done func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asked[id] {
		cancel(errCancelled)
	}
	c.running[id] = cancel
	return func() {
		c.mu.Lock()
		delete(c.running, id)
		c.mu.Unlock()
	}
}

// Runner runs a set of checks against a target.
type Runner struct {
	Env *Env
	// Checks are the checks to report, in output order.
	Checks []Check
	// Registry resolves Needs: a needed check that is not in Checks is run
	// too, but its result is not reported. It may be nil when every
	// dependency is in Checks.
	Registry []Check
	// Skip maps the IDs of checks in Checks that must not run to the reason
	// (e.g. "--no-smtp"); they are reported with status skip.
	Skip map[string]string
	// Events, when set, receives progress events. It is called from check
	// goroutines and must not block for long.
	Events func(Event)
}

type run struct {
	mu     sync.Mutex
	facts  map[string]*fact
	causes []declaredCause
	events func(Event)
	now    func() time.Time
}

func (r *run) fact(id string) *fact {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.facts[id]
	if !ok {
		f = &fact{done: make(chan struct{})}
		r.facts[id] = f
	}
	return f
}

func (r *run) emit(e Event) {
	if r.events == nil {
		return
	}
	e.At = r.now()
	r.events(e)
}

// Run executes the checks concurrently and returns the report, with results
// in the order of r.Checks. It returns when every check has finished; a
// cancelled ctx makes unfinished checks end with status error.
func (r *Runner) Run(ctx context.Context, t Target) *Report {
	env := r.Env
	if env == nil {
		env = &Env{}
	}
	rn := &run{facts: map[string]*fact{}, events: r.Events, now: env.Clock}
	start := env.Clock()

	// Close the set over Needs.
	byID := map[string]Check{}
	for _, c := range r.Registry {
		byID[c.ID()] = c
	}
	for _, c := range r.Checks {
		byID[c.ID()] = c
	}
	visible := map[string]bool{}
	skipped := map[string]string{}
	var all []Check
	seen := map[string]bool{}
	var add func(c Check)
	add = func(c Check) {
		if seen[c.ID()] {
			return
		}
		seen[c.ID()] = true
		all = append(all, c)
		for _, n := range c.Needs() {
			dep, ok := byID[n]
			if !ok || seen[n] {
				continue
			}
			if reason := r.skipReason(env, t, dep); reason != "" {
				skipped[n] = reason // a skipped check never runs, not even hidden
				continue
			}
			add(dep)
		}
	}
	for _, c := range r.Checks {
		if reason := r.skipReason(env, t, c); reason != "" {
			skipped[c.ID()] = reason
			continue
		}
		visible[c.ID()] = true
		add(c)
	}

	// A needed check that does not run (skipped, or neither registered nor
	// selected) releases its waiters at once instead of letting them hit
	// the timeout.
	for _, c := range all {
		for _, n := range c.Needs() {
			if seen[n] {
				continue
			}
			if reason, ok := skipped[n]; ok {
				rn.fact(n).set(nil, &DependencyError{Check: n, Reason: "skipped: " + reason, notRun: true})
			} else {
				rn.fact(n).set(nil, &DependencyError{Check: n, Reason: "not available", notRun: true})
			}
		}
	}

	results := make(map[string]*Result, len(all))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range all {
		wg.Go(func() {
			res := r.runOne(ctx, env, rn, c, t, !visible[c.ID()])
			mu.Lock()
			results[c.ID()] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	rn.collapse(results)

	rep := &Report{Domain: t.Domain, Input: t.Input, Address: t.Address, StartedAt: start}
	for _, c := range r.Checks {
		if reason, skip := skipped[c.ID()]; skip {
			rep.Results = append(rep.Results, Skipped(c, reason))
			continue
		}
		rep.Results = append(rep.Results, *results[c.ID()])
	}
	rep.Duration = env.Clock().Sub(start)
	rep.Interrupted = ctx.Err() != nil
	if env.DNS != nil {
		rep.DNSQueries = env.DNS.Stats().Sent
		rep.Resolvers = env.DNS.Servers()
	}
	return rep
}

// skipReason says why c must not run: an explicit Skip entry, a domain
// check on an address target, or the check's own Skipper verdict on the
// run's options.
func (r *Runner) skipReason(env *Env, t Target, c Check) string {
	if t.Kind() == TargetAddress && !ChecksAddress(c) {
		return NotForAddress
	}
	if reason, ok := r.Skip[c.ID()]; ok {
		if reason == "" {
			reason = "skipped"
		}
		return reason
	}
	if s, ok := c.(Skipper); ok {
		return s.SkipReason(env.Opts)
	}
	return ""
}

func (r *Runner) runOne(ctx context.Context, env *Env, rn *run, c Check, t Target, hidden bool) (res *Result) {
	id := c.ID()
	out := &Out{id: id, run: rn, defs: c.Findings(), needs: map[string]bool{}, hidden: hidden, runCtx: ctx}
	for _, n := range c.Needs() {
		out.needs[n] = true
	}
	start := env.Clock()
	if !hidden {
		rn.emit(Event{Kind: EventStarted, CheckID: id})
	}
	timeout := env.Opts.CheckTimeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	cctx, cancelOne := context.WithCancelCause(tctx)
	defer cancelOne(nil)
	out.ownCtx = cctx
	if cs := cancelsOf(ctx); cs != nil {
		defer cs.register(id, cancelOne)()
	}
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("internal error: panic: %v [%s]", p, firstFrames(debug.Stack()))
			}
		}()
		err = c.Run(cctx, env, t, out)
	}()
	if err == nil && cctx.Err() != nil {
		err = cctx.Err()
	}
	cancel()
	reason, skip, dependsOn := "", "", ""
	var na *NotApplicableError
	if err != nil && ctx.Err() == nil && errors.As(err, &na) {
		skip, err = na.Reason, nil
	}
	if err != nil {
		var dep *DependencyError
		switch {
		case ctx.Err() != nil:
			reason = "interrupted"
		case errors.Is(context.Cause(cctx), errCancelled):
			reason = ReasonCancelled
		case errors.Is(err, context.DeadlineExceeded) && cctx.Err() != nil:
			reason = fmt.Sprintf("the check did not finish within %s (--check-timeout)", timeout)
		case errors.As(err, &dep):
			reason = dep.Error()
			dependsOn = dep.Check
		default:
			reason = err.Error()
		}
	}

	out.mu.Lock()
	finds := append([]Finding(nil), out.finds...)
	data := out.data
	out.mu.Unlock()
	SortFindings(finds)

	res = &Result{ID: id, Title: c.Title(), Findings: finds, Data: data, Started: start, Duration: env.Clock().Sub(start)}
	if err != nil {
		res.Err, res.dependsOn = reason, dependsOn
	}
	res.Status = derivedStatus(finds, res.Err)
	if skip != "" && res.Status == StatusPass {
		res.Status, res.Skip = StatusSkip, skip
	}
	if !hidden {
		rc := *res
		rn.emit(Event{Kind: EventFinished, CheckID: id, Result: &rc})
	}
	// Whatever happened, release the checks waiting on this one, after its
	// finished event: a display never sees a dependant finish before the
	// check it waited for. When it published nothing, they learn why in
	// plain words: the reason it could not decide, or its worst finding.
	switch {
	case reason != "":
		rn.fact(id).set(nil, &DependencyError{Check: id, Reason: strings.TrimPrefix(reason, "not decided: ")})
	case skip != "":
		rn.fact(id).set(nil, &DependencyError{Check: id, Reason: "not applicable: " + skip, notApplicable: &NotApplicableError{Reason: skip}})
	case len(finds) > 0:
		rn.fact(id).set(nil, &DependencyError{Check: id, Reason: finds[0].Message})
	default:
		rn.fact(id).set(nil, &DependencyError{Check: id, Reason: "it found no data"})
	}
	return res
}

// firstFrames condenses a stack trace to the few frames that locate a panic.
func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	var keep []string
	for i := 0; i < len(lines) && len(keep) < 3; i++ {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "/") && !strings.Contains(l, "/runtime/") && !strings.Contains(l, "runner.go") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}

// Skipped returns a result for a check that was not run.
func Skipped(c Check, reason string) Result {
	return Result{ID: c.ID(), Title: c.Title(), Status: StatusSkip, Skip: reason}
}
