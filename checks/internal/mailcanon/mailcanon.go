package mailcanon

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Limits bound what Split reads from a hostile message.
type Limits struct {
	// MaxFields is the most header fields kept.
	MaxFields int
	// MaxFieldBytes is the longest header field (with its folded lines).
	MaxFieldBytes int
	// MaxHeaderBytes bounds the whole header section.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the body.
	MaxBodyBytes int
}

// DefaultLimits are generous for real mail (Gmail accepts 25 MB messages)
// and small enough that a hostile message cannot exhaust memory or time.
var DefaultLimits = Limits{
	MaxFields:      1000,
	MaxFieldBytes:  64 << 10,
	MaxHeaderBytes: 1 << 20,
	MaxBodyBytes:   64 << 20,
}

// ErrLimit is returned (wrapped, with what was exceeded) when a message is
// over one of the Limits.
var ErrLimit = errors.New("mailcanon: message over the limits")

// Field is one header field as it appears in the message.
type Field struct {
	// Name is the field name as written, without surrounding whitespace.
	Name string
	// Raw is the whole field: name, colon, value and folded lines, ending
	// with CRLF.
	Raw []byte
}

// Value returns the field's value: what follows the colon, without the
// final CRLF (folding kept).
func (f Field) Value() string {
	i := bytes.IndexByte(f.Raw, ':')
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(string(f.Raw[i+1:]), "\r\n")
}

// Is reports whether the field's name is name, ignoring case.
func (f Field) Is(name string) bool { return strings.EqualFold(f.Name, name) }

// Message is a split message.
type Message struct {
	Fields []Field
	// Body is everything after the empty line ending the header, nil when
	// there is none.
	Body []byte
	// Malformed counts header lines that are neither a field nor a
	// continuation (they are skipped).
	Malformed int
}

// NormalizeNewlines turns every bare LF into CRLF: messages saved by mail
// clients and tools often lose their CRs, and signers signed CRLF.
func NormalizeNewlines(raw []byte) []byte {
	n := bytes.Count(raw, []byte{'\n'})
	if n == 0 || n == bytes.Count(raw, []byte("\r\n")) {
		return raw
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// Split splits a raw message with CRLF line endings into header fields
// and body, within lim (zero fields of lim mean DefaultLimits' values).
func Split(raw []byte, lim Limits) (*Message, error) {
	lim = lim.orDefault()
	m := &Message{}
	rest := raw
	headerBytes := 0
	// skipping: the last line was malformed, so its continuation lines
	// are skipped with it instead of continuing the field before it.
	skipping := false
	for len(rest) > 0 {
		line, next := cutLine(rest)
		if len(bytes.TrimRight(line, "\r\n")) == 0 && len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
			// The empty line: the body follows.
			m.Body = next
			break
		}
		headerBytes += len(line)
		if headerBytes > lim.MaxHeaderBytes {
			return m, fmt.Errorf("%w: header section over %d bytes", ErrLimit, lim.MaxHeaderBytes)
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(m.Fields) == 0 || skipping {
				m.Malformed++
			} else {
				f := &m.Fields[len(m.Fields)-1]
				if len(f.Raw)+len(line) > lim.MaxFieldBytes {
					return m, fmt.Errorf("%w: a header field over %d bytes", ErrLimit, lim.MaxFieldBytes)
				}
				f.Raw = append(f.Raw, line...)
			}
			rest = next
			continue
		}
		colon := bytes.IndexByte(line, ':')
		name := ""
		if colon > 0 {
			name = strings.TrimRight(string(line[:colon]), " \t")
		}
		if !validName(name) {
			m.Malformed++
			skipping = true
			rest = next
			continue
		}
		skipping = false
		if len(m.Fields) >= lim.MaxFields {
			return m, fmt.Errorf("%w: more than %d header fields", ErrLimit, lim.MaxFields)
		}
		if len(line) > lim.MaxFieldBytes {
			return m, fmt.Errorf("%w: a header field over %d bytes", ErrLimit, lim.MaxFieldBytes)
		}
		m.Fields = append(m.Fields, Field{Name: name, Raw: append([]byte(nil), line...)})
		rest = next
	}
	if len(m.Body) > lim.MaxBodyBytes {
		return m, fmt.Errorf("%w: body over %d bytes", ErrLimit, lim.MaxBodyBytes)
	}
	// A last field without CRLF (a message that is all header) gets one,
	// as it would have on the wire.
	if n := len(m.Fields); n > 0 && !bytes.HasSuffix(m.Fields[n-1].Raw, []byte("\r\n")) {
		m.Fields[n-1].Raw = append(m.Fields[n-1].Raw, '\r', '\n')
	}
	return m, nil
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxFields > 0 {
		d.MaxFields = l.MaxFields
	}
	if l.MaxFieldBytes > 0 {
		d.MaxFieldBytes = l.MaxFieldBytes
	}
	if l.MaxHeaderBytes > 0 {
		d.MaxHeaderBytes = l.MaxHeaderBytes
	}
	if l.MaxBodyBytes > 0 {
		d.MaxBodyBytes = l.MaxBodyBytes
	}
	return d
}

// cutLine returns the first line of b with its line ending (CRLF, or LF
// alone) and the rest.
func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

// validName reports whether s is an RFC 5322 field name: printable ASCII
// except the colon.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return true
}

// Canon is a canonicalisation algorithm (RFC 6376 §3.4).
type Canon string

// The canonicalisation algorithms.
const (
	Simple  Canon = "simple"
	Relaxed Canon = "relaxed"
)

// ParseCanon parses a c= value ("relaxed/simple", "relaxed", "" for the
// default simple/simple) into header and body algorithms.
func ParseCanon(s string) (header, body Canon, err error) {
	if s == "" {
		return Simple, Simple, nil
	}
	h, b, found := strings.Cut(s, "/")
	if !found {
		b = string(Simple)
	}
	header, body = Canon(h), Canon(b)
	if !header.valid() || !body.valid() {
		return "", "", fmt.Errorf("unknown canonicalization %q", s)
	}
	return header, body, nil
}

func (c Canon) valid() bool { return c == Simple || c == Relaxed }

// Header returns raw (a whole field as in Field.Raw, ending with CRLF)
// canonicalised with c.
func (c Canon) Header(raw []byte) []byte {
	if c != Relaxed {
		return raw
	}
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	out = append(out, strings.ToLower(strings.TrimRight(string(raw[:colon]), " \t"))...)
	out = append(out, ':')
	v := bytes.TrimSuffix(raw[colon+1:], []byte("\r\n"))
	space := false
	started := false
	for _, ch := range v {
		switch ch {
		case '\r', '\n':
			continue // unfold
		case ' ', '\t':
			space = true
			continue
		}
		if space && started {
			out = append(out, ' ')
		}
		space = false
		started = true
		out = append(out, ch)
	}
	return append(out, '\r', '\n')
}

// Body returns body canonicalised with c.
func (c Canon) Body(body []byte) []byte {
	if c == Relaxed {
		return relaxedBody(body)
	}
	return simpleBody(body)
}

func simpleBody(body []byte) []byte {
	b := body
	for bytes.HasSuffix(b, []byte("\r\n\r\n")) {
		b = b[:len(b)-2]
	}
	if len(b) == 0 || bytes.Equal(b, []byte("\r\n")) {
		return []byte("\r\n")
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		return append(append([]byte(nil), b...), '\r', '\n')
	}
	return b
}

func relaxedBody(body []byte) []byte {
	out := make([]byte, 0, len(body))
	pendingEmpty := 0
	rest := body
	for len(rest) > 0 {
		var line []byte
		if i := bytes.Index(rest, []byte("\r\n")); i >= 0 {
			line, rest = rest[:i], rest[i+2:]
		} else {
			line, rest = rest, nil
		}
		// Reduce runs of WSP to one SP, drop WSP at the end of the line.
		l := make([]byte, 0, len(line))
		space := false
		for _, ch := range line {
			if ch == ' ' || ch == '\t' {
				space = true
				continue
			}
			if space {
				l = append(l, ' ')
				space = false
			}
			l = append(l, ch)
		}
		if len(l) == 0 {
			pendingEmpty++
			continue
		}
		for ; pendingEmpty > 0; pendingEmpty-- {
			out = append(out, '\r', '\n')
		}
		out = append(out, l...)
		out = append(out, '\r', '\n')
	}
	return out
}
