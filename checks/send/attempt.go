package send

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/smtpwire"
)

// connDialer hands smtpwire a connection that is already open (and, for
// implicit TLS, already encrypted): connecting and the handshake are steps
// of their own in a send trace.
type connDialer struct{ c net.Conn }

func (d *connDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	if d.c == nil {
		return nil, errors.New("send: connection already used")
	}
	c := d.c
	d.c = nil
	return c, nil
}

// attempt is one SMTP conversation with one address of one server.
type attempt struct {
	r       *run
	ctx     context.Context
	name    string // server name, for SNI and certificate verification
	addr    string // ip:port
	port    int
	timeout time.Duration
	sess    *smtpwire.Session
	filter  *lineFilter
	mark    int // transcript entries consumed
	tlsOn   bool
}

func (r *run) tlsMode(port int) TLSMode {
	if r.o.TLS != TLSAuto {
		return r.o.TLS
	}
	switch port {
	case 465:
		return TLSImplicit
	case 587:
		return TLSStartTLS
	}
	return TLSAuto
}

func (r *run) attempt(ctx context.Context, name string, port int, ip netip.Addr, msg []byte) outcome {
	a := &attempt{r: r, ctx: ctx, name: name, port: port, addr: net.JoinHostPort(ip.String(), strconv.Itoa(port)),
		timeout: r.env.Timeout(), filter: &lineFilter{}}
	r.tr.Server = net.JoinHostPort(name, strconv.Itoa(port))
	r.port = port
	r.tr.Encryption, r.tr.CertificateError, r.tr.EHLOName, r.tr.EHLONameSource = "", "", "", ""
	q := r.o.QuitAfter

	// connect
	p := r.begin(StepConnect, a.addr)
	dctx, cancel := context.WithTimeout(ctx, a.timeout)
	conn, err := r.env.Dialer.DialContext(dctx, "tcp", a.addr)
	timedOut := dctx.Err() != nil && ctx.Err() == nil
	cancel()
	if err != nil {
		if timedOut {
			err = &smtpwire.Error{Kind: smtpwire.ErrTimeout, Msg: "no answer to the connection within " + smtpwire.Dur(a.timeout), Cause: err}
		}
		msg := r.describe(ctx, err, "connect", a.timeout)
		p.Error = msg
		r.end(p)
		return outcome{result: ResultUnreachable, stage: StepConnect, err: msg, retry: true}
	}
	if name != ip.String() {
		p.Info = append(p.Info, fmt.Sprintf("connected to %s (%s)", name, a.addr))
	} else {
		p.Info = append(p.Info, "connected to "+a.addr)
	}
	r.end(p)
	if q == "connect" {
		_ = conn.Close()
		return outcome{result: ResultStopped, stage: q}
	}
	helo, source, heloNote := r.ehloName(conn.LocalAddr())
	r.tr.EHLOName, r.tr.EHLONameSource = helo, source

	mode := r.tlsMode(port)
	probe := &tlsProbe{name: name, roots: r.env.RootCAs, insecure: r.o.Insecure, now: r.now,
		opportunistic: r.o.Server == "" && !r.o.Verify}
	if r.o.TLSName != "" {
		probe.name, _ = asciiDomain(r.o.TLSName) // valid: Validate checked it
	}
	if mode == TLSImplicit {
		p := r.begin(StepTLS, a.addr)
		p.Info = append(p.Info, "implicit TLS (the connection starts with the handshake)")
		tc := tls.Client(conn, probe.config())
		hctx, cancel := context.WithTimeout(ctx, a.timeout)
		err := tc.HandshakeContext(hctx)
		timedOut := hctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			_ = conn.Close()
			return a.tlsFailed(p, probe, err, timedOut)
		}
		st := tc.ConnectionState()
		p.TLS = probe.info(&st)
		p.Info = append(p.Info, tlsNotes(p.TLS)...)
		r.end(p)
		conn = tc
		a.tlsUp(probe)
	}

	a.sess = smtpwire.New(smtpwire.Config{
		Dialer:   &connDialer{c: conn},
		Timeouts: smtpwire.Timeouts{Connect: a.timeout, Greeting: r.greeting, Command: a.timeout},
		HELO:     helo,
		Now:      r.now,
	}, a.addr)
	a.sess.Transcript().SetFilter(a.filter.filter)
	defer a.sess.Close()

	// banner
	p = r.begin(StepBanner, a.addr)
	if err := a.sess.Connect(ctx); err != nil {
		return a.failed(p, err)
	}
	a.endSession(p, nil)
	if q == "banner" {
		return a.stop(q)
	}

	// EHLO
	p = r.begin(StepEHLO, a.addr)
	if err := a.sess.Hello(ctx); err != nil {
		return a.failed(p, err)
	}
	p.Info = append(p.Info, heloNote)
	if a.tlsOn {
		p.Info = append(p.Info, "inside TLS")
	}
	a.endSession(p, nil)
	if q == "ehlo" {
		return a.stop(q)
	}

	// STARTTLS
	if !a.tlsOn && mode != TLSNone {
		if ok, _ := a.sess.Extension("STARTTLS"); ok {
			if out, ok := a.startTLS(probe); !ok {
				return out
			}
		} else if mode == TLSStartTLS {
			p := r.begin(StepSTARTTLS, a.addr)
			p.Error = "the server does not offer STARTTLS (it is not in the EHLO reply); use --no-tls to send without TLS"
			r.end(p)
			a.quit()
			return outcome{result: ResultRefused, stage: StepSTARTTLS, err: p.Error}
		} else {
			p := r.begin(StepSTARTTLS, a.addr)
			p.Info = append(p.Info, "the server does not offer STARTTLS: going on without TLS (the message crosses the network in clear text)")
			r.end(p)
			r.tr.Encryption = EncryptionNone
		}
	} else if mode == TLSNone {
		p := r.begin(StepSTARTTLS, a.addr)
		p.Info = append(p.Info, "TLS disabled (--no-tls): the message crosses the network in clear text")
		r.end(p)
		r.tr.Encryption = EncryptionNone
	}
	if q == "tls" {
		return a.stop(q)
	}

	// AUTH
	if r.o.AuthUser != "" {
		if out, ok := a.auth(); !ok {
			return out
		}
	}
	if q == "auth" {
		return a.stop(q)
	}

	// MAIL
	p = r.begin(StepMail, a.addr)
	opts := &gosmtp.MailOptions{}
	if !isASCII(msg) {
		if ok, _ := a.sess.Extension("8BITMIME"); ok {
			opts.Body = gosmtp.Body8BitMIME
		} else {
			p.Info = append(p.Info, "the message has 8-bit content but the server does not announce 8BITMIME")
		}
	}
	if !isASCII([]byte(r.o.From + strings.Join(r.o.To, ""))) {
		if ok, _ := a.sess.Extension("SMTPUTF8"); ok {
			opts.UTF8 = true
		} else {
			p.Info = append(p.Info, "the addresses are not ASCII but the server does not announce SMTPUTF8")
		}
	}
	if ok, _ := a.sess.Extension("SIZE"); ok {
		opts.Size = int64(len(msg))
	}
	if err := a.call(func(c *gosmtp.Client) error { return c.Mail(r.o.From, opts) }); err != nil {
		return a.failed(p, err)
	}
	a.endSession(p, nil)
	if q == "mail" {
		return a.stop(q)
	}

	// RCPT, every recipient, so that the trace shows each one's fate.
	var rejected *outcome
	permanent := false
	for _, to := range r.o.To {
		p := r.begin(StepRcpt, a.addr)
		err := a.call(func(c *gosmtp.Client) error { return c.Rcpt(to, nil) })
		a.endSession(p, err)
		if err != nil {
			out := a.classify(StepRcpt, err)
			if out.reply == nil { // the connection broke
				return out
			}
			if rejected == nil || !permanent && out.reply.Code >= 500 {
				rejected = &out
			}
			permanent = permanent || out.reply.Code >= 500
		}
	}
	if rejected != nil {
		a.quit()
		// Direct delivery tries the next MX when every refusal was
		// temporary, as an MTA would; one permanent refusal is final.
		rejected.retry = !permanent && a.r.o.Server == ""
		return *rejected
	}
	if q == "rcpt" {
		return a.stop(q)
	}

	// DATA
	p = r.begin(StepData, a.addr)
	var dc *gosmtp.DataCommand
	if err := a.call(func(c *gosmtp.Client) (err error) { dc, err = c.Data(); return err }); err != nil {
		return a.failed(p, err)
	}
	a.filter.set(sendBody)
	err = a.call(func(*gosmtp.Client) error { return a.writeMessage(dc, msg) })
	if err != nil {
		return a.failed(p, err)
	}
	a.endSession(p, nil)

	p = r.begin(StepEOD, a.addr)
	var resp *gosmtp.DataResponse
	err = a.call(func(*gosmtp.Client) (err error) { resp, err = dc.CloseWithResponse(); return err })
	lines := strings.Count(string(msg), "\n")
	p.Info = append(p.Info, fmt.Sprintf("message sent: %d bytes, %d lines (content not shown)", len(msg), lines))
	if err != nil {
		return a.failed(p, err)
	}
	out := outcome{result: ResultDelivered, stage: StepEOD}
	if resp != nil {
		out.queueID = QueueID(resp.StatusText)
		if out.queueID != "" {
			p.Info = append(p.Info, "accepted, queue id "+out.queueID)
		} else {
			p.Info = append(p.Info, "accepted (the reply names no queue id)")
		}
	}
	a.endSession(p, nil)
	a.quit()
	return out
}

// call runs a go-smtp client call with the context able to abort it.
func (a *attempt) call(f func(c *gosmtp.Client) error) error {
	c := a.sess.Client()
	if c == nil {
		return fmt.Errorf("%w: no session", smtpwire.ErrState)
	}
	stop := a.sess.Guard(a.ctx)
	err := f(c)
	stop()
	return err
}

// endSession attaches the transcript lines since the last step, and the
// reply that ended the step, then emits it.
func (a *attempt) endSession(p *pending, err error) {
	es := a.sess.Transcript().Entries()
	if a.mark < len(es) {
		for _, e := range es[a.mark:] {
			switch e.Dir {
			case checks.DirClient:
				p.Client = append(p.Client, e.Text)
			case checks.DirServer:
				p.Server = append(p.Server, e.Text)
			}
		}
		a.mark = len(es)
	}
	switch rep := smtpwire.ReplyOf(err); {
	case rep != nil:
		p.Reply = toReply(rep)
	case err == nil:
		p.Reply = lastReply(p.Server)
	} // a step that failed without a reply has none, whatever half a line said
	if err != nil {
		p.Error = a.r.describe(a.ctx, err, waitOf(p.Step.Step), a.timeout)
	}
	a.r.end(p)
}

// waitOf names the wait of a step for messages ("no reply to MAIL FROM
// within 10s").
func waitOf(step string) string {
	switch step {
	case StepBanner:
		return "greeting"
	case StepEHLO:
		return "EHLO"
	case StepSTARTTLS:
		return "STARTTLS"
	case StepTLS:
		return "TLS handshake"
	case StepAuth:
		return "AUTH"
	case StepMail:
		return "MAIL FROM"
	case StepRcpt:
		return "RCPT TO"
	case StepData:
		return "DATA"
	case StepEOD:
		return "the end of the message"
	case StepQuit:
		return "QUIT"
	}
	return step
}

// writeMessage sends the message in chunks, each bounded by the timeout:
// a server that stops reading fails the send instead of blocking it.
func (a *attempt) writeMessage(dc *gosmtp.DataCommand, msg []byte) error {
	const chunk = 64 << 10
	for len(msg) > 0 {
		n := min(chunk, len(msg))
		_ = a.sess.SetDeadline(a.r.now().Add(a.timeout))
		if _, err := dc.Write(msg[:n]); err != nil {
			_ = a.sess.SetDeadline(time.Time{})
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return &smtpwire.Error{Kind: smtpwire.ErrTimeout, Cause: err,
					Msg: "the server stopped taking the message: nothing could be sent for " + smtpwire.Dur(a.timeout)}
			}
			if c := smtpwire.Classify(err, "DATA", a.timeout); errors.Is(c, smtpwire.ErrClosed) {
				return &smtpwire.Error{Kind: smtpwire.ErrClosed, Cause: err, Msg: "the server closed the connection while the message was being sent"}
			}
			return err
		}
		msg = msg[n:]
	}
	_ = a.sess.SetDeadline(time.Time{})
	return nil
}

// failed ends the step with err and the attempt with its outcome; after a
// reply (the server is still talking) it says QUIT.
func (a *attempt) failed(p *pending, err error) outcome {
	a.endSession(p, err)
	out := a.classify(p.Step.Step, err)
	if out.reply != nil && out.reply.Code != 421 {
		a.quit()
	}
	return out
}

// classify turns an error at a stage into an outcome.
func (a *attempt) classify(stage string, err error) outcome {
	if rep := smtpwire.ReplyOf(err); rep != nil {
		r := toReply(rep)
		out := outcome{result: ResultRejected, stage: stage, reply: r,
			err: fmt.Sprintf("%s: %d %s", stage, r.Code, strings.TrimSpace(r.Enhanced+" "+r.Text))}
		// A temporary failure before the transaction, a 421 anywhere, or
		// any temporary failure in direct delivery: another MX (or
		// address) may take the message (RFC 5321 §5.1), as an MTA would
		// try it.
		temporary := r.Code >= 400 && r.Code < 500
		if r.Code == 421 || temporary && (a.r.o.Server == "" || stage == StepBanner || stage == StepEHLO || stage == StepSTARTTLS) {
			out.retry = true
		}
		return out
	}
	return outcome{result: ResultUnreachable, stage: stage, err: a.r.describe(a.ctx, err, waitOf(stage), a.timeout), retry: true}
}

// stop ends a send on purpose (--quit-after).
func (a *attempt) stop(stage string) outcome {
	a.quit()
	return outcome{result: ResultStopped, stage: stage}
}

// quit says QUIT as a step of its own.
func (a *attempt) quit() {
	a.filter.set(sendCommands)
	p := a.r.begin(StepQuit, a.addr)
	err := a.sess.Quit(a.ctx)
	a.endSession(p, err)
}

func (a *attempt) startTLS(probe *tlsProbe) (outcome, bool) {
	r := a.r
	p := r.begin(StepSTARTTLS, a.addr)
	before := len(a.sess.Stages())
	state, err := a.sess.StartTLS(a.ctx, probe.config())
	stages := a.sess.Stages()[before:]
	// smtpwire times "starttls" and "tls_handshake" as separate stages:
	// split the step at the handshake's start.
	var hs *smtpwire.Stage
	for i := range stages {
		if stages[i].Name == "tls_handshake" {
			hs = &stages[i]
		}
	}
	if hs == nil { // STARTTLS itself failed
		return a.failed(p, err), false
	}
	handshakeStart := p.start.Add(time.Duration((hs.StartMs - stages[0].StartMs) * float64(time.Millisecond)))
	p.endAt = handshakeStart
	a.endSession(p, nil)
	hp := &pending{Step: Step{Step: StepTLS, Host: a.addr, StartedMs: handshakeStart.Sub(r.t0).Milliseconds()}, start: handshakeStart}
	if err != nil {
		return a.tlsFailed(hp, probe, err, errors.Is(err, smtpwire.ErrTimeout)), false
	}
	hp.TLS = probe.info(state)
	hp.Info = append(hp.Info, tlsNotes(hp.TLS)...)
	r.end(hp)
	a.tlsUp(probe)

	p = r.begin(StepEHLO, a.addr)
	if err := a.sess.Hello(a.ctx); err != nil {
		return a.failed(p, err), false
	}
	p.Info = append(p.Info, "again, inside TLS")
	a.endSession(p, nil)
	return outcome{}, true
}

// tlsUp records that the conversation is now inside TLS, and how well
// the server was authenticated.
func (a *attempt) tlsUp(probe *tlsProbe) {
	a.tlsOn = true
	cerr := probe.verifyError()
	if cerr == nil {
		a.r.tr.Encryption = EncryptionVerified
		return
	}
	a.r.tr.Encryption = EncryptionUnverified
	a.r.tr.CertificateError = smtpwire.X509Words(cerr)
}

// tlsFailed ends a tls step whose handshake failed.
func (a *attempt) tlsFailed(p *pending, probe *tlsProbe, err error, timedOut bool) outcome {
	p.TLS = probe.info(nil)
	p.Info = append(p.Info, tlsNotes(p.TLS)...)
	if cerr := probe.certError(); cerr != nil {
		p.Error = "the server's certificate does not verify: " + smtpwire.X509Words(cerr) + " (use --insecure to send anyway)"
		a.r.end(p)
		// In direct delivery with --verify another MX may have a valid
		// certificate.
		return outcome{result: ResultRefused, stage: StepTLS, err: p.Error, retry: a.r.o.Server == ""}
	}
	if timedOut && !errors.Is(err, smtpwire.ErrTimeout) {
		err = &smtpwire.Error{Kind: smtpwire.ErrTimeout, Msg: "the TLS handshake did not finish within " + smtpwire.Dur(a.timeout), Cause: err}
	}
	p.Error = a.r.describe(a.ctx, err, "TLS handshake", a.timeout)
	a.r.end(p)
	return outcome{result: ResultUnreachable, stage: StepTLS, err: p.Error, retry: true}
}

func (a *attempt) auth() (outcome, bool) {
	r := a.r
	p := r.begin(StepAuth, a.addr)
	if !a.tlsOn && !r.o.AllowPlaintextAuth {
		p.Error = "refusing to send the password over a connection without TLS (use --starttls or --tls; --allow-plaintext-auth overrides)"
		r.end(p)
		a.quit()
		return outcome{result: ResultRefused, stage: StepAuth, err: p.Error}, false
	}
	ok, param := a.sess.Extension("AUTH")
	if !ok {
		p.Error = "the server does not offer AUTH"
		if !a.tlsOn {
			p.Error += " without TLS"
		}
		r.end(p)
		a.quit()
		return outcome{result: ResultRefused, stage: StepAuth, err: p.Error}, false
	}
	offered := strings.Fields(strings.ToUpper(param))
	has := func(m string) bool {
		for _, o := range offered {
			if o == m {
				return true
			}
		}
		return false
	}
	mech := r.o.AuthMech
	switch {
	case mech != "":
		if !has(mech) {
			p.Info = append(p.Info, "the server does not announce "+mech+" (it offers "+param+"); trying anyway")
		}
	case has(sasl.Plain):
		mech = sasl.Plain
	case has(sasl.Login):
		mech = sasl.Login
	default:
		p.Error = "the server offers no mechanism mxray speaks (it offers " + param + "; mxray speaks PLAIN and LOGIN)"
		r.end(p)
		a.quit()
		return outcome{result: ResultRefused, stage: StepAuth, err: p.Error}, false
	}
	var client sasl.Client
	if mech == sasl.Login {
		client = &loginClient{user: r.o.AuthUser, pass: r.o.Password}
	} else {
		client = sasl.NewPlainClient("", r.o.AuthUser, r.o.Password)
	}
	p.Info = append(p.Info, fmt.Sprintf("authenticating as %s with %s (payloads shown as %s)", r.o.AuthUser, mech, Masked))
	a.filter.set(sendAuth)
	// smtpwire's AUTH, not go-smtp's: after a final reply such as 535 it
	// sends no "*" (RFC 4954 allows it only in reply to a 334), so QUIT
	// follows the reply.
	err := a.sess.Auth(a.ctx, client)
	a.filter.set(sendCommands)
	if err != nil {
		// go-smtp's errors carry the server's reply, never the payloads;
		// still, never let a credential reach the trace.
		return a.failed(p, scrub(err, r.o.Password)), false
	}
	a.endSession(p, nil)
	return outcome{}, true
}

// scrub removes a secret from an error's text (keeping reply errors as
// they are: the server never echoes the password).
func scrub(err error, secret string) error {
	if secret == "" || smtpwire.ReplyOf(err) != nil || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, Masked))
}

// toReply converts smtpwire's reply.
func toReply(r *smtpwire.Reply) *Reply {
	if r == nil {
		return nil
	}
	lines := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		// Servers repeat the enhanced code on every line of a reply.
		if i > 0 && r.Enhanced != "" {
			l = strings.TrimPrefix(l, r.Enhanced+" ")
		}
		lines[i] = strings.TrimSpace(l)
	}
	return &Reply{Code: r.Code, Enhanced: r.Enhanced, Text: strings.TrimSpace(strings.Join(lines, " "))}
}

// lastReply parses the last reply among server lines.
func lastReply(lines []string) *Reply {
	var rep *smtpwire.Reply
	fresh := true
	for _, l := range lines {
		if strings.HasSuffix(l, " (no line end)") {
			continue // a line the server cut is no reply
		}
		code, more, text, err := smtpwire.ParseReplyLine(l)
		if err != nil {
			continue
		}
		if fresh || rep.Code != code {
			rep = &smtpwire.Reply{Code: code}
		}
		rep.Lines = append(rep.Lines, text)
		fresh = !more
	}
	if rep == nil {
		return nil
	}
	// The enhanced code, as smtpwire.ReadReply would split it.
	if f, rest, ok := strings.Cut(rep.Lines[0], " "); ok || f != "" {
		if len(f) >= 5 && int(f[0]-'0') == rep.Code/100 && strings.Count(f, ".") == 2 && strings.Trim(f, "0123456789.") == "" {
			rep.Enhanced, rep.Lines[0] = f, rest
		}
	}
	return toReply(rep)
}

// describe renders an error of one wait for people: a reply as the
// server gave it, a network error in plain words ("connection refused",
// "no greeting within 30s", "the reply to EHLO is too long: more than 100
// lines"), an interruption as such. stage names the wait when err did not
// come through a smtpwire.Session ("connect", "TLS handshake").
func (r *run) describe(ctx context.Context, err error, stage string, timeout time.Duration) string {
	if err == nil {
		return ""
	}
	if ctx.Err() != nil && smtpwire.ReplyOf(err) == nil {
		if r.user.Err() != nil {
			return "interrupted"
		}
		return "stopped: the send's overall time limit was reached"
	}
	return smtpwire.Classify(err, stage, timeout).Error()
}
