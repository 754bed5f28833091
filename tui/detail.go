package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
)

// detailModel shows findings worst first with why, fix and evidence, in a
// scrolling viewport, optionally filtered.
type detailModel struct {
	c       *common
	live    *liveState
	checkID string // "" shows the findings of every check
	vp      viewport.Model
	input   textinput.Model
	filter  string
	shown   int // findings shown after the filter
	total   int
	src     []*checkRow // what build was given, for re-rendering on a filter change
	cache   map[string]*rowBlocks
	// The findings shown, in order, with the content line each starts
	// at: n/N jump between them, y copies the current one's fix.
	shownF  []checks.Finding
	offsets []int
	cur     int // the current finding (n/N, or where scrolling left the view)
}

func newDetail(c *common, live *liveState) detailModel {
	vp := viewport.New(0, 0)
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "filter by ID, subject or text"
	in.CharLimit = 80
	return detailModel{c: c, live: live, vp: vp, input: in}
}

// setSize sizes the viewport; the root refreshes the text at the new
// width.
func (d *detailModel) setSize(w, h int) {
	d.vp.Width, d.vp.Height = w, h
}

// open shows the findings of check id ("" for every check), from the top,
// with the filter line focused when asked.
func (d *detailModel) open(id string, filter bool) tea.Cmd {
	d.checkID = id
	d.resetFilter()
	d.refresh()
	d.vp.GotoTop()
	d.cur = 0
	if filter {
		return d.focusFilter()
	}
	return nil
}

// refresh renders the findings of the check shown again, from its row.
func (d *detailModel) refresh() {
	var rows []*checkRow
	if d.checkID == "" {
		rows = d.live.rows
	} else if r, ok := d.live.byID[d.checkID]; ok {
		rows = []*checkRow{r}
	}
	d.build(rows)
}

func (d detailModel) filtering() bool { return d.input.Focused() }

func (d *detailModel) resetFilter() {
	d.filter = ""
	d.input.SetValue("")
	d.input.Blur()
}

func (d *detailModel) focusFilter() tea.Cmd {
	d.input.SetValue(d.filter)
	d.input.CursorEnd()
	return d.input.Focus()
}

// update types into the filter line while it is focused, else scrolls;
// esc goes back, r re-runs the check shown, R every check.
func (d *detailModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, isKey := msg.(tea.KeyMsg)
	if d.input.Focused() {
		if isKey {
			switch km.Type {
			case tea.KeyEnter:
				d.input.Blur()
				return nil, nil
			case tea.KeyEsc:
				d.input.Blur()
				d.input.SetValue("")
				d.filter = ""
				d.rebuild()
				return nil, nil
			}
		}
		var cmd tea.Cmd
		d.input, cmd = d.input.Update(msg)
		if v := d.input.Value(); v != d.filter {
			d.filter = v
			d.rebuild()
			d.vp.GotoTop()
		}
		return cmd, nil
	}
	if isKey {
		k := d.c.keys
		switch {
		case key.Matches(km, k.Back):
			return nil, goBack{}
		case key.Matches(km, k.Rerun):
			if r := d.live.byID[d.checkID]; d.checkID != "" && r != nil && !r.running {
				return nil, rerun{ids: []string{d.checkID}}
			}
			return nil, nil
		case key.Matches(km, k.RerunAll):
			return nil, rerun{}
		case key.Matches(km, k.Filter):
			return d.focusFilter(), nil
		case key.Matches(km, k.NextFinding):
			d.jump(1)
			return nil, nil
		case key.Matches(km, k.PrevFinding):
			d.jump(-1)
			return nil, nil
		case key.Matches(km, k.Top):
			d.vp.GotoTop()
			d.follow()
			return nil, nil
		case key.Matches(km, k.Bottom):
			d.vp.GotoBottom()
			d.follow()
			if n := len(d.shownF); n > 0 {
				d.cur = n - 1
			}
			return nil, nil
		case key.Matches(km, k.Copy):
			if f, ok := d.current(); ok {
				return nil, copyFinding{f: f}
			}
			return nil, nil
		case key.Matches(km, k.Cancel):
			if r := d.live.byID[d.checkID]; d.checkID != "" && r != nil && r.running {
				return nil, cancelCheck{id: d.checkID}
			}
			return nil, nil
		}
	}
	var cmd tea.Cmd
	y := d.vp.YOffset
	d.vp, cmd = d.vp.Update(msg)
	if d.vp.YOffset != y {
		d.follow()
	}
	return cmd, nil
}

func (d *detailModel) build(rows []*checkRow) {
	d.vp.SetContent(d.render(rows))
	d.src = rows
}

func (d *detailModel) rebuild() { d.vp.SetContent(d.render(d.src)) }

// current is the finding at the top of the view: the last one whose first
// line is at or above the viewport's first line (the first when none is).
func (d detailModel) current() (checks.Finding, bool) {
	i := d.currentIndex()
	if i < 0 {
		return checks.Finding{}, false
	}
	return d.shownF[i], true
}

func (d detailModel) currentIndex() int {
	if len(d.shownF) == 0 {
		return -1
	}
	return min(max(d.cur, 0), len(d.shownF)-1)
}

// follow makes the current finding the one at the top of the view after a
// scroll: the last whose first line is at or above the view's first line.
func (d *detailModel) follow() {
	d.cur = 0
	for i, off := range d.offsets {
		if off <= d.vp.YOffset {
			d.cur = i
		}
	}
}

// jump scrolls to the next (dir 1) or previous (dir -1) finding.
func (d *detailModel) jump(dir int) {
	if len(d.offsets) == 0 {
		return
	}
	next := d.currentIndex() + dir
	if next < 0 {
		next = 0
	}
	if next >= len(d.offsets) {
		next = len(d.offsets) - 1
	}
	d.cur = next
	d.vp.SetYOffset(d.offsets[next])
}

func (d *detailModel) render(rows []*checkRow) string {
	st, g := d.c.st, d.c.g
	w := d.vp.Width - 1
	if w < 20 {
		w = 20
	}
	type item struct {
		f   checks.Finding
		row *checkRow
		idx int
	}
	var items []item
	d.total = 0
	for _, r := range rows {
		for i, f := range r.findings {
			d.total++
			if d.matches(r, f) {
				items = append(items, item{f, r, i})
			}
		}
	}
	// Worst first across checks, stable within one.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return items[order[a]].f.Severity.Rank() > items[order[b]].f.Severity.Rank()
	})
	d.shown = len(items)

	var b strings.Builder
	if len(rows) == 1 {
		r := rows[0]
		head := st.Bold.Render(clean(r.info.Title)) + st.Faint.Render(" ("+clean(r.info.ID)+")")
		switch {
		case r.interrupted && !r.running:
			head = st.Skip.Render(interruptedBadge) + " " + head
		case r.res != nil && !r.running:
			head = statusBadge(st, r.status) + " " + head + st.Faint.Render(" in "+fmtDur(r.dur))
		case r.running:
			head = st.Info.Render("running") + " " + head
		}
		b.WriteString(head + "\n")
		switch {
		case r.interrupted && !r.running:
			msg := "the run was stopped before this check decided: this is not a verdict about the domain. Press r to run it again."
			if len(r.findings) > 0 {
				msg = "the run was stopped before this check decided: the findings below are what it found so far, not its verdict. Press r to run it again."
			}
			b.WriteString(hanging(msg, w, st.Skip.Render("interrupted: "), "  ") + "\n")
		case r.res != nil && r.res.Err != "":
			label, text := "could not decide: ", clean(r.res.Err)
			if rest, ok := strings.CutPrefix(text, notDecided); ok {
				label, text = notDecided, rest // the runner's words for a dependency
			}
			b.WriteString(hanging(text, w, st.Error.Render(label), "  ") + "\n")
		}
		if r.res != nil && r.res.Skip != "" {
			b.WriteString(hanging(clean(r.res.Skip), w, st.Faint.Render("skipped: "), "  ") + "\n")
		}
		b.WriteString("\n")
	}
	d.shownF, d.offsets = d.shownF[:0], d.offsets[:0]
	var data string
	if len(rows) == 1 && d.filter == "" {
		data = d.dataSection(rows[0], w)
	}
	if len(items) == 0 {
		switch {
		case d.filter != "":
			b.WriteString(st.Faint.Render(fmt.Sprintf("no finding matches %q", d.filter)))
		case len(rows) == 1 && rows[0].running:
			b.WriteString(st.Faint.Render("no findings yet"))
		case len(rows) == 1 && rows[0].res != nil && rows[0].res.Err != "":
			b.WriteString(st.Faint.Render("no findings")) // not decided: not "nothing to report"
		case data != "":
			b.WriteString(st.Pass.Render(g.Ok+" no findings") + st.Faint.Render(": what the check read is below"))
		default:
			b.WriteString(st.Pass.Render(g.Ok + " nothing to report"))
		}
		if data != "" {
			b.WriteString("\n\n" + data)
		}
		return strings.TrimRight(b.String(), "\n")
	}
	lines := strings.Count(b.String(), "\n")
	for n, i := range order {
		if n > 0 {
			b.WriteString("\n")
			lines++
		}
		d.shownF = append(d.shownF, items[i].f)
		d.offsets = append(d.offsets, lines)
		blk := d.block(items[i].row, items[i].idx, w)
		b.WriteString(blk)
		lines += strings.Count(blk, "\n")
	}
	if data != "" {
		b.WriteString("\n" + data)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Bounds of the data section: a check's data is as hostile as the
// network it was read from.
const (
	maxDataItems = 500
	maxDataDepth = 8
)

// dataSection renders what a check read (checks.DescribeData of its
// result's data): labelled values, nested by depth, wrapped to w. It is ""
// when the check has no such data.
func (d *detailModel) dataSection(r *checkRow, w int) string {
	if r.res == nil || r.running {
		return ""
	}
	items := checks.DescribeData(r.res.Data)
	if len(items) == 0 {
		return ""
	}
	st := d.c.st
	var b strings.Builder
	b.WriteString(st.Bold.Render("What the check read") + "\n")
	for i, it := range items {
		if i == maxDataItems {
			b.WriteString(st.Faint.Render(fmt.Sprintf("  %s %d more (see --json)", d.c.g.Ellipsis, len(items)-i)) + "\n")
			break
		}
		depth := min(max(it.Depth, 0), maxDataDepth)
		ind := strings.Repeat("  ", depth+1)
		label := clean(it.Label)
		switch {
		case label == "":
			b.WriteString(hangingWords(clean(it.Value), w, ind, ind+"  ") + "\n")
		case it.Value == "":
			b.WriteString(ind + st.Label.Render(label) + "\n")
		default:
			b.WriteString(hangingWords(clean(it.Value), w, ind+st.Label.Render(label)+" ", ind+"    ") + "\n")
		}
	}
	return b.String()
}

// rowBlocks caches the rendered findings of one check: re-rendering every
// finding of 100 checks on each event would cost a frame.
type rowBlocks struct {
	res    *checks.Result
	n      int
	width  int
	blocks []string
}

// block returns the rendered finding idx of row r, from the cache.
func (d *detailModel) block(r *checkRow, idx, w int) string {
	if d.cache == nil {
		d.cache = map[string]*rowBlocks{}
	}
	c := d.cache[r.info.ID]
	if c == nil || c.res != r.res || c.n > len(r.findings) || c.width != w {
		c = &rowBlocks{res: r.res, width: w}
		d.cache[r.info.ID] = c
	}
	for len(c.blocks) < len(r.findings) {
		c.blocks = append(c.blocks, d.renderFinding(r.findings[len(c.blocks)], w))
	}
	c.n = len(r.findings)
	return c.blocks[idx]
}

// renderFinding renders one finding: badge, ID, subject, message, why,
// fix and evidence.
func (d *detailModel) renderFinding(f checks.Finding, w int) string {
	st := d.c.st
	var b strings.Builder
	b.WriteString(sevStyle(st, f.Severity).Render(sevBadge(f.Severity)) + " " + st.Bold.Render(clean(f.ID)))
	if f.Subject != "" {
		b.WriteString("  " + st.Faint.Render(clean(f.Subject)))
	}
	b.WriteString("\n")
	b.WriteString(wrapIndent(clean(f.Message), w, "       ") + "\n")
	if d.c.explain != nil {
		if def, ok := d.c.explain(f.ID); ok && def.Why != "" {
			b.WriteString(wrapLabel(st.Label.Render("why"), clean(def.Why), w) + "\n")
		}
	}
	if f.Fix != "" {
		b.WriteString(wrapLabel(st.Label.Render("fix"), st.Fix.Render(clean(f.Fix)), w) + "\n")
	}
	if ev := f.Evidence; ev != nil {
		b.WriteString(d.evidence(ev, w))
	}
	return b.String()
}

func (d *detailModel) matches(r *checkRow, f checks.Finding) bool {
	if d.filter == "" {
		return true
	}
	q := strings.ToLower(d.filter)
	for _, s := range []string{f.ID, f.Subject, f.Message, string(f.Severity), r.info.ID} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// evidence renders DNS queries (rcode, AD, rtt), records and SMTP lines.
func (d *detailModel) evidence(ev *checks.Evidence, w int) string {
	st := d.c.st
	var b strings.Builder
	const ind = "       "
	if len(ev.DNS) > 0 || len(ev.Records) > 0 || len(ev.SMTP) > 0 {
		b.WriteString(ind + st.Label.Render("evidence") + "\n")
	}
	for _, q := range ev.DNS {
		b.WriteString(ind + "  " + dnsLine(st, q) + "\n")
	}
	for _, r := range ev.Records {
		b.WriteString(wrapIndent(st.Faint.Render("record ")+clean(r), w, ind+"  ") + "\n")
	}
	for _, l := range ev.SMTP {
		b.WriteString(ind + "  " + lineOf(st, l.Dir, l.Text) + "\n")
	}
	return b.String()
}

func (d detailModel) view() string {
	if d.input.Focused() || d.filter != "" {
		// The filter line takes the viewport's first line.
		vp := d.vp
		vp.Height--
		return d.input.View() + "\n" + vp.View()
	}
	return d.vp.View()
}

func (d detailModel) statusView() string {
	st := d.c.st
	s := fmt.Sprintf("%d findings", d.total)
	if d.filter != "" {
		s = fmt.Sprintf("%d of %d findings match %q", d.shown, d.total, d.filter)
	}
	if len(d.shownF) > 1 {
		s += fmt.Sprintf("%sat %d of %d", d.c.g.Dot, d.currentIndex()+1, len(d.shownF))
	}
	if d.vp.TotalLineCount() > d.vp.Height {
		s += fmt.Sprintf("%s%.0f%%", d.c.g.Dot, d.vp.ScrollPercent()*100)
	}
	return st.Faint.Render(s)
}
