package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	for _, tc := range []struct{ in, line, text string }{
		{"mx.example.com", "mx.example.com", "mx.example.com"},
		{"220 \x1b[31mred\x1b[0m", `220 \x1b[31mred\x1b[0m`, `220 \x1b[31mred\x1b[0m`},
		{"evil\u202egpj.exe", `evil\u202egpj.exe`, `evil\u202egpj.exe`},
		{"a\u200fb\u061cc\u2066d", `a\u200fb\u061cc\u2066d`, `a\u200fb\u061cc\u2066d`},
		{"two\r\nlines", `two\x0d\x0alines`, "two\nlines"},
		{"tab\there", "tab here", "tab here"},
		{"bad \xff byte", `bad \xff byte`, `bad \xff byte`},
		{"csi \u009b", `csi \u009b`, `csi \u009b`},
		{"tag \U000e0041", `tag \U000e0041`, `tag \U000e0041`},
		{"bücher ✓ 日本", "bücher ✓ 日本", "bücher ✓ 日本"},
	} {
		if got := Line(tc.in); got != tc.line {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := Text(tc.in); got != tc.text {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}

// FuzzLine: the output is valid UTF-8, holds no rune that Escape reports
// (a line feed only in Text), is bounded in size, and is stable when
// cleaned again.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"220 mx ESMTP", "\x1b]8;;http://x\x07", "\u202e\u2066\u200f", "\xff\xfe", "a\r\nb\tc", "\U000e0001\ufeff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, keepLF := range []bool{false, true} {
			out := clean(s, keepLF)
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
			for _, r := range out {
				if Escape(r) && !(keepLF && r == '\n') {
					t.Fatalf("clean(%q) = %q keeps %U", s, out, r)
				}
			}
			if len(out) > MaxEscape*len(s)+len(s) {
				t.Fatalf("clean(%q) grew to %d bytes", s, len(out))
			}
			if again := clean(out, keepLF); again != out {
				t.Fatalf("not stable: %q then %q", out, again)
			}
			if !keepLF && strings.Contains(out, "\n") {
				t.Fatalf("Line kept a line feed: %q", out)
			}
		}
	})
}
