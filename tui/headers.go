package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/report"
)

// headersModel is the Headers pane of a message run (mxray analyze,
// mxray receive; issue 17): the header fields that matter to the message
// checks, then the Received chain hop by hop, newest first, with the
// trusted hop (the one whose client address SPF judges) marked. The lines
// scroll; n/N jump from hop to hop.
type headersModel struct {
	c             *common
	info          *report.MessageInfo // nil: not a message run
	width, height int
	lines         []string
	hops          []int // the line each hop starts on
	top           int   // the first line shown
}

// headerFields are the fields the pane lists after the parsed ones, in
// this order: what the message checks read.
var headerFields = []string{"Sender", "Reply-To", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Precedence",
	"DKIM-Signature", "ARC-Seal", "Authentication-Results"}

// maxFieldsShown bounds the fields of one name listed (a message may
// carry thousands).
const maxFieldsShown = 8

// maxHopsShown bounds the Received hops listed.
const maxHopsShown = 100

func newHeaders(c *common, info *report.MessageInfo) headersModel {
	if info != nil && info.Message == nil {
		info = nil
	}
	return headersModel{c: c, info: info}
}

func (p *headersModel) setSize(w, h int) {
	p.width, p.height = w, h
	p.build()
	p.top = min(p.top, max(len(p.lines)-h, 0))
}

// update scrolls (↑/↓, g/G, page up/down), n/N jump to the next or
// previous hop, esc goes back.
func (p *headersModel) update(msg tea.Msg) (tea.Cmd, intent) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil, nil
	}
	k := p.c.keys
	last := max(len(p.lines)-p.height, 0)
	switch {
	case key.Matches(km, k.Back):
		return nil, goBack{}
	case key.Matches(km, k.NextFinding):
		for _, l := range p.hops {
			if l > p.top {
				p.top = min(l, last)
				return nil, nil
			}
		}
	case key.Matches(km, k.PrevFinding):
		for i := len(p.hops) - 1; i >= 0; i-- {
			if p.hops[i] < p.top {
				p.top = p.hops[i]
				return nil, nil
			}
		}
	default:
		p.top = moveCursor(k, km, p.top, last+1, p.height)
	}
	return nil, nil
}

// build lays the message out at the pane's width.
func (p *headersModel) build() {
	p.lines, p.hops = nil, nil
	if p.info == nil || p.width <= 0 {
		return
	}
	st, g, w := p.c.st, p.c.g, p.width
	m := p.info.Message
	add := func(s string) { p.lines = append(p.lines, strings.Split(s, "\n")...) }
	lw := len("return-path")
	for _, name := range headerFields {
		if m.Get(name) != "" {
			lw = max(lw, len(name))
		}
	}
	lw = min(lw, w/3)
	field := func(label, value string) {
		if value == "" {
			return
		}
		add(fieldLines(st.Label.Render(pad(label, lw, g.Ellipsis)), clean(value), w, 2, lw+3))
	}
	add(st.Bold.Render("Header fields"))
	field("from", addresses(m.From))
	if m.FromErr != "" {
		field("from", "unreadable: "+m.FromErr)
	}
	field("to", addresses(m.To))
	field("subject", m.Subject)
	field("date", m.Date)
	if m.DateErr != "" {
		field("date", "unreadable: "+m.DateErr)
	}
	field("message-id", m.MessageID)
	if m.HasReturnPath {
		field("return-path", "<"+m.ReturnPath+">")
	}
	field("size", fmt.Sprintf("%d bytes", m.Size))
	field("limit", m.Limit)
	for _, name := range headerFields {
		n := 0
		for _, f := range m.Fields {
			if !strings.EqualFold(f.Name, name) {
				continue
			}
			if n++; n > maxFieldsShown {
				continue
			}
			v := f.Value
			if len(v) > 200 {
				v = v[:200] + g.Ellipsis
			}
			field(strings.ToLower(name), v)
		}
		if n > maxFieldsShown {
			field(strings.ToLower(name), fmt.Sprintf("%d more not shown", n-maxFieldsShown))
		}
	}
	if s := p.info.SMTP; s != nil {
		add("")
		add(st.Bold.Render("SMTP session") + st.Faint.Render(" (as mxray receive saw it)"))
		field("client", s.ClientIP.String())
		field("helo", s.HELO)
		field("mail from", "<"+s.MailFrom+">")
		if s.TLS != nil {
			field("tls", s.TLS.Version+" "+s.TLS.Cipher)
		} else {
			field("tls", "none: the client did not use STARTTLS")
		}
	}
	add("")
	add(st.Bold.Render("Received chain") + st.Faint.Render(" (newest first)"))
	switch {
	case len(m.Received) == 0:
		add(st.Faint.Render("  No Received field: nothing says which server handed the message over."))
	case m.Trusted() == nil && m.ReceivedBy != "":
		add(wrapIndent(st.Warn.Render("No trusted hop:")+" no Received field by "+clean(m.ReceivedBy)+" names a client address; SPF cannot be judged.", w, "  "))
	case m.Trusted() == nil:
		add(wrapIndent(st.Warn.Render("No trusted hop:")+" no Received field names a client address; SPF cannot be judged.", w, "  "))
	}
	for i, r := range m.Received {
		if i == maxHopsShown {
			add(st.Faint.Render(fmt.Sprintf("  %d more hops not shown", len(m.Received)-i)))
			break
		}
		p.hops = append(p.hops, len(p.lines))
		title := fmt.Sprintf("#%d", i+1)
		if i == m.TrustedHop {
			title = st.Pass.Render(title+" "+g.Ok+" trusted hop") + st.Faint.Render(": its client address is the one SPF judges")
		} else {
			title = st.Bold.Render(title)
		}
		add("  " + title)
		hop := func(label, value string) {
			if value == "" {
				return
			}
			add(fieldLines(st.Label.Render(pad(label, 6, "")), clean(value), w, 4, 11))
		}
		from := r.From
		if r.HELO != "" && r.HELO != r.From {
			from += " (helo " + r.HELO + ")"
		}
		hop("from", from)
		client := ""
		if r.ClientIP.IsValid() {
			client = r.ClientIP.String()
		}
		if r.ReverseName != "" {
			client += " (reverse DNS " + r.ReverseName + ")"
		}
		hop("client", strings.TrimSpace(client))
		hop("by", r.By)
		hop("with", r.With)
		hop("id", r.ID)
		hop("date", r.Date)
		if r.From == "" && r.By == "" {
			hop("raw", r.Raw)
		}
	}
}

// fieldLines is value wrapped to width w under a column at indent, with
// label (ind columns from the left, already padded) on the first line.
func fieldLines(label, value string, w, ind, indent int) string {
	s := wrapIndent(value, w, strings.Repeat(" ", indent))
	return strings.Repeat(" ", ind) + label + " " + s[min(ind+ansi.StringWidth(label)+1, len(s)):]
}

// addresses writes an address list as the message's fields do.
func addresses(as []message.Address) string {
	var out []string
	for _, a := range as {
		s := "<" + a.Address + ">"
		if a.Name != "" {
			s = a.Name + " " + s
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func (p headersModel) view() string {
	if p.info == nil {
		return p.c.st.Faint.Render("No message in this run.")
	}
	end := min(p.top+p.height, len(p.lines))
	return strings.Join(p.lines[min(p.top, end):end], "\n")
}

// statusView says where the view is in the lines.
func (p headersModel) statusView() string {
	if p.info == nil {
		return ""
	}
	m := p.info.Message
	s := fmt.Sprintf("%d header fields%s%d Received hops", len(m.Fields), p.c.g.Dot, len(m.Received))
	if len(p.lines) > p.height && p.height > 0 {
		s += fmt.Sprintf("%s%d%%", p.c.g.Dot, 100*min(p.top+p.height, len(p.lines))/len(p.lines))
	}
	return p.c.st.Faint.Render(s)
}
