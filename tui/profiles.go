package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks/profile"
)

// profilesModel is the Profiles pane (issue 18): the profile check's
// verdicts as a matrix, one row per rule, one column per provider asked
// for, a glyph per cell. Under the matrix, the selected cell's rule: its
// title, status, what decides it when it is undecided, the reply the
// provider would send, the evidence and the sources with their dates.
// enter shows that explanation on the whole pane. It reads the check's
// typed data (profile.Data) each time it draws, so it follows re-runs
// without being told.
type profilesModel struct {
	c             *common
	live          *liveState
	width, height int
	row, col      int
	full          bool // the selected cell's explanation fills the pane
	scroll        int  // the first line shown of the full explanation
}

// profileGrid is profile.Data arranged as the pane draws it.
type profileGrid struct {
	providers []profile.ProviderResult
	rules     []profile.RuleID
	cells     [][]*profile.RuleResult // [rule][provider]; nil: not a rule of that provider
}

// profileData is the profile check's data when it ran with providers.
func (p profilesModel) data() *profile.Data {
	d := dataOf[profile.Data](p.live.byID[profile.ID])
	if d == nil || len(d.Providers) == 0 {
		return nil
	}
	return d
}

// grid arranges the data: the rules in the catalogue's order (a rule it
// does not list after them), the providers in the order asked for.
func (p profilesModel) grid() *profileGrid {
	d := p.data()
	if d == nil {
		return nil
	}
	g := &profileGrid{providers: d.Providers}
	idx := map[profile.RuleID]int{}
	add := func(id profile.RuleID) {
		if _, ok := idx[id]; !ok {
			idx[id] = len(g.rules)
			g.rules = append(g.rules, id)
			g.cells = append(g.cells, make([]*profile.RuleResult, len(d.Providers)))
		}
	}
	has := map[profile.RuleID]bool{}
	for _, pr := range d.Providers {
		for _, rr := range pr.Rules {
			has[rr.ID] = true
		}
	}
	for _, id := range profile.RuleIDs {
		if has[id] {
			add(id)
		}
	}
	for pi, pr := range d.Providers {
		for i := range pr.Rules {
			rr := &d.Providers[pi].Rules[i]
			add(rr.ID)
			g.cells[idx[rr.ID]][pi] = rr
		}
	}
	return g
}

func (p *profilesModel) setSize(w, h int) { p.width, p.height = w, h }

// clamp keeps the cursor on the grid.
func (p *profilesModel) clamp(g *profileGrid) {
	if g == nil {
		p.row, p.col = 0, 0
		return
	}
	p.row = min(max(p.row, 0), len(g.rules)-1)
	p.col = min(max(p.col, 0), len(g.providers)-1)
}

// failing reports whether a cell holds a rule that fails.
func failing(rr *profile.RuleResult) bool { return rr != nil && rr.Status == profile.StatusFail }

// update moves the cursor (↑/↓ and g/G over rules, ←/→ over providers,
// n/N to the next failing cell), enter shows the cell's explanation on
// the whole pane, esc closes it or goes back.
func (p *profilesModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := p.c.keys
	g := p.grid()
	if p.full {
		switch {
		case key.Matches(km, k.Back), key.Matches(km, k.Open):
			p.full, p.scroll = false, 0
		default:
			n := len(p.explain(g))
			p.scroll = moveCursor(k, km, p.scroll, max(n-p.height+1, 1), p.height)
		}
		return nil, nil
	}
	switch {
	case key.Matches(km, k.CellLeft):
		p.col--
	case key.Matches(km, k.CellRight):
		p.col++
	case key.Matches(km, k.Back):
		return nil, goBack{}
	case key.Matches(km, k.Open):
		if g != nil {
			p.full, p.scroll = true, 0
		}
	case key.Matches(km, k.NextFinding), key.Matches(km, k.PrevFinding):
		if g != nil {
			p.nextFailing(g, key.Matches(km, k.NextFinding))
		}
	default:
		if g != nil {
			p.row = moveCursor(k, km, p.row, len(g.rules), p.height/2)
		}
	}
	p.clamp(g)
	return nil, nil
}

// nextFailing moves to the next (or previous) failing cell, row by row,
// wrapping around; the cursor stays when no other cell fails.
func (p *profilesModel) nextFailing(g *profileGrid, forward bool) {
	np := len(g.providers)
	n := len(g.rules) * np
	cur := p.row*np + p.col
	for step := 1; step < n; step++ {
		i := (cur - step + n) % n
		if forward {
			i = (cur + step) % n
		}
		if failing(g.cells[i/np][i%np]) {
			p.row, p.col = i/np, i%np
			return
		}
	}
}

// cellWidth is the width of a provider's column.
func (p profilesModel) cellWidth(g *profileGrid) int {
	w := 6
	for _, pr := range g.providers {
		w = max(w, len(clean(string(pr.Provider)))+2)
	}
	return min(w, 14)
}

// glyph is a cell's mark in its style.
func (p profilesModel) glyph(rr *profile.RuleResult) string {
	st, g := p.c.st, p.c.g
	if rr == nil {
		return st.Faint.Render(g.None)
	}
	switch rr.Outcome() {
	case profile.OutcomePass:
		return st.Pass.Render(g.Ok)
	case profile.OutcomeFail:
		return st.Fail.Render(g.Fail)
	case profile.OutcomeShort:
		return st.Warn.Render(g.Warn)
	case profile.OutcomeBulk:
		return st.Skip.Render(g.Bulk)
	case profile.OutcomeNotApplicable:
		return st.Faint.Render(g.NA)
	}
	return st.Error.Render(g.Unknown)
}

func (p profilesModel) view() string {
	st, gl := p.c.st, p.c.g
	g := p.grid()
	if g == nil {
		r := p.live.byID[profile.ID]
		switch {
		case r == nil || (r.res == nil && !r.running):
			return st.Faint.Render("No provider profile in this run: mxray check DOMAIN --profile gmail,yahoo,microsoft grades one.")
		case r.running || r.res == nil:
			return st.Faint.Render("Waiting for the profile check" + gl.Ellipsis)
		}
		return st.Faint.Render("The profile check graded no provider (see its result on the dashboard).")
	}
	p.clamp(g)
	if p.full {
		ls := p.explain(g)
		start := min(p.scroll, max(len(ls)-p.height, 0))
		end := min(start+p.height, len(ls))
		return strings.Join(ls[start:end], "\n")
	}
	cw := p.cellWidth(g)
	labelW := min(max(p.width-2-len(g.providers)*cw, 12), 24)
	var b strings.Builder
	hdr := "  " + pad("RULE", labelW, "")
	for _, pr := range g.providers {
		hdr += padLeft(pad(strings.ToUpper(clean(string(pr.Provider))), cw-2, gl.Ellipsis), cw)
	}
	b.WriteString(st.Label.Render(hdr))
	details := p.explain(g)
	avail := p.height - 1
	// The whole matrix stays in view when it leaves the explanation a few
	// lines; else each gets half.
	most := max(avail-len(g.rules), avail/2)
	if len(details) > most {
		details = append(details[:max(most-1, 0)], st.Faint.Render("  "+gl.Ellipsis+" enter shows all of it"))
	}
	rowsAvail := max(avail-len(details), 1)
	start := 0
	if p.row >= rowsAvail {
		start = p.row - rowsAvail + 1
	}
	for i := start; i < len(g.rules) && i < start+rowsAvail; i++ {
		cur := "  "
		if i == p.row {
			cur = gl.Cursor + " "
		}
		line := cur + pad(clean(string(g.rules[i])), labelW, gl.Ellipsis)
		for j := range g.providers {
			mark := p.glyph(g.cells[i][j])
			if i == p.row && j == p.col {
				mark = "[" + mark + "]"
			} else {
				mark = " " + mark + " "
			}
			line += padLeft(mark, cw)
		}
		b.WriteString("\n" + line)
	}
	for _, l := range details {
		b.WriteString("\n" + l)
	}
	return b.String()
}

// explain is the selected cell's explanation, wrapped to the pane.
func (p profilesModel) explain(g *profileGrid) []string {
	if g == nil || p.row >= len(g.rules) || p.col >= len(g.providers) {
		return nil
	}
	st, gl := p.c.st, p.c.g
	w := p.width
	pr := g.providers[p.col]
	name := clean(pr.Name)
	if name == "" {
		name = clean(string(pr.Provider))
	}
	out := []string{st.Faint.Render(strings.Repeat(gl.Rule, max(w, 1)))}
	add := func(label, text string) {
		out = append(out, strings.Split(hanging(text, w, "  "+st.Label.Render(pad(label, 10, ""))+" ", "             "), "\n")...)
	}
	rr := g.cells[p.row][p.col]
	if rr == nil {
		out = append(out, "  "+st.Bold.Render(name)+" has no rule "+clean(string(g.rules[p.row]))+".")
		return out
	}
	out = append(out, strings.Split(hanging(clean(rr.Title), w, "  "+st.Bold.Render(name)+gl.Dot+clean(string(rr.ID))+": ", "    "), "\n")...)
	status := p.glyph(rr) + " " + profileStatusWords(rr)
	if rr.DecidedBy != "" {
		status += st.Faint.Render(" (decided by " + deciderWords(rr.DecidedBy) + ")")
	}
	add("status", status)
	add("applies", scopeWords(rr.Scope)+gl.Dot+clean(string(rr.Level)))
	if rr.Note != "" {
		label := "why"
		if rr.Status == profile.StatusUnknown {
			label = "decides"
		}
		add(label, clean(rr.Note))
	}
	if len(rr.Rejection) > 0 {
		var rs []string
		for _, r := range rr.Rejection {
			rs = append(rs, clean(r))
		}
		add("reply", strings.Join(rs, ", "))
	}
	if len(rr.Evidence.Findings) > 0 {
		var fs []string
		for _, f := range rr.Evidence.Findings {
			fs = append(fs, clean(f))
		}
		add("findings", strings.Join(fs, ", "))
	}
	for i, d := range rr.Evidence.Data {
		label := ""
		if i == 0 {
			label = "read"
		}
		add(label, clean(d))
	}
	for i, s := range rr.Source {
		label := ""
		if i == 0 {
			label = "source"
		}
		text := clean(s.Page) + st.Faint.Render(" (read "+clean(s.Read))
		if s.Copy != "" {
			text += st.Faint.Render(", copy of " + clean(s.Copy))
		}
		add(label, text+st.Faint.Render(")"))
	}
	return out
}

// profileStatusWords says a rule's status in words.
func profileStatusWords(rr *profile.RuleResult) string {
	switch rr.Outcome() {
	case profile.OutcomePass:
		return "passes"
	case profile.OutcomeFail:
		return "fails: the provider would refuse the mail"
	case profile.OutcomeShort:
		return "not met (recommended)"
	case profile.OutcomeBulk:
		return "applies to bulk senders: --bulk grades it"
	case profile.OutcomeNotApplicable:
		return "does not apply"
	}
	if rr.Status == profile.StatusUnknown {
		return "not decided"
	}
	return clean(string(rr.Status))
}

// scopeWords says whom a rule applies to.
func scopeWords(s profile.Scope) string {
	switch s {
	case profile.ScopeAll:
		return "every sender"
	case profile.ScopeBulk:
		return "bulk senders (5,000 or more messages a day)"
	}
	return clean(string(s))
}

// deciderWords says what decided a rule.
func deciderWords(d profile.Decider) string {
	switch d {
	case profile.ByDNS:
		return "the domain's DNS"
	case profile.ByIP:
		return "the sending addresses"
	case profile.ByMessage:
		return "the message"
	case profile.BySendingPath:
		return "the message's inbound hop"
	case profile.ByProviderData:
		return "the provider's data"
	}
	return clean(string(d))
}

// legend is the status line under the pane.
func (p profilesModel) legend() string {
	g := p.c.g
	return p.c.st.Faint.Render(fmt.Sprintf("%s pass  %s fail  %s recommended  %s undecided  %s bulk only  %s no such rule",
		g.Ok, g.Fail, g.Warn, g.Unknown, g.Bulk, g.None))
}
