package smtpwire_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/smtpwire"
)

func newWorld(t *testing.T) *mailtest.World {
	t.Helper()
	return mailtest.New(t, "example. IN SOA ns. h. 1 2 3 4 5\n")
}

func start(t *testing.T, w *mailtest.World, o mailtest.SMTPOptions) string {
	t.Helper()
	if _, err := w.SMTP(o, "192.0.2.25:25"); err != nil {
		t.Fatal(err)
	}
	return "192.0.2.25:25"
}

func cfg(w *mailtest.World, d time.Duration) smtpwire.Config {
	return smtpwire.Config{Dialer: w.Dialer, HELO: "probe.test", Timeouts: smtpwire.Timeouts{Connect: d, Greeting: d, Command: d}}
}

func text(tr *smtpwire.Transcript) string {
	var b strings.Builder
	for _, l := range tr.Lines() {
		b.WriteString(string(l.Dir) + ": " + l.Text + "\n")
	}
	return b.String()
}

func TestSessionSTARTTLS(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cert, err := w.Cert(mailtest.CertValid, "mx.example")
	if err != nil {
		t.Fatal(err)
	}
	addr := start(t, w, mailtest.SMTPOptions{Hostname: "mx.example", Domains: []string{"example"}, TLS: cert})
	ctx := context.Background()
	s := smtpwire.New(cfg(w, 5*time.Second), addr)
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Banner().Greeting(); got != "mx.example" {
		t.Errorf("greeting host %q", got)
	}
	if err := s.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Extension("STARTTLS"); !ok {
		t.Fatalf("no STARTTLS in %v", s.Extensions())
	}
	st, err := s.StartTLS(ctx, &tls.Config{ServerName: "mx.example", RootCAs: w.CA.Pool()})
	if err != nil {
		t.Fatalf("StartTLS: %v\n%s", err, text(s.Transcript()))
	}
	if st.Version < tls.VersionTLS12 {
		t.Errorf("version %x", st.Version)
	}
	if err := s.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Mail(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Rcpt(ctx, "rcpt", "postmaster@example"); err != nil {
		t.Fatal(err)
	}
	err = s.Rcpt(ctx, "relay", "x@example.net")
	if r := smtpwire.ReplyOf(err); r == nil || r.Code != 554 || r.Enhanced != "5.7.1" {
		t.Errorf("relay probe: %v", err)
	}
	if err := s.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	tr := text(s.Transcript())
	for _, want := range []string{"S: 220 mx.example ESMTP Service Ready", "C: EHLO probe.test", "C: STARTTLS", "*: TLS established", "C: MAIL FROM:<>", "C: QUIT", "S: 221 "} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, "replayed") {
		t.Errorf("synthetic greeting leaked into the transcript:\n%s", tr)
	}
	var names []string
	for _, st := range s.Stages() {
		names = append(names, st.Name)
	}
	if got := strings.Join(names, ","); got != "connect,banner,ehlo,starttls,tls_handshake,ehlo_tls,mail,rcpt,relay,quit" {
		t.Errorf("stages %s", got)
	}
}

func TestSessionTarpitTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addr := start(t, w, mailtest.SMTPOptions{Tarpit: true})
	s := smtpwire.New(cfg(w, 100*time.Millisecond), addr)
	t0 := time.Now()
	err := s.Connect(context.Background())
	if !errors.Is(err, smtpwire.ErrTimeout) {
		t.Fatalf("err = %v, want timeout", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	s.Close()
}

func TestSessionCancel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addr := start(t, w, mailtest.SMTPOptions{Tarpit: true})
	s := smtpwire.New(cfg(w, time.Minute), addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Connect(ctx) }()
	// Cancel once connected: the banner wait must end at once.
	for end := time.Now().Add(5 * time.Second); s.Transcript().Lines() == nil; {
		if time.Now().After(end) {
			t.Fatal("never connected")
		}
		time.Sleep(time.Millisecond) // a bounded poll
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not abort the banner wait")
	}
	s.Close()
}

func TestSessionRejectedGreeting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addr := start(t, w, mailtest.SMTPOptions{Greeting: "554 5.7.1 no service"})
	s := smtpwire.New(cfg(w, 5*time.Second), addr)
	ctx := context.Background()
	err := s.Connect(ctx)
	if r := smtpwire.ReplyOf(err); r == nil || r.Code != 554 {
		t.Fatalf("err = %v", err)
	}
	if err := s.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	if tr := text(s.Transcript()); !strings.Contains(tr, "S: 221") {
		t.Errorf("no QUIT reply:\n%s", tr)
	}
}

func TestSessionRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.Refuse("192.0.2.26:25"); err != nil {
		t.Fatal(err)
	}
	s := smtpwire.New(cfg(w, 5*time.Second), "192.0.2.26:25")
	if err := s.Connect(context.Background()); !errors.Is(err, smtpwire.ErrRefused) {
		t.Fatalf("err = %v", err)
	}
}

func TestTranscriptFilter(t *testing.T) {
	t.Parallel()
	tr := smtpwire.NewTranscript(nil)
	tr.SetFilter(func(d checks.Direction, l string) (string, bool) {
		if strings.HasPrefix(l, "AUTH ") {
			return "AUTH PLAIN ***", true
		}
		return l, true
	})
	tr.Note("x\x01y")
	if got := tr.Lines()[0].Text; got != `x\x01y` {
		t.Errorf("got %q", got)
	}
}

func hostile(t *testing.T, w *mailtest.World, o mailtest.HostileOptions) (*mailtest.HostileServer, string) {
	t.Helper()
	s, err := w.HostileSMTP(o, "192.0.2.66:25")
	if err != nil {
		t.Fatal(err)
	}
	return s, "192.0.2.66:25"
}

// plain fails the test when an error text carries Go error text.
func plain(t *testing.T, err error) {
	t.Helper()
	for _, g := range []string{"smtp:", "textproto", "EOF", "i/o timeout", "context deadline", "dial tcp", "use of closed", "tls:"} {
		if strings.Contains(err.Error(), g) {
			t.Errorf("Go error text %q in %q", g, err.Error())
		}
	}
}

// Every reply the session reads is bounded: a server that streams an
// endless reply to any command fails that command, fast, with a
// reply-too-long error.
func TestSessionBoundsEveryReply(t *testing.T) {
	t.Parallel()
	const flood = "250-mxray-flood-line\r\n"
	for _, verb := range []string{"greeting", "EHLO", "VRFY", "MAIL", "RCPT", "RSET", "QUIT", "STARTTLS"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			o := mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
				"EHLO": {Text: "250-hostile.test\r\n250 STARTTLS\r\n"},
			}}
			if verb == "greeting" {
				o.Greeting = mailtest.HostileReply{Text: "220-hostile.test\r\n", Flood: "220-flood\r\n"}
			} else {
				o.Replies[verb] = mailtest.HostileReply{Flood: flood}
			}
			srv, addr := hostile(t, w, o)
			s := smtpwire.New(cfg(w, 5*time.Second), addr)
			ctx := context.Background()
			t0 := time.Now()
			err := s.Connect(ctx)
			steps := []func() error{
				func() error { return s.Hello(ctx) },
				func() error { return s.Verify(ctx, "vrfy", "postmaster") },
				func() error { return s.Mail(ctx, "") },
				func() error { return s.Rcpt(ctx, "rcpt", "postmaster@example") },
				func() error { return s.Reset(ctx) },
				func() error { return s.Quit(ctx) },
			}
			if verb == "STARTTLS" {
				steps = []func() error{
					func() error { return s.Hello(ctx) },
					func() error { _, err := s.StartTLS(ctx, &tls.Config{InsecureSkipVerify: true}); return err }, //nolint:gosec // never gets that far
				}
			}
			for _, step := range steps {
				if err != nil {
					break
				}
				if err = step(); smtpwire.ReplyOf(err) != nil {
					err = nil // a refusal (VRFY's 252): go on
				}
			}
			took := time.Since(t0)
			s.Close()
			if !errors.Is(err, smtpwire.ErrReplyTooLong) {
				t.Fatalf("err = %v, want a reply-too-long error\n%s", err, text(s.Transcript()))
			}
			plain(t, err)
			if took > 2*time.Second {
				t.Errorf("took %s", took)
			}
			tr := text(s.Transcript())
			if !strings.Contains(tr, "too long") {
				t.Errorf("the transcript does not say why:\n%s", tr)
			}
			t.Logf("%s: %v after %s; the server wrote %d KiB before the client hung up", verb, err, took.Round(time.Millisecond), srv.Written()>>10)
		})
	}
}

// A reply line without its CRLF is never a reply: not at the end of the
// connection, not when the wait runs out.
func TestSessionCutLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     mailtest.HostileOptions
		stage string // "greeting" or "EHLO"
		want  string
		wait  time.Duration // the session's timeouts: 300 ms unless set
	}{
		{name: "greeting cut, then closed", stage: "greeting", o: mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220", Close: true}},
			want: `the greeting was cut off mid-line: "220" and then the server closed the connection`},
		{name: "greeting cut, then silence", stage: "greeting", o: mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.example", Stall: true}},
			want: `the greeting was cut off mid-line: "220 mx.example" and then nothing for 100ms`, wait: 100 * time.Millisecond},
		{name: "EHLO cut, then closed", stage: "EHLO", o: mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"EHLO": {Text: "250-mx\r\n250 PIPE", Close: true}}},
			want: `the reply to EHLO was cut off mid-line: "250 PIPE" and then the server closed the connection`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			_, addr := hostile(t, w, tc.o)
			wait := 300 * time.Millisecond
			if tc.wait != 0 {
				wait = tc.wait
			}
			s := smtpwire.New(cfg(w, wait), addr)
			ctx := context.Background()
			err := s.Connect(ctx)
			if tc.stage == "EHLO" {
				if err != nil {
					t.Fatal(err)
				}
				err = s.Hello(ctx)
			}
			s.Close()
			if !errors.Is(err, smtpwire.ErrCutLine) || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.stage == "greeting" && s.Banner() != nil {
				t.Errorf("the cut line was taken as the greeting: %+v", s.Banner())
			}
			if tr := text(s.Transcript()); !strings.Contains(tr, "(no line end)") {
				t.Errorf("transcript lacks the cut line:\n%s", tr)
			}
		})
	}
}

// --timeout bounds each reply and the connect; the greeting has its own,
// longer bound (greet pauses are deliberate).
func TestSessionWaits(t *testing.T) {
	t.Parallel()
	const cmd, greeting = 150 * time.Millisecond, 400 * time.Millisecond
	tm := smtpwire.Timeouts{Connect: cmd, Greeting: greeting, Command: cmd}
	run := func(t *testing.T, o mailtest.HostileOptions, hello bool) (error, time.Duration) {
		w := newWorld(t)
		_, addr := hostile(t, w, o)
		s := smtpwire.New(smtpwire.Config{Dialer: w.Dialer, HELO: "probe.test", Timeouts: tm}, addr)
		defer s.Close()
		t0 := time.Now()
		err := s.Connect(context.Background())
		if err == nil && hello {
			err = s.Hello(context.Background())
		}
		return err, time.Since(t0)
	}
	// The three waits are independent: they overlap.
	t.Run("greeting slower than --timeout, within the greeting timeout", func(t *testing.T) {
		t.Parallel()
		err, _ := run(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Delay: 2 * cmd, Text: "220 slow.example\r\n"}}, true)
		if err != nil {
			t.Errorf("greeting after %s with a %s greeting timeout: %v", 2*cmd, greeting, err)
		}
	})
	t.Run("greeting slower than the greeting timeout", func(t *testing.T) {
		t.Parallel()
		err, took := run(t, mailtest.HostileOptions{Greeting: mailtest.HostileReply{Delay: 10 * greeting, Text: "220 late\r\n"}}, false)
		if !errors.Is(err, smtpwire.ErrTimeout) || err.Error() != "no greeting within 400ms" {
			t.Errorf("err = %v", err)
		}
		if took < greeting || took > greeting+time.Second {
			t.Errorf("greeting wait took %s, want %s", took, greeting)
		}
	})
	t.Run("EHLO reply slower than --timeout", func(t *testing.T) {
		t.Parallel()
		err, took := run(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"EHLO": {Delay: 10 * greeting, Text: "250 late\r\n"}}}, true)
		if !errors.Is(err, smtpwire.ErrTimeout) || err.Error() != "no reply to EHLO within 150ms" {
			t.Errorf("err = %v", err)
		}
		if took < cmd || took > cmd+time.Second {
			t.Errorf("EHLO wait took %s, want %s", took, cmd)
		}
	})
}
