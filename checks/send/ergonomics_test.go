package send_test

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
)

func TestServerAddress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		mode send.TLSMode
		host string
		port int
	}{
		{"smtp.example.com", send.TLSAuto, "smtp.example.com", 25},
		{"smtp.example.com", send.TLSNone, "smtp.example.com", 25},
		{"smtp.example.com", send.TLSStartTLS, "smtp.example.com", 587},
		{"smtp.example.com", send.TLSImplicit, "smtp.example.com", 465},
		{"smtp.example.com:2525", send.TLSImplicit, "smtp.example.com", 2525},
		{"192.0.2.7", send.TLSStartTLS, "192.0.2.7", 587},
		{"2001:db8::7", send.TLSImplicit, "2001:db8::7", 465},
		{"[2001:db8::7]", send.TLSAuto, "2001:db8::7", 25},
		{"[2001:db8::7]:26", send.TLSAuto, "2001:db8::7", 26},
	}
	for _, c := range cases {
		h, p, err := send.ServerAddress(c.in, c.mode)
		if err != nil || h != c.host || p != c.port {
			t.Errorf("ServerAddress(%q, %q) = %q, %d, %v; want %q, %d", c.in, c.mode, h, p, err, c.host, c.port)
		}
	}
	for _, bad := range []string{"", ":25", "smtp.example.com:", "smtp.example.com:0", "[smtp.example.com]", "a:b:c", "smtp..example.com", "fe80::1%eth0"} {
		if h, p, err := send.ServerAddress(bad, send.TLSAuto); err == nil {
			t.Errorf("ServerAddress(%q) = %q, %d; want an error", bad, h, p)
		}
	}
}

// --server HOST without a port: 587 with --starttls, 465 with --tls, 25
// otherwise (there in clear text when the server offers no STARTTLS).
func TestServerWithoutPort(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	users := map[string]string{"me": "pw"}
	w.submission(t, false, "192.0.2.25:587", users)
	w.submission(t, true, "192.0.2.25:465", users)
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "smtp.test", Domains: []string{"rcpt.test"}, Mailbox: w.box}, "192.0.2.25:25"); err != nil {
		t.Fatal(err)
	}
	env := w.env(t, 5*time.Second)
	for _, c := range []struct {
		mode send.TLSMode
		port string
		enc  send.Encryption
	}{
		{send.TLSStartTLS, "587", send.EncryptionVerified},
		{send.TLSImplicit, "465", send.EncryptionVerified},
		{send.TLSAuto, "25", send.EncryptionNone},
	} {
		o := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test", TLS: c.mode}
		if c.port != "25" {
			o.AuthUser, o.Password = "me", "pw"
		}
		tr := run(t, env, o)
		if tr.Result != send.ResultDelivered || tr.Server != "smtp.test:"+c.port || tr.Encryption != c.enc {
			t.Errorf("--server smtp.test, TLS %q: %s via %s (%s): %s\n%s", c.mode, tr.Result, tr.Server, tr.Encryption, tr.Error, dump(tr))
			continue
		}
		if cs := find(tr, "connect"); len(cs) != 1 || cs[0].Host != "192.0.2.25:"+c.port {
			t.Errorf("TLS %q: connects %+v", c.mode, cs)
		}
	}
}

// sniServer is an implicit-TLS SMTP peer at route that records the SNI of
// each handshake.
func sniServer(t *testing.T, w *world, route string) func() []string {
	t.Helper()
	cert, err := w.Cert(mailtest.CertValid, "smtp.test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.Listen(route)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var names []string
	cfg := &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			names = append(names, h.ServerName)
			mu.Unlock()
			return nil, nil
		}}
	s := mailtest.ServeHostileSMTP(tls.NewListener(l, cfg), mailtest.HostileOptions{})
	t.Cleanup(s.Close)
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(names)
	}
}

// --tls-name NAME: a server given by address is verified against NAME,
// which is also the SNI sent.
func TestTLSName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "pw"})
	env := w.env(t, 5*time.Second)
	o := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "192.0.2.25", TLS: send.TLSStartTLS, AuthUser: "me", Password: "pw"}
	tr := run(t, env, o)
	if tr.Result != send.ResultRefused || tr.Stage != "tls" || !strings.Contains(tr.Error, "192.0.2.25") {
		t.Fatalf("by address, no --tls-name: %s at %s: %s", tr.Result, tr.Stage, tr.Error)
	}
	o.TLSName = "SMTP.test."
	tr = run(t, env, o)
	if tr.Result != send.ResultDelivered || tr.Encryption != send.EncryptionVerified {
		t.Fatalf("--tls-name: %s: %s\n%s", tr.Result, tr.Error, dump(tr))
	}
	ts := find(tr, "tls")
	if len(ts) != 1 || ts[0].TLS.ServerName != "smtp.test" || !ts[0].TLS.Verified || !containsLine(ts[0].Info, "certificate verified for smtp.test") {
		t.Errorf("tls step %+v", ts)
	}

	// The SNI, seen by the server.
	names := sniServer(t, w, "192.0.2.26:465")
	o = send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "192.0.2.26", TLS: send.TLSImplicit, QuitAfter: "ehlo"}
	if tr := run(t, env, o); tr.Result != send.ResultRefused {
		t.Errorf("by address without --tls-name: %s: %s", tr.Result, tr.Error)
	}
	o.TLSName = "smtp.test"
	if tr := run(t, env, o); tr.Result != send.ResultStopped || tr.Encryption != send.EncryptionVerified {
		t.Errorf("implicit TLS with --tls-name: %s: %s", tr.Result, tr.Error)
	}
	if got := names(); !slices.Equal(got, []string{"", "smtp.test"}) {
		t.Errorf("SNI seen by the server: %q, want none for the address, then smtp.test", got)
	}
}

// A 554 or 530 at MAIL or RCPT from a submission port, without
// --auth-user, is about the missing authentication, whatever the reply
// text says about the client host.
func TestSubmissionPortWithoutAuth(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "pw"})
	env := w.env(t, 5*time.Second)
	tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test:587"})
	r := tr.Rejection
	if r == nil || r.Stage != "mail" || r.Code != 530 || !strings.Contains(r.Explanation, "submission port") || !strings.Contains(r.Explanation, "--auth-user") {
		t.Fatalf("530 at MAIL on 587: %s %+v", tr.Result, r)
	}

	// Postfix's words when smtpd_client_restrictions reject: they would
	// read as a reverse DNS problem.
	const clientRejected = "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied\r\n"
	for _, port := range []string{"465", "587", "25"} {
		w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"RCPT": {Text: clientRejected}}}, "192.0.2.27:"+port)
		tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "192.0.2.27:" + port, TLS: send.TLSNone})
		r := tr.Rejection
		if r == nil || r.Stage != "rcpt" || r.Code != 554 {
			t.Fatalf("port %s: %s %+v", port, tr.Result, r)
		}
		sub := strings.Contains(r.Explanation, "submission port") && strings.Contains(r.Explanation, "--auth-user") && !strings.Contains(r.Explanation, "PTR")
		if sub != (port != "25") {
			t.Errorf("port %s: explanation %q", port, r.Explanation)
		}
	}

	// A submission port that wants TLS first says so, and so does mxray.
	w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"MAIL": {Text: "530 5.7.0 Must issue a STARTTLS command first\r\n"}}}, "192.0.2.31:587")
	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "192.0.2.31:587", TLS: send.TLSNone})
	if r := tr.Rejection; r == nil || r.Code != 530 || !strings.Contains(r.Explanation, "requires TLS first") {
		t.Errorf("530 STARTTLS first: %s %+v", tr.Result, r)
	}
}

// Direct delivery tries the next MX after a temporary failure, as an MTA
// would; when every MX defers, the send is rejected temporarily and names
// each attempt.
func TestDirectDeliveryTriesNextMXOnTemporaryFailure(t *testing.T) {
	t.Parallel()
	for _, first := range []string{"greylisting", "451 at MAIL"} {
		t.Run(first, func(t *testing.T) {
			w := newWorld(t)
			if first == "greylisting" {
				w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "dead.fallback.test", Greylist: true}, "192.0.2.20:25")
			} else {
				w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"MAIL": {Text: "451 4.3.0 Try again later\r\n"}}}, "192.0.2.20:25")
			}
			w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test"}, "192.0.2.21:25")
			tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
			if tr.Result != send.ResultDelivered || tr.Server != "live.fallback.test:25" {
				t.Fatalf("%s via %s: %s\n%s", tr.Result, tr.Server, tr.Error, dump(tr))
			}
			cs := find(tr, "connect")
			if len(cs) != 2 || cs[0].Host != "192.0.2.20:25" || cs[1].Host != "192.0.2.21:25" {
				t.Errorf("connects %+v", cs)
			}
			// The deferring server got a QUIT before the next one was tried.
			i := slices.IndexFunc(tr.Steps, func(s send.Step) bool { return s.Reply != nil && s.Reply.Code/100 == 4 })
			if i < 0 || tr.Steps[i+1].Step != "quit" || tr.Steps[i+1].Host != "192.0.2.20:25" {
				t.Errorf("steps %v", steps(tr))
			}
			if len(w.box.Messages()) != 1 {
				t.Errorf("%d messages", len(w.box.Messages()))
			}
		})
	}
	t.Run("every MX defers", func(t *testing.T) {
		w := newWorld(t)
		// Two servers: one would take the retry of the triplet it deferred.
		w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "dead.fallback.test", Greylist: true}, "192.0.2.20:25")
		w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test", Greylist: true}, "192.0.2.21:25")
		tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
		r := tr.Rejection
		if tr.Result != send.ResultRejected || r == nil || !r.Temporary || !strings.Contains(r.Explanation, "Greylisting") {
			t.Fatalf("%s %+v", tr.Result, r)
		}
		if !strings.HasPrefix(tr.Error, "no server took the message: ") || !strings.Contains(tr.Error, "dead.fallback.test") || !strings.Contains(tr.Error, "live.fallback.test") {
			t.Errorf("error %q", tr.Error)
		}
		plainTrace(t, tr)
	})
	t.Run("a permanent refusal is final", func(t *testing.T) {
		w := newWorld(t)
		w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{"RCPT": {Text: "550 5.1.1 No such user\r\n"}}}, "192.0.2.20:25")
		w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test"}, "192.0.2.21:25")
		tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}})
		if tr.Result != send.ResultRejected || len(find(tr, "connect")) != 1 || len(w.box.Messages()) != 0 {
			t.Errorf("%s after %d connects: %s", tr.Result, len(find(tr, "connect")), tr.Error)
		}
	})
	t.Run("through --server a 4xx is final", func(t *testing.T) {
		w := newWorld(t)
		w.mx(t, mailtest.CertValid, mailtest.SMTPOptions{Hostname: "live.fallback.test", Greylist: true}, "192.0.2.20:25", "192.0.2.21:25")
		tr := run(t, w.env(t, 5*time.Second), send.Options{From: "me@sender.test", To: []string{"you@fallback.test"}, Server: "live.fallback.test:25"})
		if tr.Result != send.ResultRejected || len(find(tr, "connect")) != 1 {
			t.Errorf("%s after %d connects: %s", tr.Result, len(find(tr, "connect")), tr.Error)
		}
	})
}

// Without --helo, the EHLO name is the machine's FQDN, or else the
// address literal of the connection's local address; never a bare name.
func TestEHLOName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := w.hostile(t, mailtest.HostileOptions{})
	env := w.env(t, 5*time.Second)
	for _, c := range []struct {
		helo, fqdn, want string
		source           send.EHLONameSource
	}{
		{"", "", "[127.0.0.1]", send.EHLOFromAddress},
		{"", "mta.sender.test", "mta.sender.test", send.EHLOFromFQDN},
		{"client.sender.test", "mta.sender.test", "client.sender.test", send.EHLOFromOption},
	} {
		o := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, HELO: c.helo, FQDN: c.fqdn, QuitAfter: "ehlo"}
		if err := send.Validate(o); err != nil {
			t.Fatal(err)
		}
		tr := send.Send(context.Background(), env, o)
		cmds := srv.Commands()
		if tr.Result != send.ResultStopped || len(cmds) < 2 || cmds[len(cmds)-2] != "EHLO "+c.want {
			t.Fatalf("%+v: %s, commands %q", c, tr.Result, cmds)
		}
		if tr.EHLOName != c.want || tr.EHLONameSource != c.source {
			t.Errorf("%+v: trace says %q from %q", c, tr.EHLOName, tr.EHLONameSource)
		}
		e := find(tr, "ehlo")
		if len(e) != 1 || !containsLine(e[0].Info, "EHLO name "+c.want) {
			t.Errorf("%+v: ehlo step %+v", c, e)
		}
		if c.source == send.EHLOFromAddress && !containsLine(e[0].Info, "RFC 5321 §4.1.4") {
			t.Errorf("the trace does not say why: %q", e[0].Info)
		}
	}
}

func TestIsFQDN(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"mail.example.com": true, "mail.example.com.": true, "MX1.Example.Net": true, "a.b": true,
		"host": false, "localhost": false, "localhost.localdomain": false, "box.localdomain": false,
		"box.local": false, "nas.lan": false, "pc.home.arpa": false, "10.0.0.1": false, "-a.example.com": false,
		"a..example.com": false, "a b.example.com": false, "a_b.example.com": false, "": false,
	} {
		if got := send.IsFQDN(name); got != want {
			t.Errorf("IsFQDN(%q) = %v", name, got)
		}
	}
}

func TestAddressLiteral(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1:25":         "[192.0.2.1]",
		"[::ffff:192.0.2.1]:9": "[192.0.2.1]",
		"[2001:db8::1]:25":     "[IPv6:2001:db8::1]",
		"[fe80::1%eth0]:25":    "[IPv6:fe80::1]",
	} {
		a, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := send.AddressLiteral(a); got != want {
			t.Errorf("AddressLiteral(%s) = %q, want %q", in, got, want)
		}
	}
	if got := send.AddressLiteral(nil); got != "" {
		t.Errorf("nil: %q", got)
	}
}

// After a 535 the client says QUIT: "*" is only an answer to a 334
// challenge (RFC 4954 §4), and then it is sent.
func TestAuthFailureThenQuit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.submission(t, false, "192.0.2.25:587", map[string]string{"me": "right"})
	env := w.env(t, 5*time.Second)
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "smtp.test:587", AuthUser: "me", Password: "wrong", AuthMech: mech})
		if r := tr.Rejection; r == nil || r.Stage != "auth" || r.Code != 535 {
			t.Fatalf("%s: %s %+v", mech, tr.Result, r)
		}
		i := slices.IndexFunc(tr.Steps, func(s send.Step) bool { return s.Step == "auth" })
		a := tr.Steps[i]
		if slices.Contains(a.Client, "*") || len(a.Server) == 0 || !strings.HasPrefix(a.Server[len(a.Server)-1], "535") {
			t.Errorf("%s: auth step client %q server %q", mech, a.Client, a.Server)
		}
		if q := tr.Steps[i+1]; q.Step != "quit" || !slices.Equal(q.Client, []string{"QUIT"}) || q.Reply == nil || q.Reply.Code != 221 {
			t.Errorf("%s: after the 535: %+v", mech, q)
		}
	}

	// On the wire, seen by the server.
	ehlo := mailtest.HostileReply{Text: "250-smtp.test\r\n250 AUTH PLAIN LOGIN\r\n"}
	srv := w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
		"EHLO": ehlo, "AUTH": {Text: "535 5.7.8 Authentication credentials invalid\r\n"}}}, "192.0.2.28:25")
	o := send.Options{From: "me@sender.test", To: []string{"you@rcpt.test"}, Server: "192.0.2.28:25", AuthUser: "me", Password: "wrong", AllowPlaintextAuth: true}
	tr := run(t, env, o)
	cmds := srv.Commands()
	if tr.Rejection == nil || tr.Rejection.Code != 535 || len(cmds) != 3 || !strings.HasPrefix(cmds[1], "AUTH PLAIN ") || cmds[2] != "QUIT" {
		t.Errorf("%s %+v; the server saw %q", tr.Result, tr.Rejection, cmds)
	}

	// A challenge the client cannot answer is cancelled with "*".
	srv = w.hostile(t, mailtest.HostileOptions{Replies: map[string]mailtest.HostileReply{
		"EHLO": ehlo, "AUTH": {Text: "334 %%% not base64\r\n"}, "*": {Text: "501 5.7.0 Authentication cancelled\r\n"}}}, "192.0.2.29:25")
	o.Server = "192.0.2.29:25"
	tr = run(t, env, o)
	cmds = srv.Commands()
	if tr.Rejection == nil || tr.Rejection.Code != 501 || len(cmds) != 4 || cmds[2] != "*" || cmds[3] != "QUIT" {
		t.Errorf("%s %+v; the server saw %q", tr.Result, tr.Rejection, cmds)
	}
	if a := find(tr, "auth"); len(a) != 1 || !slices.Equal(a[0].Client, []string{"AUTH PLAIN ***", "*"}) {
		t.Errorf("auth step %+v", a)
	}
	plainTrace(t, tr)
}
