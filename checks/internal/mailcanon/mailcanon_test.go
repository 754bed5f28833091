package mailcanon

import (
	"bytes"
	"strings"
	"testing"
)

// The example of RFC 6376 §3.4.6, and the edge cases of each algorithm.
func TestCanon(t *testing.T) {
	const msg = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"
	cases := []struct {
		name         string
		canon        Canon
		header, body string
	}{
		{"rfc6376-3.4.6-relaxed", Relaxed, "a:X\r\nb:Y Z\r\n", " C\r\nD E\r\n"},
		{"rfc6376-3.4.6-simple", Simple, "A: X\r\nB : Y\t\r\n\tZ  \r\n", " C \r\nD \t E\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Split([]byte(msg), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var h []byte
			for _, f := range m.Fields {
				h = append(h, tc.canon.Header(f.Raw)...)
			}
			if string(h) != tc.header {
				t.Errorf("header %q, want %q", h, tc.header)
			}
			if b := tc.canon.Body(m.Body); string(b) != tc.body {
				t.Errorf("body %q, want %q", b, tc.body)
			}
		})
	}
}

func TestBody(t *testing.T) {
	cases := []struct {
		name          string
		in            string
		simple, relax string
	}{
		{"empty", "", "\r\n", ""},
		{"only-newlines", "\r\n\r\n", "\r\n", ""},
		{"no-final-crlf", "a  b", "a  b\r\n", "a b\r\n"},
		{"inner-empty-lines-kept", "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
		{"whitespace-only-lines", "a\r\n \t\r\n", "a\r\n \t\r\n", "a\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Simple.Body([]byte(tc.in)); string(got) != tc.simple {
				t.Errorf("simple %q, want %q", got, tc.simple)
			}
			if got := Relaxed.Body([]byte(tc.in)); string(got) != tc.relax {
				t.Errorf("relaxed %q, want %q", got, tc.relax)
			}
		})
	}
}

func TestParseTags(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
		n        int
	}{
		{"plain", "a=1; b=2", true, 2},
		{"trailing-semicolon", "a=1; b=2;", true, 2},
		{"folded", "a = 1 ;\r\n\tb=x\r\n y", true, 2},
		{"empty-value", "h=; a=1", true, 2},
		{"double-semicolon", "a=1;; b=2", false, 0},
		{"leading-semicolon", ";a=1", false, 0},
		{"duplicate", "a=1; a=2", false, 0},
		{"bad-name", "a=1; ==", false, 0},
		{"digit-name", "1a=1", false, 0},
		{"no-equals", "a=1; b", false, 0},
		{"empty", "", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tags, err := ParseTags(tc.in)
			if (err == nil) != tc.ok || len(tags) != tc.n {
				t.Fatalf("ParseTags(%q) = %v, %v", tc.in, tags, err)
			}
		})
	}
}

func TestWithoutSignature(t *testing.T) {
	in := "ARC-Seal: i=1; bh=abc;\r\n b=AB CD\r\n EF ; d=x\r\n"
	want := "ARC-Seal: i=1; bh=abc;\r\n b=; d=x\r\n"
	if got := WithoutSignature([]byte(in)); string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSplitLimits(t *testing.T) {
	cases := []struct {
		name string
		msg  string
		lim  Limits
	}{
		{"fields", strings.Repeat("A: b\r\n", 11), Limits{MaxFields: 10}},
		{"field-size", "A: " + strings.Repeat("x", 100) + "\r\n", Limits{MaxFieldBytes: 50}},
		{"folded-field-size", "A: x\r\n" + strings.Repeat(" x\r\n", 30), Limits{MaxFieldBytes: 50}},
		{"header-size", strings.Repeat("A: b\r\n", 30), Limits{MaxHeaderBytes: 100}},
		{"body-size", "A: b\r\n\r\n" + strings.Repeat("x", 101), Limits{MaxBodyBytes: 100}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Split([]byte(tc.msg), tc.lim); err == nil {
				t.Fatal("no error over the limit")
			}
		})
	}
}

func TestNormalizeNewlines(t *testing.T) {
	if got := NormalizeNewlines([]byte("a\nb\r\nc\n")); !bytes.Equal(got, []byte("a\r\nb\r\nc\r\n")) {
		t.Fatalf("%q", got)
	}
}

// FuzzSplit checks that Split never panics, keeps every field ending with
// CRLF and named validly, and stays within its limits.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"A: b\r\n\r\nbody", " cont\r\nA:b", "A: b\nB: c\n\nx", ":x\r\n", "A\r\n\r\n", "\r\n"} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxFields: 20, MaxFieldBytes: 200, MaxHeaderBytes: 1000, MaxBodyBytes: 1000}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Split(NormalizeNewlines(raw), lim)
		if len(m.Fields) > lim.MaxFields {
			t.Fatalf("%d fields", len(m.Fields))
		}
		if err != nil {
			return
		}
		for _, fl := range m.Fields {
			if !validName(fl.Name) || !bytes.HasSuffix(fl.Raw, []byte("\r\n")) || len(fl.Raw) > lim.MaxFieldBytes+2 {
				t.Fatalf("field %q", fl.Raw)
			}
			_ = Relaxed.Header(fl.Raw)
			_ = WithoutSignature(fl.Raw)
		}
		_ = Relaxed.Body(m.Body)
		_ = Simple.Body(m.Body)
	})
}

// FuzzParseTags checks the strict tag-list parser.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"a=1; b=2;", "a=1;;", "h=from:to; bh=x==", "=", "a=1; a=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseTags(s)
		if err != nil {
			return
		}
		if len(tags) > MaxTags {
			t.Fatalf("%d tags", len(tags))
		}
		seen := map[string]bool{}
		for _, tg := range tags {
			if !validTagName(tg.Name) || seen[tg.Name] || strings.Contains(tg.Value, ";") {
				t.Fatalf("tag %+v", tg)
			}
			seen[tg.Name] = true
		}
	})
}
