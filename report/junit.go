package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
)

// JUnit XML, in the common dialect read by Jenkins, GitLab and GitHub test
// reporters: one <testsuite> per domain, one <testcase> per check. A check
// with status fail has a <failure>, error an <error>, skip a <skipped>; the
// message lists the finding IDs and the body the findings as text. Findings
// of passing and warning checks go to <system-out>.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",innerxml"` // escaped by xmlText
}

type junitText struct {
	Text string `xml:",innerxml"` // escaped by xmlText
}

// xmlText escapes s as element content. Unlike xml.EscapeText alone it
// keeps line breaks literal, so that CI logs show the findings as lines.
// Characters XML cannot carry become U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}

func systemOut(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: xmlText(s)}
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// junitDoc accumulates suites; each is built when its report is added.
type junitDoc struct {
	doc   junitSuites
	total time.Duration
}

func (d *junitDoc) add(opts Options, rep *checks.Report) {
	s := junitSuite{
		Name:      rep.Name(),
		Time:      seconds(rep.Duration),
		Timestamp: rep.StartedAt.UTC().Format("2006-01-02T15:04:05"),
	}
	if rep.Input != "" && rep.Input != rep.Name() {
		s.Properties = append(s.Properties, junitProperty{"input", rep.Input})
	}
	s.Properties = append(s.Properties, junitProperty{"status", string(rep.Status())})
	s.Properties = append(s.Properties, junitProperty{"dns_queries", strconv.Itoa(rep.DNSQueries)})
	for _, r := range rep.Resolvers {
		s.Properties = append(s.Properties, junitProperty{"resolver", r})
	}
	if why := rep.Reason(); why != "" {
		s.Properties = append(s.Properties, junitProperty{"error", why})
	}
	if rep.NothingTested() {
		// Every case is skipped, which CI reads as a pass: the suite says
		// it tested nothing, as mxray's exit code 3 does.
		s.Errors++
	}
	if rep.Interrupted {
		s.Properties = append(s.Properties, junitProperty{"interrupted", "true"})
	}
	// The text of findings never carries colour.
	topts := opts
	topts.Color = false
	for _, res := range rep.Results {
		c := junitCase{Name: res.ID, ClassName: rep.Name(), Time: seconds(res.Duration)}
		var body strings.Builder
		if res.Err != "" {
			block(&body, "", undecidedLabel(res.Err), strings.TrimPrefix(res.Err, "not decided: "))
		}
		for _, f := range res.Findings {
			writeTextFinding(&body, topts, f)
		}
		text := xmlText(body.String())
		switch res.EffectiveStatus() {
		case checks.StatusFail:
			s.Failures++
			c.Failure = &junitProblem{Message: findingIDs(res.Findings, checks.SevFail), Type: "fail", Text: text}
		case checks.StatusError:
			s.Errors++
			msg := findingIDs(res.Findings, checks.SevError)
			if res.Err != "" {
				msg = strings.TrimPrefix(msg+"; "+undecidedLabel(res.Err)+firstLine(strings.TrimPrefix(res.Err, "not decided: ")), "; ")
			}
			c.Error = &junitProblem{Message: msg, Type: "error", Text: text}
		case checks.StatusSkip:
			s.Skipped++
			c.Skipped = &junitSkipped{Message: firstLine(res.Skip)}
			c.SystemOut = systemOut(body.String())
		default:
			c.SystemOut = systemOut(body.String())
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	d.doc.Tests += s.Tests
	d.doc.Failures += s.Failures
	d.doc.Errors += s.Errors
	d.doc.Skipped += s.Skipped
	d.total += rep.Duration
	d.doc.Suites = append(d.doc.Suites, s)
}

func (d *junitDoc) encode() ([]byte, error) {
	d.doc.Name = "mxray"
	d.doc.Time = seconds(d.total)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(d.doc); err != nil {
		return nil, fmt.Errorf("report: encoding JUnit XML: %w", err)
	}
	buf.WriteString("\n")
	return buf.Bytes(), nil
}

// findingIDs lists the IDs of the findings at least as severe as atLeast
// (by checks.Severity.Rank), in order, without repeats.
func findingIDs(fs []checks.Finding, atLeast checks.Severity) string {
	var ids []string
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Severity.Rank() >= atLeast.Rank() && !seen[f.ID] {
			seen[f.ID] = true
			ids = append(ids, f.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// seconds formats a duration as JUnit wants it: seconds with milliseconds.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(float64(millis(d))/1000, 'f', 3, 64)
}
