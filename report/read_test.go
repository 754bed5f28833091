package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
)

// readData is a check's data of the tests' own making: it lists what it
// read through checks.Describer, with the awkward characters records carry.
type readData struct{ record string }

func (d readData) Describe() []checks.Item {
	return []checks.Item{
		{Label: "record", Value: d.record},
		{Depth: 1, Label: "include:_spf.example.net", Value: "2 lookups (running count 1→3 of 10)"},
		{Depth: 2, Label: "", Value: "v=spf1 ip4:198.51.100.0/24 -all"},
		{Depth: 1, Label: "void lookups", Value: ""},
		{Label: "banner", Value: "220 mx.example \x1b[31mred\x1b[0m *ESMTP* <b>|</b>"},
		{Label: "TLSA", Value: "3 1 1 `18c7`ab"},
	}
}

// panicky is data whose Describe panics: renderers show nothing for it.
type panicky struct{}

func (panicky) Describe() []checks.Item { panic("broken data") }

// readReport: a passing check with no findings but data, a failing check
// whose fix quotes records (one with a backtick inside), and a check whose
// data cannot describe itself.
func readReport() *checks.Report {
	return &checks.Report{
		Domain: "read.example", Resolvers: []string{"127.0.0.1:53"}, StartedAt: t0, Duration: 40 * time.Millisecond, DNSQueries: 3,
		Results: []checks.Result{
			{ID: "spf", Title: "SPF record", Status: checks.StatusPass, Duration: 3 * time.Millisecond,
				Data: readData{record: "v=spf1 include:_spf.example.net ~all"}},
			{ID: "dmarc", Title: "DMARC policy", Status: checks.StatusFail, Duration: 2 * time.Millisecond,
				Findings: []checks.Finding{{
					ID: "dmarc.policy-none", Severity: checks.SevFail, Subject: "_dmarc.read.example",
					Message: "p=none asks receivers to deliver *spoofed* mail <script>alert(1)</script>",
					Fix:     "Publish `_dmarc.read.example. IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc_reports@read.example\"`, then check with `mxray check read.example --only dmarc`; a record with a backtick: `v=DMARC1; p=reject; x=a`b`.",
				}, {
					ID: "dmarc.nothing", Severity: checks.SevInfo, Subject: "read.example",
					Message: "the organisational domain is read.example", Fix: "Nothing to do.",
				}}},
			{ID: "mx", Title: "MX records", Status: checks.StatusPass, Duration: time.Millisecond, Data: panicky{}},
		},
	}
}

// TestWhatWasRead: -v text and Markdown list what each check read, also
// for a passing check with no findings, escaped; plain text does not.
func TestWhatWasRead(t *testing.T) {
	t.Parallel()
	rep := readReport()
	verbose := string(render(t, Options{Format: FormatText, Verbose: true, Explain: explain}, rep))
	for _, want := range []string{
		"[PASS] SPF record (spf) 3ms\n  record: v=spf1 include:_spf.example.net ~all\n    include:_spf.example.net: 2 lookups (running count 1→3 of 10)\n      v=spf1 ip4:198.51.100.0/24 -all\n    void lookups\n",
		`banner: 220 mx.example \x1b[31mred\x1b[0m *ESMTP* <b>|</b>`,
	} {
		if !strings.Contains(verbose, want) {
			t.Errorf("-v text lacks %q:\n%s", want, verbose)
		}
	}
	if strings.Contains(verbose, "\x1b") {
		t.Error("network text reached the terminal unescaped")
	}
	plain := string(render(t, Options{Format: FormatText, Explain: explain}, rep))
	if strings.Contains(plain, "record: v=spf1") {
		t.Errorf("what was read shown without -v:\n%s", plain)
	}
	md := string(render(t, Options{Format: FormatMarkdown, Explain: explain}, rep))
	for _, want := range []string{
		"### What was read\n\n#### SPF record (`spf`)\n\n- record: `v=spf1 include:_spf.example.net ~all`\n  - include:\\_spf.example.net: `2 lookups (running count 1→3 of 10)`\n    - `v=spf1 ip4:198.51.100.0/24 -all`\n  - void lookups\n",
		"- TLSA: ``3 1 1 `18c7`ab``\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestNothingToDoOnlyWithVerbose: an info finding whose fix is "nothing to
// do" is left out of the text report without -v; the summary counts it.
func TestNothingToDoOnlyWithVerbose(t *testing.T) {
	t.Parallel()
	rep := readReport()
	plain := string(render(t, Options{Format: FormatText}, rep))
	if strings.Contains(plain, "dmarc.nothing") || !strings.Contains(plain, "; 1 info finding with nothing to do (-v shows them)\n") {
		t.Errorf("plain text:\n%s", plain)
	}
	verbose := string(render(t, Options{Format: FormatText, Verbose: true}, rep))
	if !strings.Contains(verbose, "dmarc.nothing") || strings.Contains(verbose, "-v shows") {
		t.Errorf("-v text:\n%s", verbose)
	}
	for _, tt := range []struct {
		fix  string
		hide bool
	}{
		{"Nothing to do.", true}, {"nothing to do: a parked domain signs nothing", true}, {"Nothing to do for the domain. Remove the zone.", true},
		{"Nothing to fix. Publish the next key.", true}, {"Nothing to do if the domain sends no mail; otherwise publish SPF", false},
		{"Publish a record.", false},
	} {
		f := checks.Finding{ID: "x.y", Severity: checks.SevInfo, Fix: tt.fix}
		if got := nothingToDo(Options{}, f); got != tt.hide {
			t.Errorf("nothingToDo(%q) = %v", tt.fix, got)
		}
		f.Severity = checks.SevWarn
		if nothingToDo(Options{}, f) {
			t.Errorf("a warning is never hidden (%q)", tt.fix)
		}
	}
}

// TestWrapToWidth: with a width, every line fits it in terminal columns
// (wide characters count two, colour sequences nothing), continuation
// lines hang under the text's first character, and words are not split
// unless longer than a line; without a width, long lines are kept.
func TestWrapToWidth(t *testing.T) {
	t.Parallel()
	rep := readReport()
	rep.Results[1].Findings[0].Message = "宛先のメールサーバーは STARTTLS を提供していません。 それでも配送は平文で続行されます。 " + strings.Repeat("long words wrap here ", 6)
	for _, width := range []int{40, 60, 80} {
		for _, color := range []bool{false, true} {
			out := string(render(t, Options{Format: FormatText, Verbose: true, Color: color, Width: width, Explain: explain}, rep))
			for _, l := range strings.Split(out, "\n") {
				if w := ansi.StringWidth(l); w > width {
					t.Errorf("width %d: line of %d columns: %q", width, w, l)
				}
			}
			plain := ansi.Strip(out)
			if !strings.Contains(plain, "        fix: Publish") {
				t.Errorf("width %d: fix does not start its block:\n%s", width, plain)
			}
			lines := strings.Split(plain, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "        fix: ") {
					next := lines[i+1]
					if !strings.HasPrefix(next, "         ") {
						continue // not wrapped: the next item
					}
					if !strings.HasPrefix(next, "             ") || next[13] == ' ' {
						t.Errorf("width %d: continuation %q does not hang under the fix's text", width, next)
					}
				}
			}
		}
	}
	out := string(render(t, Options{Format: FormatText, Verbose: true, Explain: explain}, rep))
	if !strings.Contains(out, "long words wrap here long words wrap here long words wrap here long words wrap here") {
		t.Errorf("without a width, a long line was broken:\n%s", out)
	}
}

// TestMarkdownRendersOnGitHub renders the Markdown report to HTML as
// GitHub does (CommonMark with the GFM extensions; goldmark is a test-only
// dependency) and pins the HTML: records in fixes are code spans with the
// record verbatim (no backslashes), a record with a backtick keeps it,
// markup and HTML from the network stay text, tables keep their cells.
func TestMarkdownRendersOnGitHub(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		reps []*checks.Report
	}{
		{"read", []*checks.Report{readReport()}},
		{"problems", []*checks.Report{problemReport(), unicodeReport()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			md := render(t, Options{Format: FormatMarkdown, Verbose: true, Explain: explain}, tt.reps...)
			var buf bytes.Buffer
			gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
			if err := gm.Convert(md, &buf); err != nil {
				t.Fatal(err)
			}
			h := buf.String()
			golden.Check(t, "report/"+tt.name+".md.html", buf.Bytes())
			if strings.Contains(h, "<script") || strings.Contains(h, "raw HTML omitted") {
				t.Errorf("HTML from the network became markup:\n%s", h)
			}
			if tt.name != "read" {
				return
			}
			for _, want := range []string{
				"<code>_dmarc.read.example. IN TXT &quot;v=DMARC1; p=reject; rua=mailto:dmarc_reports@read.example&quot;</code>",
				"<code>mxray check read.example --only dmarc</code>",
				"<code>v=DMARC1; p=reject; x=a`b</code>",
				"<code>3 1 1 `18c7`ab</code>",
				"deliver *spoofed* mail &lt;script&gt;",
				"<h3>What was read</h3>",
			} {
				if !strings.Contains(h, want) {
					t.Errorf("HTML lacks %q:\n%s", want, h)
				}
			}
			if strings.Contains(h, `\_`) || strings.Contains(h, "\\`") {
				t.Errorf("a backslash escape shows on the page:\n%s", h)
			}
		})
	}
}
