package mailtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SMTPOptions script one fake SMTP server. The zero value is a plain server
// without STARTTLS that accepts no recipient; set Domains.
type SMTPOptions struct {
	// Hostname is the name in the greeting and the EHLO reply
	// (default "mx.test").
	Hostname string
	// Domains are the domains whose recipients the server accepts.
	Domains []string
	// TLS offers STARTTLS with this certificate; nil offers no STARTTLS.
	TLS *tls.Certificate
	// OldTLS accepts TLS 1.0 and 1.1 besides 1.2 and 1.3.
	OldTLS bool

	// BannerDelay delays the greeting (greet pause).
	BannerDelay time.Duration
	// Tarpit accepts connections and never says anything.
	Tarpit bool
	// Greeting, when set, replaces the 220 greeting with this reply line
	// (e.g. "554 5.7.1 no service for you"); the server then answers 503
	// to everything but QUIT (RFC 5321 §3.1).
	Greeting string
	// RejectEHLO answers EHLO and HELO with 550.
	RejectEHLO bool
	// Greylist defers the first RCPT of each (client, sender, recipient)
	// with 450 4.7.1; a retry is accepted.
	Greylist bool
	// OpenRelay accepts recipients in any domain.
	OpenRelay bool
	// RejectPostmaster rejects RCPT TO:<postmaster@...> with 550.
	RejectPostmaster bool
	// RejectNullSender rejects MAIL FROM:<> with 550.
	RejectNullSender bool
	// VRFY answers VRFY with 250 for existing mailboxes (postmaster and
	// Users) and 550 otherwise, instead of go-smtp's non-committal 252.
	// It applies to the plaintext part of a session.
	VRFY bool

	// Users enables AUTH PLAIN with these user → password pairs; AUTH is
	// offered only inside TLS unless InsecureAuth. An authenticated client
	// may send to any domain (submission).
	Users        map[string]string
	InsecureAuth bool
	// Mailbox records every accepted message byte for byte; nil discards.
	Mailbox *Mailbox
}

// Message is one message received by a fake SMTP server.
type Message struct {
	From   string
	To     []string
	Data   []byte // exactly the bytes received after DATA, dot-unstuffed, without the final "."
	TLS    bool   // received inside TLS
	User   string // the authenticated user, if any
	Remote string
	At     time.Time
}

// Mailbox records messages. It is safe for concurrent use.
type Mailbox struct {
	mu   sync.Mutex
	msgs []Message
	ch   chan struct{}
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox { return &Mailbox{ch: make(chan struct{})} }

func (m *Mailbox) add(msg Message) {
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	close(m.ch)
	m.ch = make(chan struct{})
	m.mu.Unlock()
}

// Messages returns a copy of the messages received so far.
func (m *Mailbox) Messages() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.msgs...)
}

// Changed returns a channel closed when the next message arrives.
func (m *Mailbox) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ch
}

// SMTPServer is a running fake SMTP server built on go-smtp.
type SMTPServer struct {
	Addr string // the loopback "127.0.0.1:port" it listens on
	opts SMTPOptions
	srv  *gosmtp.Server
	l    *scriptedListener

	mu       sync.Mutex
	greylist map[string]bool
}

// CertKind names a certificate a test server can present.
type CertKind int

// The certificate kinds of World.Cert.
const (
	CertValid      CertKind = iota // issued by the world's CA for the names, valid 90 days
	CertExpired                    // issued by the CA, expired yesterday
	CertWrongName                  // issued by the CA for "wrong-name.invalid"
	CertSelfSigned                 // self-signed for the names
	CertExpiring                   // issued by the CA, expires in 5 days
	CertWeakRSA                    // issued by the CA with a 1024-bit RSA key
)

// Cert issues a certificate of the given kind for names from the world's
// CA (or self-signed).
func (w *World) Cert(kind CertKind, names ...string) (*tls.Certificate, error) {
	now := time.Now()
	var o CertOptions
	switch kind {
	case CertExpired:
		o.NotBefore, o.NotAfter = now.AddDate(0, 0, -90), now.AddDate(0, 0, -1)
	case CertWrongName:
		names = []string{"wrong-name.invalid"}
	case CertSelfSigned:
		o.SelfSigned = true
	case CertExpiring:
		o.NotAfter = now.AddDate(0, 0, 5)
	case CertWeakRSA:
		o.RSABits = 1024
	}
	c, err := w.CA.Issue(names, o)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// SMTP starts a fake SMTP server and routes the given addresses (e.g.
// "192.0.2.10:25", "[2001:db8::10]:25") to it. It stops with the world.
func (w *World) SMTP(o SMTPOptions, routes ...string) (*SMTPServer, error) {
	l, err := w.Listen(routes...)
	if err != nil {
		return nil, err
	}
	s, err := ServeSMTP(l, o)
	if err != nil {
		return nil, err
	}
	w.OnClose(s.Close)
	return s, nil
}

// ServeSMTP serves a fake SMTP server on l until Close.
func ServeSMTP(l net.Listener, o SMTPOptions) (*SMTPServer, error) {
	if o.Hostname == "" {
		o.Hostname = "mx.test"
	}
	s := &SMTPServer{Addr: l.Addr().String(), opts: o, greylist: map[string]bool{}}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(s.newSession))
	srv.Domain = o.Hostname
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.EnableSMTPUTF8 = true
	srv.EnableREQUIRETLS = o.TLS != nil
	srv.AllowInsecureAuth = o.InsecureAuth
	srv.ErrorLog = discardLogger{}
	if o.TLS != nil {
		min := uint16(tls.VersionTLS12)
		if o.OldTLS {
			min = tls.VersionTLS10
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*o.TLS}, MinVersion: min}
	}
	s.srv = srv
	s.l = &scriptedListener{Listener: l, s: s, conns: map[net.Conn]bool{}}
	go func() { _ = srv.Serve(s.l) }()
	return s, nil
}

// Close stops the server and drops its connections.
func (s *SMTPServer) Close() {
	_ = s.srv.Close()
	s.l.closeAll()
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// scriptedListener applies the connection-level behaviours (tarpit, custom
// greeting, greet pause, VRFY and EHLO interception) before go-smtp sees a
// connection.
type scriptedListener struct {
	net.Listener
	s     *SMTPServer
	mu    sync.Mutex
	conns map[net.Conn]bool
	done  bool
}

func (l *scriptedListener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return false
	}
	l.conns[c] = true
	return true
}

func (l *scriptedListener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

func (l *scriptedListener) closeAll() {
	l.mu.Lock()
	l.done = true
	cs := l.conns
	l.conns = map[net.Conn]bool{}
	l.mu.Unlock()
	for c := range cs {
		_ = c.Close()
	}
}

func (l *scriptedListener) Accept() (net.Conn, error) {
	o := l.s.opts
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		switch {
		case o.Tarpit:
			if !l.track(c) {
				c.Close()
				continue
			}
			go func() { // never greet; swallow whatever the client says
				_, _ = io.Copy(io.Discard, c)
				c.Close()
				l.untrack(c)
			}()
			continue
		case o.Greeting != "":
			if !l.track(c) {
				c.Close()
				continue
			}
			go func() {
				rejectSession(c, o.Greeting, o.BannerDelay)
				c.Close()
				l.untrack(c)
			}()
			continue
		}
		var out net.Conn = c
		if o.VRFY || o.RejectEHLO {
			out = newFilterConn(out, l.s)
		}
		if o.BannerDelay > 0 {
			out = &slowConn{Conn: out, delay: o.BannerDelay, closed: make(chan struct{})}
		}
		return out, nil
	}
}

// rejectSession plays a server whose greeting refuses service: it answers
// 503 to everything but QUIT.
func rejectSession(c net.Conn, greeting string, delay time.Duration) {
	if delay > 0 {
		time.Sleep(delay)
	}
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(c, greeting+"\r\n"); err != nil {
		return
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if strings.EqualFold(strings.TrimSpace(line), "QUIT") {
			_, _ = io.WriteString(c, "221 2.0.0 Bye\r\n")
			return
		}
		_, _ = io.WriteString(c, "503 5.5.1 No service\r\n")
	}
}

// slowConn delays its first write (the greeting) by delay, or until closed.
type slowConn struct {
	net.Conn
	delay  time.Duration
	once   sync.Once
	closed chan struct{}
	cOnce  sync.Once
}

func (c *slowConn) Write(p []byte) (int, error) {
	c.once.Do(func() {
		t := time.NewTimer(c.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.closed:
		}
	})
	return c.Conn.Write(p)
}

func (c *slowConn) Close() error {
	c.cOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// filterConn answers some commands itself before go-smtp sees them: VRFY
// (a server that discloses mailboxes) and EHLO/HELO (a server that rejects
// the client's greeting). It stops filtering at STARTTLS, DATA or BDAT,
// whose bytes are not commands.
type filterConn struct {
	net.Conn
	s    *SMTPServer
	br   *bufio.Reader
	buf  []byte
	mu   sync.Mutex
	pass bool
}

func newFilterConn(c net.Conn, s *SMTPServer) *filterConn {
	return &filterConn{Conn: c, s: s, br: bufio.NewReader(c)}
}

func (c *filterConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.buf) == 0 {
		if c.pass {
			if c.br.Buffered() > 0 {
				n := min(len(p), c.br.Buffered())
				return c.br.Read(p[:n])
			}
			return c.Conn.Read(p)
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			if line != "" {
				c.buf = append(c.buf, line...)
				break
			}
			return 0, err
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		switch strings.ToUpper(verb) {
		case "VRFY":
			if c.s.opts.VRFY {
				_, _ = io.WriteString(c.Conn, c.s.vrfy(arg))
				continue
			}
		case "EHLO", "HELO":
			if c.s.opts.RejectEHLO {
				_, _ = io.WriteString(c.Conn, "550 5.7.1 Your HELO name is not welcome here\r\n")
				continue
			}
		case "STARTTLS", "DATA", "BDAT":
			c.pass = true
		}
		c.buf = append(c.buf, line...)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (s *SMTPServer) vrfy(arg string) string {
	addr := strings.Trim(strings.TrimSpace(arg), "<>")
	local, domain, _ := strings.Cut(addr, "@")
	local = strings.ToLower(local)
	if (domain == "" || s.isLocal(domain)) && (local == "postmaster" || s.opts.Users[addr] != "") {
		return fmt.Sprintf("250 2.1.5 <%s>\r\n", addr)
	}
	return "550 5.1.1 <" + addr + ">: Recipient address rejected: User unknown\r\n"
}

func (s *SMTPServer) isLocal(domain string) bool {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for _, d := range s.opts.Domains {
		if strings.EqualFold(strings.TrimSuffix(d, "."), domain) {
			return true
		}
	}
	return false
}

// session is one go-smtp session of a fake server.
type session struct {
	s      *SMTPServer
	c      *gosmtp.Conn
	from   string
	to     []string
	user   string
	remote string
}

var _ gosmtp.AuthSession = (*session)(nil)

func (s *SMTPServer) newSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	remote := ""
	if a := c.Conn().RemoteAddr(); a != nil {
		remote = a.String()
	}
	return &session{s: s, c: c, remote: remote}, nil
}

func reply(code int, enh gosmtp.EnhancedCode, msg string) error {
	return &gosmtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if from == "" && ss.s.opts.RejectNullSender {
		return reply(550, gosmtp.EnhancedCode{5, 7, 1}, "Null sender not accepted")
	}
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	o := ss.s.opts
	local, domain, ok := strings.Cut(to, "@")
	if !ok {
		return reply(501, gosmtp.EnhancedCode{5, 1, 3}, "Bad recipient address syntax")
	}
	if o.Greylist {
		host, _, _ := net.SplitHostPort(ss.remote)
		key := host + "|" + ss.from + "|" + strings.ToLower(to)
		ss.s.mu.Lock()
		seen := ss.s.greylist[key]
		ss.s.greylist[key] = true
		ss.s.mu.Unlock()
		if !seen {
			return reply(450, gosmtp.EnhancedCode{4, 7, 1}, "<"+to+">: Recipient address rejected: Greylisted, try again later")
		}
	}
	switch {
	case ss.s.isLocal(domain):
		if o.RejectPostmaster && strings.EqualFold(local, "postmaster") {
			return reply(550, gosmtp.EnhancedCode{5, 1, 1}, "<"+to+">: Recipient address rejected: User unknown")
		}
	case o.OpenRelay, ss.user != "":
	default:
		return reply(554, gosmtp.EnhancedCode{5, 7, 1}, "<"+to+">: Relay access denied")
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.opts.Mailbox != nil {
		_, isTLS := ss.c.TLSConnectionState()
		ss.s.opts.Mailbox.add(Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data,
			TLS: isTLS, User: ss.user, Remote: ss.remote, At: time.Now()})
	}
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) AuthMechanisms() []string {
	if len(ss.s.opts.Users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if len(ss.s.opts.Users) == 0 || mech != sasl.Plain {
		return nil, gosmtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return errors.New("identity differs from username")
		}
		want, ok := ss.s.opts.Users[username]
		if !ok || want != password {
			return gosmtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}
