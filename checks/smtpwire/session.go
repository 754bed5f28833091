package smtpwire

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/mxray/mxray/checks"
)

// Timeouts bound each network wait of a session, exactly.
type Timeouts struct {
	Connect  time.Duration // the TCP connect
	Greeting time.Duration // the 220 greeting (greet pauses wait on purpose)
	Command  time.Duration // each later reply, and the TLS handshake
}

// TimeoutsFor derives the waits from the run's options: --timeout bounds
// the connect and every reply, --greeting-timeout the greeting.
func TimeoutsFor(env *checks.Env) Timeouts {
	t := env.Timeout()
	return Timeouts{Connect: t, Greeting: env.GreetingTimeout(), Command: t}
}

// DefaultHELO is the EHLO name when the user gave none: this machine's
// name when it is a fully qualified domain name, else "mxray.invalid".
func DefaultHELO() string {
	h, err := os.Hostname()
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if err != nil || !strings.Contains(h, ".") || strings.HasPrefix(h, "localhost") {
		return "mxray.invalid"
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "mxray.invalid"
		}
	}
	return h
}

// HELOName returns name (from --helo), or DefaultHELO when it is empty.
func HELOName(name string) string {
	if name != "" {
		return name
	}
	return DefaultHELO()
}

// Port25 returns a session to ip:25 configured from the run's Env: its
// dialer, its per-stage timeouts and its clock.
func Port25(env *checks.Env, ip netip.Addr, helo string) *Session {
	return New(Config{Dialer: env.Dialer, Timeouts: TimeoutsFor(env), HELO: helo, Now: env.Now},
		net.JoinHostPort(ip.String(), "25"))
}

// SkipNoSMTP is the checks.Skipper verdict of every check that contacts
// port 25: with --no-smtp it is skipped.
func SkipNoSMTP(opts checks.Options) string {
	if opts.NoSMTP {
		return "--no-smtp: port 25 not contacted"
	}
	return ""
}

// Config configures a session.
type Config struct {
	Dialer   checks.Dialer
	Timeouts Timeouts
	// HELO is the name sent with EHLO/HELO (default "localhost").
	HELO string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Stage is the timing of one step of a session.
type Stage struct {
	Name       string  `json:"stage"`
	StartMs    float64 `json:"start_ms"`
	DurationMs float64 `json:"duration_ms"`
	Reply      *Reply  `json:"reply,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Session is one SMTP conversation with a server.
type Session struct {
	cfg  Config
	addr string
	tr   *Transcript
	now  func() time.Time
	t0   time.Time

	mu     sync.Mutex
	stages []Stage

	raw      net.Conn
	rec      *recorder  // plaintext side before TLS
	rc       *ReplyConn // the bounded reader of replies over rec
	br       *bufio.Reader
	tlsRec   *recorder  // plaintext side of the tls.Conn
	tlsRC    *ReplyConn // the bounded reader of replies over tlsRec
	tlsBR    *bufio.Reader
	tlsConn  *tls.Conn
	client   *gosmtp.Client
	banner   *Reply
	hello    bool
	reset    bool // after RSET go-smtp would send EHLO again before QUIT
	closed   bool
	tlsState *tls.ConnectionState
}

// New prepares a session with the server at addr ("192.0.2.10:25").
func New(cfg Config, addr string) *Session {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HELO == "" {
		cfg.HELO = "localhost"
	}
	if cfg.Timeouts.Connect <= 0 {
		cfg.Timeouts.Connect = checks.DefaultTimeout
	}
	if cfg.Timeouts.Greeting <= 0 {
		cfg.Timeouts.Greeting = checks.DefaultGreetingTimeout
	}
	if cfg.Timeouts.Command <= 0 {
		cfg.Timeouts.Command = checks.DefaultTimeout
	}
	return &Session{cfg: cfg, addr: addr, tr: NewTranscript(cfg.Now), now: cfg.Now, t0: cfg.Now()}
}

// Transcript returns the session's transcript.
func (s *Session) Transcript() *Transcript { return s.tr }

// Stages returns the timed steps so far.
func (s *Session) Stages() []Stage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stage(nil), s.stages...)
}

// Banner returns the greeting read by Connect (nil before).
func (s *Session) Banner() *Reply { return s.banner }

// Connected reports whether Connect made the TCP connection (it may have
// been closed since).
func (s *Session) Connected() bool { return s.raw != nil }

// TLS returns the state of the TLS connection after StartTLS, or nil.
func (s *Session) TLS() *tls.ConnectionState { return s.tlsState }

// Client returns the underlying go-smtp client after Connect (for AUTH and
// DATA in `mxray send`). Its CommandTimeout is the session's; a call on it
// is not aborted by a context — use Guard.
func (s *Session) Client() *gosmtp.Client { return s.client }

// stage runs f as the named step, timing it and recording its outcome.
func (s *Session) stage(name string, f func() (*Reply, error)) error {
	start := s.now()
	rep, err := f()
	st := Stage{Name: name, StartMs: ms(start.Sub(s.t0)), DurationMs: ms(s.now().Sub(start)), Reply: rep}
	if rep == nil {
		st.Reply = ReplyOf(err)
	}
	if err != nil {
		st.Error = err.Error()
	}
	s.mu.Lock()
	s.stages = append(s.stages, st)
	s.mu.Unlock()
	return err
}

// Guard arranges for the connection to be closed when ctx is cancelled
// while a call is in progress; call the returned function when the call
// returns. go-smtp has no context support: this is how it gets one.
func (s *Session) Guard(ctx context.Context) (stop func()) {
	if s.raw == nil {
		return func() {}
	}
	raw := s.raw
	st := context.AfterFunc(ctx, func() { _ = raw.Close() })
	return func() { st() }
}

// Connect opens the TCP connection and waits for the greeting without
// talking first. A greeting other than 220 is returned as a *ReplyError
// (the session stays open so that Quit can be sent, RFC 5321 §3.1).
func (s *Session) Connect(ctx context.Context) error {
	if s.raw != nil {
		return &Error{Kind: ErrState, Msg: "already connected"}
	}
	err := s.stage("connect", func() (*Reply, error) {
		w := wait{stage: "connect", timeout: s.cfg.Timeouts.Connect}
		Progress(ctx, "connecting", w.timeout)
		dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeouts.Connect)
		defer cancel()
		c, err := s.cfg.Dialer.DialContext(dctx, "tcp", s.addr)
		if err != nil {
			if ctx.Err() == nil && dctx.Err() != nil {
				err = &Error{Kind: ErrTimeout, Msg: "no answer to the connection within " + Dur(w.timeout), Cause: err}
			}
			return nil, classify(ctx, w, err)
		}
		s.raw = c
		s.rec = newRecorder(c, s.tr)
		s.rc = NewReplyConn(s.rec)
		s.br = bufio.NewReaderSize(s.rc, 4096)
		s.tr.Note("connected to " + s.addr)
		return nil, nil
	})
	if err != nil {
		s.tr.Note(err.Error())
		return err
	}
	return s.stage("banner", func() (*Reply, error) {
		defer s.Guard(ctx)()
		w := wait{stage: "greeting", timeout: s.cfg.Timeouts.Greeting}
		Progress(ctx, "connected, waiting for the greeting", w.timeout)
		_ = s.raw.SetReadDeadline(s.now().Add(w.timeout))
		rep, err := ReadReply(s.br)
		_ = s.raw.SetReadDeadline(time.Time{})
		if err != nil {
			err = classify(ctx, w, err)
			s.rec.flush()
			s.tr.Note(err.Error())
			return nil, err
		}
		s.banner = rep
		if rep.Code != 220 {
			return rep, &ReplyError{Command: "greeting", Reply: rep}
		}
		s.client = s.newClient(s.rc, s.br)
		return rep, nil
	})
}

// replayConn feeds go-smtp a synthetic greeting (the real one was read and
// recorded already) and then the connection's bytes.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// newClient returns a go-smtp client that writes to c and reads from r,
// which reads c's bounded reader (a *ReplyConn).
func (s *Session) newClient(c net.Conn, r io.Reader) *gosmtp.Client {
	greeting := strings.NewReader("220 mxray-replayed-greeting\r\n")
	cl := gosmtp.NewClient(&replayConn{Conn: c, r: io.MultiReader(greeting, r)})
	cl.CommandTimeout = s.cfg.Timeouts.Command
	cl.SubmissionTimeout = s.cfg.Timeouts.Command
	return cl
}

// note records a failed wait in the transcript: a line the server cut
// (kept by the recorder until now) and the plain-words reason.
func (s *Session) note(err error) {
	if s.tlsRec != nil {
		s.tlsRec.flush()
	} else if s.rec != nil {
		s.rec.flush()
	}
	s.tr.Note(err.Error())
}

// Hello sends EHLO (falling back to HELO when the server answers 500/502)
// with the configured name.
func (s *Session) Hello(ctx context.Context) error {
	name := "ehlo"
	if s.tlsConn != nil {
		name = "ehlo_tls"
	}
	return s.stage(name, func() (*Reply, error) {
		if s.client == nil {
			return nil, &Error{Kind: ErrState, Msg: "EHLO before the greeting"}
		}
		defer s.Guard(ctx)()
		Progress(ctx, "waiting for the reply to EHLO", s.cfg.Timeouts.Command)
		err := s.client.Hello(s.cfg.HELO)
		if err != nil {
			if r := ReplyOf(err); r != nil {
				return r, &ReplyError{Command: "EHLO " + s.cfg.HELO, Reply: r}
			}
			err = classify(ctx, wait{stage: "EHLO", timeout: s.cfg.Timeouts.Command}, err)
			s.note(err)
			return nil, err
		}
		s.hello = true
		return nil, nil
	})
}

// KnownExtensions are the EHLO keywords Extensions reports.
var KnownExtensions = []string{
	"SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "BINARYMIME",
	"ENHANCEDSTATUSCODES", "REQUIRETLS", "STARTTLS", "DSN", "AUTH", "DELIVERBY",
	"MT-PRIORITY", "RRVS", "LIMITS", "ETRN", "VRFY", "PRDR", "XCLIENT",
}

// Extensions returns the known EHLO keywords the server announced, each
// with its parameter ("SIZE 10240000"), in KnownExtensions order.
func (s *Session) Extensions() []string {
	if s.client == nil || !s.hello {
		return nil
	}
	var out []string
	for _, k := range KnownExtensions {
		if ok, p := s.client.Extension(k); ok {
			if p != "" {
				k += " " + p
			}
			out = append(out, k)
		}
	}
	return out
}

// Extension reports whether the server announced keyword and its parameter.
func (s *Session) Extension(keyword string) (bool, string) {
	if s.client == nil || !s.hello {
		return false, ""
	}
	return s.client.Extension(keyword)
}

// StartTLS sends STARTTLS and, on a 220 reply, performs an explicit, timed
// TLS handshake with cfg. After it succeeds, the conversation continues
// inside TLS: call Hello again. A handshake error leaves the session
// unusable (close it).
func (s *Session) StartTLS(ctx context.Context, cfg *tls.Config) (*tls.ConnectionState, error) {
	if s.client == nil || !s.hello || s.tlsConn != nil {
		return nil, &Error{Kind: ErrState, Msg: "STARTTLS needs a plaintext session after EHLO"}
	}
	err := s.stage("starttls", func() (*Reply, error) {
		defer s.Guard(ctx)()
		w := wait{stage: "STARTTLS", timeout: s.cfg.Timeouts.Command}
		Progress(ctx, "STARTTLS and the TLS handshake", w.timeout)
		_ = s.raw.SetDeadline(s.now().Add(w.timeout))
		defer func() { _ = s.raw.SetDeadline(time.Time{}) }()
		if _, err := io.WriteString(s.rec, "STARTTLS\r\n"); err != nil {
			err = classify(ctx, w, err)
			s.note(err)
			return nil, err
		}
		rep, err := ReadReply(s.br)
		if err != nil {
			err = classify(ctx, w, err)
			s.note(err)
			return nil, err
		}
		if rep.Code != 220 {
			return rep, &ReplyError{Command: "STARTTLS", Reply: rep}
		}
		return rep, nil
	})
	if err != nil {
		return nil, err
	}
	var state tls.ConnectionState
	err = s.stage("tls_handshake", func() (*Reply, error) {
		s.rec.stop()
		s.rc.Passthrough()
		s.tr.Note("TLS handshake")
		w := wait{stage: "TLS handshake", timeout: s.cfg.Timeouts.Command}
		hctx, cancel := context.WithTimeout(ctx, w.timeout)
		defer cancel()
		tc := tls.Client(&replayConn{Conn: s.rec, r: s.br}, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			if ctx.Err() == nil && hctx.Err() != nil {
				err = &Error{Kind: ErrTimeout, Msg: "the TLS handshake did not finish within " + Dur(w.timeout), Cause: err}
			}
			err = classify(ctx, w, err)
			s.tr.Note(err.Error())
			return nil, err
		}
		s.tlsConn = tc
		state = tc.ConnectionState()
		s.tlsState = &state
		s.tr.Note(fmt.Sprintf("TLS established: %s, %s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite)))
		s.tlsRec = newRecorder(tc, s.tr)
		s.tlsRC = NewReplyConn(s.tlsRec)
		s.tlsBR = bufio.NewReaderSize(s.tlsRC, 4096)
		s.client = s.newClient(s.tlsRC, s.tlsBR)
		s.hello = false
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return &state, nil
}

// cmd runs one go-smtp command as a timed stage; what names the command
// (with its argument) in messages, verb in timeouts.
func (s *Session) cmd(ctx context.Context, name, what string, f func(c *gosmtp.Client) error) error {
	return s.stage(name, func() (*Reply, error) {
		if s.client == nil || !s.hello {
			return nil, &Error{Kind: ErrState, Msg: what + " before EHLO"}
		}
		defer s.Guard(ctx)()
		verb, _, _ := strings.Cut(what, ":") // "MAIL FROM", "RCPT TO", "VRFY x"
		Progress(ctx, "waiting for the reply to "+verb, s.cfg.Timeouts.Command)
		if err := f(s.client); err != nil {
			if r := ReplyOf(err); r != nil {
				return r, &ReplyError{Command: what, Reply: r}
			}
			verb, _, _ := strings.Cut(what, " ")
			if strings.HasPrefix(what, "MAIL FROM") || strings.HasPrefix(what, "RCPT TO") {
				verb, _, _ = strings.Cut(what, ":")
			}
			err = classify(ctx, wait{stage: verb, timeout: s.cfg.Timeouts.Command}, err)
			s.note(err)
			return nil, err
		}
		return nil, nil
	})
}

// Mail sends MAIL FROM:<from> ("" is the null reverse-path).
func (s *Session) Mail(ctx context.Context, from string) error {
	s.reset = false
	return s.cmd(ctx, "mail", "MAIL FROM:<"+from+">", func(c *gosmtp.Client) error { return c.Mail(from, nil) })
}

// Rcpt sends RCPT TO:<to>; name labels the stage (e.g. "rcpt_postmaster").
func (s *Session) Rcpt(ctx context.Context, name, to string) error {
	return s.cmd(ctx, name, "RCPT TO:<"+to+">", func(c *gosmtp.Client) error { return c.Rcpt(to, nil) })
}

// Verify sends VRFY addr. go-smtp expects 250: a 251 or 252 comes back as a
// *ReplyError with that code.
func (s *Session) Verify(ctx context.Context, name, addr string) error {
	return s.cmd(ctx, name, "VRFY "+addr, func(c *gosmtp.Client) error { return c.Verify(addr) })
}

// Reset sends RSET.
func (s *Session) Reset(ctx context.Context) error {
	return s.cmd(ctx, "rset", "RSET", func(c *gosmtp.Client) error {
		if err := c.Reset(); err != nil {
			return err
		}
		s.reset = true
		return nil
	})
}

// Quit sends QUIT (after a non-220 greeting too) and closes the session.
func (s *Session) Quit(ctx context.Context) error {
	defer s.Close()
	if s.raw == nil || s.closed {
		return nil
	}
	if s.client == nil || !s.hello || s.reset {
		// No go-smtp client (rejected greeting), no EHLO yet, or RSET
		// sent: go-smtp would send EHLO first, so write QUIT ourselves.
		return s.stage("quit", func() (*Reply, error) {
			defer s.Guard(ctx)()
			w := wait{stage: "QUIT", timeout: s.cfg.Timeouts.Command}
			c, br := net.Conn(s.rec), s.br
			if s.tlsConn != nil {
				c, br = s.tlsRec, s.tlsBR
			}
			_ = s.raw.SetDeadline(s.now().Add(w.timeout))
			if _, err := io.WriteString(c, "QUIT\r\n"); err != nil {
				err = classify(ctx, w, err)
				s.note(err)
				return nil, err
			}
			rep, err := ReadReply(br)
			if err != nil {
				err = classify(ctx, w, err)
				s.note(err)
				return nil, err
			}
			return rep, nil
		})
	}
	return s.cmd(ctx, "quit", "QUIT", func(c *gosmtp.Client) error { return c.Quit() })
}

// SetDeadline sets the connection's read and write deadline (zero: none),
// for a write go-smtp does not bound itself, e.g. the message after DATA.
func (s *Session) SetDeadline(t time.Time) error {
	if s.raw == nil {
		return &Error{Kind: ErrState, Msg: "not connected"}
	}
	return s.raw.SetDeadline(t)
}

// Close closes the connection without QUIT. It is safe to call twice.
func (s *Session) Close() error {
	if s.raw == nil || s.closed {
		return nil
	}
	s.closed = true
	if s.tlsRec != nil {
		s.tlsRec.flush()
	} else if s.rec != nil {
		s.rec.flush()
	}
	return s.raw.Close()
}
