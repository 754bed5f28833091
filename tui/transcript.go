package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// transcriptModel shows one server's SMTP transcript in a viewport, with
// the notes of its matrix row.
type transcriptModel struct {
	c     *common
	title string
	vp    viewport.Model
	n     int
}

func newTranscript(c *common) transcriptModel {
	vp := viewport.New(0, 0)
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	return transcriptModel{c: c, vp: vp}
}

func (t *transcriptModel) setSize(w, h int) { t.vp.Width, t.vp.Height = w, h }

func (t *transcriptModel) open(r *matrixRow) {
	st := t.c.st
	t.title = orDash(r.host) + " " + r.addr
	t.n = len(r.lines)
	var b strings.Builder
	w := t.vp.Width - 1
	if notes := r.notes(); len(notes) > 0 {
		b.WriteString(st.Label.Render("Notes") + "\n")
		for _, n := range notes {
			b.WriteString(hanging(n, w, "  ", "        ") + "\n")
		}
		b.WriteString("\n")
	}
	if len(r.lines) == 0 {
		b.WriteString(wrapIndent(st.Faint.Render("No transcript for this server: the smtp check has not talked to it (not run, --no-smtp, or no data)."), w, ""))
	}
	for i, l := range r.lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		// Long lines (a banner, a 5xx explanation) wrap under themselves.
		b.WriteString(hanging(lineOf(st, l.Dir, l.Text), w, "", "   "))
	}
	t.vp.SetContent(b.String())
	t.vp.GotoTop()
}

// update scrolls; esc goes back to the matrix.
func (t *transcriptModel) update(msg tea.Msg) (tea.Cmd, intent) {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, t.c.keys.Back):
			return nil, goBack{}
		case key.Matches(km, t.c.keys.Top):
			t.vp.GotoTop()
			return nil, nil
		case key.Matches(km, t.c.keys.Bottom):
			t.vp.GotoBottom()
			return nil, nil
		}
	}
	var cmd tea.Cmd
	t.vp, cmd = t.vp.Update(msg)
	return cmd, nil
}

func (t transcriptModel) view() string { return t.vp.View() }

func (t transcriptModel) statusView() string {
	s := fmt.Sprintf("%d lines%sC: sent by mxray  S: from the server  *: notes", t.n, t.c.g.Dot)
	return t.c.st.Faint.Render(s)
}
