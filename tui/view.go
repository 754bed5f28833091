package tui

import (
	"fmt"
	"github.com/mxray/mxray/checks/safetext"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// View renders the screen: header, tabs, the active pane, a status line and
// the key hints. Every line fits the width; the pane is padded to its height
// so the layout never jumps.
func (m Model) View() string {
	w, bh := m.c.width, m.bodyHeight()
	var body, status string
	switch {
	case m.full:
		body = m.helpView()
		status = m.c.st.Faint.Render("press ? or esc to close the help")
	case m.errShown:
		body, status = m.errView.view(), m.errStatusView()
	default:
		body, status = m.paneView(bh)
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

func (m Model) paneView(h int) (body, status string) {
	switch m.state {
	case stateDemo:
		return m.picker.view(m.opts.Demo, h), m.c.st.Faint.Render("everything runs on 127.0.0.1: no network needed")
	case stateDashboard:
		return m.dash.view(m.rows, m.frame, h, m.now), m.summaryView()
	case stateDetail:
		return m.detail.view(), m.detail.statusView()
	case stateSPF:
		return m.spf.view(h, m.byID["spf"]), m.spf.statusView(m.byID["spf"])
	case stateMatrix:
		return m.matrix.view(h, m.byID), m.matrix.legend()
	case stateTranscript:
		return m.transcript.view(), m.transcript.statusView()
	case stateTrace:
		return m.trace.view(h, m.frame, m.opts.Send != nil), m.trace.statusView(m.frame)
	}
	return "", ""
}

func (m Model) headerView() string {
	st := m.c.st
	parts := []string{st.Title.Render("mxray")}
	if m.domain == "" && len(m.opts.Demo) > 0 {
		parts = append(parts, st.Bold.Render("demo"))
	} else if m.domain != "" {
		parts = append(parts, st.Bold.Render(clean(m.domain)))
	}
	if res := m.resolvers(); res != "" {
		parts = append(parts, st.Faint.Render("resolver ")+clean(res))
	}
	if m.domain != "" && (!m.runStart.IsZero() || m.report != nil) {
		parts = append(parts, st.Faint.Render("elapsed ")+fmtDur(m.elapsed()))
	}
	left := strings.Join(parts, "  ")
	right := ""
	if m.domain != "" {
		done, total := m.progress()
		switch {
		case m.untrusted() != nil:
			right = st.Error.Render("no verdict")
		case m.busy() && total > 0:
			right = st.Faint.Render(fmt.Sprintf("running %d/%d", done, total))
		case m.report != nil || (total > 0 && done == total):
			right = m.statusBadge(m.overall())
		}
	}
	return spread(left, right, m.c.width)
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
	if m.runStart.IsZero() || m.now.Before(m.runStart) {
		return 0
	}
	return m.now.Sub(m.runStart)
}

func (m Model) progress() (done, total int) {
	for _, r := range m.rows {
		if r.gen == 0 && !r.running && r.res == nil {
			continue // never part of a run
		}
		total++
		if r.res != nil && !r.running {
			done++
		}
	}
	return done, total
}

// overall is the worst status of the checks that decided: an interrupted
// check counts for nothing.
func (m Model) overall() checks.Status {
	worst := checks.StatusPass
	any := false
	for _, r := range m.rows {
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
	if m.untrusted() != nil {
		return st.TabOn.Render("[DNS resolver]") + "  " + st.Faint.Render("no check result is shown")
	}
	if m.errShown && !m.full {
		return st.TabOn.Render("[Run error]") + "  " + st.Faint.Render("esc shows the checks")
	}
	names := map[state]string{stateDashboard: "Checks", stateSPF: "SPF tree", stateMatrix: "MX matrix", stateTrace: "Send trace"}
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
	for _, r := range m.rows {
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
			parts = append(parts, m.statusStyle(s).Render(fmt.Sprintf("%d %s", n, s)))
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
		line = m.statusBadge(m.overall()) + " " + line
		if m.report.DNSQueries > 0 {
			line += st.Faint.Render(fmt.Sprintf("%s%d DNS queries", m.c.g.Dot, m.report.DNSQueries))
		}
	}
	if m.err != nil {
		line += "  " + st.Error.Render("the run failed") + st.Faint.Render(": press e to read why")
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

func (m Model) hintView() string {
	bs := m.hintBindings()
	if m.c.g.Cursor == ">" { // ASCII terminals: plain arrows in the hints
		for i := range bs {
			h := bs[i].Help()
			bs[i] = withHelp(bs[i], asciiKey(h.Key), h.Desc)
		}
	}
	// Drop hints from the middle until the line fits; help and quit stay.
	for len(bs) > 3 {
		if s := m.help.ShortHelpView(bs); ansi.StringWidth(s) <= m.c.width {
			return s
		}
		bs = append(bs[:len(bs)-3], bs[len(bs)-2:]...)
	}
	return m.help.ShortHelpView(bs)
}

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
	case stateDemo:
		bs = []key.Binding{k.Up, k.Open, k.Help, k.Quit}
	case stateDashboard:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "why & fix"), withHelp(k.Tab, "tab", "panes")}
		if m.opts.Send != nil {
			bs = append(bs, k.Send)
		}
		if len(m.opts.Demo) > 0 {
			bs = append(bs, withHelp(k.Back, "esc", "domains"))
		}
		bs = append(bs, withHelp(k.Rerun, "r/R", "re-run"), k.Filter)
		if m.err != nil {
			bs = append(bs, withHelp(k.ShowError, "e", "error"))
		}
		bs = append(bs, k.Help, k.Quit)
	case stateDetail:
		if m.detail.filtering() {
			bs = []key.Binding{withHelp(k.Open, "enter", "apply"), withHelp(k.Back, "esc", "clear")}
		} else {
			bs = []key.Binding{withHelp(k.Up, "↑/↓", "scroll"), k.PageDown, k.Filter}
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
	case stateTrace:
		bs = []key.Binding{k.Up, withHelp(k.Open, "enter", "lines"), k.Back, withHelp(k.Tab, "tab", "panes")}
		if m.opts.Send != nil {
			bs = append(bs, withHelp(k.Send, "s", "send again"))
		}
		bs = append(bs, k.Help, k.Quit)
	}
	return bs
}

func withHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

func asciiKey(s string) string {
	r := strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right")
	return r.Replace(s)
}

func (m Model) helpView() string {
	k := m.c.keys
	groups := k.FullHelp()
	if m.c.g.Cursor == ">" {
		for _, g := range groups {
			for i := range g {
				h := g[i].Help()
				g[i] = withHelp(g[i], asciiKey(h.Key), h.Desc)
			}
		}
	}
	var b strings.Builder
	b.WriteString(m.c.st.Bold.Render("Keys") + "\n\n")
	b.WriteString(m.help.FullHelpView(groups))
	b.WriteString("\n\n")
	b.WriteString(m.c.st.Bold.Render("Reading the screen") + "\n")
	g := m.c.g
	b.WriteString(fmt.Sprintf("  %s %s %s %s %s  status of a check (no colour needed)\n",
		report.Badge(checks.StatusPass), report.Badge(checks.StatusWarn), report.Badge(checks.StatusFail), report.Badge(checks.StatusError), report.Badge(checks.StatusSkip)))
	b.WriteString(fmt.Sprintf("  %s ok  %s warn  %s fail  %s could not test  %s not run\n", g.Ok, g.Warn, g.Fail, g.Error, g.None))
	b.WriteString("  [ERR ] means mxray could not decide (timeout, SERVFAIL): not a misconfiguration.\n")
	b.WriteString("  " + interruptedBadge + " means the run was stopped before the check decided.\n")
	b.WriteString("  Open a check to read why each finding matters and the exact fix.")
	return b.String()
}

// ---------------------------------------------------------------- helpers

func (m Model) statusBadge(s checks.Status) string {
	return m.statusStyle(s).Render(report.Badge(s))
}

func (m Model) statusStyle(s checks.Status) lipglossStyle {
	return statusStyle(m.c.st, s)
}

func statusStyle(st Styles, s checks.Status) lipglossStyle {
	switch s {
	case checks.StatusPass:
		return st.Pass
	case checks.StatusWarn:
		return st.Warn
	case checks.StatusFail:
		return st.Fail
	case checks.StatusError:
		return st.Error
	}
	return st.Skip
}

func sevStyle(st Styles, s checks.Severity) lipglossStyle {
	if s == checks.SevInfo {
		return st.Info
	}
	return statusStyle(st, checks.StatusOf(s))
}

// sevBadge is a fixed-width severity badge readable without colour.
func sevBadge(s checks.Severity) string {
	if s == checks.SevInfo {
		return "[INFO]"
	}
	return report.Badge(checks.StatusOf(s))
}

// fmtDur formats a duration for people: 812ms, 1.2s, 2m05s.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "0ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// clean makes network text safe to print on one line (safetext.Line).
func clean(s string) string { return safetext.Line(s) }

// maxEscape is the widest escape of one input byte.
const maxEscape = safetext.MaxEscape

// escapeRune reports whether clean shows r escaped.
func escapeRune(r rune) bool { return safetext.Escape(r) }

// spread puts right at the right edge of a line of width w.
func spread(left, right string, w int) string {
	if right == "" {
		return left
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 2 {
		return left + "  " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// fitLine truncates a line to width w.
func fitLine(s string, w int, tail string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, tail)
	}
	return strings.TrimRight(s, " ")
}

// fitBlock truncates every line to w and pads or cuts the block to h lines.
func fitBlock(s string, w, h int, tail string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(fitLine(l, w, tail), " ")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// pad pads s with spaces to width w (truncating when longer).
func pad(s string, w int, tail string) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, tail)
	}
	return s + strings.Repeat(" ", w-sw)
}

// padLeft right-aligns s in width w.
func padLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return s
	}
	return strings.Repeat(" ", w-sw) + s
}

func sevBadgeStatus(s checks.Status) string { return report.Badge(s) }
