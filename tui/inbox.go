package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// InboxMessage is one message mxray receive accepted and analysed: the
// list's row and the dashboard it opens (Options.Inbox).
type InboxMessage struct {
	// ID names the message in the list (unique, e.g. the inbox's queue id).
	ID string
	// Info is the message and how it arrived (its SMTP session).
	Info *report.MessageInfo
	// Report is the analysis; nil when it could not run (Err says why).
	Report *checks.Report
	// Err says why the message could not be analysed.
	Err error
}

// InboxOptions make the list a test inbox (mxray receive): the messages
// arrive on Messages, newest first in the list.
type InboxOptions struct {
	// Messages delivers the analysed messages; closed when no more come
	// (--count reached).
	Messages <-chan InboxMessage
	// Listen is the address the inbox listens on.
	Listen string
	// STARTTLS says whether STARTTLS is offered.
	STARTTLS bool
	// Count is the number of messages asked for (0: until interrupted).
	Count int
}

// inboxRow is what the list keeps of a message beyond its summary: the
// columns of its row, all escaped when drawn.
type inboxRow struct {
	at                            time.Time
	ip, helo, mailFrom, from, sub string
}

// inboxMsg carries a received message to the model; closed: no more.
type inboxMsg struct {
	m      InboxMessage
	closed bool
}

// waitInbox waits for the next received message, or the end of the
// program (ctx).
func waitInbox(ctx context.Context, ch <-chan InboxMessage) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case im, ok := <-ch:
			return inboxMsg{m: im, closed: !ok}
		case <-ctx.Done():
			return nil
		}
	}
}

// inboxDone folds a received message into the list and waits for the next.
func (m *Model) inboxDone(msg inboxMsg) tea.Cmd {
	ms := m.multi
	if ms == nil || m.opts.Inbox == nil {
		return nil
	}
	if msg.closed {
		ms.inboxClosed = true
		return nil
	}
	im := msg.m
	e := &domainEntry{DomainSummary: DomainSummary{Name: im.ID}, idx: len(ms.entries), bucket: -1}
	e.row = inboxRowOf(im.Info)
	e.Input = e.row.describe()
	ms.entries = append(ms.entries, e)
	ms.byName[im.ID] = e
	ms.finish(e, im.Report, im.Err, m.opts.FailOn)
	if im.Info != nil && im.Report != nil && im.Err == nil {
		ms.cache.putInfo(im.ID, im.Info)
	}
	return waitInbox(m.ctx, m.opts.Inbox.Messages)
}

func inboxRowOf(info *report.MessageInfo) *inboxRow {
	r := &inboxRow{}
	if info == nil {
		return r
	}
	if s := info.SMTP; s != nil {
		r.at = s.ReceivedAt
		if s.ClientIP.IsValid() {
			r.ip = s.ClientIP.String()
		}
		r.helo, r.mailFrom = s.HELO, s.MailFrom
	}
	if msg := info.Message; msg != nil {
		if len(msg.From) > 0 {
			r.from = msg.From[0].Address
		}
		r.sub = msg.Subject
	}
	// Every message's row is kept: bound what the client chose.
	for _, f := range []*string{&r.ip, &r.helo, &r.mailFrom, &r.from, &r.sub} {
		*f = clip(*f, maxRowField)
	}
	return r
}

// describe is the row in words, for the summary left on the terminal.
func (r *inboxRow) describe() string {
	from := r.from
	if from == "" {
		from = "(no From)"
	}
	d := "from " + from
	if r.ip != "" {
		d += " via " + r.ip
	}
	if r.sub != "" {
		d += ", subject " + r.sub
	}
	return d
}

// maxRowField bounds each column a row keeps, in bytes.
const maxRowField = 256

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// inboxTitle is the list's header: where the inbox listens and how many
// messages came.
func (m Model) inboxTitle() string {
	io := m.opts.Inbox
	tls := "STARTTLS off"
	if io.STARTTLS {
		tls = "STARTTLS on"
	}
	n := len(m.multi.entries)
	got := fmt.Sprintf("%d received", n)
	switch {
	case io.Count > 0 && m.multi.inboxClosed:
		got = fmt.Sprintf("%d of %d received, press q", n, io.Count)
	case io.Count > 0:
		got = fmt.Sprintf("%d of %d received", n, io.Count)
	}
	return "inbox on " + clean(io.Listen) + " (" + tls + ")" + m.c.g.Dot + got
}

// inboxView draws the received messages, newest first.
func (p domainsModel) inboxView() string {
	st, g := p.c.st, p.c.g
	if len(p.ms.entries) == 0 {
		return st.Faint.Render("No message yet: send one to the address above.")
	}
	rows, cur := p.rows()
	cols := []struct {
		name string
		w    int
	}{{"TIME", 8}, {"CLIENT IP", 15}, {"HELO", 0}, {"MAIL FROM", 0}, {"FROM", 0}, {"SUBJECT", 0}}
	// The four text columns share what the width leaves (the cursor, the
	// time, the address, six spaces and the status badge): a fifth each
	// for HELO, a quarter each for the addresses, the rest for Subject.
	rest := max(p.width-2-8-15-6-6-colStatus, 40)
	cols[2].w, cols[3].w, cols[4].w = rest/5, rest/4, rest/4
	cols[5].w = rest - cols[2].w - cols[3].w - cols[4].w
	var hb strings.Builder
	hb.WriteString("  ")
	for _, c := range cols {
		hb.WriteString(pad(c.name, c.w, "") + " ")
	}
	hb.WriteString("STATUS")
	var b strings.Builder
	b.WriteString(st.Label.Render(hb.String()) + "\n")
	visible := max(p.height-1, 1)
	off := 0
	if cur >= visible {
		off = cur - visible + 1
	}
	for i := off; i < len(rows) && i < off+visible; i++ {
		e := rows[i]
		c := "  "
		if i == cur {
			c = g.Cursor + " "
		}
		r := e.row
		if r == nil {
			r = &inboxRow{}
		}
		at := ""
		if !r.at.IsZero() {
			at = r.at.Local().Format("15:04:05")
			if p.c.static {
				at = r.at.UTC().Format("15:04:05")
			}
		}
		vals := []string{at, r.ip, r.helo, r.mailFrom, r.from, r.sub}
		line := c
		for k, v := range vals {
			line += pad(clean(v), cols[k].w, g.Ellipsis) + " "
		}
		line += statusBadge(st, e.Status)
		if e.Err != "" && e.Fail+e.Warn == 0 {
			line += " " + st.Error.Render(clean(firstLine(e.Err)))
		}
		if i == cur {
			line = st.Selected.Render(line)
		}
		b.WriteString(line)
		if i+1 < len(rows) && i+1 < off+visible {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// InboxResult is what RunInbox returns once the list closed.
type InboxResult struct {
	// Messages are the received messages' summaries, in arrival order
	// (Name is the InboxMessage ID, Input the message in words: its
	// From, client IP and Subject, unescaped).
	Messages []DomainSummary
	// Interrupted: the user quit with ctrl+c (not q).
	Interrupted bool
}

// RunInbox runs the UI on a test inbox (Options.Inbox) until the user
// quits, and returns the summaries of the messages received.
func RunInbox(ctx context.Context, opts Options, progOpts ...tea.ProgramOption) (InboxResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, opts)
	progOpts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, progOpts...)
	final, err := tea.NewProgram(m, progOpts...).Run()
	fm, ok := final.(Model)
	if !ok {
		fm = m
	}
	cancel()
	fm.finish()
	var res InboxResult
	res.Interrupted = fm.forced || errors.Is(err, tea.ErrProgramKilled)
	if fm.multi != nil {
		fm.multi.stopAll()
		res.Messages = fm.multi.summaries()
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return res, err
	}
	return res, nil
}
