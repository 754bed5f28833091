package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
)

// markdownDoc collects the sections of a Markdown document: an overview row
// and a rendered section per report.
type markdownDoc struct {
	rows     []string
	sections []string
}

// add renders one report's section now, so that the caller may reuse the
// report and memory holds only the output.
func (d *markdownDoc) add(opts Options, rep *checks.Report) {
	st := rep.Status()
	counts := map[checks.Status]int{}
	findings := 0
	for _, res := range rep.Results {
		counts[res.EffectiveStatus()]++
		findings += len(res.Findings)
	}
	var cs []string
	for _, s := range checks.StatusesWorstFirst {
		if counts[s] > 0 {
			cs = append(cs, strconv.Itoa(counts[s])+" "+string(s))
		}
	}
	d.rows = append(d.rows, "| "+mdCellCode(rep.Name())+" | "+statusWord(st)+" | "+strings.Join(cs, ", ")+" | "+strconv.Itoa(findings)+" |")

	var b strings.Builder
	writeMarkdownReport(&b, opts, rep)
	d.sections = append(d.sections, b.String())
}

func (d *markdownDoc) writeTo(b *strings.Builder) {
	b.WriteString("# mxray report\n")
	if len(d.rows) > 1 {
		b.WriteString("\n| Domain | Status | Checks | Findings |\n| --- | --- | --- | ---: |\n")
		for _, r := range d.rows {
			b.WriteString(r + "\n")
		}
	}
	for _, s := range d.sections {
		b.WriteString("\n" + s)
	}
}

func writeMarkdownReport(b *strings.Builder, opts Options, rep *checks.Report) {
	st := rep.Status()
	if opts.Message != nil {
		fmt.Fprintf(b, "## Message from %s: %s\n\n", mdText(messageName(rep.Domain)), statusWord(st))
		for _, l := range messageLines(opts.Message) {
			fmt.Fprintf(b, "- %s: %s\n", l[0], mdCode(l[1]))
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(b, "## %s: %s\n\n", mdText(rep.Name()), statusWord(st))
	}
	if opts.Message == nil && rep.Input != "" && rep.Input != rep.Name() {
		fmt.Fprintf(b, "Input: %s\n\n", mdCode(rep.Input))
	}
	fmt.Fprintf(b, "Started %s, took %s, %s", rep.StartedAt.UTC().Format(time.RFC3339), fmtDuration(rep.Duration), plural(rep.DNSQueries, "DNS query", "DNS queries"))
	if len(rep.Resolvers) > 0 {
		var rs []string
		for _, r := range rep.Resolvers {
			rs = append(rs, mdCode(r))
		}
		b.WriteString(" via " + strings.Join(rs, ", "))
	}
	b.WriteString(".\n")
	if rep.Err != "" {
		b.WriteString("\nNothing decided: " + mdText(rep.Err) + "\n")
	}
	if rep.NothingTested() {
		b.WriteString("\nNothing tested: every check was skipped (the reasons are below); nothing is known, so the run does not pass.\n")
	}
	if rep.Interrupted {
		b.WriteString("\nInterrupted: the run was stopped before every check finished; unfinished checks decided nothing.\n")
	}
	if len(rep.Results) == 0 {
		b.WriteString("\nNo checks ran.\n")
		return
	}

	order := worstFirst(rep.Results)
	b.WriteString("\n| Status | Check | Duration | Findings |\n| --- | --- | ---: | --- |\n")
	for _, i := range order {
		res := rep.Results[i]
		cs := res.EffectiveStatus()
		name := mdCellCode(res.ID)
		if t := firstLine(res.Title); t != "" && t != res.ID {
			name = mdText(t) + " (" + name + ")"
		}
		dur := ""
		if cs != checks.StatusSkip || res.Duration > 0 {
			dur = fmtDuration(res.Duration)
		}
		var notes []string
		if res.Err != "" {
			notes = append(notes, undecidedLabel(res.Err)+mdText(strings.TrimPrefix(res.Err, "not decided: ")))
		}
		if res.Skip != "" {
			notes = append(notes, "skipped: "+mdText(res.Skip))
		}
		var ids []string
		for _, f := range res.Findings {
			ids = append(ids, mdCellCode(f.ID))
		}
		if len(ids) > 0 {
			notes = append(notes, strings.Join(ids, ", "))
		}
		b.WriteString(strings.TrimRight("| "+statusWord(cs)+" | "+name+" | "+dur+" | "+strings.Join(notes, "<br>")+" |", " ") + "\n")
	}

	b.WriteString("\n### Findings\n\n")
	n := 0
	for _, i := range order {
		for _, f := range rep.Results[i].Findings {
			n++
			writeMarkdownFinding(b, opts, f)
		}
		writeMarkdownProfile(b, rep.Results[i])
	}
	if n == 0 {
		b.WriteString("No findings.\n")
	}
	writeMarkdownData(b, rep, order)
}

// writeMarkdownData lists what each check read (checks.DescribeData), as
// nested lists under one heading per check: the labels as text, the values
// (records, names, answers) as code spans, verbatim.
func writeMarkdownData(b *strings.Builder, rep *checks.Report, order []int) {
	heading := false
	for _, i := range order {
		res := rep.Results[i]
		items := checks.DescribeData(res.Data)
		if len(items) == 0 {
			continue
		}
		if !heading {
			b.WriteString("\n### What was read\n")
			heading = true
		}
		name := mdCode(res.ID)
		if t := firstLine(res.Title); t != "" && t != res.ID {
			name = mdText(t) + " (" + name + ")"
		}
		b.WriteString("\n#### " + name + "\n\n")
		depth := 0
		for _, it := range items {
			// A list item may nest at most one level below the previous.
			depth = min(max(it.Depth, 0), depth+1, maxDataDepth)
			label, value := mdInline(mdText(firstLine(it.Label))), mdCode(it.Value)
			line := label
			switch {
			case label == "":
				line = value
			case value != "":
				line = label + ": " + value
			}
			if line == "" {
				continue
			}
			b.WriteString(strings.Repeat("  ", depth) + "- " + line + "\n")
		}
	}
}

func writeMarkdownFinding(b *strings.Builder, opts Options, f checks.Finding) {
	line := "- **" + strings.ToUpper(string(f.Severity)) + "** " + mdCode(f.ID)
	if subj := firstLine(f.Subject); subj != "" {
		line += " on " + mdCode(subj)
	}
	if f.Message != "" {
		line += ": " + mdText(f.Message)
	}
	b.WriteString(line + "\n")
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
		b.WriteString("  - Why: " + mdProse(def.Why) + "\n")
	}
	if fix != "" {
		b.WriteString("  - Fix: " + mdProse(fix) + "\n")
	}
	if !opts.Verbose {
		return
	}
	if haveDef && def.Ref != "" {
		b.WriteString("  - Reference: " + mdProse(def.Ref) + "\n")
	}
	if ev := f.Evidence; ev != nil && (len(ev.DNS)+len(ev.Records)+len(ev.SMTP)) > 0 {
		b.WriteString("  - Evidence:\n")
		for _, q := range ev.DNS {
			b.WriteString("    - DNS " + mdCode(fmtQuery(q)) + "\n")
		}
		for _, r := range ev.Records {
			b.WriteString("    - Record " + mdCode(r) + "\n")
		}
		for _, l := range ev.SMTP {
			b.WriteString("    - " + mdCode(string(l.Dir)+": "+l.Text) + "\n")
		}
	}
}

// mdEscaper backslash-escapes the characters that could start Markdown
// markup inside a line of text, including | for table cells and < and & for
// inline HTML and entities.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `&`, `\&`, `|`, `\|`, `~`, `\~`,
)

// mdText renders text from a finding as inline Markdown: escaped, with line
// breaks as <br> so that it stays inside its list item or table cell.
func mdText(s string) string {
	ls := lines(s)
	for i, l := range ls {
		ls[i] = mdEscaper.Replace(strings.TrimSpace(l))
	}
	return strings.Join(ls, "<br>")
}

// orderedMarker is the start of an ordered list item ("1." or "1)").
var orderedMarker = regexp.MustCompile(`^[0-9]{1,9}[.)]`)

// mdInline keeps rendered text (mdText, mdProse) inline where it starts a
// list item: a leading character that would start a block (a heading,
// quote, list item, thematic break or setext underline) is
// backslash-escaped.
func mdInline(s string) string {
	if s == "" {
		return s
	}
	if strings.ContainsRune("#>-+=", rune(s[0])) {
		return `\` + s
	}
	if m := orderedMarker.FindString(s); m != "" {
		return m[:len(m)-1] + `\` + s[len(m)-1:]
	}
	return s
}

// mdProse renders text for people that quotes records between backticks
// (a fix: "Publish `example.com. IN TXT \"v=spf1 -all\"`"): each quoted
// record becomes a code span, verbatim (no backslash escapes inside, a
// longer fence when the record holds a backtick), and the rest is escaped
// as mdText. A backtick opens a quote when nothing alphanumeric precedes
// it and closes one when nothing alphanumeric follows it, so a record
// with a backtick inside stays one span.
func mdProse(s string) string {
	ls := lines(s)
	for i, l := range ls {
		ls[i] = mdProseLine(strings.TrimSpace(l))
	}
	return strings.Join(ls, "<br>")
}

func mdProseLine(l string) string {
	var b strings.Builder
	for l != "" {
		open := quoteOpen(l)
		if open < 0 {
			break
		}
		end := quoteClose(l, open+1)
		if end < 0 {
			break
		}
		b.WriteString(mdEscaper.Replace(l[:open]))
		b.WriteString(mdCode(l[open+1 : end]))
		l = l[end+1:]
	}
	b.WriteString(mdEscaper.Replace(l))
	return b.String()
}

// quoteOpen is the index of the first backtick in l that can open a quote.
func quoteOpen(l string) int {
	for i := 0; i < len(l); i++ {
		if l[i] == '`' && (i == 0 || !isWordByte(l[i-1])) && i+1 < len(l) && l[i+1] != '`' {
			return i
		}
	}
	return -1
}

// quoteClose is the index of the first backtick from i on that can close a
// quote opened before i (not right after it).
func quoteClose(l string, from int) int {
	for i := from + 1; i < len(l); i++ {
		if l[i] == '`' && (i+1 == len(l) || !isWordByte(l[i+1])) {
			return i
		}
	}
	return -1
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mdCode renders s as a code span on one line, with a fence longer than any
// run of backticks inside it.
func mdCode(s string) string {
	s = firstLine(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCellCode is a code span for a table cell, where | must be escaped even
// inside code (GitHub Flavored Markdown removes the backslash).
func mdCellCode(s string) string {
	return strings.ReplaceAll(mdCode(s), "|", `\|`)
}
