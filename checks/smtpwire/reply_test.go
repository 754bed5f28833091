package smtpwire

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
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

func FuzzTranscriptClean(f *testing.F) {
	f.Add("220 ok")
	f.Add("\xff\x00abc")
	f.Fuzz(func(t *testing.T, in string) {
		out := clean(in)
		for _, r := range out {
			if r < 0x20 && r != '\t' {
				t.Fatalf("control character in %q", out)
			}
		}
	})
}
