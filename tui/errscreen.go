package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks/dnsq"
)

// errorModel is the screen of a run that ended in an error: the whole
// error, wrapped to the width and never cut, in a scrolling viewport.
//
// An untrusted resolver (*dnsq.UntrustedError) blocks every other screen:
// no verdict drawn from its answers is shown, and q or esc quits. Any other
// run error can be put aside with esc to look at what the run produced.
type errorModel struct {
	c         *common
	err       error
	untrusted *dnsq.UntrustedError
	vp        viewport.Model
}

func newErrorModel(c *common) errorModel {
	vp := viewport.New(0, 0)
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	return errorModel{c: c, vp: vp}
}

// set shows err (nil clears the screen).
func (e *errorModel) set(err error) {
	e.err, e.untrusted = err, nil
	var ue *dnsq.UntrustedError
	if errors.As(err, &ue) && ue != nil {
		e.untrusted = ue
	}
	e.render()
	e.vp.GotoTop()
}

func (e *errorModel) setSize(w, h int) {
	e.vp.Width, e.vp.Height = w, h
	e.render()
}

// update scrolls. An untrusted resolver leaves nothing to do but read and
// quit (q or esc); another error can be put aside with esc (e on the
// dashboard brings it back) or answered with a new run (R).
func (e *errorModel) update(msg tea.Msg) (tea.Cmd, intent) {
	if km, ok := msg.(tea.KeyMsg); ok {
		k := e.c.keys
		switch {
		case e.untrusted != nil:
			if km.Type == tea.KeyEsc {
				return nil, quitUI{}
			}
		case key.Matches(km, k.Back):
			return nil, hideError{}
		case key.Matches(km, k.RerunAll):
			return nil, rerun{}
		}
	}
	var cmd tea.Cmd
	e.vp, cmd = e.vp.Update(msg)
	return cmd, nil
}

func (e errorModel) view() string { return e.vp.View() }

// render lays the error out at the viewport's width.
func (e *errorModel) render() {
	if e.err == nil {
		e.vp.SetContent("")
		return
	}
	w := e.vp.Width - 1
	if w < 20 {
		w = 20
	}
	if e.untrusted != nil {
		e.vp.SetContent(e.untrustedView(e.untrusted, w))
		return
	}
	st := e.c.st
	var b strings.Builder
	b.WriteString(st.Fail.Render("The checks could not run") + "\n\n")
	b.WriteString(wrapIndent(clean(e.err.Error()), w, ""))
	e.vp.SetContent(b.String())
}

// The hint of the untrusted-resolver screen.
const resolverHint = "run again with --resolver IP (e.g. a validating resolver you trust)"

func (e errorModel) untrustedView(ue *dnsq.UntrustedError, w int) string {
	st := e.c.st
	var b strings.Builder
	title, why := "DNS resolver cannot be trusted", "Every check reads DNS through it, so mxray shows no verdict drawn from its answers."
	if ue.Unreachable {
		title, why = "DNS resolver does not answer", "Every check reads DNS through it, so nothing could be checked."
	}
	b.WriteString(st.Fail.Render(title) + "\n\n")
	label := "resolver"
	if len(ue.Servers) > 1 {
		label = "resolvers"
	}
	servers := make([]string, 0, len(ue.Servers))
	for _, s := range ue.Servers {
		servers = append(servers, clean(s))
	}
	if len(servers) == 0 {
		servers = append(servers, "(none configured)")
	}
	b.WriteString(labelled(st.Label.Render(label), strings.Join(servers, ", "), w) + "\n")
	reason := clean(ue.Reason)
	if reason == "" {
		reason = "(no reason given)"
	}
	b.WriteString(labelled(st.Label.Render("reason"), reason, w) + "\n\n")
	b.WriteString(wrapIndent(why, w, "") + "\n")
	if len(ue.Queries) > 0 {
		b.WriteString("\n" + st.Label.Render("evidence") + st.Faint.Render(" the probe's queries: name, type, rcode, round trip") + "\n")
		for _, q := range ue.Queries {
			b.WriteString(hanging(dnsLine(st, q), w, "  ", "      ") + "\n")
		}
	}
	b.WriteString("\n" + wrapIndent(st.Bold.Render(resolverHint), w, ""))
	return b.String()
}
