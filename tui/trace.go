package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/send"
)

// traceModel is the send timeline: one row per protocol step with a bar
// proportional to its duration at its offset (a waterfall), expandable to
// the step's lines.
type traceModel struct {
	c             *common
	live          *liveState // its clock's frame turns the spinner
	width, height int
	canSend       bool // Options.Send is set: s sends (again)
	steps         []send.Step
	expanded      map[int]bool
	cursor        int
	running       bool
	result        *send.Trace
	err           error
}

func (t *traceModel) reset() {
	t.steps, t.result, t.err, t.running, t.cursor = nil, nil, nil, false, 0
	t.expanded = map[int]bool{}
}

func (t *traceModel) addStep(s send.Step) {
	t.steps = append(t.steps, s)
	t.running = t.result == nil && t.err == nil
	t.cursor = len(t.steps) - 1
}

func (t *traceModel) done(tr *send.Trace, err error) {
	t.running = false
	t.result, t.err = tr, err
	if tr != nil && len(tr.Steps) > len(t.steps) {
		t.steps = append([]send.Step(nil), tr.Steps...)
	}
	// Open the step where it stopped, so the reason is in view.
	if tr != nil && tr.Result != send.ResultDelivered {
		for i := len(t.steps) - 1; i >= 0; i-- {
			if t.steps[i].Error != "" || (tr.Stage != "" && t.steps[i].Step == tr.Stage) {
				t.expanded[i] = true
				t.cursor = i
				break
			}
		}
	}
}

func (t *traceModel) setSize(w, h int) { t.width, t.height = w, h }

// update moves the cursor and opens or closes the step under it; esc, or ←
// on a closed step, goes back; s sends again.
func (t *traceModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := t.c.keys
	switch {
	case key.Matches(km, k.Back) && (km.Type == tea.KeyEsc || !t.collapseSelected()):
		return nil, goBack{}
	case key.Matches(km, k.Send):
		return nil, sendTest{}
	case key.Matches(km, k.Open):
		if t.cursor < len(t.steps) {
			t.expanded[t.cursor] = !t.expanded[t.cursor]
		}
	default:
		t.cursor = moveCursor(k, km, t.cursor, len(t.steps), t.height-1)
	}
	return nil, nil
}

// collapseSelected closes the selected step on ←, reporting whether it did.
func (t *traceModel) collapseSelected() bool {
	if t.expanded[t.cursor] {
		t.expanded[t.cursor] = false
		return true
	}
	return false
}

func (t traceModel) total() int64 {
	var total int64
	for _, s := range t.steps {
		if e := s.StartedMs + s.DurationMs; e > total {
			total = e
		}
	}
	if t.result != nil && t.result.DurationMs > total {
		total = t.result.DurationMs
	}
	if total <= 0 {
		total = 1
	}
	return total
}

const stepW = 14

func (t traceModel) view() string {
	st, g := t.c.st, t.c.g
	h := t.height
	if len(t.steps) == 0 {
		switch {
		case t.running:
			return st.Faint.Render("Sending: waiting for the first step…")
		case t.err != nil:
			return st.Error.Render("send failed: " + clean(t.err.Error()))
		case t.canSend:
			return st.Faint.Render("Press s to send a test message to this domain's mail server and watch each protocol step.")
		}
		return st.Faint.Render("No send trace. `mxray send` shows its steps here.")
	}
	w := t.width
	msW := 8
	barW := w - 2 - stepW - 2 - msW - 1
	if barW < 10 {
		barW = 10
	}
	total := t.total()
	var lines []string
	cursorLine := 0
	hdr := "  " + pad("STEP", stepW, "") + " " + pad("0ms", barW/2, "") + padLeft(fmt.Sprintf("%dms", total), barW-barW/2) + " " + padLeft("TIME", msW)
	lines = append(lines, st.Label.Render(hdr))
	for i, s := range t.steps {
		cur := "  "
		if i == t.cursor {
			cur = g.Cursor + " "
			cursorLine = len(lines)
		}
		startCol := int(s.StartedMs * int64(barW) / total)
		n := int((s.DurationMs*int64(barW) + total/2) / total)
		if n < 1 {
			n = 1
		}
		if startCol >= barW {
			startCol = barW - 1
		}
		if startCol+n > barW {
			n = barW - startCol
		}
		barStyle := st.Bar
		mark := " "
		if s.Error != "" {
			barStyle, mark = st.Fail, g.Fail
		} else if s.Reply != nil && s.Reply.Code >= 400 {
			barStyle, mark = st.Warn, g.Fail
			if s.Reply.Code < 500 {
				mark = g.Warn
			}
		}
		name := clean(s.Step)
		if len(t.expanded) > 0 || t.hasLines(s) {
			if t.expanded[i] {
				name = g.Open + " " + name
			} else {
				name = g.Closed + " " + name
			}
		}
		bar := st.Faint.Render(strings.Repeat(g.BarGap, startCol)) + barStyle.Render(strings.Repeat(g.Bar, n)) + strings.Repeat(" ", barW-startCol-n)
		line := cur + pad(name, stepW, g.Ellipsis) + mark + " " + bar + " " + padLeft(fmt.Sprintf("%dms", s.DurationMs), msW)
		if i == t.cursor {
			line = st.Selected.Render(line)
		}
		lines = append(lines, line)
		if t.expanded[i] {
			for _, l := range t.stepLines(s) {
				// Long lines wrap under their text, not past the screen.
				lines = append(lines, strings.Split(hanging(l, w, "", "         "), "\n")...)
			}
		}
	}
	// Keep the cursor's step in view.
	start := 0
	if cursorLine >= h {
		start = cursorLine - h + 1
	}
	end := start + h
	if end > len(lines) {
		end = len(lines)
	}
	return strings.Join(lines[start:end], "\n")
}

func (t traceModel) hasLines(s send.Step) bool {
	return len(s.Client)+len(s.Server)+len(s.Info)+len(s.DNS) > 0 || s.Error != "" || s.TLS != nil || s.Message != nil
}

// stepLines renders an expanded step: host, lines by direction, notes.
func (t traceModel) stepLines(s send.Step) []string {
	st := t.c.st
	const ind = "      "
	var out []string
	if s.Host != "" {
		out = append(out, ind+st.Faint.Render("server "+clean(s.Host)))
	}
	for _, q := range s.DNS {
		l := fmt.Sprintf("dns %s %s %s %.0fms", clean(q.Name), clean(q.Type), clean(q.Rcode), q.RTTMs)
		if len(q.Answers) > 0 {
			l += " " + clean(strings.Join(q.Answers, ", "))
		}
		out = append(out, ind+st.Faint.Render(l))
	}
	for _, l := range s.Client {
		if s.Step == send.StepAuth {
			l = redactAuth(l)
		}
		out = append(out, ind+lineOf(st, checks.DirClient, l))
	}
	for _, l := range s.Server {
		out = append(out, ind+lineOf(st, checks.DirServer, l))
	}
	if tl := s.TLS; tl != nil {
		v := "verified"
		if !tl.Verified {
			v = "NOT verified: " + tl.VerifyError // lineOf cleans
		}
		out = append(out, ind+lineOf(st, checks.DirInfo, fmt.Sprintf("%s %s, %s, %s", tl.Version, tl.CipherSuite, tl.ServerName, v)))
		for _, c := range tl.Chain {
			out = append(out, ind+lineOf(st, checks.DirInfo, fmt.Sprintf("cert %s (%s) until %s", c.Subject, c.KeyType, c.NotAfter)))
		}
	}
	if mi := s.Message; mi != nil {
		l := fmt.Sprintf("message %d bytes, %d headers", mi.Size, len(mi.Headers))
		if mi.DKIM != nil {
			l += fmt.Sprintf(", DKIM %s s=%s d=%s", mi.DKIM.Algorithm, mi.DKIM.Selector, mi.DKIM.Domain)
			if mi.DKIM.VerifiedLocal {
				l += " (verified locally)"
			}
		}
		out = append(out, ind+lineOf(st, checks.DirInfo, l))
	}
	for _, l := range s.Info {
		out = append(out, ind+lineOf(st, checks.DirInfo, l))
	}
	if s.Error != "" {
		out = append(out, ind+st.Fail.Render("error: "+clean(s.Error)))
	}
	return out
}

// redactAuth keeps AUTH's mechanism and hides every credential. The engine
// already redacts; this is a second belt.
func redactAuth(l string) string {
	f := strings.Fields(l)
	if len(f) >= 2 && strings.EqualFold(f[0], "AUTH") {
		if len(f) == 2 {
			return f[0] + " " + f[1]
		}
		return f[0] + " " + f[1] + " ***"
	}
	if l == "*" {
		return l // a client cancelling the exchange
	}
	return "***"
}

func (t traceModel) statusView() string {
	st, g := t.c.st, t.c.g
	frame := t.live.frame
	switch {
	case t.running:
		sp := g.Spinner[0]
		if !t.c.static {
			sp = g.Spinner[frame%len(g.Spinner)]
		}
		last := ""
		if n := len(t.steps); n > 0 {
			last = " after " + t.steps[n-1].Step
		}
		return st.Info.Render(sp + " sending" + last)
	case t.err != nil && t.result == nil:
		return st.Error.Render("send failed: " + clean(t.err.Error()))
	case t.result == nil:
		return ""
	}
	r := t.result
	var s string
	switch r.Result {
	case send.ResultDelivered:
		s = st.Pass.Render(g.Ok + " delivered")
		if r.QueueID != "" {
			s += " queue id " + clean(r.QueueID)
		}
	case send.ResultRejected:
		s = st.Fail.Render(g.Fail + " rejected")
		if rj := r.Rejection; rj != nil {
			s += fmt.Sprintf(" at %s: %d %s %s", clean(rj.Stage), rj.Code, clean(rj.Enhanced), clean(rj.Text))
			if rj.Explanation != "" {
				s += st.Faint.Render(" " + g.Dot + clean(rj.Explanation))
			}
		}
	default:
		s = st.Error.Render(g.Error + " " + clean(string(r.Result)))
		if r.Stage != "" {
			s += " at " + clean(r.Stage)
		}
		if r.Error != "" {
			s += ": " + clean(r.Error)
		}
	}
	if r.Server != "" {
		s += st.Faint.Render(" via " + clean(r.Server))
	}
	return s + st.Faint.Render(fmt.Sprintf(" in %dms", t.total()))
}
