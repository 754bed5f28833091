package mailcanon

import (
	"fmt"
	"strings"
)

// MaxTags bounds the tags ParseTags accepts in one list.
const MaxTags = 64

// Tag is one tag=value pair of a signature's tag list.
type Tag struct {
	Name  string
	Value string // folding whitespace around it removed
}

// Tags is a parsed tag list.
type Tags []Tag

// Get returns the value of the tag name and whether it is present.
func (t Tags) Get(name string) (string, bool) {
	for _, tg := range t {
		if tg.Name == name {
			return tg.Value, true
		}
	}
	return "", false
}

// ParseTags parses a signature header field's tag list strictly, as RFC
// 6376 §3.2 writes it: names are case-sensitive ALPHA *(ALPHA / DIGIT /
// "_"), a name appears once, every tag-spec between semicolons holds a
// tag (one trailing semicolon is allowed). Whitespace inside a value is
// kept; each tag's own grammar decides whether it may hold any.
func ParseTags(s string) (Tags, error) {
	specs := strings.Split(s, ";")
	if len(specs) > MaxTags+1 {
		return nil, fmt.Errorf("more than %d tags", MaxTags)
	}
	var out Tags
	for i, spec := range specs {
		if strings.Trim(spec, " \t\r\n") == "" {
			if i == len(specs)-1 && i > 0 {
				break // a trailing semicolon
			}
			return nil, fmt.Errorf("empty tag at position %d", i+1)
		}
		name, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("tag %q has no value", trimFWS(spec))
		}
		name = trimFWS(name)
		if !validTagName(name) {
			return nil, fmt.Errorf("invalid tag name %q", name)
		}
		if _, dup := out.Get(name); dup {
			return nil, fmt.Errorf("tag %s appears twice", name)
		}
		out = append(out, Tag{Name: name, Value: trimFWS(value)})
	}
	return out, nil
}

func trimFWS(s string) string { return strings.Trim(s, " \t\r\n") }

func validTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// StripWSP removes all folding whitespace from s (for b= and bh= values,
// and p= in key records, whose base64 may be folded anywhere).
func StripWSP(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// WithoutSignature returns the raw field with the value of its b= tag
// removed (RFC 6376 §3.7: the signature is computed with b= empty); the
// rest of the field, folding included, is kept byte for byte.
func WithoutSignature(raw []byte) []byte {
	colon := strings.IndexByte(string(raw), ':')
	if colon < 0 {
		return raw
	}
	out := append([]byte(nil), raw[:colon+1]...)
	v := string(raw[colon+1:])
	crlf := strings.HasSuffix(v, "\r\n")
	v = strings.TrimSuffix(v, "\r\n")
	specs := strings.Split(v, ";")
	for i, spec := range specs {
		if i > 0 {
			out = append(out, ';')
		}
		name, _, ok := strings.Cut(spec, "=")
		if ok && trimFWS(name) == "b" {
			eq := strings.IndexByte(spec, '=')
			out = append(out, spec[:eq+1]...)
			continue
		}
		out = append(out, spec...)
	}
	if crlf {
		out = append(out, '\r', '\n')
	}
	return out
}
