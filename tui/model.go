package tui

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/send"
)

// state is the screen the root model shows.
type state int

// The screens.
const (
	stateDemo       state = iota // the demo's domain picker
	stateDashboard               // one row per check
	stateDetail                  // one check's findings (or all of them)
	stateSPF                     // the SPF include tree
	stateMatrix                  // the MX matrix
	stateTranscript              // one server's SMTP transcript
	stateTrace                   // the send timeline
)

// String names the state (for tests and debugging).
func (s state) String() string {
	switch s {
	case stateDemo:
		return "demo"
	case stateDashboard:
		return "dashboard"
	case stateDetail:
		return "detail"
	case stateSPF:
		return "spf"
	case stateMatrix:
		return "matrix"
	case stateTranscript:
		return "transcript"
	case stateTrace:
		return "trace"
	}
	return "unknown"
}

// tabs are the top-level panes tab cycles through.
var tabs = []state{stateDashboard, stateSPF, stateMatrix, stateTrace}

// common is shared by every pane: size, styles, keys, glyphs.
type common struct {
	width, height int
	st            Styles
	keys          KeyMap
	g             Glyphs
	now           func() time.Time
	explain       func(id string) (checks.Def, bool)
	static        bool
}

// checkRow is one check's live state.
type checkRow struct {
	info     CheckInfo
	status   checks.Status // "" while waiting or running
	running  bool
	started  time.Time
	dur      time.Duration
	findings []checks.Finding // live while running; sorted worst first when finished
	res      *checks.Result
	data     any // the result's Data as generic JSON (maps, slices, numbers)
	gen      int // the run that owns the row
	ver      int // bumped on every change, for the dashboard's line cache
	// interrupted: the run was stopped before the check decided (its
	// Result.Err is "interrupted"); not a verdict about the domain.
	interrupted bool
}

// errInterrupted is the Result.Err of a check the runner stopped because
// the run was cancelled (the user quit or re-ran everything).
const errInterrupted = "interrupted"

// Model is the root model.
type Model struct {
	ctx  context.Context
	opts Options
	c    *common

	state state
	back  state // where esc returns to from a drill-down
	help  help.Model
	full  bool // the ? screen

	domain   string
	rows     []*checkRow
	byID     map[string]*checkRow
	runStart time.Time
	now      time.Time
	report   *checks.Report // metadata and results of the last full run
	runs     map[int]*runHandle
	gen      int
	err      error // the last run's error (nil after a full run without one)
	// errShown: the error screen covers the panes. An untrusted resolver
	// keeps it up until the program ends.
	errShown bool
	errView  errorModel

	frame    int
	ticking  bool
	initCmd  tea.Cmd
	quitting bool // after q: late run messages are left to finish

	picker     pickerModel
	dash       dashboardModel
	detail     detailModel
	spf        spfModel
	matrix     matrixModel
	transcript transcriptModel
	trace      traceModel
	sendH      *sendHandle
}

// New returns a model. ctx bounds every run the model starts.
func New(ctx context.Context, opts Options) Model {
	if ctx == nil {
		ctx = context.Background()
	}
	c := &common{
		width: 80, height: 24,
		st:      DefaultStyles(opts.Renderer, opts.NoColor),
		keys:    DefaultKeyMap(),
		g:       UnicodeGlyphs(),
		now:     opts.Now,
		explain: opts.Explain,
		static:  opts.Static,
	}
	if opts.ASCII {
		c.g = ASCIIGlyphs()
	}
	if c.now == nil {
		c.now = time.Now
	}
	h := help.New()
	h.ShortSeparator = "  "
	h.Styles.ShortKey = c.st.Bold
	h.Styles.ShortDesc = c.st.Hint
	h.Styles.FullKey = c.st.Bold
	h.Styles.FullDesc = c.st.Hint
	m := Model{
		ctx: ctx, opts: opts, c: c, help: h,
		state:  stateDashboard,
		domain: opts.Domain,
		byID:   map[string]*checkRow{},
		runs:   map[int]*runHandle{},
	}
	for _, ci := range opts.Checks {
		m.addRow(ci)
	}
	if len(opts.Demo) > 0 && opts.Domain == "" {
		m.state = stateDemo
	}
	m.detail = newDetail(c)
	m.transcript = newTranscript(c)
	m.trace = traceModel{c: c, expanded: map[int]bool{}}
	m.spf = spfModel{c: c, collapsed: map[string]bool{}}
	m.matrix = matrixModel{c: c}
	m.dash = dashboardModel{c: c, cache: map[*checkRow]cachedLine{}}
	m.picker = pickerModel{c: c}
	m.errView = newErrorModel(c)
	m.setSize(c.width, c.height)
	switch {
	case opts.AutoSend && opts.Send != nil && opts.Domain != "":
		m.initCmd = m.prepareSend()
	case opts.AutoStart && m.state == stateDashboard:
		m.initCmd = m.startRun(nil)
	}
	return m
}

func (m *Model) addRow(ci CheckInfo) *checkRow {
	if r, ok := m.byID[ci.ID]; ok {
		return r
	}
	if ci.Title == "" {
		ci.Title = ci.ID
	}
	r := &checkRow{info: ci}
	m.rows = append(m.rows, r)
	m.byID[ci.ID] = r
	return r
}

// State returns the name of the screen shown.
func (m Model) State() string { return m.state.String() }

// Init starts the first run when asked to.
func (m Model) Init() tea.Cmd {
	return m.initCmd
}

// Report returns the current report: the last full run's metadata with each
// check's latest result. It is nil before any run finished, and when the
// resolver could not be trusted: no verdict may be drawn from its answers
// (Err says why).
func (m Model) Report() *checks.Report {
	if m.report == nil || m.untrusted() != nil {
		return nil
	}
	r := *m.report
	r.Results = nil
	for _, row := range m.rows {
		if row.res != nil {
			r.Results = append(r.Results, *row.res)
		}
	}
	return &r
}

// Err returns the error of the last run, or nil: a *dnsq.UntrustedError
// (possibly wrapped) when the resolver could not be trusted or did not
// answer, or whatever else made Options.Run fail. A full run without an
// error clears it.
func (m Model) Err() error { return m.err }

// untrusted returns the untrusted-resolver error of the last run, if any.
func (m Model) untrusted() *dnsq.UntrustedError { return m.errView.untrusted }

// Running reports whether a run is in flight.
func (m Model) Running() bool { return len(m.runs) > 0 }

// ---------------------------------------------------------------- runs

// runHandle is one run in flight. Update creates it (no I/O); the listen
// command starts its goroutine and reads its events.
type runHandle struct {
	gen    int
	domain string
	ids    []string // nil: every check
	run    RunFunc
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan checks.Event
	once   sync.Once
	done   chan struct{}
	rep    *checks.Report // set before ch is closed
	err    error
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
	h := &runHandle{
		gen: m.gen, domain: m.domain, ids: ids, run: m.opts.Run,
		ctx: ctx, cancel: cancel,
		ch: make(chan checks.Event, 1024), done: make(chan struct{}),
	}
	m.runs[h.gen] = h
	now := m.c.now()
	m.now = now
	if ids == nil {
		m.runStart = now
		m.setErr(nil)
		for _, r := range m.rows {
			r.reset(h.gen)
		}
	} else {
		for _, id := range ids {
			m.addRow(CheckInfo{ID: id}).reset(h.gen)
		}
	}
	return tea.Batch(listen(h), m.startTicking())
}

func (r *checkRow) reset(gen int) {
	r.gen = gen
	r.ver++
	r.status, r.running, r.res, r.data, r.findings, r.dur = "", true, nil, nil, nil, 0
	r.started = time.Time{}
	r.interrupted = false
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

func (m *Model) applyEvent(gen int, e checks.Event) {
	r, ok := m.byID[e.CheckID]
	if !ok {
		r = m.addRow(CheckInfo{ID: e.CheckID})
		r.gen = gen
	}
	if gen >= 0 && r.gen != gen {
		return // a superseded run
	}
	if e.At.After(m.now) {
		m.now = e.At
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
	case checks.EventFinished:
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
	r.interrupted = cp.Err == errInterrupted
	r.ver++
	if r.info.Title == r.info.ID && cp.Title != "" {
		r.info.Title = cp.Title
	}
	r.findings = cp.Findings
	r.data = genericJSON(cp.Data)
	if r.started.IsZero() {
		r.started = cp.Started
	}
	m.dataChanged(r.info.ID)
}

// genericJSON turns typed check data into maps and slices, so panes can
// render data of checks whose Go types they do not import.
func genericJSON(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

func (m *Model) applyDone(msg runDoneMsg) {
	h, ok := m.runs[msg.gen]
	if !ok && msg.gen >= 0 {
		return
	}
	delete(m.runs, msg.gen)
	// A run stopped by the user (q, R, esc to the demo's picker) ends with
	// the cancellation it was asked for: not an error of the run.
	stopped := m.quitting || (h != nil && h.ctx.Err() != nil)
	if msg.err != nil && !(stopped && errors.Is(msg.err, context.Canceled)) {
		m.setErr(msg.err)
	}
	if msg.rep == nil {
		// Checks the run never finished: stopped, or the run failed.
		for _, r := range m.rows {
			if r.gen == msg.gen && r.running {
				r.running = false
				r.status = checks.StatusError
				r.interrupted = stopped
				r.ver++
			}
		}
		return
	}
	full := msg.gen < 0 || h == nil || h.ids == nil
	for i := range msg.rep.Results {
		res := &msg.rep.Results[i]
		r, ok := m.byID[res.ID]
		if !ok {
			r = m.addRow(CheckInfo{ID: res.ID, Title: res.Title})
			r.gen = msg.gen
		}
		if msg.gen >= 0 && r.gen != msg.gen {
			continue
		}
		m.setResult(r, res)
	}
	if full {
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
		m.spf.setData(m.rowData("spf"))
	}
	if matrixSources[id] {
		m.matrix.rebuild(m.byID)
	}
	if m.state == stateDetail && (m.detail.checkID == "" || m.detail.checkID == id) {
		m.refreshDetail()
	}
}

func (m *Model) rowData(id string) any {
	if r, ok := m.byID[id]; ok {
		return r.data
	}
	return nil
}

// ---------------------------------------------------------------- ticking

type tickMsg time.Time

const tickEvery = 100 * time.Millisecond

func (m *Model) startTicking() tea.Cmd {
	if m.ticking || m.c.static {
		return nil
	}
	m.ticking = true
	return tea.Tick(tickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m Model) busy() bool {
	if len(m.runs) > 0 || m.trace.running {
		return true
	}
	for _, r := range m.rows {
		if r.running {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- update

// Update handles a message: global keys and resizes first, then app
// messages, then the active pane.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		m.refreshDetail() // re-wrap at the new width
		return m, nil
	case tea.KeyMsg:
		if key.Matches(msg, m.c.keys.ForceQuit) {
			return m.quit()
		}
		if !m.typing() {
			switch {
			case key.Matches(msg, m.c.keys.Quit):
				return m.quit()
			case key.Matches(msg, m.c.keys.Help):
				m.full = !m.full
				return m, nil
			}
			if m.full && key.Matches(msg, m.c.keys.Back) {
				m.full = false
				return m, nil
			}
		}
		return m.updateKey(msg)
	case tickMsg:
		m.now = time.Time(msg)
		if m.c.now != nil {
			m.now = m.c.now()
		}
		m.frame++
		if m.busy() {
			return m, tea.Tick(tickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
		}
		m.ticking = false
		return m, nil
	case runMsg:
		h, ok := m.runs[msg.gen]
		if !ok || m.quitting {
			return m, nil
		}
		for _, e := range msg.evs {
			m.applyEvent(msg.gen, e)
		}
		return m, listen(h)
	case runDoneMsg:
		if !m.quitting {
			m.applyDone(msg)
		}
		return m, nil
	case EventMsg:
		m.applyEvent(-1, msg.Event)
		return m, m.startTicking()
	case ReportMsg:
		m.applyDone(runDoneMsg{gen: -1, rep: msg.Report, err: msg.Err})
		return m, nil
	case StepMsg:
		m.trace.addStep(msg.Step)
		return m, m.startTicking()
	case TraceMsg:
		m.trace.done(msg.Trace, msg.Err)
		return m, nil
	case sendStepMsg:
		if m.sendH == nil || msg.h != m.sendH {
			return m, nil
		}
		for _, s := range msg.steps {
			m.trace.addStep(s)
		}
		return m, listenSend(msg.h)
	case sendDoneMsg:
		if m.sendH == msg.h {
			m.trace.done(msg.trace, msg.err)
			m.sendH = nil
		}
		return m, nil
	}
	// Other messages (cursor blink...) go to the active pane.
	var cmd tea.Cmd
	switch m.state {
	case stateDetail:
		m.detail, cmd = m.detail.update(msg)
	case stateTranscript:
		m.transcript, cmd = m.transcript.update(msg)
	}
	return m, cmd
}

// typing reports whether keys go to a text input.
func (m Model) typing() bool { return !m.errShown && m.state == stateDetail && m.detail.filtering() }

func (m Model) quit() (tea.Model, tea.Cmd) {
	m.quitting = true
	for _, h := range m.runs {
		h.cancel()
	}
	if m.sendH != nil {
		m.sendH.cancel()
	}
	return m, tea.Quit
}

func (m *Model) setSize(w, h int) {
	if w < 20 {
		w = 20
	}
	if h < 8 {
		h = 8
	}
	m.c.width, m.c.height = w, h
	bh := m.bodyHeight()
	m.detail.setSize(w, bh)
	m.transcript.setSize(w, bh)
	m.errView.setSize(w, bh)
}

// bodyHeight is the height left for a pane: header, tabs, status and hint
// lines take four.
func (m Model) bodyHeight() int { return m.c.height - 4 }

func (m Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	if m.errShown {
		return m.updateErrorKey(msg)
	}
	if key.Matches(msg, k.Tab) && !m.typing() && m.state != stateDemo {
		m.state = m.nextTab(msg.String() == "shift+tab")
		return m, nil
	}
	switch m.state {
	case stateDemo:
		var pick string
		m.picker, pick = m.picker.update(msg, m.opts.Demo)
		if pick != "" {
			return m.openDomain(pick)
		}
	case stateDashboard:
		switch {
		case key.Matches(msg, k.Up):
			m.dash.move(-1, len(m.rows))
		case key.Matches(msg, k.Down):
			m.dash.move(1, len(m.rows))
		case key.Matches(msg, k.Open):
			if r := m.selected(); r != nil {
				return m.openDetail(r.info.ID, false)
			}
		case key.Matches(msg, k.Filter):
			return m.openDetail("", true)
		case key.Matches(msg, k.Rerun):
			if r := m.selected(); r != nil && !r.running {
				return m, m.startRun([]string{r.info.ID})
			}
		case key.Matches(msg, k.RerunAll):
			return m, m.startRun(nil)
		case key.Matches(msg, k.Send):
			return m.startSend()
		case key.Matches(msg, k.Back):
			if len(m.opts.Demo) > 0 {
				return m.backToPicker()
			}
		case key.Matches(msg, k.ShowError):
			m.errShown = m.err != nil
		}
	case stateDetail:
		if !m.detail.filtering() {
			switch {
			case key.Matches(msg, k.Back):
				m.state = m.back
				return m, nil
			case key.Matches(msg, k.Rerun):
				if id := m.detail.checkID; id != "" {
					if r := m.byID[id]; r != nil && !r.running {
						cmd := m.startRun([]string{id})
						m.refreshDetail()
						return m, cmd
					}
				}
				return m, nil
			case key.Matches(msg, k.RerunAll):
				return m, m.startRun(nil)
			}
		}
		var cmd tea.Cmd
		m.detail, cmd = m.detail.update(msg)
		return m, cmd
	case stateSPF:
		if key.Matches(msg, k.Back) && (msg.Type == tea.KeyEsc || !m.spf.collapseSelected()) {
			m.state = stateDashboard
			return m, nil
		}
		m.spf.update(msg)
	case stateMatrix:
		switch {
		case key.Matches(msg, k.Back):
			m.state = stateDashboard
		case key.Matches(msg, k.Up):
			m.matrix.move(-1)
		case key.Matches(msg, k.Down):
			m.matrix.move(1)
		case key.Matches(msg, k.Open):
			if row, ok := m.matrix.selected(); ok {
				m.transcript.open(row)
				m.back = stateMatrix
				m.state = stateTranscript
			}
		case key.Matches(msg, k.Rerun):
			return m, m.startRun(m.matrixChecks())
		}
	case stateTranscript:
		if key.Matches(msg, k.Back) {
			m.state = m.back
			return m, nil
		}
		var cmd tea.Cmd
		m.transcript, cmd = m.transcript.update(msg)
		return m, cmd
	case stateTrace:
		switch {
		case key.Matches(msg, k.Back) && (msg.Type == tea.KeyEsc || !m.trace.collapseSelected()):
			if !m.opts.AutoSend {
				m.state = stateDashboard
			}
		case key.Matches(msg, k.Send):
			return m.startSend()
		default:
			m.trace.update(msg)
		}
	}
	return m, nil
}

// updateErrorKey handles keys on the error screen. An untrusted resolver
// leaves nothing to do but read and quit (q or esc); another error can be
// put aside with esc (e brings it back) or answered with a new run (R).
func (m Model) updateErrorKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	if m.untrusted() != nil {
		if msg.Type == tea.KeyEsc {
			return m.quit()
		}
	} else {
		switch {
		case key.Matches(msg, k.Back):
			m.errShown = false
			return m, nil
		case key.Matches(msg, k.RerunAll):
			return m, m.startRun(nil)
		}
	}
	var cmd tea.Cmd
	m.errView, cmd = m.errView.update(msg)
	return m, cmd
}

func (m Model) matrixChecks() []string {
	var ids []string
	for _, r := range m.rows {
		if matrixSources[r.info.ID] && !r.running {
			ids = append(ids, r.info.ID)
		}
	}
	return ids
}

func (m Model) nextTab(reverse bool) state {
	cur := m.state
	if cur == stateDetail || cur == stateTranscript {
		cur = m.back
	}
	avail := []state{}
	for _, s := range tabs {
		if !m.tabShown(s) {
			continue
		}
		avail = append(avail, s)
	}
	i := 0
	for j, s := range avail {
		if s == cur {
			i = j
		}
	}
	if reverse {
		i = (i + len(avail) - 1) % len(avail)
	} else {
		i = (i + 1) % len(avail)
	}
	return avail[i]
}

// tabShown reports whether a top-level pane is offered: the trace only
// when a send can happen or has happened; nothing but the trace for a
// send-only run.
func (m Model) tabShown(s state) bool {
	if m.opts.AutoSend {
		return s == stateTrace
	}
	if s == stateTrace {
		return m.opts.Send != nil || len(m.trace.steps) > 0
	}
	return true
}

func (m Model) selected() *checkRow {
	if m.dash.cursor >= 0 && m.dash.cursor < len(m.rows) {
		return m.rows[m.dash.cursor]
	}
	return nil
}

func (m Model) openDetail(id string, filter bool) (tea.Model, tea.Cmd) {
	m.back = stateDashboard
	m.state = stateDetail
	m.detail.checkID = id
	m.detail.resetFilter()
	m.refreshDetail()
	m.detail.vp.GotoTop()
	if filter {
		return m, m.detail.focusFilter()
	}
	return m, nil
}

func (m *Model) refreshDetail() {
	if m.state != stateDetail {
		return
	}
	var rows []*checkRow
	if m.detail.checkID == "" {
		rows = m.rows
	} else if r, ok := m.byID[m.detail.checkID]; ok {
		rows = []*checkRow{r}
	}
	m.detail.build(rows)
}

func (m Model) openDomain(name string) (tea.Model, tea.Cmd) {
	m.domain = name
	m.state = stateDashboard
	m.report = nil
	m.trace.reset()
	m.dash.cursor = 0
	return m, m.startRun(nil)
}

func (m Model) backToPicker() (tea.Model, tea.Cmd) {
	for g, h := range m.runs {
		h.cancel()
		delete(m.runs, g)
	}
	if m.sendH != nil {
		m.sendH.cancel()
		m.sendH = nil
	}
	for _, r := range m.rows {
		r.reset(0)
		r.running = false
	}
	m.report = nil
	m.setErr(nil)
	m.state = stateDemo
	return m, nil
}

// ---------------------------------------------------------------- send

type sendHandle struct {
	domain string
	send   SendFunc
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan send.Step
	once   sync.Once
	done   chan struct{}
	trace  *send.Trace // set before ch is closed
	err    error
}

// wait cancels the send and waits for it to return (or marks it done when
// it never started).
func (h *sendHandle) wait() {
	h.cancel()
	h.once.Do(func() { close(h.done) })
	<-h.done
}

type sendStepMsg struct {
	h     *sendHandle
	steps []send.Step
}

type sendDoneMsg struct {
	h     *sendHandle
	trace *send.Trace
	err   error
}

func (h *sendHandle) start() {
	h.once.Do(func() {
		go func() {
			defer close(h.done)
			tr, err := h.send(h.ctx, h.domain, func(s send.Step) {
				select {
				case h.ch <- s:
				case <-h.ctx.Done():
				}
			})
			h.trace, h.err = tr, err
			close(h.ch)
		}()
	})
}

func listenSend(h *sendHandle) tea.Cmd {
	return func() tea.Msg {
		h.start()
		s, ok := <-h.ch
		if !ok {
			return sendDoneMsg{h: h, trace: h.trace, err: h.err}
		}
		steps := []send.Step{s}
		for {
			select {
			case s, ok := <-h.ch:
				if !ok {
					return sendStepMsg{h: h, steps: steps}
				}
				steps = append(steps, s)
			default:
				return sendStepMsg{h: h, steps: steps}
			}
		}
	}
}

func (m Model) startSend() (tea.Model, tea.Cmd) {
	cmd := m.prepareSend()
	return m, cmd
}

// prepareSend creates the send's handle and switches to the trace pane; the
// returned command starts it.
func (m *Model) prepareSend() tea.Cmd {
	if m.opts.Send == nil || m.domain == "" || m.sendH != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	h := &sendHandle{domain: m.domain, send: m.opts.Send, ctx: ctx, cancel: cancel, ch: make(chan send.Step, 64), done: make(chan struct{})}
	m.sendH = h
	m.trace.reset()
	m.trace.running = true
	m.state = stateTrace
	m.back = stateDashboard
	return tea.Batch(listenSend(h), m.startTicking())
}

// Trace returns the send trace shown (nil before a send ended).
func (m Model) Trace() *send.Trace { return m.trace.result }

// finishSend cancels and waits for a send in flight and returns the final
// trace.
func (m Model) finishSend() (*send.Trace, error) {
	if h := m.sendH; h != nil {
		h.wait()
		if h.trace != nil || h.err != nil {
			return h.trace, h.err
		}
	}
	return m.trace.result, m.trace.err
}
