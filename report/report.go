package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mxray/mxray/checks"
)

// Format names an output format.
type Format string

// The output formats. The zero Format means FormatText.
const (
	FormatText     Format = "text"     // for people; the default when not on a terminal
	FormatJSON     Format = "json"     // one pretty-printed mxray/v1 document per report
	FormatNDJSON   Format = "ndjson"   // one compact mxray/v1 document per line, streamed
	FormatMarkdown Format = "markdown" // for issues and pull requests
	FormatJUnit    Format = "junit"    // JUnit XML for CI test reporters
)

// Formats returns every supported format, in the order help texts list them.
func Formats() []Format {
	return []Format{FormatText, FormatJSON, FormatNDJSON, FormatMarkdown, FormatJUnit}
}

// ErrUnknownFormat is returned (wrapped) by ParseFormat and by encoders given
// a Format that is not one of Formats.
var ErrUnknownFormat = errors.New("report: unknown format")

// ErrClosed is returned by Stream.Add after Stream.Close.
var ErrClosed = errors.New("report: stream closed")

// ParseFormat parses a format name as given to --format. It ignores case and
// surrounding spaces; an unknown or empty name yields an error wrapping
// ErrUnknownFormat that lists the valid names.
func ParseFormat(s string) (Format, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for _, f := range Formats() {
		if name == string(f) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q (valid formats: %s)", ErrUnknownFormat, s, formatList())
}

func formatList() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Options control an encoder.
type Options struct {
	// Format is the output format; the zero value means FormatText.
	Format Format
	// Color adds ANSI colours to the text format. The caller sets it only
	// for a terminal that wants colour (not when NO_COLOR is set). Other
	// formats ignore it.
	Color bool
	// Verbose adds evidence (DNS queries, records, SMTP lines) and, with
	// Explain, the catalogue's "why" to the text and Markdown formats.
	// JSON always carries the evidence.
	Verbose bool
	// Explain looks a finding ID up in the catalogue (checks' Findings).
	// It may be nil.
	Explain func(id string) (checks.Def, bool)
	// Width, when positive, wraps the text format to that many columns at
	// word boundaries, with a hanging indent (a terminal's width); zero
	// keeps long lines whole (pipes and files). Widths are measured in
	// terminal columns: wide characters count two, escapes nothing.
	Width int
	// Bulk marks output about several domains (several arguments, or -f):
	// json writes one array of documents instead of one object, and text
	// ends with a summary table across the domains. Write sets it when
	// given more than one report.
	Bulk bool
	// Message, when set, is the message the reports examined (mxray
	// analyze, mxray receive: one report per Write): documents get the
	// target kind message and the message object, text and Markdown show
	// its header and Received chain. Nil for domain reports.
	Message *MessageInfo
}

func (o Options) format() Format {
	if o.Format == "" {
		return FormatText
	}
	return o.Format
}

// Write encodes the reports to w in opts.Format.
//
//   - text: each report in turn, separated by a blank line.
//   - json: one pretty-printed (2-space indent) document for one report;
//     one array of documents for several (never concatenated documents).
//   - ndjson: one compact document per report, one per line.
//   - markdown: one document with a section per report.
//   - junit: one <testsuites> element with a <testsuite> per report.
func Write(w io.Writer, opts Options, reps ...*checks.Report) error {
	if len(reps) > 1 {
		opts.Bulk = true
	}
	s := NewStream(w, opts)
	for _, r := range reps {
		if err := s.Add(r); err != nil {
			return err
		}
	}
	return s.Close()
}

// Stream encodes reports one at a time, for bulk runs. Text, JSON and NDJSON
// are written as each report is added, so memory stays constant (with
// Options.Bulk, JSON is one array, opened by the first Add and closed by
// Close; text keeps one summary row per domain, at most maxSummaryRows);
// Markdown and JUnit need totals up front, so each report is rendered when
// added and the whole document is written on Close. A Stream is safe for
// concurrent use; reports appear in the order Add was called.
type Stream struct {
	w    io.Writer
	opts Options

	mu     sync.Mutex
	n      int   // reports added
	err    error // first write error, sticky
	closed bool
	md     *markdownDoc
	junit  *junitDoc
	sum    *summary // Bulk text: the table written on Close
}

// NewStream returns a Stream that writes to w. Nothing is written until the
// first Add (or, for Markdown and JUnit, until Close).
func NewStream(w io.Writer, opts Options) *Stream {
	return &Stream{w: w, opts: opts}
}

// Add encodes one report. A nil report is ignored. After a write error every
// later call returns that error.
func (s *Stream) Add(rep *checks.Report) error {
	if rep == nil {
		return nil
	}
	return s.add(entry{rep: rep})
}

// AddInputError encodes a bulk input line that is not a domain as an error
// document (see InputError), in its place among the reports.
func (s *Stream) AddInputError(e InputError) error {
	return s.add(entry{bad: &e})
}

// entry is one document of a stream: a report, or an input error.
type entry struct {
	rep *checks.Report
	bad *InputError
}

func (s *Stream) add(e entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	var err error
	switch f := s.opts.format(); f {
	case FormatText:
		err = s.write(func(b *strings.Builder) {
			if s.n > 0 {
				b.WriteString("\n")
			}
			if e.bad != nil {
				writeInputErrorText(b, s.opts, *e.bad)
			} else {
				writeText(b, s.opts, e.rep)
			}
		})
		if s.opts.Bulk {
			if s.sum == nil {
				s.sum = &summary{}
			}
			s.sum.add(e)
		}
	case FormatJSON, FormatNDJSON:
		var doc JSONReport
		if e.bad != nil {
			doc = e.bad.Document()
		} else {
			doc = withMessage(Document(e.rep), s.opts)
		}
		var data []byte
		if f == FormatJSON && s.opts.Bulk {
			data, err = encodeJSONItem(doc, s.n == 0)
		} else {
			data, err = encodeJSON(doc, f == FormatJSON)
		}
		if err == nil {
			_, err = s.w.Write(data)
		}
	case FormatMarkdown:
		if s.md == nil {
			s.md = &markdownDoc{}
		}
		if e.bad != nil {
			s.md.addInputError(*e.bad)
		} else {
			s.md.add(s.opts, e.rep)
		}
	case FormatJUnit:
		if s.junit == nil {
			s.junit = &junitDoc{}
		}
		if e.bad != nil {
			s.junit.addInputError(*e.bad)
		} else {
			s.junit.add(s.opts, e.rep)
		}
	default:
		// Not sticky: the writer is fine, the caller's options are not.
		return fmt.Errorf("%w %q (valid formats: %s)", ErrUnknownFormat, string(f), formatList())
	}
	if err != nil {
		s.err = err
		return err
	}
	s.n++
	return nil
}

func (s *Stream) write(render func(b *strings.Builder)) error {
	var b strings.Builder
	render(&b)
	_, err := io.WriteString(s.w, b.String())
	return err
}

// Close finishes the output: it writes the Markdown or JUnit document (an
// empty <testsuites/> or nothing for Markdown when no report was added),
// closes the Bulk JSON array ("[]" when empty) and writes the Bulk text
// summary. It does not close the underlying writer. Calling Close again
// returns nil.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.err != nil {
		return s.err
	}
	var err error
	switch s.opts.format() {
	case FormatText:
		if s.sum != nil {
			err = s.write(func(b *strings.Builder) { s.sum.writeTo(b, s.opts) })
		}
	case FormatJSON:
		if s.opts.Bulk {
			if s.n == 0 {
				_, err = io.WriteString(s.w, "[]\n")
			} else {
				_, err = io.WriteString(s.w, "\n]\n")
			}
		}
	case FormatMarkdown:
		if s.md != nil {
			err = s.write(s.md.writeTo)
		}
	case FormatJUnit:
		if s.junit == nil {
			s.junit = &junitDoc{}
		}
		var data []byte
		data, err = s.junit.encode()
		if err == nil {
			_, err = s.w.Write(data)
		}
	}
	if err != nil {
		s.err = err
	}
	return err
}

// Exit is a process exit code of mxray. The values are public API: scripts
// rely on them.
type Exit int

// The exit codes of `mxray check` (send, demo and explain use the same).
const (
	// ExitOK: every check ran and no finding reached the --fail-on level.
	ExitOK Exit = 0
	// ExitFindings: at least one finding at or above the --fail-on level.
	ExitFindings Exit = 1
	// ExitUsage: bad usage or input (unknown flag, invalid domain). Set by
	// the CLI, never by ExitCode.
	ExitUsage Exit = 2
	// ExitCouldNotRun: no finding reached the --fail-on level, but at least
	// one check could not decide (status error), so the run proves nothing;
	// or the resolver cannot be trusted.
	ExitCouldNotRun Exit = 3
	// ExitInterrupted: the run was interrupted (SIGINT, Ctrl+C) before
	// every check finished; the partial report says "interrupted". Set by
	// the CLI, never by ExitCode. 128+SIGINT, as shells report it.
	ExitInterrupted Exit = 130
)

// WorseExit combines the exit codes of several runs (bulk): interrupted
// outranks findings (1), which outrank could not decide (3), which
// outranks ok.
func WorseExit(a, b Exit) Exit {
	rank := func(c Exit) int {
		switch c {
		case ExitInterrupted:
			return 3
		case ExitFindings:
			return 2
		case ExitCouldNotRun:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// ExitCode returns the exit code for a run over reps:
//
//   - ExitFindings (1) when any finding's severity is at or above failOn,
//     ranking info < warn < fail. Findings of severity error ("could not
//     decide") never count here. A check whose status is fail or warn counts
//     as a finding of that severity even if it lists none.
//   - otherwise ExitCouldNotRun (3) when any check has status error (or an
//     error reason, or an error finding): a pipeline must never see success
//     when something could not be tested.
//   - otherwise ExitOK (0).
//
// failOn is checks.SevWarn or checks.SevFail (checks.SevInfo is honoured
// too); any other value, including "" and checks.SevError, means SevFail.
// Nil reports are ignored.
func ExitCode(failOn checks.Severity, reps ...*checks.Report) Exit {
	threshold := failOn.FailOnRank()
	if threshold < 0 {
		threshold = checks.SevFail.FailOnRank()
	}
	couldNotRun := false
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		if rep.Err != "" || rep.Interrupted || rep.NothingTested() {
			couldNotRun = true
		}
		for _, res := range rep.Results {
			st := res.EffectiveStatus()
			if st == checks.StatusError || res.Err != "" {
				couldNotRun = true
			}
			if r := st.FailOnRank(); r >= threshold {
				return ExitFindings
			}
			for _, f := range res.Findings {
				r := f.Severity.FailOnRank()
				if r < 0 {
					couldNotRun = true // error, or an unknown severity
					continue
				}
				if r >= threshold {
					return ExitFindings
				}
			}
		}
	}
	if couldNotRun {
		return ExitCouldNotRun
	}
	return ExitOK
}
