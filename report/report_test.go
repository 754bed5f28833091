package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
)

func render(t *testing.T, opts Options, reps ...*checks.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, opts, reps...); err != nil {
		t.Fatalf("Write(%s): %v", opts.Format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	variants := []struct {
		suffix string
		opts   Options
	}{
		{"txt", Options{Format: FormatText, Explain: explain}},
		{"verbose.txt", Options{Format: FormatText, Verbose: true, Explain: explain}},
		{"json", Options{Format: FormatJSON}},
		{"ndjson", Options{Format: FormatNDJSON}},
		{"md", Options{Format: FormatMarkdown, Explain: explain}},
		{"verbose.md", Options{Format: FormatMarkdown, Verbose: true, Explain: explain}},
		{"junit.xml", Options{Format: FormatJUnit, Explain: explain}},
	}
	for _, fx := range fixtures {
		for _, v := range variants {
			t.Run(fx.name+"."+v.suffix, func(t *testing.T) {
				got := render(t, v.opts, fx.rep())
				checkWellFormed(t, v.opts, got)
				golden.Check(t, "report/"+fx.name+"."+v.suffix, got)
			})
		}
	}
	t.Run("problems.color.txt", func(t *testing.T) {
		opts := Options{Format: FormatText, Color: true, Verbose: true, Explain: explain}
		got := render(t, opts, problemReport())
		checkWellFormed(t, opts, got)
		golden.Check(t, "report/problems.color.txt", got)
	})
	// Several reports in one run (bulk).
	for _, v := range variants {
		t.Run("bulk."+v.suffix, func(t *testing.T) {
			var reps []*checks.Report
			for _, fx := range fixtures {
				reps = append(reps, fx.rep())
			}
			got := render(t, v.opts, reps...)
			opts := v.opts
			opts.Bulk = true // Write sets it for several reports
			checkWellFormed(t, opts, got)
			golden.Check(t, "report/bulk."+v.suffix, got)
		})
	}
}

// checkWellFormed asserts format-independent properties of an output.
func checkWellFormed(t *testing.T, opts Options, out []byte) {
	t.Helper()
	if len(out) == 0 || out[len(out)-1] != '\n' {
		t.Errorf("output does not end in a newline")
	}
	if !opts.Color && bytes.Contains(out, []byte("\x1b")) {
		t.Errorf("output without Color contains an escape character")
	}
	switch opts.Format {
	case FormatText, FormatMarkdown:
		for i, l := range strings.Split(string(out), "\n") {
			if strings.TrimRight(l, " \t") != l {
				t.Errorf("line %d has trailing spaces: %q", i+1, l)
			}
		}
	}
	switch opts.Format {
	case FormatJSON:
		// Exactly one JSON value: a document, or (Bulk) an array of them.
		dec := json.NewDecoder(bytes.NewReader(out))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("invalid JSON: %v", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("more than one JSON value (concatenated documents): %v", err)
		}
		var docs []JSONReport
		if opts.Bulk {
			if err := json.Unmarshal(v, &docs); err != nil {
				t.Fatalf("Bulk JSON is not an array of documents: %v", err)
			}
		} else {
			var d JSONReport
			if err := json.Unmarshal(v, &d); err != nil {
				t.Fatalf("not one document: %v", err)
			}
		}
	case FormatNDJSON:
		for i, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if !json.Valid([]byte(l)) {
				t.Errorf("line %d is not a JSON document: %q", i+1, l)
			}
		}
	case FormatJUnit:
		dec := xml.NewDecoder(bytes.NewReader(out))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("invalid XML: %v\n%s", err, out)
			}
		}
	case FormatMarkdown:
		checkMarkdownTables(t, string(out))
	}
}

// checkMarkdownTables asserts that every row of a table has as many cells
// as its header, counting only unescaped pipes.
func checkMarkdownTables(t *testing.T, md string) {
	t.Helper()
	cols := -1
	for i, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "|") {
			cols = -1
			continue
		}
		n := strings.Count(l, "|") - strings.Count(l, `\|`)
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("markdown line %d has %d cell separators, header has %d: %q", i+1, n, cols, l)
		}
	}
}

func TestDocument(t *testing.T) {
	t.Parallel()
	t.Run("input only when different", func(t *testing.T) {
		if d := Document(healthyReport()); d.Input != "" {
			t.Errorf("input = %q, want omitted when equal to domain", d.Input)
		}
		if d := Document(unicodeReport()); d.Input != "bücher.example" {
			t.Errorf("input = %q, want bücher.example", d.Input)
		}
	})
	t.Run("empty slices are arrays", func(t *testing.T) {
		rep := &checks.Report{Domain: "x.example", StartedAt: t0, Results: []checks.Result{{ID: "mx", Title: "MX", Status: checks.StatusPass}}}
		b, err := json.Marshal(Document(rep))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"resolvers":[]`, `"findings":[]`, `"checks":[{`} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%s lacks %s", b, want)
			}
		}
		if bytes.Contains(b, []byte(`"data"`)) || bytes.Contains(b, []byte(`null`)) {
			t.Errorf("%s has data or null", b)
		}
	})
	t.Run("does not alias the report", func(t *testing.T) {
		rep := problemReport()
		d := Document(rep)
		d.Checks[1].Findings[0].ID = "changed.id"
		d.Resolvers[0] = "changed"
		if rep.Results[1].Findings[0].ID == "changed.id" || rep.Resolvers[0] == "changed" {
			t.Error("Document shares slices with the report")
		}
	})
	t.Run("status derived when unset", func(t *testing.T) {
		rep := &checks.Report{Domain: "x.example", Results: []checks.Result{
			{ID: "a", Findings: []checks.Finding{{ID: "a.b", Severity: checks.SevWarn}}},
			{ID: "b", Err: "boom"},
			{ID: "c", Skip: "not wanted"},
			{ID: "d"},
		}}
		d := Document(rep)
		want := []checks.Status{checks.StatusWarn, checks.StatusError, checks.StatusSkip, checks.StatusPass}
		for i, c := range d.Checks {
			if c.Status != want[i] {
				t.Errorf("check %s: status %q, want %q", c.ID, c.Status, want[i])
			}
		}
		if d.Status != checks.StatusError {
			t.Errorf("report status %q, want error", d.Status)
		}
	})
	t.Run("unencodable data names the check", func(t *testing.T) {
		rep := healthyReport()
		rep.Results[0].Data = map[string]any{"f": func() {}}
		err := Write(io.Discard, Options{Format: FormatJSON}, rep)
		if err == nil || !strings.Contains(err.Error(), "check mx") {
			t.Errorf("err = %v, want one naming check mx", err)
		}
	})
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"text", FormatText, false},
		{"json", FormatJSON, false},
		{"ndjson", FormatNDJSON, false},
		{"markdown", FormatMarkdown, false},
		{"junit", FormatJUnit, false},
		{" JSON ", FormatJSON, false},
		{"", "", true},
		{"xml", "", true},
		{"md", "", true},
		{"json,text", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseFormat(%q) = %q, want an error", tt.in, got)
				}
				if !errors.Is(err, ErrUnknownFormat) {
					t.Errorf("error %v does not wrap ErrUnknownFormat", err)
				}
				for _, f := range Formats() {
					if !strings.Contains(err.Error(), string(f)) {
						t.Errorf("error %q does not list %s", err, f)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	res := func(st checks.Status, sevs ...checks.Severity) checks.Result {
		r := checks.Result{ID: "x", Status: st}
		for _, s := range sevs {
			r.Findings = append(r.Findings, checks.Finding{ID: "x.y", Severity: s})
		}
		return r
	}
	rep := func(rs ...checks.Result) *checks.Report { return &checks.Report{Domain: "x.example", Results: rs} }
	errRes := checks.Result{ID: "e", Status: checks.StatusError, Err: "timeout"}

	tests := []struct {
		name   string
		failOn checks.Severity
		reps   []*checks.Report
		want   Exit
	}{
		{"no reports", checks.SevFail, nil, ExitOK},
		{"no findings", checks.SevFail, []*checks.Report{rep(res(checks.StatusPass))}, ExitOK},
		{"info only", checks.SevFail, []*checks.Report{rep(res(checks.StatusPass, checks.SevInfo))}, ExitOK},
		{"info only, fail-on warn", checks.SevWarn, []*checks.Report{rep(res(checks.StatusPass, checks.SevInfo))}, ExitOK},
		{"warn, fail-on fail", checks.SevFail, []*checks.Report{rep(res(checks.StatusWarn, checks.SevWarn))}, ExitOK},
		{"warn, fail-on warn", checks.SevWarn, []*checks.Report{rep(res(checks.StatusWarn, checks.SevWarn))}, ExitFindings},
		{"warn, default fail-on", "", []*checks.Report{rep(res(checks.StatusWarn, checks.SevWarn))}, ExitOK},
		{"fail", checks.SevFail, []*checks.Report{rep(res(checks.StatusFail, checks.SevFail))}, ExitFindings},
		{"fail, fail-on warn", checks.SevWarn, []*checks.Report{rep(res(checks.StatusFail, checks.SevFail))}, ExitFindings},
		{"error status only", checks.SevFail, []*checks.Report{rep(errRes)}, ExitCouldNotRun},
		{"error finding only", checks.SevFail, []*checks.Report{rep(res(checks.StatusError, checks.SevError))}, ExitCouldNotRun},
		{"error finding, fail-on warn", checks.SevWarn, []*checks.Report{rep(res(checks.StatusError, checks.SevError))}, ExitCouldNotRun},
		{"error status plus fail finding", checks.SevFail, []*checks.Report{rep(errRes, res(checks.StatusFail, checks.SevFail))}, ExitFindings},
		{"error status plus warn, fail-on fail", checks.SevFail, []*checks.Report{rep(errRes, res(checks.StatusWarn, checks.SevWarn))}, ExitCouldNotRun},
		{"error status plus warn, fail-on warn", checks.SevWarn, []*checks.Report{rep(errRes, res(checks.StatusWarn, checks.SevWarn))}, ExitFindings},
		{"fail in a second report", checks.SevFail, []*checks.Report{rep(errRes), nil, rep(res(checks.StatusFail, checks.SevFail))}, ExitFindings},
		{"skip only: nothing tested", checks.SevFail, []*checks.Report{rep(checks.Result{ID: "s", Status: checks.StatusSkip, Skip: "--no-smtp"})}, ExitCouldNotRun},
		{"a skip beside a pass", checks.SevFail, []*checks.Report{rep(checks.Result{ID: "s", Status: checks.StatusSkip, Skip: "--no-smtp"}, res(checks.StatusPass))}, ExitOK},
		{"fail status without findings", checks.SevFail, []*checks.Report{rep(res(checks.StatusFail))}, ExitFindings},
		{"fixture problems", checks.SevFail, []*checks.Report{problemReport()}, ExitFindings},
		{"fixture healthy", checks.SevWarn, []*checks.Report{healthyReport()}, ExitOK},
		{"fixture unicode", checks.SevWarn, []*checks.Report{unicodeReport()}, ExitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.failOn, tt.reps...); got != tt.want {
				t.Errorf("ExitCode(%q) = %d, want %d", tt.failOn, got, tt.want)
			}
		})
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	t.Run("ndjson streams line by line", func(t *testing.T) {
		var buf bytes.Buffer
		s := NewStream(&buf, Options{Format: FormatNDJSON})
		for i, fx := range fixtures {
			if err := s.Add(fx.rep()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(buf.String(), "\n"); got != i+1 {
				t.Fatalf("after %d reports, %d lines written", i+1, got)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(healthyReport()); !errors.Is(err, ErrClosed) {
			t.Errorf("Add after Close = %v, want ErrClosed", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
	for _, f := range []Format{FormatMarkdown, FormatJUnit} {
		t.Run(string(f)+" writes on Close", func(t *testing.T) {
			var buf bytes.Buffer
			s := NewStream(&buf, Options{Format: f})
			if err := s.Add(problemReport()); err != nil {
				t.Fatal(err)
			}
			if buf.Len() != 0 {
				t.Fatalf("%s wrote before Close", f)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.Len() == 0 {
				t.Fatalf("%s wrote nothing on Close", f)
			}
		})
	}
	t.Run("junit with no report", func(t *testing.T) {
		got := render(t, Options{Format: FormatJUnit})
		if !bytes.Contains(got, []byte(`<testsuites name="mxray" tests="0"`)) {
			t.Errorf("got %s", got)
		}
	})
	t.Run("snapshot at Add", func(t *testing.T) {
		var buf bytes.Buffer
		s := NewStream(&buf, Options{Format: FormatMarkdown})
		rep := healthyReport()
		if err := s.Add(rep); err != nil {
			t.Fatal(err)
		}
		rep.Domain = "mutated.example"
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "mutated") {
			t.Error("Markdown rendered the report after Add returned")
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		err := Write(io.Discard, Options{Format: "yaml"}, healthyReport())
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("err = %v, want ErrUnknownFormat", err)
		}
	})
	t.Run("zero format is text", func(t *testing.T) {
		a := render(t, Options{}, healthyReport())
		b := render(t, Options{Format: FormatText}, healthyReport())
		if !bytes.Equal(a, b) {
			t.Error("zero Format differs from text")
		}
	})
	t.Run("write error is sticky", func(t *testing.T) {
		s := NewStream(failWriter{}, Options{Format: FormatNDJSON})
		if err := s.Add(healthyReport()); err == nil {
			t.Fatal("Add to a failing writer returned nil")
		}
		if err := s.Add(healthyReport()); err == nil {
			t.Error("second Add returned nil")
		}
		if err := s.Close(); err == nil {
			t.Error("Close returned nil after a write error")
		}
	})
	t.Run("concurrent adds", func(t *testing.T) {
		var buf bytes.Buffer
		s := NewStream(&buf, Options{Format: FormatNDJSON})
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Add(problemReport()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		ls := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(ls) != 16 {
			t.Fatalf("%d lines, want 16", len(ls))
		}
		for _, l := range ls {
			if !json.Valid([]byte(l)) {
				t.Fatalf("interleaved output: %q", l)
			}
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestText(t *testing.T) {
	t.Parallel()
	out := string(render(t, Options{Format: FormatText, Verbose: true}, problemReport()))
	t.Run("worst first", func(t *testing.T) {
		order := []string{"[FAIL] SPF record", "[ERR ] SMTP", "[WARN] DMARC", "[PASS] MX", "[SKIP] DNS blocklists"}
		last := -1
		for _, s := range order {
			i := strings.Index(out, s)
			if i < 0 {
				t.Fatalf("no %q in\n%s", s, out)
			}
			if i < last {
				t.Errorf("%q is out of order", s)
			}
			last = i
		}
	})
	t.Run("terminal escapes neutralised", func(t *testing.T) {
		if !strings.Contains(out, `S: 220-mx1.bad.example ESMTP \x1b[31mred\x1b[0m`) {
			t.Errorf("escape sequence from the server not shown escaped:\n%s", out)
		}
	})
	t.Run("summary", func(t *testing.T) {
		if !strings.HasSuffix(out, "\n5 checks: 1 fail, 1 error, 1 warn, 1 pass, 1 skip\n") {
			t.Errorf("summary line missing:\n%s", out)
		}
	})
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\r\nb", "a\nb"},
		{"tab\there", "tab here"},
		{"bell\a", `bell\x07`},
		{"c1\u009b", `c1\u009b`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"bücher", "bücher"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct{ fn, in, want string }{
		{"text", "a|b", `a\|b`},
		{"text", "<b>&amp;</b>", `\<b>\&amp;\</b>`},
		{"text", "line1\nline2", "line1<br>line2"},
		{"text", "_dmarc *x* ~all [l](u)", `\_dmarc \*x\* \~all \[l\](u)`},
		{"code", "a`b", "``a`b``"},
		{"code", "`x`", "`` `x` ``"},
		{"code", "a\nb", "`a b`"},
		{"cell", "a|b", "`a\\|b`"},
	}
	for _, tt := range tests {
		var got string
		switch tt.fn {
		case "text":
			got = mdText(tt.in)
		case "code":
			got = mdCode(tt.in)
		case "cell":
			got = mdCellCode(tt.in)
		}
		if got != tt.want {
			t.Errorf("md%s(%q) = %q, want %q", tt.fn, tt.in, got, tt.want)
		}
	}
}

func TestJUnitStructure(t *testing.T) {
	t.Parallel()
	out := render(t, Options{Format: FormatJUnit}, problemReport(), healthyReport())
	var doc junitSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 8 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Errorf("totals: tests=%d failures=%d errors=%d skipped=%d suites=%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, len(doc.Suites))
	}
	byName := map[string]junitCase{}
	for _, c := range doc.Suites[0].Cases {
		byName[c.Name] = c
	}
	if f := byName["spf"].Failure; f == nil || f.Message != "spf.lookup-limit, spf.multiple-records" {
		t.Errorf("spf failure = %+v", f)
	} else if !strings.Contains(f.Text, "&lt;the other&gt; &amp; more\n") {
		t.Errorf("failure text lost characters: %q", f.Text)
	}
	if e := byName["smtp"].Error; e == nil || !strings.Contains(e.Message, "smtp.banner-timeout") || !strings.Contains(e.Message, "i/o timeout") {
		t.Errorf("smtp error = %+v", e)
	}
	if byName["dnsbl"].Skipped == nil {
		t.Error("dnsbl not skipped")
	}
	if c := byName["dmarc"]; c.Failure != nil || c.Error != nil || (c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "dmarc.policy-none")) {
		t.Errorf("warn check = %+v", c)
	}
}

func TestBadge(t *testing.T) {
	t.Parallel()
	for _, s := range checks.StatusesWorstFirst {
		if b := Badge(s); len(b) != 6 {
			t.Errorf("Badge(%s) = %q, not 6 wide", s, b)
		}
	}
}

// TestHostileText feeds every format text that a hostile DNS or SMTP server
// could plant: NUL, terminal escapes, bidi overrides, invalid UTF-8 and
// characters XML cannot carry.
func TestHostileText(t *testing.T) {
	t.Parallel()
	const evil = "a\x00b\x1b]8;;https://evil.example\a link \x1b]8;;\a\u202e\ufffe\xff</failure>]]>|`*_"
	rep := problemReport()
	rep.Input = evil
	rep.Resolvers = append(rep.Resolvers, evil)
	rep.Results[1].Title = evil
	rep.Results[1].Err = evil
	rep.Results[4].Skip = evil
	f := &rep.Results[1].Findings[0]
	f.Subject, f.Message, f.Fix = evil, evil, evil
	f.Evidence.Records = append(f.Evidence.Records, evil)
	f.Evidence.SMTP = append(f.Evidence.SMTP, checks.Line{Dir: checks.DirServer, Text: evil})
	for _, format := range Formats() {
		for _, verbose := range []bool{false, true} {
			opts := Options{Format: format, Verbose: verbose, Explain: explain}
			out := render(t, opts, rep)
			checkWellFormed(t, opts, out)
			if format == FormatText || format == FormatMarkdown {
				for _, bad := range []string{"\x00", "\x07", "\u202e", "\xff"} {
					if bytes.Contains(out, []byte(bad)) {
						t.Errorf("%s (verbose %v) passes %q through", format, verbose, bad)
					}
				}
			}
		}
	}
}
