package tagval

import (
	"fmt"
	"strings"
)

// Limits applied by Parse.
const (
	// MaxLen is the longest record Parse reads; the rest is ignored with a
	// problem. Real records are well under 4 KiB.
	MaxLen = 16 << 10
	// MaxTags is the most tags Parse keeps; further tags are dropped with a
	// problem.
	MaxTags = 64
	// MaxProblems is the most problems Parse reports one by one; the rest
	// are summed up in a final problem.
	MaxProblems = 16
)

// Tag is one tag=value pair.
type Tag struct {
	Name  string // as written (RFC 6376 tag names are case-sensitive)
	Value string // with surrounding whitespace removed
	Index int    // position in the list, from 0
}

// ProblemKind classifies a syntax problem.
type ProblemKind string

// The problem kinds.
const (
	KindNoEquals   ProblemKind = "no-equals"   // a list element without "="
	KindBadName    ProblemKind = "bad-name"    // a tag name with characters outside ALPHA / DIGIT / "_"
	KindBadValue   ProblemKind = "bad-value"   // a value with control characters or ";"
	KindDuplicate  ProblemKind = "duplicate"   // a tag that appears more than once
	KindTooLong    ProblemKind = "too-long"    // the record is longer than MaxLen
	KindTooMany    ProblemKind = "too-many"    // more than MaxTags tags
	KindEmptyEntry ProblemKind = "empty-entry" // ";;" (allowed by RFC 6376, noted for strict records)
)

// Problem is one syntax problem found while parsing.
type Problem struct {
	Kind ProblemKind
	Tag  string // the tag concerned, when known
	Text string // a human-readable description
}

// String returns the problem text.
func (p Problem) String() string { return p.Text }

// List is a parsed tag list.
type List struct {
	Tags     []Tag
	Problems []Problem
}

// Get returns the value of the first tag called name.
func (l *List) Get(name string) (string, bool) {
	for _, t := range l.Tags {
		if t.Name == name {
			return t.Value, true
		}
	}
	return "", false
}

// GetFold is Get with a case-insensitive name.
func (l *List) GetFold(name string) (string, bool) {
	for _, t := range l.Tags {
		if strings.EqualFold(t.Name, name) {
			return t.Value, true
		}
	}
	return "", false
}

// Has reports whether a tag called name is present.
func (l *List) Has(name string) bool {
	_, ok := l.Get(name)
	return ok
}

// Parse splits s into tags. Duplicate names are compared with fold when
// foldNames is set (DMARC, TLS-RPT), exactly otherwise (DKIM). Only the
// first occurrence of a duplicate tag is kept.
func Parse(s string, foldNames bool) *List {
	l := &List{}
	if len(s) > MaxLen {
		l.Problems = append(l.Problems, Problem{Kind: KindTooLong,
			Text: fmt.Sprintf("record is %d bytes long; only the first %d are read", len(s), MaxLen)})
		s = s[:MaxLen]
	}
	seen := map[string]bool{}
	dups := map[string]int{}
	var dupOrder []string
	parts := strings.Split(s, ";")
	dropped := 0
	for i, part := range parts {
		raw := trimFWS(part)
		if raw == "" {
			if i != len(parts)-1 {
				l.Problems = append(l.Problems, Problem{Kind: KindEmptyEntry, Text: "empty element between semicolons"})
			}
			continue
		}
		name, value, ok := strings.Cut(raw, "=")
		name, value = trimFWS(name), trimFWS(value)
		if !ok {
			l.Problems = append(l.Problems, Problem{Kind: KindNoEquals, Tag: Clean(name),
				Text: fmt.Sprintf("%q is not a tag=value pair", Clean(raw))})
			continue
		}
		if !validName(name) {
			l.Problems = append(l.Problems, Problem{Kind: KindBadName, Tag: Clean(name),
				Text: fmt.Sprintf("%q is not a valid tag name", Clean(name))})
			continue
		}
		if bad := badValueChar(value); bad >= 0 {
			l.Problems = append(l.Problems, Problem{Kind: KindBadValue, Tag: name,
				Text: fmt.Sprintf("tag %s has a value with the invalid character %q", name, rune(bad))})
		}
		key := name
		if foldNames {
			key = strings.ToLower(name)
		}
		if seen[key] {
			if dups[key] == 0 {
				dupOrder = append(dupOrder, name)
			}
			dups[key]++
			continue
		}
		if len(l.Tags) >= MaxTags {
			dropped++
			continue
		}
		seen[key] = true
		l.Tags = append(l.Tags, Tag{Name: name, Value: value, Index: len(l.Tags)})
	}
	for _, name := range dupOrder {
		key := name
		if foldNames {
			key = strings.ToLower(name)
		}
		times := "twice"
		if n := dups[key] + 1; n > 2 {
			times = fmt.Sprintf("%d times", n)
		}
		l.Problems = append(l.Problems, Problem{Kind: KindDuplicate, Tag: name,
			Text: fmt.Sprintf("tag %s appears %s; only the first is read", name, times)})
	}
	if dropped > 0 {
		l.Problems = append(l.Problems, Problem{Kind: KindTooMany,
			Text: fmt.Sprintf("record has more than %d tags; %d were ignored", MaxTags, dropped)})
	}
	if n := len(l.Problems); n > MaxProblems {
		l.Problems = append(l.Problems[:MaxProblems-1], Problem{Kind: KindTooMany,
			Text: fmt.Sprintf("and %d more problems", n-MaxProblems+1)})
	}
	return l
}

// trimFWS trims folding white space (SP, HTAB, CR, LF) from both ends.
func trimFWS(s string) string { return strings.Trim(s, " \t\r\n") }

// validName reports whether s is a tag name: ALPHA *(ALPHA / DIGIT / "_").
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// badValueChar returns the first byte of v that a tag value may not hold
// (controls other than folding white space, DEL, bytes ≥ 0x80), or -1.
func badValueChar(v string) int {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if c < 0x21 || c == 0x7f || c >= 0x80 {
			return int(c)
		}
	}
	return -1
}

// Clean returns s shortened to at most 80 bytes with control and non-ASCII
// bytes escaped, for quoting hostile input in messages.
func Clean(s string) string {
	const max = 80
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if b.Len() >= max {
			b.WriteString("…")
			break
		}
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Sanitize returns s with control and non-ASCII bytes escaped and capped at
// 4096 bytes, for showing a whole hostile record as evidence.
func Sanitize(s string) string {
	const max = 4096
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if b.Len() >= max {
			fmt.Fprintf(&b, "… (%d bytes in all)", len(s))
			break
		}
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Join concatenates the character-strings of one TXT record (RFC 7208 §3.3,
// RFC 6376 §3.6.2.2: the strings of one record are joined without spaces).
// The strings hold real bytes: dnsq.Answer.TXT decodes the DNS library's
// presentation escapes.
func Join(chunks []string) string { return strings.Join(chunks, "") }
