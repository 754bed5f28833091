package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
)

// dashboardModel is the list of checks: one row per check with its
// status, duration and finding counts, live while the run goes.
type dashboardModel struct {
	c             *common
	live          *liveState
	width, height int
	cursor        int
	cache         map[*checkRow]cachedLine // rendered rows of finished checks
}

// cachedLine is a rendered dashboard row and what it depends on.
type cachedLine struct {
	ver      int
	width    int
	selected bool
	line     string
}

func newDashboard(c *common, live *liveState) dashboardModel {
	return dashboardModel{c: c, live: live, cache: map[*checkRow]cachedLine{}}
}

func (d *dashboardModel) setSize(w, h int) { d.width, d.height = w, h }

// update moves the cursor; the keys that open another screen, run or
// send are the root's to carry out.
func (d *dashboardModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := d.c.keys
	switch {
	case key.Matches(km, k.Open):
		if r := d.selected(); r != nil {
			return nil, openDetail{id: r.info.ID}
		}
	case key.Matches(km, k.Filter):
		return nil, openDetail{filter: true}
	case key.Matches(km, k.Rerun):
		if r := d.selected(); r != nil && !r.running {
			return nil, rerun{ids: []string{r.info.ID}}
		}
	case key.Matches(km, k.RerunAll):
		return nil, rerun{}
	case key.Matches(km, k.Send):
		return nil, sendTest{}
	case key.Matches(km, k.Back):
		return nil, goBack{}
	case key.Matches(km, k.ShowError):
		return nil, showError{}
	case key.Matches(km, k.Cancel):
		if r := d.selected(); r != nil && r.running {
			return nil, cancelCheck{id: r.info.ID}
		}
	case key.Matches(km, k.Copy):
		if r := d.selected(); r != nil {
			for _, f := range r.findings {
				if f.Fix != "" || (f.Evidence != nil && len(f.Evidence.Records) > 0) {
					return nil, copyFinding{f: f}
				}
			}
		}
	case key.Matches(km, k.NextFinding), key.Matches(km, k.PrevFinding):
		d.nextWithFindings(key.Matches(km, k.NextFinding))
	default:
		d.cursor = moveCursor(k, km, d.cursor, len(d.live.rows), d.height-1)
	}
	return nil, nil
}

// nextWithFindings moves to the next (or previous) check with a finding
// above info.
func (d *dashboardModel) nextWithFindings(forward bool) {
	d.cursor = nextMatching(d.cursor, len(d.live.rows), forward, func(i int) bool {
		for _, f := range d.live.rows[i].findings {
			if f.Severity != checks.SevInfo {
				return true
			}
		}
		return false
	})
}

// top puts the cursor on the first check.
func (d *dashboardModel) top() { d.cursor = 0 }

// selected is the check under the cursor (nil when there is none).
func (d dashboardModel) selected() *checkRow {
	if d.cursor >= 0 && d.cursor < len(d.live.rows) {
		return d.live.rows[d.cursor]
	}
	return nil
}

// Column widths of the dashboard.
const (
	colID     = 8
	colStatus = 7
	colTime   = 7
)

func (d dashboardModel) view() string {
	st, g := d.c.st, d.c.g
	rows, frame, now := d.live.rows, d.live.frame, d.live.now
	w, h := d.width, d.height
	titleW := w - 2 - colID - 1 - colStatus - 1 - colTime - 2 - 18
	if titleW < 10 {
		titleW = 10
	}
	if titleW > 28 {
		titleW = 28
	}
	var b strings.Builder
	b.WriteString(st.Label.Render("  " + pad("CHECK", colID, "") + " " + pad("", titleW, "") + " " + pad("STATUS", colStatus, "") + " " + padLeft("TIME", colTime) + "  FINDINGS"))
	b.WriteByte('\n')
	visible := h - 1
	if visible < 1 {
		visible = 1
	}
	// Keep the cursor in view, on the last line when it is below the
	// first screenful.
	offset := 0
	if d.cursor >= visible {
		offset = d.cursor - visible + 1
	}
	if len(rows) == 0 {
		b.WriteString(st.Faint.Render("  no checks selected"))
	}
	for i := offset; i < len(rows) && i < offset+visible; i++ {
		r := rows[i]
		if c, ok := d.cache[r]; ok && !r.running && c.ver == r.ver && c.width == w && c.selected == (i == d.cursor) {
			b.WriteString(c.line)
			if i+1 < len(rows) && i+1 < offset+visible {
				b.WriteByte('\n')
			}
			continue
		}
		cur := "  "
		if i == d.cursor {
			cur = g.Cursor + " "
		}
		var status string
		switch {
		case r.interrupted && !r.running:
			status = st.Skip.Render(interruptedBadge)
		case r.res != nil && !r.running:
			status = statusBadge(st, r.status)
		case r.running && !r.started.IsZero():
			frameGlyph := g.Spinner[0]
			if !d.c.static {
				frameGlyph = g.Spinner[frame%len(g.Spinner)]
			}
			status = st.Info.Render(frameGlyph + " run")
		case r.running:
			status = st.Faint.Render("  wait")
		case r.status != "":
			status = statusBadge(st, r.status)
		default:
			status = st.Faint.Render("   " + g.None)
		}
		dur := ""
		switch {
		case r.res != nil && !r.running && r.status != checks.StatusSkip:
			dur = fmtDur(r.dur)
		case r.running && !r.started.IsZero() && now.After(r.started):
			dur = fmtDur(now.Sub(r.started))
		}
		line := cur + pad(clean(r.info.ID), colID, g.Ellipsis) + " " + pad(clean(r.info.Title), titleW, g.Ellipsis) + " " +
			pad(status, colStatus, "") + " " + padLeft(dur, colTime) + "  " + d.counts(r)
		if i == d.cursor {
			line = st.Selected.Render(line)
		}
		if !r.running && d.cache != nil {
			d.cache[r] = cachedLine{ver: r.ver, width: w, selected: i == d.cursor, line: line}
		}
		b.WriteString(line)
		if i+1 < len(rows) && i+1 < offset+visible {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (d dashboardModel) counts(r *checkRow) string {
	st := d.c.st
	if r.interrupted && !r.running {
		word := "interrupted"
		if r.res != nil && r.res.Err == checks.ReasonCancelled {
			word = "cancelled"
		}
		s := st.Skip.Render(word)
		if c := d.severityCounts(r); c != "" {
			s += st.Faint.Render(" · so far ") + c
		}
		return s
	}
	if r.res != nil && r.res.Err != "" && len(r.findings) == 0 {
		return st.Error.Render(clean(errSummary(r.res.Err)))
	}
	if r.res != nil && r.status == checks.StatusSkip {
		return st.Faint.Render(clean(firstLine(r.res.Skip)))
	}
	if c := d.severityCounts(r); c != "" {
		return c
	}
	if r.res != nil {
		return st.Faint.Render("no findings")
	}
	if r.running {
		return st.Faint.Render(d.waiting(r))
	}
	return ""
}

// waiting says what a running check without findings waits for: a check
// it needs that has not finished, else what the check itself said it waits
// for with the time waited against that wait's bound ("connected, waiting
// for the greeting 12s / 30s"), else its time against its limit.
func (d dashboardModel) waiting(r *checkRow) string {
	for _, n := range r.info.Needs {
		if dep, ok := d.live.byID[n]; ok && dep.running {
			return "waiting for " + clean(n)
		}
	}
	if p := r.progress; p != nil {
		el := max(d.live.now.Sub(p.Since), 0)
		if p.Limit > 0 {
			return clean(p.Text) + " " + fmtDur(el) + " / " + fmtDur(p.Limit)
		}
		return clean(p.Text) + " " + fmtDur(el)
	}
	if r.started.IsZero() {
		return ""
	}
	el := d.live.now.Sub(r.started)
	if el < 0 {
		el = 0
	}
	if t := d.c.timeout; t > 0 {
		return "running " + fmtDur(el) + " / " + fmtDur(t)
	}
	return ""
}

// severityCounts is "1 fail 2 warn" for a row's findings ("" for none).
func (d dashboardModel) severityCounts(r *checkRow) string {
	n := map[checks.Severity]int{}
	for _, f := range r.findings {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range checks.SeveritiesWorstFirst {
		if n[s] > 0 {
			parts = append(parts, sevStyle(d.c.st, s).Render(fmt.Sprintf("%d %s", n[s], s)))
		}
	}
	return strings.Join(parts, " ")
}

// notDecided starts the runner's reason for a check that could not decide
// because a check it depends on did not: "not decided: depends on mx (…)".
const notDecided = "not decided: "

// errSummary shortens a check's reason for the dashboard's one line:
// "depends on mx" for "not decided: depends on mx (example.com MX: …)". The
// detail pane shows the whole reason.
func errSummary(s string) string {
	s = firstLine(s)
	if rest, ok := strings.CutPrefix(s, notDecided); ok {
		if i := strings.Index(rest, " ("); i > 0 {
			rest = rest[:i]
		}
		return rest
	}
	return s
}
