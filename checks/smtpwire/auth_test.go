package smtpwire_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mxray/mxray/checks/smtpwire"
)

// authPeer is a scripted server over net.Pipe: a greeting, an EHLO reply
// offering AUTH, then script written as is (replies the client reads in
// order, as if pipelined), while it records every client line.
type authPeer struct {
	script string

	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func (p *authPeer) DialContext(context.Context, string, string) (net.Conn, error) {
	c, s := net.Pipe()
	p.done = make(chan struct{})
	go p.serve(s)
	return c, nil
}

func (p *authPeer) serve(c net.Conn) {
	defer close(p.done)
	defer c.Close()
	br := bufio.NewReader(c)
	if _, err := c.Write([]byte("220 peer.test ESMTP\r\n")); err != nil {
		return
	}
	if _, err := br.ReadString('\n'); err != nil {
		return
	}
	if _, err := c.Write([]byte("250-peer.test\r\n250 AUTH PLAIN LOGIN\r\n")); err != nil {
		return
	}
	go func() { _, _ = c.Write([]byte(p.script)) }() // fails once the client closes
	for n := 0; n < 100; n++ {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		p.mu.Lock()
		p.lines = append(p.lines, strings.TrimRight(l, "\r\n"))
		p.mu.Unlock()
	}
}

// auth runs AUTH against a peer playing script and returns the error and
// the lines the client sent from AUTH on.
func auth(t testing.TB, script string, c sasl.Client, timeout time.Duration) (error, []string) {
	t.Helper()
	p := &authPeer{script: script}
	s := smtpwire.New(smtpwire.Config{Dialer: p, HELO: "client.test",
		Timeouts: smtpwire.Timeouts{Connect: timeout, Greeting: timeout, Command: timeout}}, "peer.test:587")
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	err := s.Auth(ctx, c)
	_ = s.Close()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return err, slices.Clone(p.lines)
}

// loginClient is LOGIN without an initial response (as `mxray send` speaks
// it): the user name, then the password, then it gives up.
type loginClient struct{ step int }

func (l *loginClient) Start() (string, []byte, error) { return sasl.Login, nil, nil }

func (l *loginClient) Next([]byte) ([]byte, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("me"), nil
	case 2:
		return []byte("pw"), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}

func TestAuthSendsNoStarAfterAFinalReply(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString
	plain := "AUTH PLAIN " + b64([]byte("\x00me\x00pw"))
	cases := []struct {
		name, script string
		login        bool
		code         int // 0: success
		lines        []string
	}{
		{"plain accepted", "235 2.7.0 ok\r\n", false, 0, []string{plain}},
		{"plain 535", "535 5.7.8 bad credentials\r\n", false, 535, []string{plain}},
		{"login 535 after the password", "334 " + b64([]byte("Username:")) + "\r\n334 " + b64([]byte("Password:")) + "\r\n535 5.7.8 no\r\n",
			true, 535, []string{"AUTH LOGIN", b64([]byte("me")), b64([]byte("pw"))}},
		{"login 454 at once", "454 4.7.0 temporary failure\r\n", true, 454, []string{"AUTH LOGIN"}},
		{"a challenge that is not base64", "334 %%%\r\n501 5.7.0 cancelled\r\n", true, 501, []string{"AUTH LOGIN", "*"}},
		{"a challenge the client cannot answer", "334 " + b64([]byte("x")) + "\r\n501 5.7.0 cancelled\r\n", false, 501, []string{plain, "*"}},
		{"a third LOGIN challenge", "334 \r\n334 \r\n334 \r\n501 5.7.0 cancelled\r\n", true, 501, []string{"AUTH LOGIN", b64([]byte("me")), b64([]byte("pw")), "*"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cl sasl.Client = sasl.NewPlainClient("", "me", "pw")
			if c.login {
				cl = &loginClient{}
			}
			err, lines := auth(t, c.script, cl, 2*time.Second)
			switch r := smtpwire.ReplyOf(err); {
			case c.code == 0 && err != nil, c.code != 0 && (r == nil || r.Code != c.code):
				t.Fatalf("err %v, want reply %d", err, c.code)
			}
			if !slices.Equal(lines, c.lines) {
				t.Errorf("client sent %q, want %q", lines, c.lines)
			}
		})
	}
}

// FuzzAuth: whatever the server answers, AUTH ends in bounded time and
// lines, never panics, and sends "*" at most once, as its last line.
func FuzzAuth(f *testing.F) {
	for _, s := range []string{"235 ok\r\n", "535 5.7.8 no\r\n", "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n",
		"334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n334 \r\n501 no\r\n", "334 %%\r\n", "334-a\r\n334 b\r\n", "334 3.0.0 x\r\n"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, script string, login bool) {
		var cl sasl.Client = sasl.NewPlainClient("", "me", "pw")
		if login {
			cl = &loginClient{}
		}
		start := time.Now()
		const timeout = 50 * time.Millisecond
		err, lines := auth(t, script, cl, timeout)
		if took := time.Since(start); took > time.Duration(smtpwire.MaxAuthRounds+3)*timeout+time.Second {
			t.Fatalf("took %s", took)
		}
		if len(lines) > smtpwire.MaxAuthRounds+2 {
			t.Fatalf("%d lines sent", len(lines))
		}
		if i := slices.Index(lines, "*"); i >= 0 && i != len(lines)-1 {
			t.Fatalf("'*' is not the last line: %q", lines)
		}
		if err == nil && !strings.Contains(script, "235") {
			t.Fatalf("success without a 235: %q", script)
		}
	})
}
