package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/safetext"
)

// InputError is a line of a bulk input (mxray check -f) that is not a
// domain. It does not stop the batch: it becomes an error document in its
// place ({"input": the line, "line": 17, "status": "error", "error": why,
// "checks": [], no "domain"}) and the other lines are checked.
type InputError struct {
	Line   int       // 1-based line of the input
	Input  string    // the line as read (comment and surrounding space removed)
	Reason string    // why it is not a domain, in plain words
	At     time.Time // when it was read
}

// Document returns the mxray/v1 error document of the line: no domain, no
// checks, no resolver asked, no DNS query sent.
func (e InputError) Document() JSONReport {
	in := e.Input
	if in == "" {
		in = "(empty)"
	}
	return JSONReport{
		Schema:    SchemaVersion,
		Input:     in,
		Line:      max(e.Line, 1),
		StartedAt: e.At.UTC().Format(time.RFC3339),
		Status:    checks.StatusError,
		Resolvers: []string{},
		Checks:    []JSONCheck{},
		Error:     e.Reason,
	}
}

// name is how the text and Markdown reports name the line.
func (e InputError) name() string { return "line " + strconv.Itoa(e.Line) }

func writeInputErrorText(b *strings.Builder, opts Options, e InputError) {
	p := painter(opts.Color)
	fmt.Fprintf(b, "%s: %s %s\n", p.paint(ansiBold, e.name()), p.paint(statusColor(checks.StatusError), statusWord(checks.StatusError)), clean(strconv.Quote(e.Input)))
	wrapBlock(b, opts, "  ", p.paint(ansiMagenta, "not checked:")+" ", e.Reason)
}

func (d *markdownDoc) addInputError(e InputError) {
	d.rows = append(d.rows, "| "+e.name()+": "+mdCellCode(e.Input)+" | "+statusWord(checks.StatusError)+" | | 0 |")
	var b strings.Builder
	fmt.Fprintf(&b, "## %s: %s\n\n", e.name(), statusWord(checks.StatusError))
	fmt.Fprintf(&b, "Input: %s\n\nNot checked: %s\n", mdCode(e.Input), mdText(e.Reason))
	d.sections = append(d.sections, b.String())
}

func (d *junitDoc) addInputError(e InputError) {
	s := junitSuite{
		Name:      e.name(),
		Tests:     1,
		Errors:    1,
		Time:      seconds(0),
		Timestamp: e.At.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"input", e.Input}, {"status", string(checks.StatusError)}, {"error", e.Reason},
		},
		Cases: []junitCase{{Name: "input", ClassName: e.name(), Time: seconds(0),
			Error: &junitProblem{Message: firstLine(e.Reason), Type: "error", Text: xmlText(e.Reason)}}},
	}
	d.doc.Tests++
	d.doc.Errors++
	d.doc.Suites = append(d.doc.Suites, s)
}

// maxSummaryRows bounds the rows the bulk text summary keeps (one per
// domain); the totals count every domain.
const maxSummaryRows = 10_000

// summary is the table that ends a bulk text run: one row per domain
// (status, fail and warn finding counts), then the totals.
type summary struct {
	rows    []summaryRow
	dropped int
	total   int // domains checked
	bad     int // input lines that are not domains
	counts  map[checks.Status]int
}

type summaryRow struct {
	name       string // the domain, or "line 17: <input>"
	status     checks.Status
	fail, warn int
	checked    bool // false: an input error, no counts
}

func (s *summary) add(e entry) {
	if s.counts == nil {
		s.counts = map[checks.Status]int{}
	}
	var r summaryRow
	if e.bad != nil {
		r = summaryRow{name: e.bad.name() + ": " + safetext.Line(e.bad.Input), status: checks.StatusError}
	} else {
		r = summaryRow{name: safetext.Line(e.rep.Name()), status: e.rep.Status(), checked: true}
		for _, res := range e.rep.Results {
			for _, f := range res.Findings {
				switch f.Severity {
				case checks.SevFail:
					r.fail++
				case checks.SevWarn:
					r.warn++
				}
			}
		}
	}
	if r.checked {
		s.total++
	} else {
		s.bad++
	}
	s.counts[r.status]++
	if len(s.rows) >= maxSummaryRows {
		s.dropped++
		return
	}
	r.name = truncateWidth(r.name, 60)
	s.rows = append(s.rows, r)
}

func (s *summary) writeTo(b *strings.Builder, opts Options) {
	p := painter(opts.Color)
	w := len("domain")
	for _, r := range s.rows {
		w = max(w, textWidth(r.name))
	}
	pad := func(name string) string { return name + strings.Repeat(" ", max(0, w-textWidth(name))) }
	b.WriteString("\n" + pad("domain") + "  status  fail  warn\n")
	for _, r := range s.rows {
		fail, warn := "-", "-"
		if r.checked {
			fail, warn = strconv.Itoa(r.fail), strconv.Itoa(r.warn)
		}
		word := statusWord(r.status)
		line := pad(r.name) + "  " + p.paint(statusColor(r.status), word) + strings.Repeat(" ", 6-len(word)) + fmt.Sprintf("  %4s  %4s", fail, warn)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if s.dropped > 0 {
		fmt.Fprintf(b, "... and %d more (listed above)\n", s.dropped)
	}
	b.WriteString("\n" + plural(s.total, "domain", "domains"))
	if s.bad > 0 {
		b.WriteString(" and " + plural(s.bad, "line that is not a domain", "lines that are not domains"))
	}
	sep := ": "
	for _, st := range checks.StatusesWorstFirst {
		if s.counts[st] > 0 {
			b.WriteString(sep + p.paint(statusColor(st), strconv.Itoa(s.counts[st])+" "+string(st)))
			sep = ", "
		}
	}
	b.WriteString("\n")
}
