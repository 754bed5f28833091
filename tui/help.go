package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// helpModel is the ? screen (every key, and how to read the screen) and the
// hint bar under every screen. The ? screen covers the panes without taking
// their keys: the root toggles it.
type helpModel struct {
	c     *common
	h     help.Model
	width int
}

func newHelp(c *common) helpModel {
	h := help.New()
	h.ShortSeparator = "  "
	h.Styles.ShortKey = c.st.Bold
	h.Styles.ShortDesc = c.st.Hint
	h.Styles.FullKey = c.st.Bold
	h.Styles.FullDesc = c.st.Hint
	return helpModel{c: c, h: h}
}

func (p *helpModel) setSize(w, _ int) { p.width = w }

// update does nothing: the keys under the help go to the pane it covers.
func (p *helpModel) update(tea.Msg) (tea.Cmd, intent) { return nil, nil }

func (p helpModel) view() string { return p.viewWith(p.c.keys.FullHelp()) }

// viewWith is the ? screen with the key groups of the screen it covers.
func (p helpModel) viewWith(groups [][]key.Binding) string {
	if p.c.g.Cursor == ">" {
		for _, g := range groups {
			for i := range g {
				h := g[i].Help()
				g[i] = withHelp(g[i], asciiKey(h.Key), h.Desc)
			}
		}
	}
	var b strings.Builder
	b.WriteString(p.c.st.Bold.Render("Keys") + "\n\n")
	b.WriteString(p.h.FullHelpView(groups))
	b.WriteString("\n\n")
	b.WriteString(p.c.st.Bold.Render("Reading the screen") + "\n")
	g := p.c.g
	b.WriteString(fmt.Sprintf("  %s %s %s %s %s  status of a check (no colour needed)\n",
		report.Badge(checks.StatusPass), report.Badge(checks.StatusWarn), report.Badge(checks.StatusFail), report.Badge(checks.StatusError), report.Badge(checks.StatusSkip)))
	b.WriteString(fmt.Sprintf("  %s ok  %s warn  %s fail  %s could not test  %s nothing to test  %s skipped  %s not run\n", g.Ok, g.Warn, g.Fail, g.Error, g.NA, g.Skip, g.None))
	b.WriteString("  [ERR ] means mxray could not decide (timeout, SERVFAIL): not a misconfiguration.\n")
	b.WriteString("  " + interruptedBadge + " means the run was stopped before the check decided.\n")
	b.WriteString(fmt.Sprintf("  Profiles: %s pass  %s fail  %s recommended, not met  %s not decided\n    %s applies to bulk senders (--bulk grades it)  %s not a rule of that provider\n", g.Ok, g.Fail, g.Warn, g.Unknown, g.Bulk, g.None))
	b.WriteString("  Open a check to read why each finding matters and the exact fix.")
	return b.String()
}

// hints renders the hint bar of bindings bs. Hints are dropped from the
// middle until the line fits; help and quit stay.
func (p helpModel) hints(bs []key.Binding) string {
	if p.c.g.Cursor == ">" { // ASCII terminals: plain arrows in the hints
		for i := range bs {
			h := bs[i].Help()
			bs[i] = withHelp(bs[i], asciiKey(h.Key), h.Desc)
		}
	}
	for len(bs) > 3 {
		if s := p.h.ShortHelpView(bs); ansi.StringWidth(s) <= p.width {
			return s
		}
		bs = append(bs[:len(bs)-3], bs[len(bs)-2:]...)
	}
	return p.h.ShortHelpView(bs)
}

// withHelp is b with another help text.
func withHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

func asciiKey(s string) string {
	r := strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "right")
	return r.Replace(s)
}
