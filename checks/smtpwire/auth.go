package smtpwire

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

// MaxAuthRounds bounds the 334 challenges of one AUTH exchange: PLAIN
// needs at most one, LOGIN two; a server that keeps challenging is cut off.
const MaxAuthRounds = 8

// Auth runs AUTH (RFC 4954) with the SASL client c as the timed stage
// "auth", each reply bounded by the command timeout. Unlike go-smtp's
// Client.Auth it sends "*" only to cancel in reply to a 334 challenge the
// client cannot answer (RFC 4954 §4): after a final reply such as 535 it
// sends nothing, so that the caller's next command (QUIT) follows the
// reply directly. A final reply other than 235 comes back as a
// *ReplyError whose Command is "AUTH <mechanism>".
func (s *Session) Auth(ctx context.Context, c sasl.Client) error {
	return s.stage("auth", func() (*Reply, error) {
		if s.client == nil || !s.hello || s.raw == nil {
			return nil, &Error{Kind: ErrState, Msg: "AUTH before EHLO"}
		}
		defer s.Guard(ctx)()
		w := wait{stage: "AUTH", timeout: s.cfg.Timeouts.Command}
		conn, br := net.Conn(s.rec), s.br
		if s.tlsConn != nil {
			conn, br = s.tlsRec, s.tlsBR
		}
		defer func() { _ = s.raw.SetDeadline(time.Time{}) }()
		fail := func(err error) (*Reply, error) {
			err = classify(ctx, w, err)
			s.note(err)
			return nil, err
		}
		// exchange writes one line and reads the reply to it.
		exchange := func(line string) (*Reply, error) {
			_ = s.raw.SetDeadline(s.now().Add(w.timeout))
			if _, err := io.WriteString(conn, line+"\r\n"); err != nil {
				return nil, err
			}
			return ReadReply(br)
		}
		mech, ir, err := c.Start()
		if err != nil {
			return nil, &Error{Kind: ErrOther, Msg: "the AUTH mechanism could not start: " + plainGo(err), Cause: err}
		}
		cmd := "AUTH " + mech
		switch {
		case len(ir) > 0:
			cmd += " " + base64.StdEncoding.EncodeToString(ir)
		case ir != nil:
			cmd += " =" // an empty initial response (RFC 4954 §4)
		}
		rep, err := exchange(cmd)
		for round := 0; ; round++ {
			if err != nil {
				return fail(err)
			}
			if rep.Code != 334 {
				break
			}
			if round >= MaxAuthRounds {
				// Cancel, and read the server's answer to the "*".
				if rep, err = exchange("*"); err != nil {
					return fail(err)
				}
				return rep, &Error{Kind: ErrOther, Msg: "the server kept asking for more than " + itoa(MaxAuthRounds) + " AUTH responses"}
			}
			// A challenge is base64 (it never looks like an enhanced code).
			challenge, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(rep.Lines, "")))
			var resp []byte
			if derr == nil {
				resp, derr = c.Next(challenge)
			}
			if derr != nil || rep.Enhanced != "" {
				// The only place for "*": a challenge the client cannot
				// answer. The server's reply to it ends the exchange.
				if rep, err = exchange("*"); err != nil {
					return fail(err)
				}
				if rep.Code == 235 {
					return rep, nil
				}
				return rep, &ReplyError{Command: "AUTH " + mech, Reply: rep}
			}
			rep, err = exchange(base64.StdEncoding.EncodeToString(resp))
		}
		if rep.Code != 235 {
			return rep, &ReplyError{Command: "AUTH " + mech, Reply: rep}
		}
		return rep, nil
	})
}
