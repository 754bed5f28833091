package smtpwire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// Bounds of every reply the client reads: the greeting and the replies to
// EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, VRFY, RSET and QUIT. RFC 5321
// §4.5.3.1.5 allows 512 octets a reply line; real servers send longer
// lines, and EHLO replies of a few dozen lines, but nothing near these.
const (
	MaxReplyLines = 100      // lines of one reply
	MaxReplyLine  = 2000     // octets of one line, without CRLF
	MaxReplyBytes = 64 << 10 // octets of one reply, CRLFs included
)

// ErrReplyTooLong is the kind of error returned when a reply goes past
// MaxReplyLines, MaxReplyBytes or MaxReplyLine: a server streaming an
// endless reply. Use errors.Is.
var ErrReplyTooLong = errors.New("the reply is too long")

// ErrCutLine is the kind of error returned when the connection ends, or a
// wait runs out, in the middle of a reply line (no CRLF yet): the partial
// line is never taken as a reply. Use errors.Is.
var ErrCutLine = errors.New("the reply was cut off in the middle of a line")

// ReplyTooLongError says which bound a reply went past.
type ReplyTooLongError struct {
	Lines int  // lines of the reply read so far
	Bytes int  // octets of the reply read so far
	Line  bool // a single line went past MaxReplyLine
}

func (e *ReplyTooLongError) Error() string { return "the reply is too long: " + e.detail() }

// Unwrap makes errors.Is(err, ErrReplyTooLong) hold.
func (e *ReplyTooLongError) Unwrap() error { return ErrReplyTooLong }

// CutLineError is returned when the connection ended (Cause is io.EOF or a
// reset) or a deadline passed (Cause is a timeout) after Partial, a line
// without its CRLF.
type CutLineError struct {
	Partial string
	Cause   error
}

func (e *CutLineError) Error() string {
	return fmt.Sprintf("the reply was cut off in the middle of a line (%q without a line end)", cut(e.Partial, 60))
}

// Unwrap makes errors.Is hold for ErrCutLine and for the cause (a timeout,
// io.EOF...).
func (e *CutLineError) Unwrap() []error { return []error{ErrCutLine, e.Cause} }

// Timeout reports whether the line was cut by a deadline.
func (e *CutLineError) Timeout() bool { return isTimeout(e.Cause) }

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ReplyConn is the one reader of server replies: a net.Conn placed under
// go-smtp's client (and under ReadReply for the greeting) that hands the
// reader whole lines only and tracks reply boundaries the way
// net/textproto does. A reply past MaxReplyLines, MaxReplyBytes or
// MaxReplyLine fails the read with a *ReplyTooLongError, so that an endless
// "250-..." stream costs a bounded amount of memory; a line cut by the end
// of the connection or by a deadline fails it with a *CutLineError instead
// of being taken as a reply. Errors are sticky.
//
// Writes pass through. Call Passthrough before a TLS handshake on the same
// connection: the bytes that follow are not lines.
type ReplyConn struct {
	net.Conn

	buf   []byte // read from Conn, not yet handed out
	ready int    // buf[:ready] holds whole lines
	scan  int    // buf[ready:scan] was searched for '\n' already
	err   error  // sticky error, returned once buf[:ready] is drained
	raw   bool   // pass-through

	// The reply being read: its lines and octets so far, and its code when
	// it is a multi-line reply (0: the next line starts a reply).
	lines, bytes int
	code         int
	multi        bool
	chunk        [4096]byte
}

// NewReplyConn wraps c.
func NewReplyConn(c net.Conn) *ReplyConn { return &ReplyConn{Conn: c} }

// Passthrough stops the line discipline: later reads return the bytes as
// they come (those already read first).
func (r *ReplyConn) Passthrough() { r.raw = true }

// Read implements io.Reader.
func (r *ReplyConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.ready > 0 {
			n := copy(p, r.buf[:r.ready])
			r.consume(n)
			return n, nil
		}
		if r.raw {
			if len(r.buf) > 0 {
				n := copy(p, r.buf)
				r.consume(n)
				return n, nil
			}
			return r.Conn.Read(p)
		}
		if r.err != nil {
			return 0, r.err
		}
		n, err := r.Conn.Read(r.chunk[:])
		r.buf = append(r.buf, r.chunk[:n]...)
		r.lines0()
		if r.err != nil {
			continue
		}
		if err != nil {
			if partial := r.buf[r.ready:]; len(partial) > 0 {
				r.err = &CutLineError{Partial: string(bytes.TrimRight(partial, "\r")), Cause: err}
			} else {
				r.err = err
			}
			r.buf = r.buf[:r.ready]
			r.scan = r.ready
		}
	}
}

// consume drops n handed-out octets.
func (r *ReplyConn) consume(n int) {
	r.buf = r.buf[n:]
	r.ready -= n
	r.scan -= n
	if len(r.buf) == 0 {
		r.buf = r.buf[:0:0]
	}
}

// lines0 accounts for every whole line newly in buf, moving ready past
// it, and checks the bounds.
func (r *ReplyConn) lines0() {
	for {
		i := bytes.IndexByte(r.buf[r.scan:], '\n')
		if i < 0 {
			r.scan = len(r.buf)
			if len(r.buf)-r.ready > MaxReplyLine+2 {
				r.fail(&ReplyTooLongError{Lines: r.lines + 1, Bytes: r.bytes + len(r.buf) - r.ready, Line: true})
			}
			return
		}
		end := r.scan + i + 1
		line := r.buf[r.ready:end]
		r.scan, r.ready = end, end
		if err := r.account(line); err != nil {
			r.fail(err)
			return
		}
	}
}

// fail drops what was not handed out yet: once a bound is passed, nothing
// more of the reply reaches the reader.
func (r *ReplyConn) fail(err error) {
	r.err = err
	r.buf = r.buf[:0:0]
	r.ready, r.scan = 0, 0
}

// account adds one line (with its line end) to the current reply. A reply
// ends where net/textproto's ReadResponse ends it: after a first line that
// is not "ddd-", or at a later line "ddd " with the first line's code.
func (r *ReplyConn) account(raw []byte) error {
	line := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	r.lines++
	r.bytes += len(raw)
	switch {
	case len(line) > MaxReplyLine:
		return &ReplyTooLongError{Lines: r.lines, Bytes: r.bytes, Line: true}
	case r.lines > MaxReplyLines || r.bytes > MaxReplyBytes:
		return &ReplyTooLongError{Lines: r.lines, Bytes: r.bytes}
	}
	if !r.multi {
		if len(line) >= 4 && line[3] == '-' {
			r.multi = true
			r.code = codeOf(line)
			return nil
		}
		r.lines, r.bytes = 0, 0
		return nil
	}
	if len(line) >= 4 && line[3] == ' ' && r.code >= 100 && codeOf(line) == r.code {
		r.lines, r.bytes, r.multi, r.code = 0, 0, false, 0
	}
	return nil
}

// codeOf parses a reply line's code as net/textproto does (strconv.Atoi of
// the first three octets); -1 when it does not parse.
func codeOf(line []byte) int {
	c, err := strconv.Atoi(string(line[:3]))
	if err != nil {
		return -1
	}
	return c
}

// isTimeout reports a deadline error.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var _ io.Reader = (*ReplyConn)(nil)
