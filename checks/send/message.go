package send

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"time"
)

// ErrMessage wraps problems with the message given (a bad --header, an
// --eml without a header).
var ErrMessage = errors.New("send: bad message")

// NewRunID returns a fresh run id: 12 lower-case hex digits.
func NewRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CRLF returns msg with every line ending (LF, CR or CRLF) made CRLF and a
// final CRLF added when missing. An empty message stays empty.
func CRLF(msg []byte) []byte {
	if len(msg) == 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)+len(msg)/32+2)
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(msg) && msg[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// ParseHeader checks one "Name: value" header field given on the command
// line and returns its name and value. Names are printable ASCII without
// colon or space (RFC 5322 §2.2); values must not contain CR or LF, so a
// flag cannot inject further header fields.
func ParseHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: header %q: want \"Name: value\"", ErrMessage, h)
	}
	if name == "" {
		return "", "", fmt.Errorf("%w: header %q: empty name", ErrMessage, h)
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f {
			return "", "", fmt.Errorf("%w: header name %q: only printable ASCII without spaces", ErrMessage, name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", fmt.Errorf("%w: header %s: the value must be one line", ErrMessage, name)
	}
	return name, strings.TrimSpace(value), nil
}

// field is one header field with its continuation lines, without the final
// CRLF.
type field struct {
	name string // as written
	raw  string // "Name: value\r\n continued"
}

// splitMessage splits a CRLF message into its header fields and its body
// (after the empty line; nil when there is none).
func splitMessage(msg []byte) ([]field, []byte) {
	var fields []field
	rest := msg
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("\r\n"))
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+2:]
		}
		if len(line) == 0 {
			return fields, rest
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].raw += "\r\n" + string(line)
			continue
		}
		name, _, _ := strings.Cut(string(line), ":")
		fields = append(fields, field{name: strings.TrimSpace(name), raw: string(line)})
	}
	return fields, nil
}

func joinMessage(fields []field, body []byte) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f.raw)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// setHeader replaces the first field called name (dropping later ones) or
// appends it.
func setHeader(fields []field, name, value string) []field {
	nf := field{name: name, raw: name + ": " + value}
	out := fields[:0:0]
	done := false
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			if !done {
				out = append(out, nf)
				done = true
			}
			continue
		}
		out = append(out, f)
	}
	if !done {
		out = append(out, nf)
	}
	return out
}

// headerValue returns the unfolded value of the first field called name.
func headerValue(fields []field, name string) string {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			_, v, _ := strings.Cut(f.raw, ":")
			v = strings.ReplaceAll(v, "\r\n", "")
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// messageSpec is what a message is built from.
type messageSpec struct {
	From, HELO string
	To         []string
	Headers    []string // "Name: value", applied last
	Body       []byte   // replaces the default body
	EML        []byte   // the whole message, sent as is
	RunID      string
	Now        time.Time
	Version    string
}

// buildMessage returns the message to send in CRLF form and its header
// fields.
func buildMessage(s messageSpec) ([]byte, []field, error) {
	var fields []field
	var body []byte
	if s.EML != nil {
		msg := CRLF(s.EML)
		fields, body = splitMessage(msg)
		if len(fields) == 0 {
			return nil, nil, fmt.Errorf("%w: the --eml file has no header fields", ErrMessage)
		}
		if body == nil { // headers only: keep the message as it was, with the separator
			body = []byte{}
		}
	} else {
		domain := domainOf(s.From)
		if domain == "" {
			domain = "mxray.invalid"
		}
		text := s.Body
		if text == nil {
			text = []byte(defaultBody(s))
		}
		text = CRLF(text)
		cte := "7bit"
		if !isASCII(text) || longestLine(text) > 998 {
			var qb bytes.Buffer
			qw := quotedprintable.NewWriter(&qb)
			_, _ = qw.Write(text)
			_ = qw.Close()
			text = CRLF(qb.Bytes())
			cte = "quoted-printable"
		}
		body = text
		for _, kv := range [][2]string{
			{"From", s.From},
			{"To", strings.Join(s.To, ", ")},
			{"Subject", "mxray test message " + s.RunID},
			{"Date", s.Now.Format(time.RFC1123Z)},
			{"Message-ID", "<mxray." + s.RunID + "@" + domain + ">"},
			{"MIME-Version", "1.0"},
			{"Content-Type", "text/plain; charset=utf-8"},
			{"Content-Transfer-Encoding", cte},
			{"X-Mailer", "mxray " + s.Version},
		} {
			fields = append(fields, field{name: kv[0], raw: kv[0] + ": " + kv[1]})
		}
	}
	for _, h := range s.Headers {
		name, value, err := ParseHeader(h)
		if err != nil {
			return nil, nil, err
		}
		fields = setHeader(fields, name, value)
	}
	return joinMessage(fields, body), fields, nil
}

func defaultBody(s messageSpec) string {
	var b strings.Builder
	b.WriteString("This is a test message sent by mxray send (https://github.com/mxray/mxray).\n\n")
	fmt.Fprintf(&b, "Run id:   %s\n", s.RunID)
	fmt.Fprintf(&b, "Sent at:  %s\n", s.Now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "From:     %s\n", s.From)
	fmt.Fprintf(&b, "To:       %s\n", strings.Join(s.To, ", "))
	if s.HELO != "" {
		fmt.Fprintf(&b, "HELO:     %s\n", s.HELO)
	}
	b.WriteString("\nIt was sent to test that mail from this sender reaches this recipient.\n")
	b.WriteString("Nothing needs to be done with it; you can delete it.\n")
	return b.String()
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func longestLine(b []byte) int {
	longest := 0
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		longest = max(longest, i)
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return longest
}

// domainOf returns the lower-case domain of an address ("" without @).
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

// summarise describes a message for the trace.
func summarise(msg []byte, fields []field) *MessageInfo {
	mi := &MessageInfo{Size: len(msg), MessageID: headerValue(fields, "Message-ID")}
	for _, f := range fields {
		v := strings.ReplaceAll(f.raw, "\r\n", "")
		if strings.EqualFold(f.name, "DKIM-Signature") {
			v = f.name + ": (" + fmt.Sprint(len(f.raw)) + " bytes)"
		}
		if len(v) > 200 {
			v = v[:200] + "…"
		}
		mi.Headers = append(mi.Headers, v)
	}
	return mi
}
