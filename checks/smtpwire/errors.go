package smtpwire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"syscall"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// The kinds of session errors. Every error a Session returns for a network
// or protocol failure is an *Error whose Kind is one of these (use
// errors.Is), or a *ReplyError when the server answered.
var (
	ErrTimeout     = errors.New("timed out")
	ErrRefused     = errors.New("connection refused")
	ErrUnreachable = errors.New("address unreachable")
	ErrClosed      = errors.New("the server closed the connection")
	ErrState       = errors.New("command out of sequence")
	ErrTLS         = errors.New("TLS handshake failed")
	ErrInterrupted = errors.New("interrupted")
	ErrOther       = errors.New("the exchange failed")
)

// Error is a session error in plain words, e.g. "no reply to EHLO within
// 10s" or "the server closed the connection without a greeting". Its text
// is meant for people as it is: it carries no Go error text.
type Error struct {
	Kind  error  // ErrTimeout, ErrRefused, ErrUnreachable, ErrClosed, ErrReplyTooLong, ErrCutLine, ErrMalformed, ErrTLS, ErrInterrupted, ErrState, ErrOther
	Msg   string // the plain-words text
	Cause error  // the underlying error, if any (for errors.Is and debugging)
}

func (e *Error) Error() string { return e.Msg }

// Unwrap makes errors.Is hold for the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// wait names one network wait, for messages: the stage ("greeting",
// "EHLO", "TLS handshake", "connect") and its bound.
type wait struct {
	stage   string
	timeout time.Duration
}

func (w wait) reply() string {
	switch w.stage {
	case "greeting":
		return "the greeting"
	case "TLS handshake":
		return "the TLS handshake"
	case "connect":
		return "the connection"
	}
	return "the reply to " + w.stage
}

// Dur formats a timeout for messages: "10s", "250ms", "1m30s".
func Dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Second == 0:
		return d.String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// Describe renders any error of a session (or of the dial and TLS layers
// below it) in plain words: a *ReplyError or *Error as it is, other
// network errors translated ("connection refused", "the server closed the
// connection").
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	var re *ReplyError
	if errors.As(err, &e) || errors.As(err, &re) {
		return err.Error()
	}
	return classify(nil, wait{}, err).Error()
}

// classify turns err from one wait into an *Error in plain words (a reply
// error is returned as is). ctx may be nil.
func classify(ctx context.Context, w wait, err error) error {
	if err == nil {
		return nil
	}
	if ReplyOf(err) != nil {
		return err
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	what := w.reply()
	if w.stage == "" {
		what = "the conversation"
	}
	mk := func(kind error, format string, args ...any) error {
		return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Cause: err}
	}
	var long *ReplyTooLongError
	var cutErr *CutLineError
	var ne net.Error
	var proto textproto.ProtocolError
	switch {
	case ctx != nil && ctx.Err() != nil:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Error{Kind: ErrInterrupted, Msg: "stopped waiting for " + what + ": out of time", Cause: ctx.Err()}
		}
		return &Error{Kind: ErrInterrupted, Msg: "interrupted while waiting for " + what, Cause: ctx.Err()}
	case errors.As(err, &long):
		return mk(ErrReplyTooLong, "%s is too long: %s", what, long.detail())
	case errors.Is(err, gosmtp.ErrTooLongLine):
		return mk(ErrReplyTooLong, "%s is too long: a line longer than %d characters", what, MaxReplyLine)
	case errors.As(err, &cutErr):
		if cutErr.Timeout() {
			return mk(ErrCutLine, "%s was cut off mid-line: %q and then nothing for %s", what, cut(cutErr.Partial, 60), Dur(w.timeout))
		}
		return mk(ErrCutLine, "%s was cut off mid-line: %q and then the server closed the connection", what, cut(cutErr.Partial, 60))
	case errors.Is(err, ErrMalformed):
		return mk(ErrMalformed, "%s is not a valid SMTP reply%s", what, malformedDetail(err))
	case errors.As(err, &proto):
		return mk(ErrMalformed, "%s is not a valid SMTP reply: %s", what, string(proto))
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded):
		switch w.stage {
		case "connect":
			return mk(ErrTimeout, "no answer to the connection within %s", Dur(w.timeout))
		case "greeting":
			return mk(ErrTimeout, "no greeting within %s", Dur(w.timeout))
		case "TLS handshake":
			return mk(ErrTimeout, "the TLS handshake did not finish within %s", Dur(w.timeout))
		case "":
			return mk(ErrTimeout, "no answer within %s", Dur(w.timeout))
		}
		return mk(ErrTimeout, "no reply to %s within %s", w.stage, Dur(w.timeout))
	case errors.Is(err, syscall.ECONNREFUSED):
		return mk(ErrRefused, "connection refused")
	case errors.Is(err, syscall.ENETUNREACH):
		return mk(ErrUnreachable, "the network of this address is unreachable from here")
	case errors.Is(err, syscall.EHOSTUNREACH):
		return mk(ErrUnreachable, "the host is unreachable from here")
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EAFNOSUPPORT):
		return mk(ErrUnreachable, "this machine has no route to the address (no address of that family here)")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		switch w.stage {
		case "greeting":
			return mk(ErrClosed, "the server closed the connection without a greeting")
		case "TLS handshake":
			return mk(ErrClosed, "the server closed the connection during the TLS handshake")
		case "", "connect":
			return mk(ErrClosed, "the server closed the connection")
		}
		return mk(ErrClosed, "the server closed the connection instead of replying to %s", w.stage)
	}
	if w.stage == "TLS handshake" {
		return mk(ErrTLS, "the TLS handshake failed: %s", TLSWords(err))
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return mk(ErrUnreachable, "could not connect: %s", strings.TrimPrefix(plainGo(op.Err), "connect: "))
	}
	return mk(ErrOther, "%s failed: %s", what, plainGo(err))
}

// TLSWords says why a TLS handshake failed, without Go's "tls: " and
// "remote error: " prefixes: "the server sent the alert \"handshake
// failure\"", "the server does not speak TLS".
func TLSWords(err error) string {
	var op *net.OpError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	var ce *tls.CertificateVerificationError
	switch {
	case errors.As(err, &op) && op.Op == "remote error":
		return fmt.Sprintf("the server sent the alert %q", strings.TrimPrefix(op.Err.Error(), "tls: "))
	case errors.As(err, &ae):
		return fmt.Sprintf("the alert %q", strings.TrimPrefix(ae.Error(), "tls: "))
	case errors.As(err, &rh):
		return "the server did not answer in TLS"
	case errors.As(err, &ce):
		return "the certificate does not verify: " + strings.TrimPrefix(plainGo(ce.Err), "x509: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the server closed the connection"
	}
	return plainGo(err)
}

// plainGo strips Go's package prefixes ("tls: ", "x509: ", "smtp: ") and
// dial noise ("dial tcp 192.0.2.1:25: ") from an error text that has no
// better translation.
func plainGo(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		s = op.Err.Error()
	}
	for _, p := range []string{"remote error: ", "local error: ", "tls: ", "x509: ", "smtp: ", "textproto: ", "connect: ", "read: ", "write: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func (e *ReplyTooLongError) detail() string {
	switch {
	case e.Line:
		return fmt.Sprintf("a line longer than %d characters", MaxReplyLine)
	case e.Lines > MaxReplyLines:
		return fmt.Sprintf("more than %d lines", MaxReplyLines)
	}
	return fmt.Sprintf("more than %d KiB", MaxReplyBytes>>10)
}

func malformedDetail(err error) string {
	var me *MalformedError
	if errors.As(err, &me) && me.Line != "" {
		return fmt.Sprintf(": %q", cut(me.Line, 60))
	}
	return ""
}

// TimedOut reports an error of a wait that ran out: ErrTimeout, or a line
// cut by the deadline (ErrCutLine with a timeout cause).
func TimedOut(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrCutLine) && errors.Is(err, os.ErrDeadlineExceeded)
}

// Classify renders err from one wait of an SMTP exchange that did not go
// through a Session (a dial, an implicit-TLS handshake) in plain words, as
// the Session does: stage is "connect", "greeting", "TLS handshake" or a
// command verb ("EHLO"), timeout the wait's bound.
func Classify(err error, stage string, timeout time.Duration) error {
	return classify(nil, wait{stage: stage, timeout: timeout}, err)
}

// X509Words says why a certificate chain does not verify, in plain words
// without Go's "x509: " prefix: "it is not for mx.example.com (it names
// other.example.com)", "it is self-signed".
func X509Words(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ua):
		if c := ua.Cert; c != nil && c.Subject.String() == c.Issuer.String() {
			return "it is self-signed"
		}
		return "no trusted authority signed it"
	case errors.As(err, &he):
		names := "no name"
		if he.Certificate != nil && len(he.Certificate.DNSNames) > 0 {
			names = strings.Join(he.Certificate.DNSNames, ", ")
		} else if he.Certificate != nil && he.Certificate.Subject.CommonName != "" {
			names = he.Certificate.Subject.CommonName
		}
		return fmt.Sprintf("it is not for %s (it names %s)", he.Host, names)
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			if ci.Cert != nil {
				return fmt.Sprintf("it is valid only from %s to %s", ci.Cert.NotBefore.UTC().Format("2006-01-02"), ci.Cert.NotAfter.UTC().Format("2006-01-02"))
			}
			return "it has expired or is not valid yet"
		case x509.NotAuthorizedToSign:
			return "an intermediate certificate may not sign certificates"
		case x509.IncompatibleUsage:
			return "a certificate of the chain is not for server authentication"
		case x509.TooManyIntermediates:
			return "the chain is too long"
		}
	}
	return strings.TrimPrefix(err.Error(), "x509: ")
}
