package mailtest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HostileReply scripts one reply of a hostile SMTP peer.
type HostileReply struct {
	// Delay waits before writing Text (and before closing or stalling).
	Delay time.Duration
	// Text is written as is: put in the CRLFs you want, or leave the last
	// one out to cut a reply mid-line.
	Text string
	// Flood, when set, is written after Text again and again until the
	// client goes away (an endless "250-..." reply).
	Flood string
	// Close closes the connection after Text.
	Close bool
	// Stall writes Text and then never answers again (the connection
	// stays open until the client closes it or the world stops).
	Stall bool
}

// HostileOptions script a raw SMTP peer that breaks the protocol on
// purpose: endless replies, replies cut mid-line, slow replies. It is not
// go-smtp: every byte it sends is the script's.
type HostileOptions struct {
	// Greeting is the greeting; the zero value is "220 hostile.test ESMTP".
	Greeting HostileReply
	// Replies maps a command verb in upper case (EHLO, HELO, STARTTLS,
	// AUTH, MAIL, RCPT, DATA, RSET, VRFY, NOOP, QUIT) to its reply; "."
	// is the reply to the end of the message after a 354. Unscripted
	// verbs get "250 2.0.0 Ok" (EHLO a two-line reply, VRFY 252, DATA 354,
	// QUIT 221 and the connection closed).
	Replies map[string]HostileReply
}

// HostileServer is a running hostile SMTP peer.
type HostileServer struct {
	Addr string // the loopback "127.0.0.1:port" it listens on

	opts    HostileOptions
	srv     *connServer
	written atomic.Int64
	accepts atomic.Int64

	mu       sync.Mutex
	commands []string
}

// HostileSMTP starts a hostile SMTP peer and routes the given addresses
// (e.g. "192.0.2.66:25") to it. It stops with the world.
func (w *World) HostileSMTP(o HostileOptions, routes ...string) (*HostileServer, error) {
	l, err := w.Listen(routes...)
	if err != nil {
		return nil, err
	}
	s := ServeHostileSMTP(l, o)
	w.OnClose(s.Close)
	return s, nil
}

// ServeHostileSMTP serves a hostile SMTP peer on l until Close.
func ServeHostileSMTP(l net.Listener, o HostileOptions) *HostileServer {
	if o.Greeting == (HostileReply{}) {
		o.Greeting = HostileReply{Text: "220 hostile.test ESMTP\r\n"}
	}
	s := &HostileServer{Addr: l.Addr().String(), opts: o}
	s.srv = newConnServer(l)
	s.srv.start(s.session, func() { s.accepts.Add(1) })
	return s
}

// Close stops the server, drops its connections and waits for its
// goroutines.
func (s *HostileServer) Close() { s.srv.Close() }

// Written returns how many bytes the server has written to its clients.
func (s *HostileServer) Written() int64 { return s.written.Load() }

// Accepted returns how many connections the server has accepted.
func (s *HostileServer) Accepted() int64 { return s.accepts.Load() }

// Commands returns the command lines received so far (without CRLF, the
// message content left out), over all connections.
func (s *HostileServer) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// sleep waits d, or less when the server stops; false means it stopped.
func (s *HostileServer) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.srv.done:
		return false
	}
}

// play writes one scripted reply; false ends the session.
func (s *HostileServer) play(c net.Conn, r HostileReply) bool {
	if !s.sleep(r.Delay) {
		return false
	}
	if r.Text != "" {
		n, err := io.WriteString(c, r.Text)
		s.written.Add(int64(n))
		if err != nil {
			return false
		}
	}
	if r.Flood != "" {
		block := []byte(strings.Repeat(r.Flood, max(1, 16384/len(r.Flood))))
		for {
			n, err := c.Write(block)
			s.written.Add(int64(n))
			if err != nil {
				return false
			}
		}
	}
	if r.Stall {
		_, _ = io.Copy(io.Discard, c) // until the client or Close ends it
		return false
	}
	return !r.Close
}

func (s *HostileServer) session(c net.Conn) {
	if !s.play(c, s.opts.Greeting) {
		return
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		s.mu.Lock()
		if len(s.commands) < 1000 {
			s.commands = append(s.commands, strings.TrimRight(line, "\r\n"))
		}
		s.mu.Unlock()
		verb, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb = strings.ToUpper(verb)
		r, ok := s.opts.Replies[verb]
		if !ok {
			switch verb {
			case "EHLO":
				r = HostileReply{Text: "250-hostile.test\r\n250 PIPELINING\r\n"}
			case "DATA":
				r = HostileReply{Text: "354 End data with <CR><LF>.<CR><LF>\r\n"}
			case "QUIT":
				r = HostileReply{Text: "221 2.0.0 Bye\r\n", Close: true}
			case "VRFY":
				r = HostileReply{Text: "252 2.0.0 Cannot VRFY user\r\n"}
			default:
				r = HostileReply{Text: "250 2.0.0 Ok\r\n"}
			}
		}
		if !s.play(c, r) {
			return
		}
		if verb == "DATA" && strings.HasPrefix(r.Text, "354") {
			for { // the message, up to the final "."
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
			}
			eod, ok := s.opts.Replies["."]
			if !ok {
				eod = HostileReply{Text: "250 2.0.0 Ok: queued as HOSTILE1\r\n"}
			}
			if !s.play(c, eod) {
				return
			}
		}
	}
}
