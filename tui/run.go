package tui

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/spf"
)

// checkRow is one check's live state.
type checkRow struct {
	info     CheckInfo
	status   checks.Status // "" while waiting or running
	running  bool
	started  time.Time
	dur      time.Duration
	findings []checks.Finding // live while running; sorted worst first when finished
	res      *checks.Result
	gen      int // the run that owns the row
	ver      int // bumped on every change, for the dashboard's line cache
	// interrupted: the run was stopped before the check decided (its
	// Result.Err is "interrupted"); not a verdict about the domain.
	interrupted bool
	// progress is what the running check said it waits for; nil when
	// it said nothing, or once it finished.
	progress *checks.Progress
}

func (r *checkRow) reset(gen int) {
	r.gen = gen
	r.ver++
	r.status, r.running, r.res, r.findings, r.dur = "", true, nil, nil, 0
	r.started = time.Time{}
	r.interrupted = false
	r.progress = nil
}

// errInterrupted is the Result.Err of a check the runner stopped because
// the run was cancelled (the user quit or re-ran everything).
const errInterrupted = "interrupted"

// liveState is the checks as the panes draw them: the rows in dashboard
// order and by ID, and the clock their durations and spinners run on. The
// root writes it, from the runs' messages and the ticks; the panes that
// draw checks (dashboard, detail, SPF tree, MX matrix, trace) hold the same
// pointer and only read it. Copies of the model share it, as they share
// the rows.
type liveState struct {
	rows  []*checkRow
	byID  map[string]*checkRow
	now   time.Time // the tick's clock, or the latest event when later
	frame int       // the spinner's frame
}

// add returns the row of check ci.ID, adding it at the end when new.
func (s *liveState) add(ci CheckInfo) *checkRow {
	if r, ok := s.byID[ci.ID]; ok {
		return r
	}
	if ci.Title == "" {
		ci.Title = ci.ID
	}
	r := &checkRow{info: ci}
	s.rows = append(s.rows, r)
	s.byID[ci.ID] = r
	return r
}

// showRows makes the rows those of the checks ids, in Options.Checks
// order (nil: every check of Options.Checks), keeping the row of a check
// already shown. A check left out has no row, not even by ID: no pane
// reads another target's result from it.
func (m *Model) showRows(ids []string) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	l := m.live
	rows := make([]*checkRow, 0, len(m.opts.Checks))
	byID := make(map[string]*checkRow, len(m.opts.Checks))
	for _, ci := range m.opts.Checks {
		if ids != nil && !want[ci.ID] {
			continue
		}
		r, ok := l.byID[ci.ID]
		if !ok {
			if ci.Title == "" {
				ci.Title = ci.ID
			}
			r = &checkRow{info: ci}
		}
		rows = append(rows, r)
		byID[ci.ID] = r
	}
	l.rows, l.byID = rows, byID
}

// ---------------------------------------------------------------- runs

// runHandle is one run in flight. Update creates it (no I/O); the listen
// command starts its goroutine and reads its events.
type runHandle struct {
	gen     int
	domain  string
	ids     []string // nil: every check
	run     RunFunc
	ctx     context.Context
	cancel  context.CancelFunc
	cancels *checks.Cancels // stops single checks (x)
	ch      chan checks.Event
	once    sync.Once
	done    chan struct{}
	rep     *checks.Report // set before ch is closed
	err     error
}

// maxBatch bounds how many queued events one message carries.
const maxBatch = 256

func (h *runHandle) start() {
	h.once.Do(func() { go h.loop() })
}

func (h *runHandle) loop() {
	defer close(h.done)
	rep, err := h.run(h.ctx, h.domain, h.ids, func(e checks.Event) {
		select {
		case h.ch <- e:
		case <-h.ctx.Done():
		}
	})
	h.rep, h.err = rep, err
	close(h.ch)
}

// wait stops a handle and waits for its run to return. A run whose
// goroutine never started is marked done without running.
func (h *runHandle) wait() {
	h.cancel()
	h.once.Do(func() { close(h.done) })
	<-h.done
}

// runMsg carries a batch of events of run gen.
type runMsg struct {
	gen int
	evs []checks.Event
}

// runDoneMsg says run gen returned.
type runDoneMsg struct {
	gen int
	rep *checks.Report
	err error
}

// listen reads the next batch of a run's events (re-armed after each).
func listen(h *runHandle) tea.Cmd {
	return func() tea.Msg {
		h.start()
		e, ok := <-h.ch
		if !ok {
			return runDoneMsg{gen: h.gen, rep: h.rep, err: h.err}
		}
		evs := []checks.Event{e}
		for len(evs) < maxBatch {
			select {
			case e, ok := <-h.ch:
				if !ok {
					return runMsg{gen: h.gen, evs: evs}
				}
				evs = append(evs, e)
			default:
				return runMsg{gen: h.gen, evs: evs}
			}
		}
		return runMsg{gen: h.gen, evs: evs}
	}
}

// startRun prepares a run of ids (nil: all) and returns the command that
// starts it. A full run supersedes every run in flight.
func (m *Model) startRun(ids []string) tea.Cmd {
	if m.opts.Run == nil || m.domain == "" {
		return nil
	}
	if ids == nil {
		for gen, h := range m.runs {
			h.cancel()
			delete(m.runs, gen)
		}
	}
	m.gen++
	ctx, cancel := context.WithCancel(m.ctx)
	cs := checks.NewCancels()
	h := &runHandle{
		gen: m.gen, domain: m.domain, ids: ids, run: m.opts.Run,
		ctx: checks.WithCancels(ctx, cs), cancel: cancel, cancels: cs,
		ch: make(chan checks.Event, 1024), done: make(chan struct{}),
	}
	m.runs[h.gen] = h
	now := m.c.now()
	m.live.now = now
	if ids == nil {
		m.runStart = now
		m.setErr(nil)
		for _, r := range m.live.rows {
			r.reset(h.gen)
		}
	} else {
		for _, id := range ids {
			m.live.add(CheckInfo{ID: id}).reset(h.gen)
		}
	}
	return tea.Batch(listen(h), m.startTicking())
}

// finish cancels and waits for every run in flight and folds their reports
// in: the final report after the program ended, and the last run error.
func (m Model) finish() (*checks.Report, error) {
	gens := make([]int, 0, len(m.runs))
	for g := range m.runs {
		gens = append(gens, g)
	}
	sort.Ints(gens)
	for _, g := range gens {
		h := m.runs[g]
		h.wait()
		m.applyDone(runDoneMsg{gen: g, rep: h.rep, err: h.err})
	}
	if m.sendH != nil {
		m.sendH.wait()
	}
	return m.Report(), m.err
}

// applyEvent applies one event of run gen to its check's row.
func (m *Model) applyEvent(gen int, e checks.Event) {
	r, ok := m.live.byID[e.CheckID]
	if !ok {
		r = m.live.add(CheckInfo{ID: e.CheckID})
		r.gen = gen
	}
	if r.gen != gen {
		return // a superseded run
	}
	if e.At.After(m.live.now) {
		m.live.now = e.At
	}
	r.ver++
	switch e.Kind {
	case checks.EventStarted:
		r.running, r.started, r.status = true, e.At, ""
		if m.runStart.IsZero() {
			m.runStart = e.At
		}
	case checks.EventFinding:
		if e.Finding != nil {
			r.findings = append(r.findings, *e.Finding)
		}
	case checks.EventProgress:
		if e.Progress != nil && r.running {
			p := *e.Progress
			r.progress = &p
		}
	case checks.EventFinished:
		r.progress = nil
		if e.Result != nil {
			m.setResult(r, e.Result)
		}
	}
}

func (m *Model) setResult(r *checkRow, res *checks.Result) {
	cp := *res
	cp.Findings = append([]checks.Finding(nil), res.Findings...)
	checks.SortFindings(cp.Findings)
	r.res, r.running, r.status, r.dur = &cp, false, cp.Status, cp.Duration
	r.interrupted = cp.Err == errInterrupted || cp.Err == checks.ReasonCancelled
	r.ver++
	if r.info.Title == r.info.ID && cp.Title != "" {
		r.info.Title = cp.Title
	}
	r.findings = cp.Findings
	if r.started.IsZero() {
		r.started = cp.Started
	}
	m.dataChanged(r.info.ID)
}

// applyDone folds the end of run gen in: its report, or, without one, its
// unfinished checks in error; and its error.
func (m *Model) applyDone(msg runDoneMsg) {
	h, ok := m.runs[msg.gen]
	if !ok {
		return
	}
	delete(m.runs, msg.gen)
	// A run stopped by the user (q, R, esc to the demo's picker) ends with
	// the cancellation it was asked for: not an error of the run.
	stopped := m.quitting || h.ctx.Err() != nil
	if msg.err != nil && !(stopped && errors.Is(msg.err, context.Canceled)) {
		m.setErr(msg.err)
	}
	if msg.rep == nil {
		// Checks the run never finished: stopped, or the run failed.
		for _, r := range m.live.rows {
			if r.gen == msg.gen && r.running {
				r.running = false
				r.status = checks.StatusError
				r.interrupted = stopped
				r.ver++
			}
		}
		if h.ids == nil && !stopped {
			m.foregroundDone(nil, msg.err) // the list shows that it failed
		}
		return
	}
	for i := range msg.rep.Results {
		res := &msg.rep.Results[i]
		r, ok := m.live.byID[res.ID]
		if !ok {
			r = m.live.add(CheckInfo{ID: res.ID, Title: res.Title})
			r.gen = msg.gen
		}
		if r.gen != msg.gen {
			continue
		}
		m.setResult(r, res)
	}
	if h.ids == nil {
		m.foregroundDone(msg.rep, msg.err)
		cp := *msg.rep
		m.report = &cp
		if !msg.rep.StartedAt.IsZero() {
			m.runStart = msg.rep.StartedAt
		}
	} else if m.report == nil {
		cp := *msg.rep
		m.report = &cp
	}
	m.refreshDetail()
}

// setErr records a run's error and shows it (nil clears it).
func (m *Model) setErr(err error) {
	m.err = err
	m.errShown = err != nil
	m.errView.set(err)
}

// dataChanged rebuilds the panes derived from a check's data.
func (m *Model) dataChanged(id string) {
	switch id {
	case "spf":
		m.spf.setData(dataOf[spf.Data](m.live.byID["spf"]))
	}
	if matrixSources[id] {
		m.matrix.rebuild()
	}
	if m.state == stateDetail && (m.detail.checkID == "" || m.detail.checkID == id) {
		m.refreshDetail()
	}
}
