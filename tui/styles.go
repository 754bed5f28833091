package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
	"github.com/mxray/mxray/report/palette"
)

// Glyphs are the characters the UI draws with. Unicode terminals get box
// drawing and marks; NO_COLOR-free but non-UTF-8 terminals get ASCII.
type Glyphs struct {
	Spinner  []string // spinner frames
	Cursor   string   // marks the selected row
	Ok       string   // a cell or stage that passed
	Warn     string   // a warning
	Fail     string   // a failure
	Error    string   // could not decide
	None     string   // not run / no data
	Skip     string   // skipped
	NA       string   // nothing to test (no TLSA records, no policy)
	Unknown  string   // a provider rule not decided (the Profiles pane)
	Bulk     string   // a provider rule for bulk senders only, not graded (the Profiles pane)
	Bar      string   // one cell of a waterfall bar
	BarGap   string   // the track before a bar starts
	Branch   string   // tree: a child with siblings after it
	Last     string   // tree: the last child
	Pipe     string   // tree: continuation of an ancestor
	Space    string   // tree: no continuation
	Open     string   // an expanded node
	Closed   string   // a collapsed node
	Rule     string   // horizontal rule
	Dot      string   // separator in lines
	Ellipsis string   // truncation tail
}

// UnicodeGlyphs are used on UTF-8 terminals.
func UnicodeGlyphs() Glyphs {
	return Glyphs{
		Spinner: []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"},
		Cursor:  "›", Ok: "✓", Warn: "!", Fail: "✗", Error: "?", None: "·", Skip: "–", NA: "○", Unknown: "?", Bulk: "◇",
		Bar: "█", BarGap: "·",
		Branch: "├─ ", Last: "└─ ", Pipe: "│  ", Space: "   ",
		Open: "▾", Closed: "▸", Rule: "─", Dot: " · ", Ellipsis: "…",
	}
}

// ASCIIGlyphs are used on terminals that are not UTF-8.
func ASCIIGlyphs() Glyphs {
	return Glyphs{
		Spinner: []string{"|", "/", "-", "\\"},
		Cursor:  ">", Ok: "ok", Warn: "!", Fail: "X", Error: "?", None: "-", Skip: "/", NA: "o", Unknown: "?", Bulk: "b",
		Bar: "#", BarGap: ".",
		Branch: "|- ", Last: "`- ", Pipe: "|  ", Space: "   ",
		Open: "v", Closed: ">", Rule: "-", Dot: " | ", Ellipsis: "~",
	}
}

// PlainTerminal reports whether the environment asks for plain output:
// NO_COLOR set (no colour), or a locale that is not UTF-8 (ASCII glyphs).
// getenv is os.Getenv in the program and a map lookup in tests.
func PlainTerminal(getenv func(string) string) (noColor, ascii bool) {
	if _, set := lookup(getenv, "NO_COLOR"); set {
		noColor = true
	}
	// POSIX precedence: LC_ALL, then LC_CTYPE, then LANG.
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v, _ := lookup(getenv, k); v != "" {
			loc = v
			break
		}
	}
	l := strings.ToLower(loc)
	ascii = !(strings.Contains(l, "utf-8") || strings.Contains(l, "utf8"))
	return noColor, ascii
}

func lookup(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	return v, v != ""
}

// Palette colours, adaptive to light and dark backgrounds: the one
// palette the text report prints with too (report/palette).
var (
	colPass   = adaptive(palette.Pass)
	colWarn   = adaptive(palette.Warn)
	colFail   = adaptive(palette.Fail)
	colError  = adaptive(palette.Error)
	colInfo   = adaptive(palette.Info)
	colFaint  = adaptive(palette.Faint)
	colAccent = adaptive(palette.Accent)
)

func adaptive(c palette.Color) lipgloss.AdaptiveColor {
	return lipgloss.AdaptiveColor{Light: c.Light, Dark: c.Dark}
}

// Styles holds every style the UI uses, bound to one renderer. Views never
// build styles of their own.
type Styles struct {
	Header   lipgloss.Style // the top line
	Title    lipgloss.Style // product name in the header
	Faint    lipgloss.Style // secondary text
	Bold     lipgloss.Style
	Selected lipgloss.Style // the row under the cursor
	Tab      lipgloss.Style // an inactive tab
	TabOn    lipgloss.Style // the active tab
	Hint     lipgloss.Style // the key hint bar
	Label    lipgloss.Style // "why:", "fix:", column headers
	Fix      lipgloss.Style // the fix text
	Client   lipgloss.Style // transcript lines sent by mxray
	Server   lipgloss.Style // transcript lines received
	Note     lipgloss.Style // mxray's own notes
	Bar      lipgloss.Style // waterfall bars
	Hot      lipgloss.Style // a node that breaks a limit

	Pass, Warn, Fail, Error, Skip, Info lipgloss.Style // by status / severity
}

// DefaultStyles builds the styles on a renderer (nil: lipgloss's default).
// noColor strips colours (NO_COLOR) while keeping bold and reverse.
func DefaultStyles(r *lipgloss.Renderer, noColor bool) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	n := r.NewStyle
	return Styles{
		Header:   n().Bold(true),
		Title:    n().Bold(true).Foreground(colAccent),
		Faint:    n().Foreground(colFaint),
		Bold:     n().Bold(true),
		Selected: n().Bold(true),
		Tab:      n().Foreground(colFaint),
		TabOn:    n().Bold(true).Underline(true).Foreground(colAccent),
		Hint:     n().Foreground(colFaint),
		Label:    n().Bold(true).Foreground(colFaint),
		Fix:      n().Foreground(colPass),
		Client:   n().Foreground(colAccent),
		Server:   n(),
		Note:     n().Foreground(colFaint).Italic(true),
		Bar:      n().Foreground(colInfo),
		Hot:      n().Bold(true).Foreground(colFail),
		Pass:     n().Foreground(colPass),
		Warn:     n().Bold(true).Foreground(colWarn),
		Fail:     n().Bold(true).Foreground(colFail),
		Error:    n().Bold(true).Foreground(colError),
		Skip:     n().Foreground(colFaint),
		Info:     n().Foreground(colInfo),
	}
}

// statusStyle is the style of a check's status.
func statusStyle(st Styles, s checks.Status) lipgloss.Style {
	switch s {
	case checks.StatusPass:
		return st.Pass
	case checks.StatusWarn:
		return st.Warn
	case checks.StatusFail:
		return st.Fail
	case checks.StatusError:
		return st.Error
	}
	return st.Skip
}

// sevStyle is the style of a finding's severity.
func sevStyle(st Styles, s checks.Severity) lipgloss.Style {
	if s == checks.SevInfo {
		return st.Info
	}
	return statusStyle(st, checks.StatusOf(s))
}

// statusBadge is a check's fixed-width status badge in its style, readable
// without colour (report.Badge).
func statusBadge(st Styles, s checks.Status) string {
	return statusStyle(st, s).Render(report.Badge(s))
}

// sevBadge is a fixed-width severity badge readable without colour.
func sevBadge(s checks.Severity) string {
	if s == checks.SevInfo {
		return "[INFO]"
	}
	return report.Badge(checks.StatusOf(s))
}

// interruptedBadge marks a check the run was stopped before it decided:
// not a verdict, whatever its status says.
const interruptedBadge = "[INT ]"
