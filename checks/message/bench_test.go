package message

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkParseLimit parses a message at the size limit with LF line
// endings (the worst case: Wire copies it with CRLF) and many Received
// fields.
func BenchmarkParseLimit(b *testing.B) {
	var buf bytes.Buffer
	for range 100 {
		buf.WriteString("Received: from a (b [192.0.2.1]) by c with ESMTP id d; Fri, 2 Jan 2026 15:04:05 +0000\n")
	}
	buf.WriteString(strings.TrimPrefix(strings.ReplaceAll(sample, "\r\n", "\n"), "Return-Path: <bounce@mail.example.com>\n"))
	line := strings.Repeat("x", 76) + "\n"
	for buf.Len()+len(line) <= DefaultLimits.MaxSize {
		buf.WriteString(line)
	}
	raw := buf.Bytes()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		m := Parse(raw, Options{})
		if m.Truncated || len(m.Received) != 100 {
			b.Fatalf("truncated %v, %d Received", m.Truncated, len(m.Received))
		}
	}
}
