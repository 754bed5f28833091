package tui

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// DomainInput is one domain of a multi-domain run (check a.example
// b.example, check -f FILE): a domain to check, or an input line that is
// not one (Err says why; it is listed, never run).
type DomainInput struct {
	// Name is the domain checked.
	Name string
	// Input is the line or argument as given ("" when it is Name).
	Input string
	// Err says why the input is not a domain to check ("" when it is).
	Err string
	// Checks are the IDs of the checks its run reports, when not every
	// check of Options.Checks (an address: ptr, dnsbl and smtp alone);
	// nil means all of them. Its dashboard shows those rows alone.
	Checks []string
}

// DomainSummary is what the multi-domain list keeps of one domain once
// its run ended: the status, the counts and the exit code its report
// gives, never the report itself (see RunDomains).
type DomainSummary struct {
	Name   string
	Input  string
	Status checks.Status // error for an input that is not a domain, or a run that failed
	Fail   int           // findings of severity fail
	Warn   int           // findings of severity warn
	Err    string        // why nothing was decided ("" when the run decided)
	Exit   report.Exit   // the exit code of the report alone (Options.FailOn)
	Done   bool          // the run ended (or the input was refused)
}

// maxCachedReports bounds the full reports the list keeps: the most
// recently opened or finished domains. Opening an older one runs it again.
const maxCachedReports = 200

// defaultConcurrency bounds the background runs of a multi-domain list.
const defaultConcurrency = 4

// domainEntry is one row of the list.
type domainEntry struct {
	DomainSummary
	idx     int // input order
	running bool
	fg      bool               // run in the foreground (opened), not in the background
	cancel  context.CancelFunc // the background run in flight
	bucket  int                // the display bucket the entry is in (-1: none)
	row     *inboxRow          // a received message's columns (nil: a domain)
	checks  []string           // DomainInput.Checks
}

// multiState is the multi-domain list's data: the entries, the order they
// are shown in, the queue of domains not yet run, and the bounded cache
// of full reports.
type multiState struct {
	entries []*domainEntry
	byName  map[string]*domainEntry
	queue   []int // indices of entries not yet run, in input order
	qhead   int
	limit   int
	flight  int // background runs in flight
	gen     int // bumps on every background start, so late answers are known
	// buckets hold finished entries by status, worst first (the order of
	// statusBuckets); within one, in input order.
	buckets [numBuckets][]int
	cache   *reportCache
	jobs    *jobs // the background runs' commands in flight
	// newest lists the entries newest first (a test inbox: the message
	// just sent is the one the user looks for), not worst status first.
	newest bool
	// inboxClosed: the inbox delivers no more messages (--count reached).
	inboxClosed bool
}

// jobs counts the background runs executing, so that the end of the
// program can wait for them; once stopped, no new one starts.
type jobs struct {
	mu      sync.Mutex
	cond    *sync.Cond
	active  int
	stopped bool
}

func newJobs() *jobs {
	j := &jobs{}
	j.cond = sync.NewCond(&j.mu)
	return j
}

// begin reports whether a run may start (and counts it).
func (j *jobs) begin() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.stopped {
		return false
	}
	j.active++
	return true
}

func (j *jobs) end() {
	j.mu.Lock()
	j.active--
	j.cond.Broadcast()
	j.mu.Unlock()
}

// stop lets no new run start and waits for those executing.
func (j *jobs) stop() {
	j.mu.Lock()
	j.stopped = true
	for j.active > 0 {
		j.cond.Wait()
	}
	j.mu.Unlock()
}

// The display buckets, worst status first; running and queued entries
// come after the finished ones.
var statusBuckets = []checks.Status{checks.StatusFail, checks.StatusError, checks.StatusWarn, checks.StatusPass, checks.StatusSkip}

const numBuckets = 5

func bucketOf(s checks.Status) int {
	for i, b := range statusBuckets {
		if b == s {
			return i
		}
	}
	return 1 // an unknown status reads as error
}

func newMultiState(in []DomainInput, limit int) *multiState {
	if limit <= 0 {
		limit = defaultConcurrency
	}
	ms := &multiState{byName: map[string]*domainEntry{}, limit: limit, cache: newReportCache(maxCachedReports), jobs: newJobs()}
	for _, d := range in {
		if _, dup := ms.byName[d.Name]; dup && d.Err == "" {
			continue // listed once
		}
		e := &domainEntry{DomainSummary: DomainSummary{Name: d.Name, Input: d.Input}, idx: len(ms.entries), bucket: -1, checks: d.Checks}
		ms.entries = append(ms.entries, e)
		if d.Err != "" || d.Name == "" {
			e.Status, e.Err, e.Done, e.Exit = checks.StatusError, d.Err, true, report.ExitCouldNotRun
			if e.Err == "" {
				e.Err = "not a domain"
			}
			ms.place(e)
			continue
		}
		ms.byName[d.Name] = e
		ms.queue = append(ms.queue, e.idx)
	}
	return ms
}

// place puts a finished entry into its status bucket.
func (ms *multiState) place(e *domainEntry) {
	ms.unplace(e)
	b := bucketOf(e.Status)
	bs := ms.buckets[b]
	i, _ := slices.BinarySearch(bs, e.idx) // input order within a status
	ms.buckets[b] = slices.Insert(bs, i, e.idx)
	e.bucket = b
}

// unplace takes an entry out of its bucket (a re-run).
func (ms *multiState) unplace(e *domainEntry) {
	if e.bucket < 0 {
		return
	}
	bs := ms.buckets[e.bucket]
	if i, ok := slices.BinarySearch(bs, e.idx); ok {
		ms.buckets[e.bucket] = slices.Delete(bs, i, i+1)
	}
	e.bucket = -1
}

// order calls fn with the entries in display order: finished ones worst
// status first, then the running ones, then the queue; it stops when fn
// returns false.
func (ms *multiState) order(fn func(e *domainEntry) bool) {
	if ms.newest {
		for i := len(ms.entries) - 1; i >= 0; i-- {
			if !fn(ms.entries[i]) {
				return
			}
		}
		return
	}
	for _, b := range ms.buckets {
		for _, i := range b {
			if !fn(ms.entries[i]) {
				return
			}
		}
	}
	for _, e := range ms.entries {
		if e.running && !fn(e) {
			return
		}
	}
	for _, i := range ms.queue[ms.qhead:] {
		if e := ms.entries[i]; !e.running && !e.Done && !fn(e) {
			return
		}
	}
}

// counts are the list's totals: running, finished, all.
func (ms *multiState) counts() (running, done, total int) {
	for _, e := range ms.entries {
		switch {
		case e.running:
			running++
		case e.Done:
			done++
		}
	}
	return running, done, len(ms.entries)
}

// finish records the end of a domain's run: its summary, and its report
// in the cache.
func (ms *multiState) finish(e *domainEntry, rep *checks.Report, err error, failOn checks.Severity) {
	e.running, e.fg, e.cancel, e.Done = false, false, nil, true
	e.Fail, e.Warn, e.Err = 0, 0, ""
	switch {
	case rep == nil:
		e.Status, e.Exit = checks.StatusError, report.ExitCouldNotRun
		e.Err = "the run failed"
		if err != nil {
			e.Err = err.Error()
		}
	default:
		e.Status, e.Exit, e.Err = rep.Status(), report.ExitCode(failOn, rep), rep.Reason()
		if err != nil {
			e.Status, e.Exit, e.Err = checks.StatusError, report.ExitCouldNotRun, err.Error()
		}
		for _, r := range rep.Results {
			for _, f := range r.Findings {
				switch f.Severity {
				case checks.SevFail:
					e.Fail++
				case checks.SevWarn:
					e.Warn++
				}
			}
		}
		if err == nil {
			ms.cache.put(e.Name, rep)
		}
	}
	ms.place(e)
}

// requeue puts an entry whose run was stopped back at the head of the
// queue.
func (ms *multiState) requeue(e *domainEntry) {
	e.running, e.fg, e.cancel = false, false, nil
	if e.Done {
		return
	}
	if ms.qhead > 0 {
		ms.qhead--
		ms.queue[ms.qhead] = e.idx
		return
	}
	ms.queue = append([]int{e.idx}, ms.queue...)
}

// summaries are the entries' summaries, in input order.
func (ms *multiState) summaries() []DomainSummary {
	out := make([]DomainSummary, 0, len(ms.entries))
	for _, e := range ms.entries {
		out = append(out, e.DomainSummary)
	}
	return out
}

// reportCache keeps the most recently used reports, at most max.
type reportCache struct {
	max   int
	ll    *list.List // front: most recent
	items map[string]*list.Element
}

type cached struct {
	name string
	rep  *checks.Report
	info *report.MessageInfo // a received message (mxray receive)
}

func newReportCache(max int) *reportCache {
	return &reportCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

// get returns a domain's report and marks it recently used.
func (c *reportCache) get(name string) *checks.Report {
	if el, ok := c.items[name]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cached).rep
	}
	return nil
}

// put stores a domain's report, dropping the least recently used beyond
// max.
func (c *reportCache) put(name string, rep *checks.Report) {
	if el, ok := c.items[name]; ok {
		el.Value.(*cached).rep = rep
		c.ll.MoveToFront(el)
		return
	}
	c.items[name] = c.ll.PushFront(&cached{name: name, rep: rep})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cached).name)
	}
}

// putInfo attaches a received message to its cached report (put first).
func (c *reportCache) putInfo(name string, info *report.MessageInfo) {
	if el, ok := c.items[name]; ok {
		el.Value.(*cached).info = info
	}
}

// getInfo returns the received message kept with a report.
func (c *reportCache) getInfo(name string) *report.MessageInfo {
	if el, ok := c.items[name]; ok {
		return el.Value.(*cached).info
	}
	return nil
}

func (c *reportCache) len() int { return c.ll.Len() }

// domainDoneMsg says a background run of a domain ended.
type domainDoneMsg struct {
	name string
	gen  int
	rep  *checks.Report
	err  error
}

// pump starts background runs up to the limit.
func (m *Model) pump() tea.Cmd {
	ms := m.multi
	if ms == nil || m.opts.Run == nil || m.quitting {
		return nil
	}
	var cmds []tea.Cmd
	for ms.flight < ms.limit && ms.qhead < len(ms.queue) {
		e := ms.entries[ms.queue[ms.qhead]]
		ms.qhead++
		if e.running || e.Done {
			continue
		}
		ms.gen++
		ctx, cancel := context.WithCancel(m.ctx)
		e.running, e.cancel = true, cancel
		ms.flight++
		name, gen, run := e.Name, ms.gen, m.opts.Run
		jb := ms.jobs
		cmds = append(cmds, func() tea.Msg {
			if ctx.Err() != nil || !jb.begin() {
				return domainDoneMsg{name: name, gen: gen, err: context.Canceled}
			}
			defer jb.end()
			rep, err := run(ctx, name, nil, func(checks.Event) {})
			return domainDoneMsg{name: name, gen: gen, rep: rep, err: err}
		})
	}
	if len(cmds) > 0 {
		cmds = append(cmds, m.startTicking())
	}
	return tea.Batch(cmds...)
}

// domainDone folds a background run's end in and starts the next.
func (m *Model) domainDone(msg domainDoneMsg) tea.Cmd {
	ms := m.multi
	if ms == nil {
		return nil
	}
	e := ms.byName[msg.name]
	ms.flight--
	if e == nil || e.fg || !e.running {
		return m.pump() // superseded: opened in the foreground, or stopped
	}
	if e.cancel != nil {
		e.cancel()
	}
	ms.finish(e, msg.rep, msg.err, m.opts.FailOn)
	return m.pump()
}

// openListed shows a listed domain's dashboard: from its cached report
// when there is one, else by running it in the foreground (a background
// run of it in flight is stopped first).
func (m *Model) openListed(name string) tea.Cmd {
	ms := m.multi
	e := ms.byName[name]
	if e == nil {
		return nil
	}
	if m.opts.Inbox != nil {
		info := ms.cache.getInfo(name)
		switch {
		case info == nil && e.Err != "":
			m.flash = "this message could not be analysed: " + clean(firstLine(e.Err))
			return nil
		case info == nil:
			m.flash = fmt.Sprintf("only the %d most recent messages are kept in full: this one's report is gone", maxCachedReports)
			return nil
		}
		m.headers = newHeaders(m.c, info)
		m.headers.setSize(m.width, m.bodyHeight())
	}
	m.domain = name
	m.state = stateDashboard
	m.report = nil
	m.setErr(nil)
	m.dash.top()
	m.showRows(e.checks)
	for _, r := range m.live.rows {
		r.reset(0)
		r.running = false
	}
	if rep := ms.cache.get(name); rep != nil && !e.running {
		m.gen++
		for _, r := range m.live.rows {
			r.gen = m.gen
		}
		for i := range rep.Results {
			res := &rep.Results[i]
			r := m.live.add(CheckInfo{ID: res.ID, Title: res.Title})
			r.gen = m.gen
			m.setResult(r, res)
		}
		cp := *rep
		m.report = &cp
		m.runStart = rep.StartedAt
		return nil
	}
	if e.running && e.cancel != nil {
		e.cancel() // the background run: its late answer is ignored (fg)
	}
	ms.unplace(e)
	e.running, e.fg, e.Done = true, true, false
	return m.startRun(nil)
}

// foregroundDone folds the end of a foreground run of a listed domain
// into the list.
func (m *Model) foregroundDone(rep *checks.Report, err error) {
	ms := m.multi
	if ms == nil {
		return
	}
	e := ms.byName[m.domain]
	if e == nil || !e.fg {
		return
	}
	ms.finish(e, rep, err, m.opts.FailOn)
}

// backToList stops the foreground run and shows the list; a domain whose
// run was stopped goes back to the queue.
func (m *Model) backToList() tea.Cmd {
	for g, h := range m.runs {
		h.cancel()
		delete(m.runs, g)
	}
	if e := m.multi.byName[m.domain]; e != nil && e.fg {
		m.multi.requeue(e)
	}
	m.report = nil
	m.setErr(nil)
	m.state = stateDomains
	return m.pump()
}

// domainsModel is the multi-domain list pane: one row per domain, worst
// status first, live while the runs go.
type domainsModel struct {
	c             *common
	live          *liveState
	ms            *multiState
	width, height int
	// sel is the selected entry's input index; -1 until the user moves,
	// the top row (the worst so far) is selected.
	sel int
}

func (p *domainsModel) setSize(w, h int) { p.width, p.height = w, h }

// rows returns the entries in display order, with the selected one's row.
func (p domainsModel) rows() ([]*domainEntry, int) {
	var out []*domainEntry
	cur := 0
	p.ms.order(func(e *domainEntry) bool {
		if e.idx == p.sel {
			cur = len(out)
		}
		out = append(out, e)
		return true
	})
	return out, cur
}

// update moves the selection; enter opens the selected domain.
func (p *domainsModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || p.ms == nil {
		return nil, nil
	}
	rows, cur := p.rows()
	if len(rows) == 0 {
		return nil, nil
	}
	if key.Matches(km, p.c.keys.Open) {
		if e := rows[cur]; p.ms.byName[e.Name] == e {
			return nil, openListed{name: e.Name}
		}
		return nil, nil // an input line that is not a domain: nothing to open
	}
	cur = moveCursor(p.c.keys, km, cur, len(rows), p.height-2)
	p.sel = rows[cur].idx
	return nil, nil
}

func (p domainsModel) view() string {
	st, g := p.c.st, p.c.g
	if p.ms != nil && p.ms.newest {
		return p.inboxView()
	}
	if p.ms == nil || len(p.ms.entries) == 0 {
		return st.Faint.Render("No domain to check.")
	}
	rows, cur := p.rows()
	nameW := 12
	for _, e := range rows {
		nameW = max(nameW, min(len(e.Name)+len(e.Input)+3, 40))
	}
	var b strings.Builder
	b.WriteString(st.Label.Render("  "+pad("DOMAIN", nameW, "")+" "+pad("STATUS", colStatus, "")+"  FINDINGS") + "\n")
	visible := max(p.height-1, 1)
	off := 0
	if cur >= visible {
		off = cur - visible + 1
	}
	for i := off; i < len(rows) && i < off+visible; i++ {
		e := rows[i]
		c := "  "
		if i == cur {
			c = g.Cursor + " "
		}
		name := clean(e.Name)
		if e.Input != "" && e.Input != e.Name {
			name += st.Faint.Render(" (" + clean(e.Input) + ")")
		}
		if e.Name == "" {
			name = clean(e.Input)
		}
		var status, what string
		switch {
		case e.running:
			sp := g.Spinner[0]
			if !p.c.static {
				sp = g.Spinner[p.live.frame%len(g.Spinner)]
			}
			status = st.Info.Render(sp + " run")
		case e.Done:
			status = statusBadge(st, e.Status)
			what = p.findings(e)
		default:
			status = st.Faint.Render("  wait")
		}
		line := c + pad(name, nameW, g.Ellipsis) + " " + pad(status, colStatus, "") + "  " + what
		if i == cur {
			line = st.Selected.Render(line)
		}
		b.WriteString(line)
		if i+1 < len(rows) && i+1 < off+visible {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// findings is the list's words for a finished domain.
func (p domainsModel) findings(e *domainEntry) string {
	st := p.c.st
	if e.Err != "" && e.Fail+e.Warn == 0 {
		return st.Error.Render(clean(firstLine(e.Err)))
	}
	var parts []string
	if e.Fail > 0 {
		parts = append(parts, st.Fail.Render(fmt.Sprintf("%d fail", e.Fail)))
	}
	if e.Warn > 0 {
		parts = append(parts, st.Warn.Render(fmt.Sprintf("%d warn", e.Warn)))
	}
	if len(parts) == 0 {
		return st.Faint.Render("nothing at or above warn")
	}
	return strings.Join(parts, " ")
}

// statusView is the list's status line: the totals by status.
func (p domainsModel) statusView() string {
	st := p.c.st
	if p.ms == nil {
		return ""
	}
	running, done, total := p.ms.counts()
	var parts []string
	for i, s := range statusBuckets {
		if n := len(p.ms.buckets[i]); n > 0 {
			parts = append(parts, statusStyle(st, s).Render(fmt.Sprintf("%d %s", n, s)))
		}
	}
	if running > 0 {
		parts = append(parts, fmt.Sprintf("%d running", running))
	}
	if w := total - done - running; w > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting", w))
	}
	return strings.Join(parts, p.c.g.Dot)
}

// stopAll cancels every background run and waits for their commands to
// return (after the program ended).
func (ms *multiState) stopAll() {
	for _, e := range ms.entries {
		if e.cancel != nil {
			e.cancel()
		}
	}
	ms.jobs.stop()
}
