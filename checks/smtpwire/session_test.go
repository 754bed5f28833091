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
	return smtpwire.Config{Dialer: w.Dialer, HELO: "probe.test", Timeouts: smtpwire.Timeouts{Connect: d, Banner: d, Command: d}}
}

func text(tr *smtpwire.Transcript) string {
	var b strings.Builder
	for _, l := range tr.Lines() {
		b.WriteString(string(l.Dir) + ": " + l.Text + "\n")
	}
	return b.String()
}

func TestSessionSTARTTLS(t *testing.T) {
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
	w := newWorld(t)
	addr := start(t, w, mailtest.SMTPOptions{Tarpit: true})
	s := smtpwire.New(cfg(w, 200*time.Millisecond), addr)
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
	w := newWorld(t)
	addr := start(t, w, mailtest.SMTPOptions{Tarpit: true})
	s := smtpwire.New(cfg(w, time.Minute), addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Connect(ctx) }()
	// Cancel once connected: the banner wait must end at once.
	for s.Transcript().Lines() == nil {
		time.Sleep(time.Millisecond)
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
	w := newWorld(t)
	l, err := w.Listen("192.0.2.26:25")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	s := smtpwire.New(cfg(w, 5*time.Second), "192.0.2.26:25")
	if err := s.Connect(context.Background()); !errors.Is(err, smtpwire.ErrRefused) {
		t.Fatalf("err = %v", err)
	}
}

func TestTranscriptFilter(t *testing.T) {
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
