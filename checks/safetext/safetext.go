package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEscape is the most columns one input byte can take in the output: a
// 4-byte rune becomes the 10 columns of \U000e0001, one bad byte the 4 of
// \xff.
const MaxEscape = 4

// Escape reports whether r is shown escaped: anything a terminal would not
// draw as itself, or that changes how the text around it is drawn.
// Unassigned code points count: they may become controls in a later Unicode
// version, and no terminal draws them.
func Escape(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true // C0 controls (ESC, CR, LF, BS...) and DEL
	case r < 0x7f:
		return false
	case r <= 0x9f:
		return true // C1 controls (CSI 0x9b, OSC 0x9d...)
	case r == utf8.RuneError:
		return true // shown escaped so that a decoding error is visible
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Noncharacter_Code_Point) ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// Line returns s safe to print on one line: every rune Escape reports is
// escaped (a line feed too), and a tab becomes a space (records in
// presentation format are tab-separated). The result is
// valid UTF-8 and at most MaxEscape columns wide per byte of s.
func Line(s string) string { return clean(s, false) }

// Text is Line for text of several lines: line feeds are kept (a CRLF
// becomes a line feed); everything else is escaped as Line does.
func Text(s string) string { return clean(s, true) }

func clean(s string, keepLF bool) string {
	if keepLF {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || keepLF && c == '\n' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Escape(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i]) // a byte that is not UTF-8
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n' && keepLF, !Escape(r):
			b.WriteString(s[i : i+n])
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
		i += n
	}
	return b.String()
}
