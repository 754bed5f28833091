package smtpwire

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"
)

// scriptConn is a net.Conn whose reads return the script in chunks of at
// most step bytes, then end (io.EOF, or a deadline error when timeout is
// set); writes are discarded.
type scriptConn struct {
	data    []byte
	step    int
	timeout bool
}

func (c *scriptConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		if c.timeout {
			return 0, os.ErrDeadlineExceeded
		}
		return 0, io.EOF
	}
	n := min(len(p), len(c.data))
	if c.step > 0 {
		n = min(n, c.step)
	}
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}
func (c *scriptConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *scriptConn) Close() error                       { return nil }
func (c *scriptConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(t time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// readAll reads replies the way go-smtp does (net/textproto) until an error.
func readAll(c net.Conn) (msgs []string, err error) {
	tr := textproto.NewReader(bufio.NewReader(c))
	for {
		_, msg, err := tr.ReadResponse(0)
		var te *textproto.Error
		if err != nil && !errors.As(err, &te) {
			return msgs, err
		}
		msgs = append(msgs, msg)
	}
}

func TestReplyConn(t *testing.T) {
	t.Parallel()
	flood := strings.Repeat("250-x\r\n", 10000)
	tests := []struct {
		name    string
		in      string
		timeout bool
		replies int
		kind    error // the final error
	}{
		{name: "replies then EOF", in: "220 hi\r\n250-a\r\n250 b\r\n", replies: 2, kind: io.EOF},
		{name: "100 lines is fine", in: strings.Repeat("250-x\r\n", 99) + "250 x\r\n", replies: 1, kind: io.EOF},
		{name: "101 lines is too many", in: strings.Repeat("250-x\r\n", 100) + "250 x\r\n", kind: ErrReplyTooLong},
		{name: "flood", in: flood, kind: ErrReplyTooLong},
		{name: "bytes", in: strings.Repeat("250-"+strings.Repeat("y", 1000)+"\r\n", 70) + "250 y\r\n", kind: ErrReplyTooLong},
		{name: "endless line", in: "250 " + strings.Repeat("z", 5000), kind: ErrReplyTooLong},
		// textproto takes any line as a continuation until the first
		// line's code comes back with a space: so does the bound.
		{name: "other codes continue", in: strings.Repeat("250-x\r\n251 y\r\n", 60), kind: ErrReplyTooLong},
		{name: "cut at EOF", in: "220", kind: ErrCutLine},
		{name: "cut after a reply", in: "220 ok\r\n250 o", replies: 1, kind: ErrCutLine},
		{name: "cut at a deadline", in: "220 mx", timeout: true, kind: ErrCutLine},
		{name: "bare LF lines", in: "220 a\n250 b\n", replies: 2, kind: io.EOF},
	}
	for _, tc := range tests {
		for _, step := range []int{0, 1, 7} {
			c := NewReplyConn(&scriptConn{data: []byte(tc.in), step: step, timeout: tc.timeout})
			msgs, err := readAll(c)
			if len(msgs) != tc.replies || !errors.Is(err, tc.kind) {
				t.Errorf("%s (step %d): %d replies, err %v; want %d, %v", tc.name, step, len(msgs), err, tc.replies, tc.kind)
			}
			if tc.timeout && !isTimeout(err) {
				t.Errorf("%s: %v is not a timeout", tc.name, err)
			}
		}
	}
}

// The greeting is read by ReadReply, over the same bounded reader.
func TestReadReplyCutLine(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"220", "220 mx.example ESMTP", "220-a\r\n220 b"} {
		_, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		if !errors.Is(err, ErrCutLine) {
			t.Errorf("%q: err %v, want a cut line", in, err)
		}
		_, err = ReadReply(bufio.NewReader(NewReplyConn(&scriptConn{data: []byte(in)})))
		if !errors.Is(err, ErrCutLine) {
			t.Errorf("%q over ReplyConn: err %v, want a cut line", in, err)
		}
	}
}

// goText are fragments of Go error text that must never reach people.
var goText = []string{"smtp:", "textproto", "EOF", "i/o timeout", "context deadline", "context canceled", "dial tcp", "use of closed", "tls:"}

// FuzzReplyConn runs a whole session against a server that sends the fuzz
// input, through the bounded reader: no panic, every reply within the
// bounds, every error in plain words.
func FuzzReplyConn(f *testing.F) {
	for _, s := range []string{
		"220 mx.example.com ESMTP Postfix\r\n250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n252 2.0.0 postmaster\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n221 2.0.0 Bye\r\n",
		"220\r\n250 ok\r\n",
		"220 ok\r\n" + strings.Repeat("250-x\r\n", 150),
		"220 ok\r\n250 o",
		"554 5.7.1 no\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// The bound, as go-smtp's reader sees it.
		msgs, _ := readAll(NewReplyConn(&scriptConn{data: in, step: 5}))
		for _, m := range msgs {
			if n := strings.Count(m, "\n") + 1; n > MaxReplyLines || len(m) > MaxReplyBytes {
				t.Fatalf("a reply of %d lines, %d bytes got through", n, len(m))
			}
		}
		// Whole lines only: what the reader gets is a prefix of the input
		// ending with a line end.
		var got bytes.Buffer
		_, _ = io.Copy(&got, NewReplyConn(&scriptConn{data: in}))
		if !bytes.HasPrefix(in, got.Bytes()) || got.Len() > 0 && got.Bytes()[got.Len()-1] != '\n' {
			t.Fatalf("handed out %q of %q", got.Bytes(), in)
		}
		// A session: plain words whatever the server says.
		s := New(Config{Dialer: dialerFunc(func() net.Conn { return &scriptConn{data: in, step: 64} }), HELO: "probe.test",
			Timeouts: Timeouts{Connect: time.Second, Greeting: time.Second, Command: time.Second}}, "192.0.2.1:25")
		ctx := context.Background()
		errs := []error{s.Connect(ctx)}
		if errs[0] == nil {
			errs = append(errs, s.Hello(ctx), s.Verify(ctx, "vrfy", "postmaster"), s.Mail(ctx, ""), s.Rcpt(ctx, "rcpt", "postmaster@example.com"))
			if len(s.Extensions()) > MaxReplyLines {
				t.Fatalf("%d extensions", len(s.Extensions()))
			}
		}
		errs = append(errs, s.Quit(ctx))
		for _, err := range errs {
			if err == nil {
				continue
			}
			for _, g := range goText {
				if strings.Contains(err.Error(), g) {
					t.Fatalf("Go error text %q in %q", g, err.Error())
				}
			}
		}
	})
}

type dialerFunc func() net.Conn

func (d dialerFunc) DialContext(context.Context, string, string) (net.Conn, error) { return d(), nil }
