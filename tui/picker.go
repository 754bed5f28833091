package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// pickerModel is the demo's domain list.
type pickerModel struct {
	c      *common
	cursor int
}

// update moves the cursor and returns the domain picked with enter.
func (p pickerModel) update(msg tea.KeyMsg, ds []DemoDomain) (pickerModel, string) {
	k := p.c.keys
	switch {
	case key.Matches(msg, k.Up):
		if p.cursor > 0 {
			p.cursor--
		}
	case key.Matches(msg, k.Down):
		if p.cursor < len(ds)-1 {
			p.cursor++
		}
	case key.Matches(msg, k.Open):
		if p.cursor < len(ds) {
			return p, ds[p.cursor].Name
		}
	}
	return p, ""
}

func (p pickerModel) view(ds []DemoDomain, h int) string {
	st, g := p.c.st, p.c.g
	var b strings.Builder
	b.WriteString("A mail world runs on this machine: DNS, mail servers and web servers.\n")
	b.WriteString("Pick a domain to check it, then open each check for the fix.\n\n")
	nameW := 4
	for _, d := range ds {
		if len(d.Name) > nameW {
			nameW = len(d.Name)
		}
	}
	for i, d := range ds {
		cur := "  "
		line := pad(d.Name, nameW, g.Ellipsis) + "  " + st.Faint.Render(clean(d.Description))
		if i == p.cursor {
			cur = g.Cursor + " "
			line = st.Selected.Render(line)
		}
		b.WriteString(cur + line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
