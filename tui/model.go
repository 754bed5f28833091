package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
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
	stateDomains                 // the multi-domain list
	stateProfiles                // the providers × rules matrix
	stateHeaders                 // a message's header fields and Received chain
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
	case stateDomains:
		return "domains"
	case stateProfiles:
		return "profiles"
	case stateHeaders:
		return "headers"
	}
	return "unknown"
}

// tabs are the top-level panes tab cycles through.
var tabs = []state{stateDashboard, stateHeaders, stateSPF, stateMatrix, stateProfiles, stateTrace}

// common is what every pane shares and nobody changes after New: styles,
// keys, glyphs and the options that shape the drawing.
type common struct {
	st      Styles
	keys    KeyMap
	g       Glyphs
	now     func() time.Time
	explain func(id string) (checks.Def, bool)
	static  bool
	timeout time.Duration // Options.CheckTimeout
}

// Model is the root model: the screen shown, the runs and the send, and
// the panes. It handles the global keys and routes everything else to the
// pane in front (see pane).
type Model struct {
	ctx  context.Context
	opts Options
	c    *common
	live *liveState // the checks as the panes draw them

	width, height int // the terminal

	state state
	back  state // where esc returns to from a drill-down
	full  bool  // the ? screen

	domain   string
	runStart time.Time
	report   *checks.Report // metadata and results of the last full run
	runs     map[int]*runHandle
	gen      int
	err      error // the last run's error (nil after a full run without one)
	// errShown: the error screen covers the panes. An untrusted resolver
	// keeps it up until the program ends.
	errShown bool

	ticking bool
	initCmd tea.Cmd
	// flash is a one-line message for the status line (a copy, an
	// export), cleared by the next key.
	flash string
	// asking: the export prompt (which format?) takes the next key.
	asking   bool
	quitting bool // after q: late run messages are left to finish

	picker     pickerModel
	dash       dashboardModel
	detail     detailModel
	spf        spfModel
	matrix     matrixModel
	transcript transcriptModel
	trace      traceModel
	errView    errorModel
	help       helpModel
	domains    domainsModel
	profiles   profilesModel
	headers    headersModel
	side       detailModel // the selected check beside the list (wide screens)
	sideVer    int         // the row version side shows
	sendH      *sendHandle
	multi      *multiState // the multi-domain list (nil: one domain)
	forced     bool        // the user quit with ctrl+c
}

// New returns a model. ctx bounds every run the model starts.
func New(ctx context.Context, opts Options) Model {
	if ctx == nil {
		ctx = context.Background()
	}
	c := &common{
		st:      DefaultStyles(opts.Renderer, opts.NoColor),
		keys:    DefaultKeyMap(),
		g:       UnicodeGlyphs(),
		now:     opts.Now,
		explain: opts.Explain,
		static:  opts.Static,
		timeout: opts.CheckTimeout,
	}
	if opts.ASCII {
		c.g = ASCIIGlyphs()
	}
	if c.now == nil {
		c.now = time.Now
	}
	live := &liveState{byID: map[string]*checkRow{}}
	m := Model{
		ctx: ctx, opts: opts, c: c, live: live,
		state:  stateDashboard,
		domain: opts.Domain,
		runs:   map[int]*runHandle{},
	}
	for _, ci := range opts.Checks {
		live.add(ci)
	}
	if len(opts.Demo) > 0 && opts.Domain == "" {
		m.state = stateDemo
	}
	m.picker = pickerModel{c: c, domains: opts.Demo}
	m.dash = newDashboard(c, live)
	m.detail = newDetail(c, live)
	m.side = newDetail(c, live)
	m.spf = spfModel{c: c, live: live, collapsed: map[string]bool{}}
	m.matrix = matrixModel{c: c, live: live}
	m.profiles = profilesModel{c: c, live: live}
	m.headers = newHeaders(c, opts.Message)
	m.transcript = newTranscript(c)
	m.trace = traceModel{c: c, live: live, expanded: map[int]bool{}, canSend: opts.Send != nil}
	m.errView = newErrorModel(c)
	m.help = newHelp(c)
	if len(opts.Domains) > 0 {
		m.multi = newMultiState(opts.Domains, opts.Concurrency)
		m.state = stateDomains
		m.domain = ""
	}
	if opts.Inbox != nil {
		m.multi = newMultiState(nil, 1)
		m.multi.newest = true
		m.state = stateDomains
		m.domain = ""
	}
	m.domains = domainsModel{c: c, live: live, ms: m.multi, sel: -1}
	m.setSize(80, 24)
	switch {
	case opts.Inbox != nil:
		m.initCmd = waitInbox(ctx, opts.Inbox.Messages)
	case m.multi != nil:
		m.initCmd = m.pump()
	case opts.AutoSend && opts.Send != nil && opts.Domain != "":
		m.initCmd = m.prepareSend()
	case opts.AutoStart && m.state == stateDashboard:
		m.initCmd = m.startRun(nil)
	}
	return m
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
	for _, row := range m.live.rows {
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
	for _, r := range m.live.rows {
		if r.running {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- update

// Update handles a message: resizes and global keys first, then the runs'
// and the send's messages, then the pane in front.
//
// The runs' messages come by the hundred: they are handled here, where the
// copy of the model stays on the stack. Resizes, keys and the panes' own
// messages reach the panes through the pane interface, in methods of their
// own, because putting a pane's address in an interface moves the copy of
// the model that holds it (kilobytes) to the heap: once per key, not once
// per event.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	if nm, ok := next.(Model); ok && nm.wide() && nm.state == stateDashboard {
		nm.syncSide()
		return nm, cmd
	}
	return next, cmd
}

// wideWidth is the terminal width from which the dashboard shows the
// selected check's detail beside the list.
const wideWidth = 160

// wide reports whether the dashboard shows the detail beside the list.
func (m Model) wide() bool { return m.width >= wideWidth }

// sideWidths are the widths of the list and of the detail beside it.
func (m Model) sideWidths() (list, detail int) {
	list = min(100, m.width/2)
	return list, m.width - list - 1
}

// syncSide shows the selected check in the side detail, rebuilt when the
// selection or the check's row changed.
func (m *Model) syncSide() {
	r := m.dash.selected()
	if r == nil {
		return
	}
	if m.side.checkID != r.info.ID || m.sideVer != r.ver || r.running {
		m.side.open(r.info.ID, false)
		m.sideVer = r.ver
	}
}

// update is Update before the side detail follows the selection.
func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m.resize(msg.Width, msg.Height)
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tickMsg:
		m.live.now = time.Time(msg)
		if m.c.now != nil {
			m.live.now = m.c.now()
		}
		m.live.frame++
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
	case sendStepMsg:
		if m.sendH == nil || msg.h != m.sendH {
			return m, nil
		}
		for _, s := range msg.steps {
			m.trace.addStep(s)
		}
		return m, listenSend(msg.h)
	case domainDoneMsg:
		cmd := m.domainDone(msg)
		return m, cmd
	case inboxMsg:
		cmd := m.inboxDone(msg)
		return m, cmd
	case exportDoneMsg, copyDoneMsg:
		m.flash = doneFlash(msg)
		return m, nil
	case sendDoneMsg:
		if m.sendH == msg.h {
			m.trace.done(msg.trace, msg.err)
			m.sendH = nil
		}
		return m, nil
	}
	return m.updatePane(msg)
}

// resize lays the panes out for a terminal of w×h.
func (m Model) resize(w, h int) (tea.Model, tea.Cmd) {
	m.setSize(w, h)
	m.refreshDetail() // re-wrap at the new width
	return m, nil
}

// updatePane gives a message no one else handles (a cursor blink) to the
// pane of the screen shown, even under the error screen or the help.
func (m Model) updatePane(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd, in := m.active().update(msg)
	return m.do(in, cmd)
}

// updateKey handles the global keys (quit, help, tab) and gives any other
// key to the pane in front: the error screen when it is up, else the pane
// of the screen shown. The help covers the panes without taking their keys.
func (m Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := splitBurst(msg)
	if len(keys) == 1 {
		return m.updateOneKey(msg)
	}
	if len(keys) > maxBurst {
		keys = keys[:maxBurst]
	}
	var cmds []tea.Cmd
	var next tea.Model = m
	for _, km := range keys {
		if next.(Model).quitting {
			break
		}
		var cmd tea.Cmd
		next, cmd = next.(Model).updateOneKey(km)
		cmds = append(cmds, cmd)
	}
	return next, tea.Batch(cmds...)
}

// maxBurst bounds the keys of one burst acted on (a paste of a whole
// file into the dashboard moves no further than this).
const maxBurst = 1024

// updateOneKey handles one key.
func (m Model) updateOneKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	if key.Matches(msg, k.ForceQuit) {
		m.forced = true
		cmd := m.quit()
		return m, cmd
	}
	m.flash = ""
	if m.asking {
		m.asking = false
		cmd := m.export(msg)
		return m, cmd
	}
	if !m.typing() {
		switch {
		case key.Matches(msg, k.Quit):
			cmd := m.quit()
			return m, cmd
		case key.Matches(msg, k.Help):
			m.full = !m.full
			return m, nil
		case m.full && key.Matches(msg, k.Back):
			m.full = false
			return m, nil
		case !m.errShown && m.state != stateDemo && m.state != stateDomains && !m.opts.AutoSend && key.Matches(msg, k.Export):
			return m.do(exportReport{}, nil) // from any screen of a domain
		case !m.errShown && m.state != stateDemo && m.state != stateDomains && key.Matches(msg, k.Tab):
			m.state = m.nextTab(msg.String() == "shift+tab")
			return m, nil
		}
	}
	p := m.active()
	if m.errShown {
		p = &m.errView
	}
	cmd, in := p.update(msg)
	return m.do(in, cmd)
}

// active is the pane of the screen shown (the help and the error screen
// cover it without replacing it). View draws the same pane (paneView).
func (m *Model) active() pane {
	switch m.state {
	case stateDemo:
		return &m.picker
	case stateDetail:
		return &m.detail
	case stateSPF:
		return &m.spf
	case stateMatrix:
		return &m.matrix
	case stateTranscript:
		return &m.transcript
	case stateTrace:
		return &m.trace
	case stateDomains:
		return &m.domains
	case stateProfiles:
		return &m.profiles
	case stateHeaders:
		return &m.headers
	}
	return &m.dash
}

// do carries out a pane's intent, after the pane's own command.
func (m Model) do(in intent, cmd tea.Cmd) (tea.Model, tea.Cmd) {
	var next tea.Cmd
	switch in := in.(type) {
	case goBack:
		next = m.goBack()
	case openDetail:
		next = m.openDetail(in.id, in.filter)
	case openTranscript:
		m.transcript.open(in.row)
		m.back = stateMatrix
		m.state = stateTranscript
	case rerun:
		next = m.startRun(in.ids)
		if in.ids != nil {
			m.refreshDetail() // the re-run check shows as running at once
		}
	case sendTest:
		next = m.prepareSend()
	case pickDomain:
		next = m.openDomain(in.name)
	case openListed:
		next = m.openListed(in.name)
	case showError:
		m.errShown = m.err != nil
	case hideError:
		m.errShown = false
	case quitUI:
		next = m.quit()
	case copyFinding:
		next = m.copyFix(in.f)
	case cancelCheck:
		m.cancelCheck(in.id)
	case exportReport:
		if m.Report() == nil {
			m.flash = "nothing to export yet: no run has finished"
		} else {
			m.asking = true
		}
	}
	return m, tea.Batch(cmd, next)
}

// cancelCheck stops one running check of the run that owns it.
func (m *Model) cancelCheck(id string) {
	r := m.live.byID[id]
	if r == nil || !r.running {
		return
	}
	if h := m.runs[r.gen]; h != nil && h.cancels != nil {
		h.cancels.Cancel(id)
		m.flash = "cancelling the " + clean(id) + " check; the others run on"
	}
}

// typing reports whether keys go to a text input.
func (m Model) typing() bool { return !m.errShown && m.state == stateDetail && m.detail.filtering() }

// quit cancels the runs and the send in flight and ends the program.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	for _, h := range m.runs {
		h.cancel()
	}
	if m.multi != nil {
		for _, e := range m.multi.entries {
			if e.cancel != nil {
				e.cancel()
			}
		}
	}
	if m.sendH != nil {
		m.sendH.cancel()
	}
	return tea.Quit
}

func (m *Model) setSize(w, h int) {
	if w < 20 {
		w = 20
	}
	if h < 8 {
		h = 8
	}
	m.width, m.height = w, h
	bh := m.bodyHeight()
	for _, p := range []pane{&m.picker, &m.dash, &m.detail, &m.spf, &m.matrix, &m.transcript, &m.trace, &m.errView, &m.help, &m.domains, &m.profiles, &m.headers} {
		p.setSize(w, bh)
	}
	if m.wide() {
		lw, dw := m.sideWidths()
		m.dash.setSize(lw, bh)
		m.side.setSize(dw, bh)
		m.sideVer = -1 // re-wrap at the new width
	}
}

// bodyHeight is the height left for a pane: header, tabs, status and hint
// lines take four.
func (m Model) bodyHeight() int { return m.height - 4 }

// goBack leaves the screen shown (esc).
func (m *Model) goBack() tea.Cmd {
	switch m.state {
	case stateDashboard:
		switch {
		case m.multi != nil:
			return m.backToList()
		case len(m.opts.Demo) > 0:
			m.backToPicker()
		}
	case stateDetail, stateTranscript:
		m.state = m.back
	case stateSPF, stateMatrix, stateProfiles, stateHeaders:
		m.state = stateDashboard
	case stateTrace:
		if !m.opts.AutoSend {
			m.state = stateDashboard
		}
	}
	return nil
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
	switch s {
	case stateTrace:
		return m.opts.Send != nil || len(m.trace.steps) > 0
	case stateProfiles:
		return m.profiles.data() != nil || m.state == stateProfiles
	case stateHeaders:
		return m.headers.info != nil
	case stateSPF, stateMatrix:
		return m.headers.info == nil // a message run has no domain checks to draw
	}
	return true
}

// openDetail shows the findings of check id ("" for every check).
func (m *Model) openDetail(id string, filter bool) tea.Cmd {
	m.back = stateDashboard
	m.state = stateDetail
	return m.detail.open(id, filter)
}

// refreshDetail rebuilds the detail pane when it is shown.
func (m *Model) refreshDetail() {
	if m.state == stateDetail {
		m.detail.refresh()
	}
}

// openDomain checks a domain picked in the demo.
func (m *Model) openDomain(name string) tea.Cmd {
	m.domain = name
	m.state = stateDashboard
	m.report = nil
	m.trace.reset()
	m.dash.top()
	return m.startRun(nil)
}

// backToPicker stops everything in flight and shows the demo's picker.
func (m *Model) backToPicker() {
	for g, h := range m.runs {
		h.cancel()
		delete(m.runs, g)
	}
	if m.sendH != nil {
		m.sendH.cancel()
		m.sendH = nil
	}
	for _, r := range m.live.rows {
		r.reset(0)
		r.running = false
	}
	m.report = nil
	m.setErr(nil)
	m.state = stateDemo
}

// Summaries returns the multi-domain list's summaries, in input order
// (nil without Options.Domains).
func (m Model) Summaries() []DomainSummary {
	if m.multi == nil {
		return nil
	}
	return m.multi.summaries()
}
