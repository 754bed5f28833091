package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/safetext"
)

// The text helpers every pane draws with: escaping network text, fitting
// lines and blocks to the screen, padding columns, wrapping, and the lines
// of evidence (DNS queries, SMTP transcripts) several panes show. They know
// nothing of the panes.

// clean makes network text safe to print on one line (safetext.Line).
func clean(s string) string { return safetext.Line(s) }

// maxEscape is the widest escape of one input byte.
const maxEscape = safetext.MaxEscape

// firstLine is s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// orDash is s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtDur formats a duration for people: 812ms, 1.2s, 2m05s.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "0ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// ---------------------------------------------------------------- fitting

// spread puts right at the right edge of a line of width w.
func spread(left, right string, w int) string {
	if right == "" {
		return left
	}
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 2 {
		return left + "  " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// fitLine truncates a line to width w.
func fitLine(s string, w int, tail string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, tail)
	}
	return strings.TrimRight(s, " ")
}

// fitBlock truncates every line to w and pads or cuts the block to h lines.
func fitBlock(s string, w, h int, tail string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(fitLine(l, w, tail), " ")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// pad pads s with spaces to width w (truncating when longer).
func pad(s string, w int, tail string) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, tail)
	}
	return s + strings.Repeat(" ", w-sw)
}

// padLeft right-aligns s in width w.
func padLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return s
	}
	return strings.Repeat(" ", w-sw) + s
}

// ---------------------------------------------------------------- wrapping

// wrapIndent wraps s to width w, indenting every line with ind.
func wrapIndent(s string, w int, ind string) string {
	iw := ansi.StringWidth(ind)
	lim := w - iw
	if lim < 10 {
		lim = 10
	}
	lines := strings.Split(ansi.Wrap(s, lim, " -/"), "\n")
	for i := range lines {
		lines[i] = ind + lines[i]
	}
	return strings.Join(lines, "\n")
}

// wrapLabel renders "why  text..." with the text wrapped under itself.
func wrapLabel(label, text string, w int) string {
	const ind = "       "
	s := wrapIndent(text, w, ind)
	lw := ansi.StringWidth(ansi.Strip(label))
	return "  " + label + strings.Repeat(" ", len(ind)-2-lw) + strings.TrimPrefix(s, ind)
}

// hanging wraps first+s to width w and indents the lines after the first
// with rest. Long words are broken, so no line is wider than w (as long as
// rest leaves at least 10 columns).
func hanging(s string, w int, first, rest string) string {
	lim := w - ansi.StringWidth(rest)
	if lim < 10 {
		lim = 10
	}
	lines := strings.Split(ansi.Wrap(first+s, lim, " -/"), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = rest + lines[i]
	}
	return strings.Join(lines, "\n")
}

// hangingWords is hanging that breaks lines at spaces only: records and
// values ("-all", "ip4:192.0.2.0/24") stay whole where they fit; a word
// wider than a line is cut hard.
func hangingWords(s string, w int, first, rest string) string {
	restW := ansi.StringWidth(rest)
	if w-restW < 10 {
		w = restW + 10
	}
	var lines []string
	line, lw, empty := first, ansi.StringWidth(first), true // empty: no word on the line yet
	flush := func() {
		lines = append(lines, line)
		line, lw, empty = rest, restW, true
	}
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		if !empty && lw+1+ww > w {
			flush()
		}
		if !empty {
			line += " "
			lw++
		}
		for lw+ww > w {
			cut := w - lw
			if cut < 2 {
				flush() // then at least 10 columns are free
				continue
			}
			line += ansi.Truncate(word, cut, "")
			word = ansi.TruncateLeft(word, cut, "")
			ww = ansi.StringWidth(word)
			flush()
		}
		line += word
		lw += ww
		empty = false
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n")
}

// labelWidth is the column the text of a labelled line starts at.
const labelWidth = 11

// labelled renders "label      text…" with the text wrapped under itself.
func labelled(label, text string, w int) string {
	ind := strings.Repeat(" ", labelWidth)
	lw := ansi.StringWidth(label)
	first := label + " "
	if lw < labelWidth-1 {
		first = label + strings.Repeat(" ", labelWidth-lw)
	}
	return hanging(text, w, first, ind)
}

// ---------------------------------------------------------------- evidence

// dnsLine renders one DNS query: name, type, rcode, AD, round trip,
// answers, server and error.
func dnsLine(st Styles, q dnsq.Query) string {
	ad := "  "
	if q.AD {
		ad = "AD"
	}
	rc := q.Rcode
	rcs := st.Pass
	if rc != "NOERROR" {
		rcs = st.Warn
		if rc != "NXDOMAIN" {
			rcs = st.Error
		}
	}
	s := fmt.Sprintf("%s %s %s %s %s", st.Faint.Render("dns"), clean(q.Name), clean(q.Type), rcs.Render(clean(rc)), ad)
	s += fmt.Sprintf(" %4.0fms", q.RTTMs)
	if q.Answers > 0 {
		s += fmt.Sprintf(" %d ans", q.Answers)
	}
	if q.Server != "" {
		s += st.Faint.Render(" @" + clean(q.Server))
	}
	if q.Err != "" {
		s += " " + st.Error.Render(clean(q.Err))
	}
	return s
}

// lineOf renders one transcript line with its direction mark.
func lineOf(st Styles, dir checks.Direction, text string) string {
	switch dir {
	case checks.DirClient:
		return st.Client.Render("C: " + clean(text))
	case checks.DirServer:
		return st.Server.Render("S: " + clean(text))
	}
	return st.Note.Render("*  " + clean(text))
}
