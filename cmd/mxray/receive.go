package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gosmtp "github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/report"
	"github.com/mxray/mxray/tui"
)

const receiveUsage = `Usage: mxray receive [flags]

A test inbox: an SMTP server that accepts mail for any recipient (and never
relays it anywhere), then analyzes each message as mxray analyze does, with
what the SMTP session showed: SPF is evaluated for the client's real
address and HELO name, the MAIL FROM is the Return-Path. STARTTLS is offered
(with a self-signed certificate unless --tls-cert and --tls-key are given).

To see what receivers see, send your real mail to it on a public host
(--listen :25, a DNS name whose MX points at it), or point a test sender at
it on a private one. On a terminal a list shows each message as it arrives
(newest first; enter opens its checks, q quits); else text shows each
report; --format ndjson prints one document a line (--json one pretty
document per message).

  mxray receive --count 1 --json                 # accept one message, analyze it, exit
  mxray receive --listen :25 --tls-cert c.pem --tls-key k.pem --hostname inbox.example.com

Exit codes: with --count, the worst of its messages' (as mxray analyze);
130 when interrupted; 2 usage error; 3 the listener could not be opened or
the resolver cannot be trusted.

Flags:
`

// receiveFlags are receive's own flags.
type receiveFlags struct {
	listen         string
	hostname       string
	count          int
	tlsCert        string
	tlsKey         string
	maxSize        int
	maxConns       int
	commandTimeout time.Duration
	sessionTimeout time.Duration
}

func (a *app) receive(ctx context.Context, args []string) (report.Exit, error) {
	var f checkFlags
	var mf messageFlags
	var rf receiveFlags
	fs := newFlagSet("receive", a.stdout, receiveUsage)
	registerMessage(fs.FlagSet, &f, &mf, false)
	fs.StringVar(&rf.listen, "listen", "127.0.0.1:2525", "address to accept SMTP connections on (host:port; :25 for every interface)")
	fs.StringVar(&rf.hostname, "hostname", "mxray.receive.invalid", "the server's name: in its greeting, its certificate and the Received header it adds")
	fs.IntVar(&rf.count, "count", 0, "exit after this many messages (0: until interrupted)")
	fs.StringVar(&rf.tlsCert, "tls-cert", "", "PEM certificate for STARTTLS (default: a self-signed one, made at start)")
	fs.StringVar(&rf.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.IntVar(&rf.maxSize, "max-size", 25<<20, "largest message accepted, in bytes (at most 50 MB)")
	fs.IntVar(&rf.maxConns, "max-connections", 16, "most SMTP sessions at once; more wait for a free one")
	fs.DurationVar(&rf.commandTimeout, "command-timeout", time.Minute, "bound on the wait for each client command (and for each write to the client)")
	fs.DurationVar(&rf.sessionTimeout, "session-timeout", 10*time.Minute, "bound on a whole SMTP session")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	if len(pos) > 0 {
		return 0, usagef("unexpected argument %q (mxray receive takes flags only; see mxray receive -h)", safetext.Line(pos[0]))
	}
	if rf.count < 0 {
		return 0, usagef("--count %d: want 0 (until interrupted) or more", rf.count)
	}
	if rf.maxSize < 1024 || rf.maxSize > message.DefaultLimits.MaxSize {
		return 0, usagef("--max-size %d: want 1024 to %d bytes", rf.maxSize, message.DefaultLimits.MaxSize)
	}
	if rf.maxConns < 1 || rf.maxConns > 1024 {
		return 0, usagef("--max-connections %d: want 1 to 1024", rf.maxConns)
	}
	if err := durationFlag("command-timeout", rf.commandTimeout, time.Second, time.Hour, "1m"); err != nil {
		return 0, err
	}
	if err := durationFlag("session-timeout", rf.sessionTimeout, time.Second, 24*time.Hour, "10m"); err != nil {
		return 0, err
	}
	host := message.ALabel(rf.hostname)
	if host == "" {
		return 0, usagef("--hostname %q is not a host name", safetext.Line(rf.hostname))
	}
	if (rf.tlsCert == "") != (rf.tlsKey == "") {
		return 0, usagef("--tls-cert and --tls-key go together")
	}
	if _, _, err := net.SplitHostPort(rf.listen); err != nil {
		return 0, usagef("--listen %q: want host:port, e.g. 127.0.0.1:2525 or :25", safetext.Line(rf.listen))
	}
	st, err := a.settings(&f)
	if err != nil {
		return 0, err
	}
	out, failOn, opts := st.out, st.failOn, st.opts
	ids, err := mf.authserv()
	if err != nil {
		return 0, err
	}
	cert, err := serverCertificate(rf.tlsCert, rf.tlsKey, host)
	if err != nil {
		return 0, err
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}
	r := &messageRun{servers: servers, opts: opts, dialer: a.dialer, gate: newTrustGate(), authservIDs: ids}
	// Decide about the resolvers before accepting any mail: a message
	// judged behind a lying resolver would get false verdicts.
	env, err := newEnv(servers, opts, a.dialer, nil)
	if err != nil {
		return 0, err
	}
	// No message names a domain yet: the hint "com" makes the probe ask a
	// random name under a real top-level domain too, which catches a
	// resolver that rewrites NXDOMAIN.
	err = r.gate.decide(ctx, env.DNS, "com")
	env.DNS.Close()
	if err != nil {
		if ctx.Err() != nil {
			return report.ExitInterrupted, nil
		}
		return 0, err
	}

	ln, err := net.Listen("tcp", rf.listen)
	if err != nil {
		return 0, fmt.Errorf("cannot listen on %s: %w", safetext.Line(rf.listen), plainNetError(err))
	}
	inbox := &inbox{host: host, maxRcpt: 100, queue: make(chan received, 4), limit: rf.count}
	srv := gosmtp.NewServer(inbox)
	srv.Domain = host
	srv.MaxMessageBytes = int64(rf.maxSize)
	srv.MaxRecipients = inbox.maxRcpt
	srv.ReadTimeout, srv.WriteTimeout = rf.commandTimeout, rf.commandTimeout
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}
	srv.ErrorLog = quietLog{}
	limited := &sessionListener{Listener: netutil.LimitListener(ln, rf.maxConns), timeout: rf.sessionTimeout}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(limited)
	}()
	tlsNote := "a self-signed certificate"
	if rf.tlsCert != "" {
		tlsNote = "the certificate of " + safetext.Line(rf.tlsCert)
	}
	fmt.Fprintf(a.stderr, "mxray receive: listening on %s as %s (STARTTLS with %s); mail to any address is analyzed, never relayed\n",
		ln.Addr(), host, tlsNote)
	if a.useTUI(&f) {
		code, err := a.receiveTUI(ctx, &f, r, inbox, ln.Addr().String(), rf.count, failOn)
		inbox.close()
		_ = srv.Close()
		<-served
		return code, err
	}

	// Analyse the messages one at a time, in arrival order, until --count
	// or an interrupt.
	code := report.ExitOK
	n := 0
	interrupted := false
loop:
	for rf.count == 0 || n < rf.count {
		select {
		case <-ctx.Done():
			interrupted = true
			break loop
		case msg := <-inbox.queue:
			n++
			if rf.count > 0 && n == rf.count {
				inbox.close() // refuse further messages while the last is analysed
			}
			m := message.Parse(msg.raw, message.Options{ReceivedBy: host})
			c, err := a.writeMessage(ctx, r, m, msg.session, out, failOn)
			if err != nil {
				_ = srv.Close()
				<-served
				return 0, err
			}
			code = report.WorseExit(code, c)
			if out.Format == report.FormatText {
				fmt.Fprintln(a.stdout)
			}
		}
	}
	inbox.close()
	_ = srv.Close()
	<-served
	if interrupted || ctx.Err() != nil {
		return report.ExitInterrupted, nil
	}
	return code, nil
}

// plainNetError drops the Go prefixes of a listen error ("listen tcp
// 127.0.0.1:25: bind: permission denied" → "permission denied").
func plainNetError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		msg := oe.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return errors.New(msg)
	}
	return err
}

// serverCertificate loads --tls-cert and --tls-key, or makes a self-signed
// certificate for host (ECDSA P-256, valid for a day).
func serverCertificate(certFile, keyFile, host string) (tls.Certificate, error) {
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return c, usagef("--tls-cert/--tls-key: cannot load the certificate and key (want PEM files that belong together)")
		}
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making a TLS certificate: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"mxray receive (self-signed)"}},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making a TLS certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// received is one message as the inbox accepted it: the bytes with the
// inbox's Return-Path and Received fields on top, and the SMTP facts.
type received struct {
	raw     []byte
	session *report.SMTPSession
}

// inbox is the SMTP backend of mxray receive: every recipient is
// accepted, nothing is relayed, each message goes to queue (a full queue
// answers 451: try again later).
type inbox struct {
	host    string
	maxRcpt int
	queue   chan received
	limit   int // --count: accept no more than this many (0: no limit)

	mu       sync.Mutex
	closed   bool
	seq      int
	accepted int
}

// NewSession implements gosmtp.Backend.
func (b *inbox) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &inboxSession{inbox: b, conn: c}, nil
}

func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// deliver hands a message to the analysis, or says why not.
func (b *inbox) deliver(msg received) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "mxray receive has received the messages it was asked for"}
	}
	select {
	case b.queue <- msg:
		b.accepted++
		if b.limit > 0 && b.accepted >= b.limit {
			// Every message accepted is analysed and reported: once
			// --count are queued, the next sender hears 421, not 250.
			b.closed = true
		}
		return nil
	default:
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 1}, Message: "busy analysing earlier messages, try again later"}
	}
}

func (b *inbox) nextID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	return fmt.Sprintf("mxray%d", b.seq)
}

// inboxSession is one SMTP session of the inbox.
type inboxSession struct {
	inbox   *inbox
	conn    *gosmtp.Conn
	from    string
	hasFrom bool
	rcpts   []string
}

var _ gosmtp.Session = (*inboxSession)(nil)

// Reset implements gosmtp.Session.
func (s *inboxSession) Reset() { s.from, s.hasFrom, s.rcpts = "", false, nil }

// Logout implements gosmtp.Session.
func (s *inboxSession) Logout() error { return nil }

// Mail implements gosmtp.Session.
func (s *inboxSession) Mail(from string, _ *gosmtp.MailOptions) error {
	s.from, s.hasFrom = from, true
	return nil
}

// Rcpt implements gosmtp.Session: any recipient is accepted (the message
// is analysed, never delivered or relayed).
func (s *inboxSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if !s.hasFrom {
		return &gosmtp.SMTPError{Code: 503, EnhancedCode: gosmtp.EnhancedCode{5, 5, 1}, Message: "MAIL first"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

// Data implements gosmtp.Session: the message is read (go-smtp bounds it
// to --max-size), stamped with Return-Path and Received fields of the
// inbox's own, and queued for analysis.
func (s *inboxSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	sess := &report.SMTPSession{HELO: s.conn.Hostname(), MailFrom: s.from, RcptTo: append([]string{}, s.rcpts...), ReceivedAt: time.Now().UTC().Truncate(time.Second)}
	if ap, err := netip.ParseAddrPort(s.conn.Conn().RemoteAddr().String()); err == nil {
		sess.ClientIP = ap.Addr().Unmap()
	}
	if st, ok := s.conn.TLSConnectionState(); ok {
		sess.TLS = &report.SMTPTLS{Version: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite)}
	}
	raw := append(stamp(s.inbox.host, s.inbox.nextID(), sess), body...)
	return s.inbox.deliver(received{raw: raw, session: sess})
}

// stamp writes the fields the inbox adds on top of a message, as a final
// MTA does: Return-Path with the MAIL FROM, and a Received field whose
// client address and HELO are the session's (message.Parse's trusted hop,
// found by the inbox's name), so that SPF judges the real client.
func stamp(host, id string, s *report.SMTPSession) []byte {
	with := "ESMTP"
	if s.TLS != nil {
		with = "ESMTPS"
	}
	helo := headerWord(s.HELO)
	if helo == "" {
		helo = "unknown"
	}
	rcpt := ""
	if len(s.RcptTo) == 1 {
		rcpt = "\r\n\tfor <" + headerWord(s.RcptTo[0]) + ">"
	}
	return fmt.Appendf(nil, "Return-Path: <%s>\r\nReceived: from %s (unknown [%s])\r\n\tby %s (mxray receive) with %s id %s%s;\r\n\t%s\r\n",
		headerWord(s.MailFrom), helo, s.ClientIP, host, with, id, rcpt, s.ReceivedAt.Format(time.RFC1123Z))
}

// headerWord keeps a client-given word fit for a header field: printable
// ASCII without spaces, brackets or semicolons, at most 255 bytes.
func headerWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f && !strings.ContainsRune("<>()[];\\\"", r) {
			b.WriteRune(r)
		}
		if b.Len() >= 255 {
			break
		}
	}
	return b.String()
}

// sessionListener closes every connection it accepted after timeout: the
// bound on a whole SMTP session (go-smtp bounds each command).
type sessionListener struct {
	net.Listener
	timeout time.Duration
}

// Accept implements net.Listener.
func (l *sessionListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	t := time.AfterFunc(l.timeout, func() { c.Close() })
	return &timedConn{Conn: c, timer: t}, nil
}

// timedConn stops its session timer when closed.
type timedConn struct {
	net.Conn
	timer *time.Timer
}

// Close implements net.Conn.
func (c *timedConn) Close() error {
	c.timer.Stop()
	return c.Conn.Close()
}

// quietLog drops go-smtp's log lines (a client that disconnects is no news
// for the person reading the reports).
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}

// receiveTUI shows the received messages in the terminal UI, newest first
// (the one just sent is the one a postmaster watching a test inbox looks
// for), each opening its dashboard. The messages are analysed one at a
// time, in arrival order, as without the UI; the exit code is the worst of
// theirs, 130 when the user quit with ctrl+c or was interrupted.
func (a *app) receiveTUI(ctx context.Context, f *checkFlags, r *messageRun, in *inbox, addr string, count int, failOn checks.Severity) (report.Exit, error) {
	actx, cancel := context.WithCancel(ctx)
	ch := make(chan tui.InboxMessage)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		for n := 0; count == 0 || n < count; {
			select {
			case <-actx.Done():
				return
			case msg := <-in.queue:
				n++
				if count > 0 && n == count {
					in.close() // refuse further messages while the last is analysed
				}
				m := message.Parse(msg.raw, message.Options{ReceivedBy: in.host})
				rep, err := r.run(actx, m, nil)
				if err != nil {
					rep = nil
				}
				// The list keeps the reports of up to 200 messages: their
				// headers and verdicts, not their bodies (up to --max-size
				// each); the checks have read the raw bytes already.
				kept := *m
				kept.Raw = nil
				im := tui.InboxMessage{ID: fmt.Sprintf("message %d", n), Info: &report.MessageInfo{Message: &kept, SMTP: msg.session}, Report: rep, Err: err}
				select {
				case ch <- im:
				case <-actx.Done():
					return
				}
			}
		}
	}()
	chks, _ := messageChecks(r.opts)
	opts := a.tuiBase(f, chks)
	opts.Resolvers = r.servers
	opts.FailOn = failOn
	opts.Inbox = &tui.InboxOptions{Messages: ch, Listen: addr, STARTTLS: true, Count: count}
	res, err := tui.RunInbox(ctx, opts, tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
	cancel()
	<-done
	if err != nil {
		return 0, err
	}
	noun := "messages"
	if len(res.Messages) == 1 {
		noun = "message"
	}
	// What stays on the terminal: one line per message, in arrival order
	// (at most the last 100), then the count.
	msgs := res.Messages
	if len(msgs) > 100 {
		msgs = msgs[len(msgs)-100:]
	}
	for _, s := range msgs {
		what := fmt.Sprintf("%d fail, %d warn", s.Fail, s.Warn)
		if s.Err != "" && s.Fail+s.Warn == 0 {
			what = s.Err
		}
		fmt.Fprintf(a.stdout, "%s %s  %s\n", report.Badge(s.Status), safetext.Line(s.Input), safetext.Line(what))
	}
	fmt.Fprintf(a.stdout, "mxray receive: %d %s received on %s\n", len(res.Messages), noun, safetext.Line(addr))
	if res.Interrupted || ctx.Err() != nil {
		return report.ExitInterrupted, nil
	}
	code := report.ExitOK
	for _, s := range res.Messages {
		code = report.WorseExit(code, s.Exit)
	}
	return code, nil
}
