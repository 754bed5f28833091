package smtpwire

import (
	"context"
	"crypto/tls"
)

// The steps where the opening of a session can end early (Opening.Step).
const (
	StepConnect  = "connect"  // the TCP connection or the greeting
	StepEHLO     = "ehlo"     // EHLO (or HELO) in plaintext
	StepSTARTTLS = "starttls" // the STARTTLS command or the TLS handshake
)

// Opening is how the opening of a session with an MX went, as a sending
// MTA opens it: the connection and the greeting, EHLO, then STARTTLS and
// the TLS handshake when the server offers it. The tls check judges it,
// whether it opened the session itself or read the smtp check's.
type Opening struct {
	// Step is the step that ended the opening early with Err (StepConnect,
	// StepEHLO, StepSTARTTLS); "" when it went through.
	Step string
	Err  error
	// Connect is how the connection itself failed, for the tally.
	Connect ConnectKind
	// Connected: the TCP connection was made.
	Connected bool
	// STARTTLS: the server offered STARTTLS (and it was started).
	STARTTLS bool
	// TLS is the state of the connection after the handshake; nil when
	// there was none.
	TLS *tls.ConnectionState
	// Stages and Transcript are the session's so far.
	Stages     []Stage
	Transcript []Entry
}

// OpportunisticTLS is the TLS configuration of a sending MTA with
// opportunistic TLS, as the smtp and tls checks use it: any certificate is
// accepted here (the tls check verifies the chain itself, against the
// run's roots), TLS 1.0 and later.
func OpportunisticTLS(host string) *tls.Config {
	return &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10} //nolint:gosec // opportunistic; the tls check verifies the chain
}

// Opening returns how the session's opening went when it ended at step
// with err, or went through (err nil): a snapshot of its stages,
// transcript and TLS state. ctx is the session's.
func (s *Session) Opening(ctx context.Context, step string, err error) *Opening {
	op := &Opening{Step: step, Err: err, Connected: s.Connected(), TLS: s.TLS(),
		Stages: s.Stages(), Transcript: s.Transcript().Entries()}
	if err == nil {
		op.Step = ""
	}
	if op.Step == StepConnect {
		op.Connect = ConnectFailure(ctx, s, err)
	}
	op.STARTTLS = op.TLS != nil || op.Step == StepSTARTTLS
	return op
}

// Open opens the session up to TLS: it connects and reads the greeting,
// sends EHLO, and starts TLS with cfg when the server offers STARTTLS. A
// session that ends early is closed (after QUIT when the server refused it
// with a reply); one that went through stays open for the caller (EHLO
// inside TLS, QUIT).
func Open(ctx context.Context, s *Session, cfg *tls.Config) *Opening {
	if err := s.Connect(ctx); err != nil {
		if ReplyOf(err) != nil {
			_ = s.Quit(ctx)
		}
		_ = s.Close()
		return s.Opening(ctx, StepConnect, err)
	}
	if err := s.Hello(ctx); err != nil {
		if ReplyOf(err) != nil {
			_ = s.Quit(ctx)
		}
		_ = s.Close()
		return s.Opening(ctx, StepEHLO, err)
	}
	if ok, _ := s.Extension("STARTTLS"); !ok {
		return s.Opening(ctx, "", nil)
	}
	if _, err := s.StartTLS(ctx, cfg); err != nil {
		_ = s.Close()
		return s.Opening(ctx, StepSTARTTLS, err)
	}
	return s.Opening(ctx, "", nil)
}
