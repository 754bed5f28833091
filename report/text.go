package report

import (
	"fmt"
	"github.com/mxray/mxray/checks/safetext"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
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

// ANSI SGR sequences used when Options.Color is set.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[1;31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[1;35m"
	ansiCyan    = "\x1b[36m"
	ansiFaint   = "\x1b[2m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return code + s + ansiReset
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
	name := p.paint(ansiBold, clean(rep.Domain))
	if rep.Input != "" && rep.Input != rep.Domain {
		name += " (" + clean(rep.Input) + ")"
	}
	fmt.Fprintf(b, "%s: %s in %s (%s", name, p.paint(statusColor(st), statusWord(st)), fmtDuration(rep.Duration), plural(rep.DNSQueries, "DNS query", "DNS queries"))
	if len(rep.Resolvers) > 0 {
		b.WriteString(" via " + clean(strings.Join(rep.Resolvers, ", ")))
	}
	b.WriteString(")\n")
	if rep.Err != "" {
		block(b, "  ", p.paint(ansiMagenta, "nothing decided:")+" ", rep.Err)
	}
	if rep.Interrupted {
		block(b, "  ", p.paint(ansiMagenta, "interrupted:")+" ", "the run was stopped before every check finished; unfinished checks decided nothing")
	}
	if len(rep.Results) > 0 {
		b.WriteString("\n")
	}

	// Checks, worst first.
	counts := map[checks.Status]int{}
	for _, i := range worstFirst(rep.Results) {
		res := rep.Results[i]
		cs := res.EffectiveStatus()
		counts[cs]++
		line := p.paint(statusColor(cs), Badge(cs)) + " " + checkName(res)
		if cs != checks.StatusSkip || res.Duration > 0 {
			line += " " + fmtDuration(res.Duration)
		}
		b.WriteString(line + "\n")
		if res.Err != "" {
			block(b, "  ", p.paint(ansiMagenta, strings.TrimSpace(undecidedLabel(res.Err)))+" ", strings.TrimPrefix(res.Err, "not decided: "))
		}
		if res.Skip != "" {
			block(b, "  ", "skipped: ", res.Skip)
		}
		for _, f := range res.Findings {
			writeTextFinding(b, opts, f)
		}
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
	b.WriteString("\n")
}

// writeTextFinding writes one finding: the severity, ID and subject on one
// line, then the message, the fix and (verbose) the why and the evidence.
func writeTextFinding(b *strings.Builder, opts Options, f checks.Finding) {
	p := painter(opts.Color)
	sev := string(f.Severity)
	line := "  " + p.paint(severityColor(f.Severity), sev) + strings.Repeat(" ", max(1, 6-utf8.RuneCountInString(sev))) + p.paint(ansiBold, clean(f.ID))
	if subj := firstLine(f.Subject); subj != "" {
		line += "  " + subj
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	if f.Message != "" {
		block(b, findingIndent, "", f.Message)
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
		block(b, findingIndent, "why: ", def.Why)
	}
	if fix != "" {
		block(b, findingIndent, p.paint(ansiGreen, "fix:")+" ", fix)
	}
	if !opts.Verbose {
		return
	}
	if haveDef && def.Ref != "" {
		block(b, findingIndent, "ref: ", def.Ref)
	}
	if ev := f.Evidence; ev != nil {
		for _, q := range ev.DNS {
			block(b, findingIndent, "dns: ", fmtQuery(q))
		}
		for _, r := range ev.Records {
			block(b, findingIndent, "record: ", r)
		}
		for _, l := range ev.SMTP {
			block(b, findingIndent, string(l.Dir)+": ", l.Text)
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
// the text's first character.
func block(b *strings.Builder, indent, label, text string) {
	ls := lines(text)
	if len(ls) == 0 {
		ls = []string{""}
	}
	cont := indent + strings.Repeat(" ", visibleWidth(label))
	for i, l := range ls {
		prefix := indent + label
		if i > 0 {
			prefix = cont
		}
		b.WriteString(strings.TrimRight(prefix+l, " ") + "\n")
	}
}

// visibleWidth is the width of s without ANSI sequences, counting runes.
func visibleWidth(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			if r == 'm' {
				esc = false
			}
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

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
