package smtpwire

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gosmtp "github.com/emersion/go-smtp"
)

// Reply is an SMTP reply (RFC 5321 §4.2): a three-digit code and one or
// more text lines. Enhanced is the RFC 3463 status code ("5.7.1") when the
// first line carries one.
type Reply struct {
	Code     int      `json:"code"`
	Enhanced string   `json:"enhanced,omitempty"`
	Lines    []string `json:"lines"`
}

// Positive reports a 2xx or 3xx reply.
func (r *Reply) Positive() bool { return r != nil && r.Code >= 200 && r.Code < 400 }

// Transient reports a 4xx reply (try again later: greylisting, rate limits).
func (r *Reply) Transient() bool { return r != nil && r.Code >= 400 && r.Code < 500 }

// Permanent reports a 5xx reply.
func (r *Reply) Permanent() bool { return r != nil && r.Code >= 500 && r.Code < 600 }

// Text returns the reply's text lines joined by spaces.
func (r *Reply) Text() string {
	if r == nil {
		return ""
	}
	return strings.Join(r.Lines, " ")
}

// String renders the reply as its first wire line, e.g. "550 5.1.1 no such user".
func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	if len(r.Lines) > 0 && r.Lines[0] != "" {
		s += " " + r.Lines[0]
	}
	return s
}

// ReplyError is returned when the server answered with an unexpected reply.
type ReplyError struct {
	Command string // the command that was answered, e.g. "RCPT TO:<postmaster@example.com>"
	Reply   *Reply
}

// Error implements error, in plain words: "the server answered RCPT
// TO:<a@example.com> with 550 5.1.1 no such user".
func (e *ReplyError) Error() string {
	switch e.Command {
	case "":
		return "the server replied " + e.Reply.String()
	case "greeting":
		return "the server greeted with " + e.Reply.String()
	}
	return fmt.Sprintf("the server answered %s with %s", e.Command, e.Reply.String())
}

// ReplyOf returns the reply carried by err (a *ReplyError or go-smtp's
// *SMTPError), or nil.
func ReplyOf(err error) *Reply {
	var re *ReplyError
	if errors.As(err, &re) {
		return re.Reply
	}
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		r := &Reply{Code: se.Code, Lines: strings.Split(se.Message, "\n")}
		if se.EnhancedCode != (gosmtp.EnhancedCode{}) && se.EnhancedCode != gosmtp.NoEnhancedCode {
			r.Enhanced = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return r
	}
	return nil
}

// ErrMalformed is the kind of error returned for a reply that does not
// follow RFC 5321 §4.2. Use errors.Is.
var ErrMalformed = errors.New("malformed reply")

// MalformedError is a reply line that does not follow RFC 5321 §4.2.
type MalformedError struct {
	Line string // the offending line
	Why  string // what is wrong with it, in plain words
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed reply: %s: %q", e.Why, cut(e.Line, 60))
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *MalformedError) Unwrap() error { return ErrMalformed }

// ReadReply reads one possibly multi-line reply, within the bounds
// MaxReplyLines, MaxReplyBytes and MaxReplyLine (a *ReplyTooLongError
// past them). A line cut by the end of input or by a deadline (no line
// end) is a *CutLineError, never a reply.
func ReadReply(br *bufio.Reader) (*Reply, error) {
	var r *Reply
	total := 0
	for {
		line, n, err := readLine(br)
		if err != nil {
			return nil, err
		}
		total += n
		if r != nil && (len(r.Lines) >= MaxReplyLines || total > MaxReplyBytes) {
			return nil, &ReplyTooLongError{Lines: len(r.Lines) + 1, Bytes: total}
		}
		code, cont, text, err := ParseReplyLine(line)
		if err != nil {
			return nil, err
		}
		if r == nil {
			r = &Reply{Code: code}
		} else if code != r.Code {
			return nil, &MalformedError{Line: line, Why: fmt.Sprintf("code %d inside a %d reply", code, r.Code)}
		}
		r.Lines = append(r.Lines, text)
		if !cont {
			break
		}
	}
	r.Enhanced, r.Lines[0] = splitEnhanced(r.Code, r.Lines[0])
	return r, nil
}

// readLine reads one line ending in LF (CRLF or a bare LF) and returns it
// without the line end, and the octets consumed.
func readLine(br *bufio.Reader) (string, int, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > MaxReplyLine+2 {
			return "", len(b), &ReplyTooLongError{Lines: 1, Bytes: len(b), Line: true}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && len(b) > 0:
			return "", len(b), &CutLineError{Partial: strings.TrimRight(string(b), "\r"), Cause: err}
		case err != nil:
			return "", 0, err
		}
		n := len(b)
		b = b[:len(b)-1]
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
		if len(b) > MaxReplyLine {
			return "", n, &ReplyTooLongError{Lines: 1, Bytes: n, Line: true}
		}
		return string(b), n, nil
	}
}

// ParseReplyLine parses one reply line: "250-text" (more lines follow),
// "250 text" or "250" (last line).
func ParseReplyLine(line string) (code int, more bool, text string, err error) {
	if len(line) < 3 {
		return 0, false, "", &MalformedError{Line: line, Why: "no reply code"}
	}
	for i := range 3 {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, "", &MalformedError{Line: line, Why: "no reply code"}
		}
	}
	code, _ = strconv.Atoi(line[:3])
	if code < 200 || code > 599 {
		return 0, false, "", &MalformedError{Line: line, Why: fmt.Sprintf("reply code %d out of range", code)}
	}
	switch {
	case len(line) == 3:
		return code, false, "", nil
	case line[3] == '-':
		return code, true, line[4:], nil
	case line[3] == ' ':
		return code, false, line[4:], nil
	}
	return 0, false, "", &MalformedError{Line: line, Why: "no space or hyphen after the code"}
}

// splitEnhanced separates an RFC 3463 enhanced status code from the text of
// a reply line when its class matches the reply code's.
func splitEnhanced(code int, text string) (string, string) {
	first, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(first, ".")
	if len(parts) != 3 || len(first) > 11 || first[0]-'0' != byte(code/100) {
		return "", text
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 {
			return "", text
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return "", text
			}
		}
	}
	return first, rest
}

// Greeting is the parsed 220 greeting: the host the server names first (RFC
// 5321 §4.3.1 "220 <domain> ..."), which may be empty or not a domain.
func (r *Reply) Greeting() string {
	if r == nil || len(r.Lines) == 0 {
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimSpace(r.Lines[0]), " ")
	return strings.TrimSuffix(strings.ToLower(first), ".")
}
