package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// pickerModel is the demo's domain list.
type pickerModel struct {
	c             *common
	domains       []DemoDomain
	width, height int
	cursor        int
}

func (p *pickerModel) setSize(w, h int) { p.width, p.height = w, h }

// update moves the cursor; enter picks the domain under it.
func (p *pickerModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := p.c.keys
	if key.Matches(km, k.Open) {
		if p.cursor < len(p.domains) && p.domains[p.cursor].Name != "" {
			return nil, pickDomain{name: p.domains[p.cursor].Name}
		}
		return nil, nil
	}
	p.cursor = moveCursor(k, km, p.cursor, len(p.domains), p.height-3)
	return nil, nil
}

func (p pickerModel) view() string {
	st, g := p.c.st, p.c.g
	var b strings.Builder
	b.WriteString("A mail world runs on this machine: DNS, mail servers and web servers.\n")
	b.WriteString("Pick a domain to check it, then open each check for the fix.\n\n")
	nameW := 4
	for _, d := range p.domains {
		if len(d.Name) > nameW {
			nameW = len(d.Name)
		}
	}
	for i, d := range p.domains {
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
