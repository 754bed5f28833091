package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
)

// View renders the screen: header, tabs, the pane in front, a status line
// and the key hints. Every line fits the width; the pane is padded to its
// height so the layout never jumps.
func (m Model) View() string {
	w, bh := m.width, m.bodyHeight()
	var body, status string
	switch {
	case m.full:
		body = m.help.viewWith(m.fullHelp())
		status = m.c.st.Faint.Render("press ? or esc to close the help")
	case m.errShown:
		body, status = m.errView.view(), m.errStatusView()
	case m.wide() && m.state == stateDashboard:
		lw, dw := m.sideWidths()
		body = besideEachOther(fitBlock(m.dash.view(), lw, bh, m.c.g.Ellipsis), fitBlock(m.side.view(), dw, bh, m.c.g.Ellipsis), lw, m.c.st.Faint.Render("│"))
		status = m.statusView()
	default:
		body, status = m.paneView(), m.statusView()
	}
	switch {
	case m.asking:
		status = m.c.st.Bold.Render(exportPrompt())
	case m.flash != "":
		status = m.c.st.Info.Render(m.flash)
	}
	var b strings.Builder
	b.WriteString(fitLine(m.headerView(), w, m.c.g.Ellipsis))
	b.WriteByte('\n')
	b.WriteString(fitLine(m.tabsView(), w, m.c.g.Ellipsis))
	b.WriteByte('\n')
	b.WriteString(fitBlock(body, w, bh, m.c.g.Ellipsis))
	b.WriteByte('\n')
	b.WriteString(fitLine(status, w, m.c.g.Ellipsis))
	b.WriteByte('\n')
	b.WriteString(fitLine(m.hintView(), w, m.c.g.Ellipsis))
	return b.String()
}

// paneView draws the pane of the screen shown, the one Model.active
// returns. It calls the pane itself rather than through the pane interface,
// so that drawing a frame does not move the model to the heap.
func (m Model) paneView() string {
	switch m.state {
	case stateDemo:
		return m.picker.view()
	case stateDetail:
		return m.detail.view()
	case stateSPF:
		return m.spf.view()
	case stateMatrix:
		return m.matrix.view()
	case stateTranscript:
		return m.transcript.view()
	case stateTrace:
		return m.trace.view()
	case stateDomains:
		return m.domains.view()
	case stateProfiles:
		return m.profiles.view()
	case stateHeaders:
		return m.headers.view()
	}
	return m.dash.view()
}

// statusView is the status line under the pane of the screen shown.
func (m Model) statusView() string {
	switch m.state {
	case stateDemo:
		return m.c.st.Faint.Render("everything runs on 127.0.0.1: no network needed")
	case stateDashboard:
		return m.summaryView()
	case stateDetail:
		return m.detail.statusView()
	case stateSPF:
		return m.spf.statusView()
	case stateMatrix:
		return m.matrix.legend()
	case stateTranscript:
		return m.transcript.statusView()
	case stateTrace:
		return m.trace.statusView()
	case stateDomains:
		return m.domains.statusView()
	case stateProfiles:
		return m.profiles.legend()
	case stateHeaders:
		return m.headers.statusView()
	}
	return ""
}

func (m Model) headerView() string {
	st := m.c.st
	parts := []string{st.Title.Render("mxray")}
	switch {
	case m.state == stateDomains && m.opts.Inbox != nil:
		parts = append(parts, st.Bold.Render(m.inboxTitle()))
	case m.state == stateDomains:
		parts = append(parts, st.Bold.Render(fmt.Sprintf("%d domains", len(m.multi.entries))))
	case m.domain == "" && len(m.opts.Demo) > 0:
		parts = append(parts, st.Bold.Render("demo"))
	case m.headers.info != nil:
		parts = append(parts, m.messageTitle()...)
	case m.domain != "":
		parts = append(parts, st.Bold.Render(clean(m.domain)))
	}
	if res := m.resolvers(); res != "" {
		parts = append(parts, st.Faint.Render("resolver ")+clean(res))
	}
	if m.domain != "" && (!m.runStart.IsZero() || m.report != nil) {
		parts = append(parts, st.Faint.Render("elapsed ")+fmtDur(m.elapsed()))
	}
	right := ""
	if m.state == stateDomains {
		running, done, total := m.multi.counts()
		if done < total {
			right = st.Faint.Render(fmt.Sprintf("%d running, %d/%d done", running, done, total))
		} else {
			worst := checks.StatusPass
			for _, e := range m.multi.entries {
				worst = checks.WorseStatus(worst, e.Status)
			}
			right = statusBadge(st, worst)
		}
	} else if m.domain != "" {
		running, done, total := m.progress()
		switch {
		case m.untrusted() != nil:
			right = st.Error.Render("no verdict")
		case m.busy() && total > 0:
			right = st.Faint.Render(fmt.Sprintf("%d running, %d/%d done", running, done, total))
		case m.report != nil || (total > 0 && done == total):
			right = statusBadge(st, m.overall())
		}
	}
	// The verdict stays in view on a narrow screen: the left part gives
	// way, the least important parts first.
	for len(parts) > 2 && ansi.StringWidth(strings.Join(parts, "  "))+2+ansi.StringWidth(right) > m.width {
		parts = parts[:len(parts)-1]
	}
	left := strings.Join(parts, "  ")
	if lw := m.width - 2 - ansi.StringWidth(right); right != "" && ansi.StringWidth(left) > lw && lw > 0 {
		left = ansi.Truncate(left, lw, m.c.g.Ellipsis)
	}
	return spread(left, right, m.width)
}

// messageTitle names the message of a message run in the header: its
// sender, then its subject (the first to give way on a narrow screen).
func (m Model) messageTitle() []string {
	st := m.c.st
	msg := m.headers.info.Message
	from := "a message without a From address"
	if len(msg.From) > 0 {
		from = "message from " + clean(msg.From[0].Address)
		if len(msg.From) > 1 {
			from += fmt.Sprintf(" (+%d)", len(msg.From)-1)
		}
	}
	parts := []string{st.Bold.Render(from)}
	if msg.Subject != "" {
		parts = append(parts, st.Faint.Render("subject ")+clean(msg.Subject))
	}
	return parts
}

func (m Model) resolvers() string {
	if m.report != nil && len(m.report.Resolvers) > 0 {
		return strings.Join(m.report.Resolvers, ", ")
	}
	return strings.Join(m.opts.Resolvers, ", ")
}

func (m Model) elapsed() time.Duration {
	if !m.busy() && m.report != nil && m.report.Duration > 0 {
		return m.report.Duration
	}
	if m.runStart.IsZero() || m.live.now.Before(m.runStart) {
		return 0
	}
	return m.live.now.Sub(m.runStart)
}

// progress counts the checks of the runs: running now (started, not
// finished), finished, and all of them.
func (m Model) progress() (running, done, total int) {
	for _, r := range m.live.rows {
		if r.gen == 0 && !r.running && r.res == nil {
			continue // never part of a run
		}
		total++
		switch {
		case r.res != nil && !r.running:
			done++
		case r.running && !r.started.IsZero():
			running++
		}
	}
	return running, done, total
}

// overall is the worst status of the checks that decided: an interrupted
// check counts for nothing.
func (m Model) overall() checks.Status {
	worst := checks.StatusPass
	any := false
	for _, r := range m.live.rows {
		if r.res == nil || r.interrupted {
			continue
		}
		any = true
		worst = checks.WorseStatus(worst, r.status)
	}
	if !any {
		return checks.StatusSkip
	}
	return worst
}

func (m Model) tabsView() string {
	st := m.c.st
	active := m.state
	if active == stateDetail || active == stateTranscript {
		active = m.back
	}
	if active == stateDemo {
		return st.TabOn.Render("[Demo]") + "  " + st.Faint.Render("pick a domain of the offline mail world")
	}
	if active == stateDomains && m.opts.Inbox != nil {
		return st.TabOn.Render("[Messages]") + "  " + st.Faint.Render("newest first; enter opens a message's checks")
	}
	if active == stateDomains {
		return st.TabOn.Render("[Domains]") + "  " + st.Faint.Render("worst first; enter opens a domain's checks")
	}
	if m.untrusted() != nil {
		return st.TabOn.Render("[DNS resolver]") + "  " + st.Faint.Render("no check result is shown")
	}
	if m.errShown && !m.full {
		return st.TabOn.Render("[Run error]") + "  " + st.Faint.Render("esc shows the checks")
	}
	names := map[state]string{stateDashboard: "Checks", stateSPF: "SPF tree", stateMatrix: "MX matrix", stateProfiles: "Profiles", stateHeaders: "Headers", stateTrace: "Send trace"}
	var parts []string
	for _, s := range tabs {
		if !m.tabShown(s) {
			continue
		}
		if s == active {
			parts = append(parts, st.TabOn.Render("["+names[s]+"]"))
		} else {
			parts = append(parts, st.Tab.Render(" "+names[s]+" "))
		}
	}
	line := strings.Join(parts, " ")
	switch m.state {
	case stateDetail:
		what := "all findings"
		if m.detail.checkID != "" {
			what = clean(m.detail.checkID)
		}
		line += st.Faint.Render("  " + m.c.g.Cursor + " " + what)
	case stateTranscript:
		line += st.Faint.Render("  " + m.c.g.Cursor + " " + clean(m.transcript.title))
	}
	return line
}

func (m Model) summaryView() string {
	st := m.c.st
	counts := map[checks.Status]int{}
	running, waiting, stopped := 0, 0, 0
	for _, r := range m.live.rows {
		switch {
		case r.interrupted && !r.running:
			stopped++
		case r.running && r.res == nil:
			if r.started.IsZero() {
				waiting++
			} else {
				running++
			}
		case r.res != nil:
			counts[r.status]++
		}
	}
	var parts []string
	for _, s := range checks.StatusesWorstFirst {
		if n := counts[s]; n > 0 {
			parts = append(parts, statusStyle(st, s).Render(fmt.Sprintf("%d %s", n, s)))
		}
	}
	if running > 0 {
		parts = append(parts, fmt.Sprintf("%d running", running))
	}
	if waiting > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting", waiting))
	}
	if stopped > 0 {
		parts = append(parts, st.Skip.Render(fmt.Sprintf("%d interrupted", stopped)))
	}
	line := strings.Join(parts, m.c.g.Dot)
	if m.report != nil && !m.busy() {
		line = statusBadge(st, m.overall()) + " " + line
		if m.report.DNSQueries > 0 {
			line += st.Faint.Render(fmt.Sprintf("%s%d DNS queries", m.c.g.Dot, m.report.DNSQueries))
		}
	}
	if m.err != nil {
		line += "  " + st.Error.Render("the run failed") + st.Faint.Render(": press E to read why")
	}
	if line == "" && m.opts.Run == nil {
		line = st.Faint.Render("waiting for the run")
	}
	return line
}

// errStatusView is the status line under the error screen.
func (m Model) errStatusView() string {
	st := m.c.st
	s := "no verdict: the checks' results are not shown"
	if m.untrusted() == nil {
		s = "the run failed"
		if m.report != nil {
			s += "; esc shows what it produced"
		}
	}
	if vp := m.errView.vp; vp.TotalLineCount() > vp.Height {
		s += fmt.Sprintf("%s%.0f%%", m.c.g.Dot, vp.ScrollPercent()*100)
	}
	return st.Faint.Render(s)
}

func (m Model) hintView() string { return m.help.hints(m.hintBindings()) }

// hintBindings are the keys the hint bar offers on the screen shown.
func (m Model) hintBindings() []key.Binding {
	k := m.c.keys
	var bs []key.Binding
	if m.errShown {
		bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll")}
		if m.untrusted() != nil {
			bs = append(bs, withHelp(k.Back, "esc", "quit"))
		} else {
			bs = append(bs, withHelp(k.RerunAll, "R", "run again"), withHelp(k.Back, "esc", "checks"))
		}
		return append(bs, k.Help, k.Quit)
	}
	switch m.state {
	case stateDemo, stateDomains:
		bs = []key.Binding{k.Up, k.Open, k.Help, k.Quit}
	case stateDashboard:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "why & fix")}
		if r := m.dash.selected(); r != nil && r.running {
			bs = append(bs, k.Cancel)
		}
		bs = append(bs, withHelp(k.Tab, "tab", "panes"))
		if m.opts.Send != nil {
			bs = append(bs, k.Send)
		}
		switch {
		case m.opts.Inbox != nil:
			bs = append(bs, withHelp(k.Back, "esc", "messages"))
		case len(m.opts.Demo) > 0 || m.multi != nil:
			bs = append(bs, withHelp(k.Back, "esc", "domains"))
		}
		if m.opts.Run != nil {
			bs = append(bs, withHelp(k.Rerun, "r/R", "re-run"))
		}
		bs = append(bs, k.Filter)
		if m.report != nil {
			bs = append(bs, withHelp(k.Export, "e", "export"))
		}
		if m.err != nil {
			bs = append(bs, withHelp(k.ShowError, "E", "error"))
		}
		bs = append(bs, k.Help, k.Quit)
	case stateDetail:
		if m.detail.filtering() {
			bs = []key.Binding{withHelp(k.Open, "enter", "apply"), withHelp(k.Back, "esc", "clear")}
		} else {
			bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll"), withHelp(k.NextFinding, "n/N", "findings"), k.Filter}
			if len(m.detail.shownF) > 0 {
				bs = append(bs, withHelp(k.Copy, "y", "copy fix"))
			}
			if m.detail.checkID != "" {
				bs = append(bs, k.Rerun)
			}
			bs = append(bs, k.Back, k.Help, k.Quit)
		}
	case stateSPF:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "fold"), withHelp(k.Back, "esc", "back"), withHelp(k.Tab, "tab", "panes"), k.Help, k.Quit}
	case stateMatrix:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "transcript"), k.Rerun, k.Back, withHelp(k.Tab, "tab", "panes"), k.Help, k.Quit}
	case stateTranscript:
		bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll"), k.PageDown, k.Back, k.Help, k.Quit}
	case stateHeaders:
		bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll"), withHelp(k.NextFinding, "n/N", "hops"), k.PageDown, k.Back, withHelp(k.Tab, "tab", "panes"), k.Help, k.Quit}
	case stateProfiles:
		if m.profiles.full {
			bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll"), withHelp(k.Back, "esc", "matrix"), k.Help, k.Quit}
		} else {
			bs = []key.Binding{withHelp(k.Up, "↑/↓", "rule"), k.CellLeft, withHelp(k.NextFinding, "n/N", "failing"), withHelp(k.Open, "enter", "explain"), k.Back, withHelp(k.Tab, "tab", "panes"), k.Help, k.Quit}
		}
	case stateTrace:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "lines")}
		if !m.opts.AutoSend { // a send-only screen has nowhere to go back to
			bs = append(bs, k.Back, withHelp(k.Tab, "tab", "panes"))
		}
		if m.opts.Send != nil {
			bs = append(bs, withHelp(k.Send, "s", "send again"))
		}
		bs = append(bs, k.Help, k.Quit)
	}
	return bs
}

// fullHelp is the ? screen's keys for the screen shown: the picker has no
// run, filter or send; a send-only screen nothing to go back to.
func (m Model) fullHelp() [][]key.Binding {
	k := m.c.keys
	switch {
	case m.state == stateDemo, m.state == stateDomains:
		return [][]key.Binding{{k.Up, k.Down, k.Top, k.PageUp, k.PageDown}, {k.Open}, {k.Help, k.Quit, k.ForceQuit}}
	case m.opts.AutoSend:
		return [][]key.Binding{{k.Up, k.Down, k.Top}, {withHelp(k.Open, "enter", "show a step's lines")}, {withHelp(k.Send, "s", "send again"), k.Help, k.Quit, k.ForceQuit}}
	}
	groups := k.FullHelp()
	if m.state == stateProfiles {
		groups[1] = append([]key.Binding{k.CellLeft}, groups[1]...)
	}
	if m.opts.Send == nil {
		for i, g := range groups {
			var keep []key.Binding
			for _, b := range g {
				if b.Help().Key != k.Send.Help().Key {
					keep = append(keep, b)
				}
			}
			groups[i] = keep
		}
	}
	return groups
}

// besideEachOther joins two blocks of the same height side by side, the
// left padded to lw, with sep between them.
func besideEachOther(left, right string, lw int, sep string) string {
	ls, rs := strings.Split(left, "\n"), strings.Split(right, "\n")
	var b strings.Builder
	for i := range max(len(ls), len(rs)) {
		var l, r string
		if i < len(ls) {
			l = ls[i]
		}
		if i < len(rs) {
			r = rs[i]
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(pad(l, lw, "") + sep + r)
	}
	return b.String()
}
