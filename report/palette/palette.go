package palette

import "strings"

// Color is one role's colour in the forms the outputs need.
type Color struct {
	Light string // hex colour on a light background (the TUI)
	Dark  string // hex colour on a dark background (the TUI)
	SGR   string // ANSI SGR parameters for printed reports ("1;31")
}

// The roles. Status and severity colours are shared by every output.
var (
	Pass   = Color{Light: "#1a7f37", Dark: "#3fb950", SGR: "32"}
	Warn   = Color{Light: "#9a6700", Dark: "#d29922", SGR: "33"}
	Fail   = Color{Light: "#cf222e", Dark: "#f85149", SGR: "1;31"}
	Error  = Color{Light: "#8250df", Dark: "#bc8cff", SGR: "1;35"}
	Info   = Color{Light: "#0969da", Dark: "#58a6ff", SGR: "36"}
	Faint  = Color{Light: "#6e7781", Dark: "#8b949e", SGR: "2"}
	Accent = Color{Light: "#0550ae", Dark: "#79c0ff", SGR: "34"}
)

// Bold is the SGR parameter for bold text.
const Bold = "1"

// Paint wraps s in the ANSI sequences of the SGR parameters (empty s stays
// empty).
func Paint(sgr, s string) string {
	if s == "" || sgr == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(sgr) + 7)
	b.WriteString("\x1b[" + sgr + "m")
	b.WriteString(s)
	b.WriteString("\x1b[0m")
	return b.String()
}
