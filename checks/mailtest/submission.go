package mailtest

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SubmissionOptions script a mail submission server (RFC 6409): TLS first
// (STARTTLS, or implicit TLS like port 465), then AUTH, then mail to any
// domain. Every accepted message lands in Mailbox byte for byte, and the
// reply to the end of DATA names a queue id, the way Postfix does.
type SubmissionOptions struct {
	// Hostname is the name in the greeting (default "submission.test").
	Hostname string
	// Cert is the server's certificate (required).
	Cert *tls.Certificate
	// Implicit speaks TLS from the first byte instead of offering STARTTLS.
	Implicit bool
	// Users are the accounts: user name → password.
	Users map[string]string
	// Mechanisms are the SASL mechanisms offered (default PLAIN and LOGIN).
	Mechanisms []string
	// Mailbox records accepted messages; nil discards them.
	Mailbox *Mailbox
	// RejectRcpt answers RCPT TO for these addresses (lower case) with
	// "550 5.1.1 ... User unknown".
	RejectRcpt []string
	// RejectData, when set, is the reply to the end of DATA instead of
	// the queue id, e.g. "550 5.7.26 Unauthenticated email is not accepted".
	RejectData string
}

// SubmissionServer is a running fake submission server.
type SubmissionServer struct {
	Addr string // the loopback "127.0.0.1:port" it listens on
	opts SubmissionOptions
	srv  *gosmtp.Server
	seq  atomic.Int64

	mu    sync.Mutex
	auths []string // mechanisms used by successful AUTHs, in order
}

// Submission starts a submission server and routes the given addresses
// (e.g. "192.0.2.25:587") to it. It stops with the world.
func (w *World) Submission(o SubmissionOptions, routes ...string) (*SubmissionServer, error) {
	if o.Cert == nil {
		return nil, fmt.Errorf("mailtest: a submission server needs a certificate")
	}
	if o.Hostname == "" {
		o.Hostname = "submission.test"
	}
	if o.Mechanisms == nil {
		o.Mechanisms = []string{sasl.Plain, sasl.Login}
	}
	l, err := w.Listen(routes...)
	if err != nil {
		return nil, err
	}
	s := &SubmissionServer{Addr: l.Addr().String(), opts: o}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(s.newSession))
	srv.Domain = o.Hostname
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.EnableSMTPUTF8 = true
	srv.AllowInsecureAuth = false
	srv.ErrorLog = discardLogger{}
	cfg := &tls.Config{Certificates: []tls.Certificate{*o.Cert}, MinVersion: tls.VersionTLS12}
	var ln net.Listener = l
	if o.Implicit {
		ln = tls.NewListener(l, cfg)
	} else {
		srv.TLSConfig = cfg
	}
	s.srv = srv
	go func() { _ = srv.Serve(ln) }()
	w.OnClose(func() { _ = srv.Close() })
	return s, nil
}

// Auths returns the SASL mechanisms of the successful AUTHs so far.
func (s *SubmissionServer) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

type submissionSession struct {
	s      *SubmissionServer
	c      *gosmtp.Conn
	user   string
	from   string
	to     []string
	remote string
}

var _ gosmtp.AuthSession = (*submissionSession)(nil)

func (s *SubmissionServer) newSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	remote := ""
	if a := c.Conn().RemoteAddr(); a != nil {
		remote = a.String()
	}
	return &submissionSession{s: s, c: c, remote: remote}, nil
}

func (ss *submissionSession) AuthMechanisms() []string { return ss.s.opts.Mechanisms }

func (ss *submissionSession) Auth(mech string) (sasl.Server, error) {
	ok := false
	for _, m := range ss.s.opts.Mechanisms {
		ok = ok || m == mech
	}
	if !ok {
		return nil, gosmtp.ErrAuthUnknownMechanism
	}
	check := func(user, pass string) error {
		if want, ok := ss.s.opts.Users[user]; !ok || want != pass {
			return gosmtp.ErrAuthFailed
		}
		ss.user = user
		ss.s.mu.Lock()
		ss.s.auths = append(ss.s.auths, mech)
		ss.s.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return gosmtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of the LOGIN mechanism: it asks
// "Username:" (unless the client sent it as an initial response) and
// "Password:".
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(resp) == 0 {
			return []byte("Username:"), false, nil
		}
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}

func (ss *submissionSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if _, isTLS := ss.c.TLSConnectionState(); !isTLS {
		return reply(530, gosmtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first")
	}
	if ss.user == "" {
		return reply(530, gosmtp.EnhancedCode{5, 7, 0}, "Authentication required")
	}
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *submissionSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if ss.user == "" {
		return reply(530, gosmtp.EnhancedCode{5, 7, 0}, "Authentication required")
	}
	for _, r := range ss.s.opts.RejectRcpt {
		if strings.EqualFold(r, to) {
			return reply(550, gosmtp.EnhancedCode{5, 1, 1}, "<"+to+">: Recipient address rejected: User unknown in virtual mailbox table")
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *submissionSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.opts.Mailbox != nil {
		ss.s.opts.Mailbox.add(Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data,
			TLS: true, User: ss.user, Remote: ss.remote, At: time.Now()})
	}
	if r := ss.s.opts.RejectData; r != "" {
		return parseReply(r)
	}
	id := fmt.Sprintf("4F%06X", ss.s.seq.Add(1))
	// go-smtp writes the code of a returned SMTPError as is: a 250 here
	// is the success reply, with the queue id in it.
	return reply(250, gosmtp.EnhancedCode{2, 0, 0}, "Ok: queued as "+id)
}

func (ss *submissionSession) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *submissionSession) Logout() error { return nil }

// parseReply turns "550 5.7.1 text" into a go-smtp reply error.
func parseReply(line string) *gosmtp.SMTPError {
	e := &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.NoEnhancedCode, Message: line}
	code, rest, _ := strings.Cut(line, " ")
	if n, err := strconv.Atoi(code); err == nil && n >= 200 && n <= 599 {
		e.Code, e.Message = n, rest
	}
	enh, text, _ := strings.Cut(e.Message, " ")
	var c [3]int
	if _, err := fmt.Sscanf(enh, "%d.%d.%d", &c[0], &c[1], &c[2]); err == nil && strings.Count(enh, ".") == 2 {
		e.EnhancedCode, e.Message = gosmtp.EnhancedCode(c), text
	}
	return e
}
