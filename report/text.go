package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/report/palette"
)

// The text format, per report:
//
//	example.com: FAIL in 812ms (41 DNS queries via 127.0.0.1:53)
//
//	[FAIL] SPF record (spf) 143ms
//	  fail  spf.lookup-limit  example.com
//	        SPF needs 13 DNS lookups; receivers stop at 10
//	        fix: Flatten or remove includes
//	[PASS] MX records (mx) 12ms
//
//	2 checks: 1 fail, 1 pass
//
// Checks are listed worst status first (ties keep the run's order); every
// line is free of trailing spaces, and control characters coming from the
// network are shown escaped so that they cannot drive the terminal.

// The colours of the text format when Options.Color is set: SGR
// parameters from the palette the terminal UI shares.
var (
	ansiBold    = palette.Bold
	ansiRed     = palette.Fail.SGR
	ansiGreen   = palette.Pass.SGR
	ansiYellow  = palette.Warn.SGR
	ansiMagenta = palette.Error.SGR
	ansiCyan    = palette.Info.SGR
	ansiFaint   = palette.Faint.SGR
)

type painter bool

func (p painter) paint(sgr, s string) string {
	if !p {
		return s
	}
	return palette.Paint(sgr, s)
}

func statusColor(s checks.Status) string {
	switch s {
	case checks.StatusFail:
		return ansiRed
	case checks.StatusError:
		return ansiMagenta
	case checks.StatusWarn:
		return ansiYellow
	case checks.StatusPass:
		return ansiGreen
	}
	return ansiFaint
}

func severityColor(s checks.Severity) string {
	switch s {
	case checks.SevFail:
		return ansiRed
	case checks.SevError:
		return ansiMagenta
	case checks.SevWarn:
		return ansiYellow
	}
	return ansiCyan
}

// Badge returns the fixed-width badge of a check status as the text format
// shows it: "[FAIL]", "[WARN]", "[PASS]", "[ERR ]", "[SKIP]".
func Badge(s checks.Status) string {
	switch s {
	case checks.StatusFail:
		return "[FAIL]"
	case checks.StatusWarn:
		return "[WARN]"
	case checks.StatusPass:
		return "[PASS]"
	case checks.StatusError:
		return "[ERR ]"
	case checks.StatusSkip:
		return "[SKIP]"
	}
	return "[????]"
}

// statusWord is the upper-case status for headers.
func statusWord(s checks.Status) string {
	if s == checks.StatusError {
		return "ERROR"
	}
	return strings.ToUpper(string(s))
}

// findingIndent is where finding details start, under the finding ID.
const findingIndent = "        "

func writeText(b *strings.Builder, opts Options, rep *checks.Report) {
	p := painter(opts.Color)
	st := rep.Status()

	// Header.
	name := p.paint(ansiBold, clean(rep.Name()))
	if opts.Message != nil {
		name = "message from " + p.paint(ansiBold, clean(messageName(rep.Domain)))
	} else if rep.Input != "" && rep.Input != rep.Name() {
		name += " (" + clean(rep.Input) + ")"
	}
	header := fmt.Sprintf("%s: %s in %s (%s", name, p.paint(statusColor(st), statusWord(st)), fmtDuration(rep.Duration), plural(rep.DNSQueries, "DNS query", "DNS queries"))
	if len(rep.Resolvers) > 0 {
		header += " via " + clean(strings.Join(rep.Resolvers, ", "))
	}
	wrapLine(b, opts, header+")", "  ")
	if rep.Err != "" {
		wrapBlock(b, opts, "  ", p.paint(ansiMagenta, "nothing decided:")+" ", rep.Err)
	}
	if rep.NothingTested() {
		wrapBlock(b, opts, "  ", p.paint(ansiMagenta, "nothing tested:")+" ", "every check was skipped (the reasons are below); nothing is known, so the run does not pass")
	}
	if rep.Interrupted {
		wrapBlock(b, opts, "  ", p.paint(ansiMagenta, "interrupted:")+" ", "the run was stopped before every check finished; unfinished checks decided nothing")
	}
	if opts.Message != nil {
		for _, l := range messageLines(opts.Message) {
			wrapBlock(b, opts, "  ", l[0]+": ", clean(l[1]))
		}
	}
	if len(rep.Results) > 0 {
		b.WriteString("\n")
	}

	// Checks, worst first.
	counts := map[checks.Status]int{}
	hidden := 0
	for _, i := range worstFirst(rep.Results) {
		res := rep.Results[i]
		cs := res.EffectiveStatus()
		counts[cs]++
		line := p.paint(statusColor(cs), Badge(cs)) + " " + checkName(res)
		if cs != checks.StatusSkip || res.Duration > 0 {
			line += " " + fmtDuration(res.Duration)
		}
		wrapLine(b, opts, line, "       ")
		if res.Err != "" {
			wrapBlock(b, opts, "  ", p.paint(ansiMagenta, strings.TrimSpace(undecidedLabel(res.Err)))+" ", strings.TrimPrefix(res.Err, "not decided: "))
		}
		if res.Skip != "" {
			wrapBlock(b, opts, "  ", "skipped: ", res.Skip)
		}
		if opts.Verbose {
			writeTextData(b, opts, res.Data)
		}
		for _, f := range res.Findings {
			if !opts.Verbose && nothingToDo(opts, f) {
				hidden++
				continue
			}
			writeTextFinding(b, opts, f)
		}
		writeTextProfile(b, opts, res)
	}

	// Summary.
	b.WriteString("\n" + plural(len(rep.Results), "check", "checks"))
	sep := ": "
	for _, s := range checks.StatusesWorstFirst {
		if counts[s] > 0 {
			b.WriteString(sep + p.paint(statusColor(s), strconv.Itoa(counts[s])+" "+string(s)))
			sep = ", "
		}
	}
	if hidden > 0 {
		b.WriteString("; " + plural(hidden, "info finding", "info findings") + " with nothing to do (-v shows them)")
	}
	b.WriteString("\n")
}

// nothingToDo reports whether f is an info finding whose fix says there is
// nothing to do ("Nothing to do.", "Nothing to do: ...", "Nothing to do
// for the domain", "Nothing to fix."; not "Nothing to do if ...", which
// asks the reader to decide): the text report shows those only with -v.
func nothingToDo(opts Options, f checks.Finding) bool {
	if f.Severity != checks.SevInfo {
		return false
	}
	fix := f.Fix
	if fix == "" && opts.Explain != nil {
		if d, ok := opts.Explain(f.ID); ok {
			fix = d.Fix
		}
	}
	fix = strings.ToLower(strings.TrimSpace(fix))
	for _, p := range []string{"nothing to do", "nothing to fix"} {
		if rest, ok := strings.CutPrefix(fix, p); ok {
			return strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, " for the domain")
		}
	}
	return false
}

// dataIndent is where the list of what a check read starts.
const dataIndent = "  "

// writeTextData lists what a check read (checks.DescribeData), one item a
// line, nested by depth: "label: value", escaped.
func writeTextData(b *strings.Builder, opts Options, data any) {
	p := painter(opts.Color)
	for _, it := range checks.DescribeData(data) {
		indent := dataIndent + strings.Repeat("  ", min(max(it.Depth, 0), maxDataDepth))
		label := firstLine(it.Label)
		switch {
		case label == "":
			wrapBlock(b, opts, indent, "", it.Value)
		case strings.TrimSpace(it.Value) == "":
			wrapLines(b, opts, indent, "", []string{p.paint(ansiFaint, label)})
		default:
			wrapBlock(b, opts, indent, p.paint(ansiFaint, label+":")+" ", it.Value)
		}
	}
}

// maxDataDepth bounds the nesting shown (a deep SPF include tree stays on
// the screen).
const maxDataDepth = 12

// writeTextFinding writes one finding: the severity, ID and subject on one
// line, then the message, the fix and (verbose) the why and the evidence.
func writeTextFinding(b *strings.Builder, opts Options, f checks.Finding) {
	p := painter(opts.Color)
	sev := string(f.Severity)
	line := "  " + p.paint(severityColor(f.Severity), sev) + strings.Repeat(" ", max(1, 6-textWidth(sev))) + p.paint(ansiBold, clean(f.ID))
	if subj := firstLine(f.Subject); subj != "" {
		line += "  " + subj
	}
	wrapLine(b, opts, line, findingIndent)
	if f.Message != "" {
		wrapBlock(b, opts, findingIndent, "", f.Message)
	}
	var def checks.Def
	var haveDef bool
	if opts.Explain != nil {
		def, haveDef = opts.Explain(f.ID)
	}
	fix := f.Fix
	if fix == "" && haveDef {
		fix = def.Fix
	}
	if opts.Verbose && haveDef && def.Why != "" {
		wrapBlock(b, opts, findingIndent, "why: ", def.Why)
	}
	if fix != "" {
		wrapBlock(b, opts, findingIndent, p.paint(ansiGreen, "fix:")+" ", fix)
	}
	if !opts.Verbose {
		return
	}
	if haveDef && def.Ref != "" {
		wrapBlock(b, opts, findingIndent, "ref: ", def.Ref)
	}
	if ev := f.Evidence; ev != nil {
		for _, q := range ev.DNS {
			wrapBlock(b, opts, findingIndent, "dns: ", fmtQuery(q))
		}
		for _, r := range ev.Records {
			wrapBlock(b, opts, findingIndent, "record: ", r)
		}
		for _, l := range ev.SMTP {
			wrapBlock(b, opts, findingIndent, string(l.Dir)+": ", l.Text)
		}
	}
}

// fmtQuery formats a DNS log entry as
// "name TYPE -> RCODE, N answers (ad, 12.3ms, udp @server)".
func fmtQuery(q dnsq.Query) string {
	var b strings.Builder
	name := strings.TrimSuffix(q.Name, ".")
	if name == "" {
		name = "."
	}
	b.WriteString(name + " " + q.Type + " -> " + q.Rcode)
	if q.Rcode == "NOERROR" {
		b.WriteString(", " + plural(q.Answers, "answer", "answers"))
	}
	var flags []string
	if q.AD {
		flags = append(flags, "ad")
	}
	if q.CD {
		flags = append(flags, "cd")
	}
	flags = append(flags, strconv.FormatFloat(q.RTTMs, 'f', 1, 64)+"ms")
	via := q.Proto
	if q.Server != "" {
		via = strings.TrimSpace(via + " @" + q.Server)
	}
	if via != "" {
		flags = append(flags, via)
	}
	b.WriteString(" (" + strings.Join(flags, ", ") + ")")
	if q.Err != "" {
		b.WriteString(": " + q.Err)
	}
	return b.String()
}

// block writes text after indent+label, continuation lines aligned under
// the text's first character; long lines are kept (see wrapBlock).
func block(b *strings.Builder, indent, label, text string) {
	wrapBlock(b, Options{}, indent, label, text)
}

// minWrap is the narrowest text column wrapping leaves: on a very narrow
// terminal lines overflow rather than become a column of single words.
const minWrap = 20

// wrapBlock writes text (network text: cleaned here) after indent+label,
// continuation lines aligned under the text's first character (a hanging
// indent). With opts.Width it wraps at word boundaries to that many
// columns (a word longer than the line is broken); without, long lines are
// kept whole, as pipes and files want them.
func wrapBlock(b *strings.Builder, opts Options, indent, label, text string) {
	wrapLines(b, opts, indent, label, lines(text))
}

// wrapLines is wrapBlock for lines already cleaned (they may hold the
// report's own colour sequences).
func wrapLines(b *strings.Builder, opts Options, indent, label string, ls []string) {
	if len(ls) == 0 {
		ls = []string{""}
	}
	cont := indent + strings.Repeat(" ", textWidth(label))
	avail := opts.Width - textWidth(cont)
	if opts.Width > 0 && avail < minWrap && label != "" {
		// A label too wide to hang under: the text follows it and the
		// continuation hangs two columns in.
		ls = append([]string{label + ls[0]}, ls[1:]...)
		label, cont = "", indent+"  "
		avail = opts.Width - textWidth(cont)
	}
	for i, l := range ls {
		prefix := indent + label
		if i > 0 {
			prefix = cont
		}
		parts := []string{l}
		if opts.Width > 0 && textWidth(l) > avail {
			parts = wrapText(l, max(avail, minWrap))
		}
		for j, part := range parts {
			if j > 0 {
				prefix = cont
				part = strings.TrimLeft(part, " ")
			}
			b.WriteString(strings.TrimRight(prefix+part, " ") + "\n")
		}
	}
}

// wrapText wraps l at word boundaries to width columns; a piece that
// still does not fit (a word longer than the line, leading spaces) is cut
// at the width.
func wrapText(l string, width int) []string {
	var out []string
	for _, p := range strings.Split(ansi.Wrap(l, width, ""), "\n") {
		if textWidth(p) <= width {
			out = append(out, p)
			continue
		}
		out = append(out, strings.Split(ansi.Hardwrap(p, width, true), "\n")...)
	}
	return out
}

// wrapLine writes one line already built and cleaned (it may hold colour
// sequences), wrapped with opts.Width: the first line uses the full width,
// the continuation is indented by cont.
func wrapLine(b *strings.Builder, opts Options, line, cont string) {
	if opts.Width <= 0 || textWidth(line) <= opts.Width {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		return
	}
	parts := wrapText(line, opts.Width)
	b.WriteString(strings.TrimRight(parts[0], " ") + "\n")
	for i := range parts[1:] {
		parts[i+1] = strings.TrimSpace(parts[i+1])
	}
	if rest := strings.Join(parts[1:], " "); strings.TrimSpace(rest) != "" {
		wrapLines(b, opts, cont, "", []string{rest})
	}
}

// textWidth is the width of s in terminal columns: escape sequences count
// zero, wide characters two.
func textWidth(s string) int { return ansi.StringWidth(s) }

// truncateWidth cuts s to at most n columns, marking the cut with "…".
func truncateWidth(s string, n int) string { return ansi.Truncate(s, n, "…") }

// checkName is "Title (id)", or the ID alone when there is no distinct title.
func checkName(res checks.Result) string {
	id, title := clean(res.ID), firstLine(res.Title)
	if title == "" || title == id {
		return id
	}
	return title + " (" + id + ")"
}

// worstFirst returns the indexes of results ordered worst status first,
// keeping the run's order among equals.
func worstFirst(rs []checks.Result) []int {
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return rs[idx[a]].EffectiveStatus().Rank() > rs[idx[b]].EffectiveStatus().Rank()
	})
	return idx
}

// fmtDuration formats a duration for people: 0ms, 812ms, 1.2s, 2m03s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d >= time.Minute:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// clean makes network text safe to print, keeping line feeds
// (safetext.Text: the one escaping rule of the reports and the TUI).
func clean(s string) string { return safetext.Text(s) }

// lines cleans text and splits it into lines without trailing spaces,
// dropping trailing empty lines.
func lines(s string) []string {
	ls := strings.Split(clean(s), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	for len(ls) > 0 && ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// firstLine is the cleaned text on one line: newlines become spaces.
func firstLine(s string) string {
	return strings.TrimSpace(strings.Join(lines(s), " "))
}

// undecidedLabel is the label printed before a check's error reason: a
// reason that already says "not decided: depends on ..." needs no other.
func undecidedLabel(reason string) string {
	if strings.HasPrefix(reason, "not decided: ") {
		return "not decided: "
	}
	return "could not decide: "
}
