package mailtest_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/mxray/mxray/checks/mailtest"
)

func dial(t *testing.T, w *mailtest.World, addr string) *gosmtp.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := w.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cl := gosmtp.NewClient(c)
	cl.CommandTimeout = 5 * time.Second
	t.Cleanup(func() { cl.Close() })
	return cl
}

// The mailbox keeps exactly the bytes received, and AUTH lets an
// authenticated client send anywhere (the submission case).
func TestMailboxRecordsBytes(t *testing.T) {
	w := mailtest.New(t, "")
	mb := mailtest.NewMailbox()
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.test", Domains: []string{"test"}, Users: map[string]string{"u": "p"}, InsecureAuth: true, Mailbox: mb}, "192.0.2.40:25"); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, w, "192.0.2.40:25")
	if err := cl.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	msg := "Subject: x\r\n\r\n.leading dot\r\ntrailing space \r\n\xff binary\r\n"
	changed := mb.Changed()
	if err := cl.SendMail("a@test", []string{"b@elsewhere.example"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	<-changed
	got := mb.Messages()
	if len(got) != 1 || !bytes.Equal(got[0].Data, []byte(msg)) || got[0].User != "u" || got[0].To[0] != "b@elsewhere.example" {
		t.Fatalf("got %+v", got)
	}
}

func TestBannerDelayAndGreylist(t *testing.T) {
	w := mailtest.New(t, "")
	if _, err := w.SMTP(mailtest.SMTPOptions{Domains: []string{"test"}, Greylist: true, BannerDelay: 100 * time.Millisecond}, "192.0.2.41:25"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cl := dial(t, w, "192.0.2.41:25")
	if err := cl.Hello("c.test"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 100*time.Millisecond {
		t.Errorf("greeting after %s", d)
	}
	if err := cl.Mail("a@x.test", nil); err != nil {
		t.Fatal(err)
	}
	err := cl.Rcpt("postmaster@test", nil)
	if se, ok := err.(*gosmtp.SMTPError); !ok || se.Code != 450 {
		t.Fatalf("first RCPT: %v", err)
	}
	if err := cl.Rcpt("postmaster@test", nil); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestTarpitClosesWithWorld(t *testing.T) {
	w, err := mailtest.NewWorld("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.42:25"); err != nil {
		t.Fatal(err)
	}
	c, err := w.Dialer.DialContext(context.Background(), "tcp", "192.0.2.42:25")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("tarpit connection survived the world")
	}
}
