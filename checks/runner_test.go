package checks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// fn is a check defined by a function, for exercising the runner.
type fn struct {
	id    string
	needs []string
	defs  []checks.Def
	run   func(ctx context.Context, out *checks.Out) error
}

func (f fn) ID() string             { return f.id }
func (f fn) Title() string          { return "check " + f.id }
func (f fn) Needs() []string        { return f.needs }
func (f fn) Findings() []checks.Def { return f.defs }
func (f fn) Run(ctx context.Context, _ *checks.Env, _ checks.Target, out *checks.Out) error {
	return f.run(ctx, out)
}

func runChecks(t *testing.T, opts checks.Options, cs []checks.Check, registry []checks.Check) (*checks.Report, []checks.Event) {
	t.Helper()
	var mu sync.Mutex
	var evs []checks.Event
	r := &checks.Runner{Env: &checks.Env{Opts: opts}, Checks: cs, Registry: registry, Events: func(e checks.Event) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	}}
	rep := r.Run(context.Background(), checks.Target{Domain: "example.com"})
	return rep, evs
}

func TestResultsInCheckOrderWhateverFinishesFirst(t *testing.T) {
	release := make(chan struct{})
	slow := fn{id: "slow", run: func(ctx context.Context, out *checks.Out) error { <-release; return nil }}
	fast := fn{id: "fast", run: func(ctx context.Context, out *checks.Out) error { close(release); return nil }}
	rep, _ := runChecks(t, checks.Options{}, []checks.Check{slow, fast}, nil)
	if rep.Results[0].ID != "slow" || rep.Results[1].ID != "fast" {
		t.Fatalf("order = %s, %s", rep.Results[0].ID, rep.Results[1].ID)
	}
}

func TestPanicBecomesError(t *testing.T) {
	boom := fn{id: "boom", run: func(context.Context, *checks.Out) error { panic("kaboom") }}
	ok := fn{id: "ok", run: func(context.Context, *checks.Out) error { return nil }}
	rep, _ := runChecks(t, checks.Options{}, []checks.Check{boom, ok}, nil)
	if r := rep.Results[0]; r.Status != checks.StatusError || !strings.Contains(r.Err, "panic: kaboom") {
		t.Fatalf("panicking check: %+v", r)
	}
	if rep.Results[1].Status != checks.StatusPass {
		t.Fatalf("other check affected: %+v", rep.Results[1])
	}
}

func TestCheckTimeout(t *testing.T) {
	hang := fn{id: "hang", run: func(ctx context.Context, out *checks.Out) error { <-ctx.Done(); return ctx.Err() }}
	start := time.Now()
	rep, _ := runChecks(t, checks.Options{CheckTimeout: 50 * time.Millisecond}, []checks.Check{hang}, nil)
	if r := rep.Results[0]; r.Status != checks.StatusError || r.Err != "the check did not finish within 50ms (--check-timeout)" {
		t.Fatalf("result = %+v", r)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("timeout not honoured")
	}
}

func TestCancellation(t *testing.T) {
	started := make(chan struct{})
	hang := fn{id: "hang", run: func(ctx context.Context, out *checks.Out) error { close(started); <-ctx.Done(); return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	rep := (&checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{hang}}).Run(ctx, checks.Target{})
	if r := rep.Results[0]; r.Status != checks.StatusError || r.Err != "interrupted" {
		t.Fatalf("result = %+v", r)
	}
}

// hostsKey is the test producer "a"'s fact.
var hostsKey = checks.NewFactKey[string]("a")

func TestFactsAndHiddenDependencies(t *testing.T) {
	gate := make(chan struct{})
	producer := fn{id: "a", run: func(ctx context.Context, out *checks.Out) error {
		hostsKey.Publish(out, "hosts")
		<-gate // the dependant must get the fact before the producer ends
		out.Add(checks.Finding{ID: "a.x", Severity: checks.SevFail, Subject: "s"})
		return nil
	}}
	var got any
	consumer := fn{id: "b", needs: []string{"a"}, run: func(ctx context.Context, out *checks.Out) error {
		v, err := hostsKey.Await(ctx, out)
		got = v
		close(gate)
		return err
	}}
	rep, evs := runChecks(t, checks.Options{}, []checks.Check{consumer}, []checks.Check{producer, consumer})
	if got != "hosts" {
		t.Fatalf("fact = %v", got)
	}
	if len(rep.Results) != 1 || rep.Results[0].ID != "b" || rep.Results[0].Status != checks.StatusPass {
		t.Fatalf("hidden dependency leaked into the report: %+v", rep.Results)
	}
	for _, e := range evs {
		if e.CheckID == "a" {
			t.Fatalf("hidden dependency emitted event %+v", e)
		}
	}
}

func TestFailedOrMissingDependency(t *testing.T) {
	failing := fn{id: "a", run: func(context.Context, *checks.Out) error { return errors.New("broken") }}
	consumer := fn{id: "b", needs: []string{"a", "nonexistent"}, run: func(ctx context.Context, out *checks.Out) error {
		if _, err := checks.NewFactKey[string]("nonexistent").Await(ctx, out); !errors.Is(err, checks.ErrNoFact) {
			return errors.New("missing dependency did not fail fast")
		}
		if _, err := hostsKey.Await(ctx, out); !errors.Is(err, checks.ErrNoFact) || !strings.Contains(err.Error(), "broken") {
			return errors.New("failed dependency not reported")
		}
		if _, err := checks.NewFactKey[string]("undeclared").Await(ctx, out); err == nil {
			return errors.New("undeclared dependency allowed")
		}
		return nil
	}}
	rep, _ := runChecks(t, checks.Options{CheckTimeout: 5 * time.Second}, []checks.Check{failing, consumer}, nil)
	if r := rep.Results[1]; r.Status != checks.StatusPass {
		t.Fatalf("consumer: %+v", r)
	}
	if r := rep.Results[0]; r.Status != checks.StatusError || r.Err != "broken" {
		t.Fatalf("producer: %+v", r)
	}
}

func TestStatusEventsAndDefaults(t *testing.T) {
	defs := []checks.Def{
		{ID: "c.warn", Severity: checks.SevWarn, Title: "warned", Fix: "do the thing"},
		{ID: "c.info", Severity: checks.SevInfo, Title: "noted"},
		{ID: "c.err", Severity: checks.SevError, Title: "unknown"},
		{ID: "c.fail", Severity: checks.SevFail, Title: "failed"},
	}
	mk := func(id string, ids ...string) checks.Check {
		return fn{id: id, defs: defs, run: func(ctx context.Context, out *checks.Out) error {
			for _, fid := range ids {
				out.Add(checks.Finding{ID: fid, Subject: "x"})
			}
			return nil
		}}
	}
	cs := []checks.Check{mk("p", "c.info"), mk("w", "c.info", "c.warn"), mk("e", "c.warn", "c.err"), mk("f", "c.err", "c.fail", "c.warn")}
	rep, evs := runChecks(t, checks.Options{}, cs, nil)
	want := []checks.Status{checks.StatusPass, checks.StatusWarn, checks.StatusError, checks.StatusFail}
	for i, r := range rep.Results {
		if r.Status != want[i] {
			t.Errorf("%s: status %s, want %s", r.ID, r.Status, want[i])
		}
	}
	if rep.Status() != checks.StatusFail {
		t.Errorf("report status %s", rep.Status())
	}
	w := rep.Results[1].Findings
	if w[0].ID != "c.warn" || w[0].Fix != "do the thing" || w[0].Message != "warned" || w[0].Severity != checks.SevWarn {
		t.Errorf("defaults not applied or not worst first: %+v", w)
	}
	// Per check: started first, finished last, findings between.
	per := map[string][]checks.EventKind{}
	for _, e := range evs {
		per[e.CheckID] = append(per[e.CheckID], e.Kind)
	}
	if k := per["f"]; len(k) != 5 || k[0] != checks.EventStarted || k[4] != checks.EventFinished {
		t.Errorf("events of f: %v", k)
	}
}

func TestSkip(t *testing.T) {
	ran := false
	c := fn{id: "smtp", run: func(context.Context, *checks.Out) error { ran = true; return nil }}
	r := &checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{c}, Skip: map[string]string{"smtp": "--no-smtp"}}
	rep := r.Run(context.Background(), checks.Target{})
	if ran || rep.Results[0].Status != checks.StatusSkip || rep.Results[0].Skip != "--no-smtp" {
		t.Fatalf("skip: ran=%v %+v", ran, rep.Results[0])
	}
}

// skipper is a check that skips itself under NoSMTP.
type skipper struct{ fn }

func (skipper) SkipReason(o checks.Options) string {
	if o.NoSMTP {
		return "--no-smtp"
	}
	return ""
}

func TestSkipperIsNeverRunEvenAsDependency(t *testing.T) {
	ran := false
	port25 := skipper{fn{id: "smtp", run: func(context.Context, *checks.Out) error { ran = true; return nil }}}
	var depErr error
	user := fn{id: "user", needs: []string{"smtp"}, run: func(ctx context.Context, out *checks.Out) error {
		_, depErr = checks.NewFactKey[string]("smtp").Await(ctx, out)
		return nil
	}}
	rep, _ := runChecks(t, checks.Options{NoSMTP: true, CheckTimeout: 5 * time.Second}, []checks.Check{port25, user}, nil)
	if ran {
		t.Fatal("a skipped check ran")
	}
	if r := rep.Results[0]; r.Status != checks.StatusSkip || r.Skip != "--no-smtp" {
		t.Fatalf("skipped check: %+v", r)
	}
	if !errors.Is(depErr, checks.ErrNoFact) || !strings.Contains(depErr.Error(), "skipped") {
		t.Fatalf("dependant got %v", depErr)
	}
	// Hidden dependency: only the dependant is selected.
	ran = false
	runChecks(t, checks.Options{NoSMTP: true, CheckTimeout: 5 * time.Second}, []checks.Check{user}, []checks.Check{port25, user})
	if ran {
		t.Fatal("a skipped check ran as a hidden dependency")
	}
}

// TestDependencyReason: a check that returns its dependency's error says once,
// in plain words, which check it depends on and why that one decided
// nothing; it never repeats the root cause's own wording chain.
func TestDependencyReason(t *testing.T) {
	failing := fn{id: "a", run: func(context.Context, *checks.Out) error {
		return errors.New("_dmarc.example TXT: the resolver answered SERVFAIL")
	}}
	empty := fn{id: "e", run: func(_ context.Context, out *checks.Out) error {
		out.Add(checks.Finding{ID: "e.gone", Severity: checks.SevFail, Message: "example does not exist"})
		return nil
	}}
	wrap := func(id, dep string) fn {
		return fn{id: id, needs: []string{dep}, run: func(ctx context.Context, out *checks.Out) error {
			if _, err := checks.NewFactKey[any](dep).Await(ctx, out); err != nil {
				return fmt.Errorf("no data: %w", err)
			}
			return nil
		}}
	}
	rep, _ := runChecks(t, checks.Options{}, []checks.Check{failing, empty, wrap("b", "a"), wrap("c", "e"), wrap("d", "b")}, nil)
	want := map[string]string{
		"b": "not decided: depends on a (_dmarc.example TXT: the resolver answered SERVFAIL)",
		"c": "not decided: depends on e (example does not exist)",
		"d": "not decided: depends on b (depends on a (_dmarc.example TXT: the resolver answered SERVFAIL))",
	}
	for _, r := range rep.Results {
		if w, ok := want[r.ID]; ok && (r.Err != w || r.Status != checks.StatusError || len(r.Findings) != 0) {
			t.Errorf("%s: status %s, err %q, want %q", r.ID, r.Status, r.Err, w)
		}
	}
}

// TestFactKeyTypes: a fact of another type than the key's is "no data",
// never a panic; publishing another check's fact is a programming error.
func TestFactKeyTypes(t *testing.T) {
	producer := fn{id: "p", run: func(_ context.Context, out *checks.Out) error {
		checks.NewFactKey[int]("p").Publish(out, 42)
		return nil
	}}
	var got error
	consumer := fn{id: "c", needs: []string{"p"}, run: func(ctx context.Context, out *checks.Out) error {
		_, got = checks.NewFactKey[string]("p").Await(ctx, out)
		return nil
	}}
	thief := fn{id: "t", run: func(_ context.Context, out *checks.Out) error {
		checks.NewFactKey[int]("p").Publish(out, 1)
		return nil
	}}
	rep, _ := runChecks(t, checks.Options{}, []checks.Check{producer, consumer, thief}, nil)
	var dep *checks.DependencyError
	if !errors.As(got, &dep) || dep.Check != "p" {
		t.Fatalf("mistyped fact: err = %v", got)
	}
	if r := rep.Results[2]; r.Status != checks.StatusError || !strings.Contains(r.Err, "internal error") {
		t.Fatalf("publishing another check's fact: %+v", r)
	}
}

// TestNotApplicable: a check with nothing to test on purpose is skipped
// with its reason: neither error (exit 3) nor pass. A run in which every
// check was skipped tested nothing, and does not pass either.
func TestNotApplicable(t *testing.T) {
	na := fn{id: "na", run: func(context.Context, *checks.Out) error {
		return fmt.Errorf("wrapped: %w", checks.NotApplicable("example publishes a null MX"))
	}}
	dep := fn{id: "d", needs: []string{"na"}, run: func(ctx context.Context, out *checks.Out) error {
		_, err := checks.NewFactKey[any]("na").Await(ctx, out)
		return err
	}}
	ok := fn{id: "ok", run: func(context.Context, *checks.Out) error { return nil }}
	rep, _ := runChecks(t, checks.Options{}, []checks.Check{na, dep, ok}, nil)
	if r := rep.Results[0]; r.Status != checks.StatusSkip || r.Skip != "example publishes a null MX" || r.Err != "" {
		t.Fatalf("not applicable: %+v", r)
	}
	if r := rep.Results[1]; r.Status != checks.StatusSkip || r.Skip != "example publishes a null MX" {
		t.Fatalf("dependant: %+v", r)
	}
	if code := report.ExitCode(checks.SevFail, rep); code != report.ExitOK || rep.Status() != checks.StatusPass {
		t.Fatalf("exit %d status %s, want 0 and pass: the skips are no error", code, rep.Status())
	}

	rep, _ = runChecks(t, checks.Options{}, []checks.Check{na, dep}, nil)
	if code := report.ExitCode(checks.SevFail, rep); code != report.ExitCouldNotRun || rep.Status() != checks.StatusError || !rep.NothingTested() {
		t.Fatalf("every check skipped: exit %d status %s, want 3 and error (nothing tested)", code, rep.Status())
	}
}

// TestCancelOneCheck: Cancels stops one check of a run in flight; the
// others run on, and a check that needs the cancelled one learns that it
// decided nothing. A finding added after the cancel is dropped.
func TestCancelOneCheck(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	hang := fn{id: "hang", defs: []checks.Def{{ID: "hang.late", Severity: checks.SevFail}}}
	hang.run = func(ctx context.Context, out *checks.Out) error {
		close(started)
		<-ctx.Done()
		out.Add(checks.Finding{ID: "hang.late", Subject: "example.com"}) // concluded from the cancel: dropped
		return ctx.Err()
	}
	other := fn{id: "other", run: func(ctx context.Context, out *checks.Out) error {
		<-release
		return ctx.Err()
	}}
	dependant := fn{id: "dep", needs: []string{"hang"}, run: func(ctx context.Context, out *checks.Out) error {
		_, err := checks.NewFactKey[string]("hang").Await(ctx, out)
		return err
	}}
	cs := checks.NewCancels()
	if cs.Cancel("not-started-yet") {
		t.Fatal("Cancel of a check that is not running reported it running")
	}
	ctx := checks.WithCancels(context.Background(), cs)
	done := make(chan *checks.Report, 1)
	go func() {
		done <- (&checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{hang, other, dependant}}).Run(ctx, checks.Target{Domain: "example.com"})
	}()
	<-started // the check is registered before its Run starts
	if !cs.Cancel("hang") {
		t.Fatal("hang is running but Cancel did not find it")
	}
	close(release)
	var rep *checks.Report
	select {
	case rep = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the cancel")
	}
	h, o, d := rep.Results[0], rep.Results[1], rep.Results[2]
	if h.Status != checks.StatusError || h.Err != checks.ReasonCancelled || len(h.Findings) != 0 {
		t.Fatalf("cancelled check: %+v", h)
	}
	if o.Status != checks.StatusPass || o.Err != "" {
		t.Fatalf("the other check was touched: %+v", o)
	}
	if d.Status != checks.StatusError || !strings.Contains(d.Err, "depends on hang (cancelled)") {
		t.Fatalf("dependant: %+v", d)
	}
	if rep.Interrupted {
		t.Fatal("a cancelled check marked the whole run interrupted")
	}
}

// TestCancelBeforeStart: a check cancelled before it started ends
// cancelled as soon as it starts.
func TestCancelBeforeStart(t *testing.T) {
	cs := checks.NewCancels()
	cs.Cancel("c")
	c := fn{id: "c", run: func(ctx context.Context, out *checks.Out) error { <-ctx.Done(); return ctx.Err() }}
	rep := (&checks.Runner{Env: &checks.Env{}, Checks: []checks.Check{c}}).Run(checks.WithCancels(context.Background(), cs), checks.Target{})
	if r := rep.Results[0]; r.Err != checks.ReasonCancelled {
		t.Fatalf("result = %+v", r)
	}
}

// TestProgressIsAnEventOnly: Out.Progress reaches live displays as an
// EventProgress between the check's start and finish; a hidden dependency
// (run only for another check) says nothing; nothing of it is in the report.
func TestProgressIsAnEventOnly(t *testing.T) {
	dep := fn{id: "dep", run: func(ctx context.Context, out *checks.Out) error {
		out.Progress("hidden work", time.Second)
		checks.NewFactKey[string]("dep").Publish(out, "v")
		return nil
	}}
	main := fn{id: "main", needs: []string{"dep"}, run: func(ctx context.Context, out *checks.Out) error {
		out.Progress("connected, waiting for the greeting", 30*time.Second)
		return nil
	}}
	rep, evs := runChecks(t, checks.Options{}, []checks.Check{main}, []checks.Check{dep})
	var kinds []string
	for _, e := range evs {
		if e.CheckID == "dep" && e.Kind == checks.EventProgress {
			t.Errorf("a hidden check's progress was shown: %+v", e.Progress)
		}
		if e.CheckID != "main" {
			continue
		}
		switch e.Kind {
		case checks.EventStarted:
			kinds = append(kinds, "started")
		case checks.EventProgress:
			if e.Progress == nil || e.Progress.Text != "connected, waiting for the greeting" || e.Progress.Limit != 30*time.Second || e.Progress.Since.IsZero() {
				t.Errorf("progress %+v", e.Progress)
			}
			kinds = append(kinds, "progress")
		case checks.EventFinished:
			kinds = append(kinds, "finished")
		}
	}
	if strings.Join(kinds, ",") != "started,progress,finished" {
		t.Errorf("events %v", kinds)
	}
	if res := rep.Results[0]; res.Status != checks.StatusPass || len(res.Findings) != 0 || res.Data != nil {
		t.Errorf("result %+v: progress is not a result", res)
	}
}

// TestFinishedBeforeDependantsRelease: a check's finished event precedes
// every event of the checks that waited for it, whatever the scheduling
// (TestParkedJudgedLast in checks/dmarc once saw dmarc finish before the mx
// check it waited for: the waiters were released before mx's event).
func TestFinishedBeforeDependantsRelease(t *testing.T) {
	key := checks.NewFactKey[string]("slow")
	for range 200 {
		slow := fn{id: "slow", run: func(ctx context.Context, out *checks.Out) error {
			return errors.New("no answer")
		}}
		dep := fn{id: "dep", needs: []string{"slow"}, run: func(ctx context.Context, out *checks.Out) error {
			_, _ = key.Await(ctx, out)
			return nil
		}}
		_, evs := runChecks(t, checks.Options{}, []checks.Check{slow, dep}, nil)
		var order []string
		for _, e := range evs {
			if e.Kind == checks.EventFinished {
				order = append(order, e.CheckID)
			}
		}
		if strings.Join(order, ",") != "slow,dep" {
			t.Fatalf("finished events %v: want slow before dep", order)
		}
	}
}
