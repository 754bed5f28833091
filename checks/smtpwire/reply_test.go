package smtpwire

import (
	"bufio"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mxray/mxray/checks/safetext"
)

func TestReadReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		code     int
		enh      string
		lines    int
		greeting string
		bad      bool
	}{
		{name: "single", in: "220 mx.example.com ESMTP\r\n", code: 220, lines: 1, greeting: "mx.example.com"},
		{name: "multi", in: "250-mx.example.com\r\n250-SIZE 100\r\n250 STARTTLS\r\n", code: 250, lines: 3},
		{name: "enhanced", in: "550 5.1.1 no such user\r\n", code: 550, enh: "5.1.1", lines: 1},
		{name: "enhanced class mismatch", in: "550 2.1.1 odd\r\n", code: 550, lines: 1},
		{name: "bare code", in: "220\r\n", code: 220, lines: 1},
		{name: "lf only", in: "220 x\n", code: 220, lines: 1, greeting: "x"},
		{name: "mixed codes", in: "250-a\r\n251 b\r\n", bad: true},
		{name: "garbage", in: "hello\r\n", bad: true},
		{name: "bad separator", in: "250xhello\r\n", bad: true},
		{name: "code out of range", in: "999 x\r\n", bad: true},
		{name: "eof", in: "250-a\r\n", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReadReply(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.bad {
				if err == nil {
					t.Fatalf("got %+v, want error", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != tc.code || r.Enhanced != tc.enh || len(r.Lines) != tc.lines {
				t.Errorf("got %+v", r)
			}
			if tc.greeting != "" && r.Greeting() != tc.greeting {
				t.Errorf("greeting %q", r.Greeting())
			}
		})
	}
}

func TestReadReplyLimits(t *testing.T) {
	t.Parallel()
	long := "250 " + strings.Repeat("x", 5000) + "\r\n"
	if _, err := ReadReply(bufio.NewReader(strings.NewReader(long))); err == nil {
		t.Error("overlong line accepted")
	}
	many := strings.Repeat("250-x\r\n", 200) + "250 x\r\n"
	if _, err := ReadReply(bufio.NewReader(strings.NewReader(many))); err == nil {
		t.Error("endless reply accepted")
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 mx ESMTP\r\n", "250-a\r\n250 b\r\n", "550 5.7.1 x\r\n", "2", "250-\n250 \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 599 || len(r.Lines) == 0 {
			t.Fatalf("invalid reply %+v from %q", r, in)
		}
		_ = r.String()
		_ = r.Greeting()
	})
}

// TestTranscriptClean: a transcript line is escaped by the one rule
// (safetext.Line) and cut at MaxLineText characters.
func TestTranscriptClean(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxLineText)
	tests := []struct{ name, in, want string }{
		{"plain", "250 2.0.0 Ok\r\n", "250 2.0.0 Ok"},
		{"ESC and a cut UTF-8 sequence", "\x1b[31mred\xc3", `\x1b[31mred\xc3`},
		{"C1 control", "220 \u009b31m", `220 \u009b31m`},
		{"bidi override", "220 mx.example \u202eevil", `220 mx.example \u202eevil`},
		{"tab", "250-SIZE\t100", "250-SIZE 100"},
		{"bare CR", "250 a\rb", `250 a\x0db`},
		{"exactly the limit", long, long},
		{"over the limit", long + "yz", long + "…"},
		{"cut before an escape", long + "\x1b", long + "…"},
		{"multi-byte characters count once", strings.Repeat("é", MaxLineText+1), strings.Repeat("é", MaxLineText) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.in); got != tc.want {
				t.Errorf("clean(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzTranscriptClean: whatever the server sends, a transcript line is
// valid UTF-8 without a character safetext would escape, and bounded.
func FuzzTranscriptClean(f *testing.F) {
	f.Add("220 ok")
	f.Add("\xff\x00abc")
	f.Add("220 \u202e\u009b\t")
	f.Fuzz(func(t *testing.T, in string) {
		out := clean(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		for _, r := range out {
			if safetext.Escape(r) {
				t.Fatalf("unescaped %U in %q", r, out)
			}
		}
		if max := MaxLineText*4*safetext.MaxEscape + len("…"); len(out) > max {
			t.Fatalf("%d bytes from %d, more than %d", len(out), len(in), max)
		}
	})
}
