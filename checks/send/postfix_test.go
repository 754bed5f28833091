package send_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
)

// TestPostfixDelivery sends through real Debian Postfix: direct to the MX
// of pf.test (found through the fake world's DNS, connected on port 25 of
// a 127.0.0.x address), STARTTLS with a certificate from the world's CA,
// DKIM-signed; the message lands in a Maildir with the signature intact.
func TestPostfixDelivery(t *testing.T) {
	t.Parallel() // a private instance on its own loopback address and ports
	w := newWorld(t)
	cert, err := w.Cert(mailtest.CertValid, "mx.pf.test", "smtp.pf.test")
	if err != nil {
		t.Fatal(err)
	}
	sasl := fakeDovecot(t, map[string]string{"me@pf.test": sendPassword})
	// The MX of pf.test on port 25 of a 127.0.0.x address, with STARTTLS,
	// delivering you@pf.test to a Maildir; and on port 587 a submission
	// service (TLS required, then SASL through the Dovecot auth protocol
	// server at sasl).
	pf := mailtest.StartPostfix(t, mailtest.PostfixConfig{
		Hostname: "mx.pf.test",
		Domain:   "pf.test",
		Cert:     cert,
		Listeners: []mailtest.PostfixListener{
			// Port 25 refuses an EHLO name that is not fully qualified,
			// as many MX hosts do.
			{Port: 25, Options: "-o smtpd_helo_required=yes -o smtpd_helo_restrictions=reject_invalid_helo_hostname,reject_non_fqdn_helo_hostname"},
			{Port: 587, Options: "-o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes" +
				" -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=inet:" + sasl +
				" -o smtpd_relay_restrictions=permit_sasl_authenticated,reject -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject"},
			// Port 465 as Debian's master.cf has it: implicit TLS, and
			// the client restrictions refuse whoever did not log in
			// ("Client host rejected", which reads like a PTR problem).
			{Port: 465, Options: "-o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=inet:" + sasl +
				" -o smtpd_client_restrictions=permit_sasl_authenticated,reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"},
		},
		Main:    []string{"mydestination ="},
		Mailbox: "you@pf.test",
	})
	if err := w.DNS.AddZone(fmt.Sprintf("$ORIGIN pf.test.\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ MX 10 mx\nmx A %[1]s\nsmtp A %[1]s\n", pf.IP)); err != nil {
		t.Fatal(err)
	}
	env, err := w.Env(checks.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	env.Dialer = &net.Dialer{} // the real network stack, to 127.0.0.x:25

	k := rsaKey(t)
	w.publish(t, "pf", k)

	// An unknown recipient is rejected at RCPT with Postfix's codes.
	tr := run(t, env, send.Options{From: "me@sender.test", To: []string{"nobody@pf.test"}})
	if r := tr.Rejection; tr.Result != send.ResultRejected || r == nil || r.Stage != "rcpt" || r.Code != 550 || r.Enhanced != "5.1.1" {
		t.Fatalf("unknown user: %s %+v\n%s", tr.Result, r, dump(tr))
	}

	tr = run(t, env, send.Options{From: "me@sender.test", To: []string{"you@pf.test"}, EML: []byte(eml),
		DKIM: &send.DKIMOptions{Selector: "pf", Key: k}})
	if tr.Result != send.ResultDelivered || tr.QueueID == "" {
		t.Fatalf("%s (queue id %q): %s\n%s", tr.Result, tr.QueueID, tr.Error, dump(tr))
	}
	ts := find(tr, "tls")
	if len(ts) != 1 || !ts[0].TLS.Verified {
		t.Errorf("STARTTLS with Postfix: %+v", ts)
	}
	got := pf.WaitDelivered(t)
	// The Maildir holds LF line endings, Postfix's own header fields on
	// top (Return-Path, Delivered-To, Received), then our message.
	want := bytes.ReplaceAll(send.CRLF([]byte(eml)), []byte("\r\n"), []byte("\n"))
	if !bytes.HasSuffix(got, want) || !bytes.Contains(got, []byte("\nDKIM-Signature: ")) {
		t.Fatalf("delivered:\n%s\nwant it to end with:\n%s", got, want)
	}
	if !bytes.Contains(got, []byte(tr.QueueID)) {
		t.Errorf("the Received field does not name queue id %s", tr.QueueID)
	}
	vs := w.verifyAtReceiver(t, bytes.ReplaceAll(got, []byte("\n"), []byte("\r\n")))
	if len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM at the receiver: %+v", vs)
	}
	t.Logf("delivered through Postfix at %s:25, queue id %s, %d steps in %d ms", pf.IP, tr.QueueID, len(tr.Steps), tr.DurationMs)

	// Without --helo or a machine FQDN the EHLO name is the address
	// literal, which Postfix accepts; a bare host name (mxray's former
	// default, os.Hostname) it refuses.
	o := send.Options{From: "me@sender.test", To: []string{"you@pf.test"}}
	tr = send.Send(context.Background(), env, o)
	if tr.Result != send.ResultDelivered || tr.EHLONameSource != send.EHLOFromAddress || !strings.HasPrefix(tr.EHLOName, "[127.") {
		t.Errorf("address literal: %s with EHLO %q (%s): %s\n%s", tr.Result, tr.EHLOName, tr.EHLONameSource, tr.Error, dump(tr))
	}
	t.Logf("EHLO %s (server at %s): %s", tr.EHLOName, pf.IP, tr.Result)
	o.HELO = "vm"
	tr = send.Send(context.Background(), env, o)
	if r := tr.Rejection; r == nil || r.Code != 504 || !strings.Contains(r.Text, "fully-qualified") {
		t.Errorf("bare EHLO name: %s %+v", tr.Result, r)
	}

	// Submission on port 587: STARTTLS (required: 587), then SASL through
	// Postfix's Dovecot client, PLAIN and LOGIN, then delivery.
	secrets := []string{sendPassword, base64.StdEncoding.EncodeToString([]byte(sendPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00me@pf.test\x00" + sendPassword))}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		tr := run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587",
			AuthUser: "me@pf.test", Password: sendPassword, AuthMech: mech})
		if tr.Result != send.ResultDelivered || tr.QueueID == "" {
			t.Fatalf("%s: %s: %s\n%s", mech, tr.Result, tr.Error, dump(tr))
		}
		a := find(tr, "auth")
		if len(a) != 1 || a[0].Reply == nil || a[0].Reply.Code != 235 {
			t.Errorf("%s: auth step %+v", mech, a)
		}
		out, _ := json.Marshal(tr)
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Fatalf("%s: the trace contains %q", mech, s)
			}
		}
	}
	// A wrong password: 535, then QUIT (221), never "*" (Postfix would
	// answer it 502 as an unknown command).
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		tr = run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587",
			AuthUser: "me@pf.test", Password: "wrong", AuthMech: mech})
		if r := tr.Rejection; r == nil || r.Stage != "auth" || r.Code != 535 {
			t.Fatalf("wrong password, %s: %s %+v", mech, tr.Result, r)
		}
		a := find(tr, "auth")[0]
		q := find(tr, "quit")
		if slices.Contains(a.Client, "*") || len(q) != 1 || q[0].Reply == nil || q[0].Reply.Code != 221 || tr.Steps[len(tr.Steps)-1].Step != "quit" {
			t.Errorf("wrong password, %s: auth %q, then %+v", mech, a.Client, q)
		}
	}
	// Without AUTH, Postfix refuses the recipient on the submission ports:
	// the explanation is the missing AUTH.
	for _, o := range []send.Options{
		{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test:587"},
		{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test", TLS: send.TLSImplicit}, // 465
	} {
		tr = run(t, env, o)
		r := tr.Rejection
		if r == nil || r.Stage != "rcpt" || r.Code != 554 || !strings.Contains(r.Explanation, "submission port") || strings.Contains(r.Explanation, "PTR") {
			t.Errorf("unauthenticated via %s: %s %+v", tr.Server, tr.Result, r)
		}
		t.Logf("unauthenticated via %s: %d %s %s", tr.Server, r.Code, r.Enhanced, r.Text)
	}
	if tr.Server != "smtp.pf.test:465" || tr.Encryption != send.EncryptionVerified {
		t.Errorf("--tls without a port: %s, %s", tr.Server, tr.Encryption)
	}
	// With AUTH, port 465 delivers.
	tr = run(t, env, send.Options{From: "me@pf.test", To: []string{"you@pf.test"}, Server: "smtp.pf.test", TLS: send.TLSImplicit,
		AuthUser: "me@pf.test", Password: sendPassword})
	if tr.Result != send.ResultDelivered {
		t.Errorf("465 with AUTH: %s: %s\n%s", tr.Result, tr.Error, dump(tr))
	}
}

const sendPassword = "pf-Pässw0rd"

// fakeDovecot: Postfix's
// smtpd_sasl_type=dovecot speaks Dovecot's line-based auth protocol
// (https://doc.dovecot.org/developer_manual/design/auth_protocol/); this
// is a minimal server of it for PLAIN and LOGIN, so the test needs no
// Dovecot or Cyrus set-up.
func fakeDovecot(t *testing.T, users map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveDovecotAuth(c, users)
		}
	}()
	return l.Addr().String()
}

func serveDovecotAuth(c net.Conn, users map[string]string) {
	defer c.Close()
	fmt.Fprintf(c, "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t%d\nCUID\t1\nCOOKIE\t%032x\nDONE\n", os.Getpid(), 1)
	type req struct {
		mech string
		user string
		step int
	}
	reqs := map[string]*req{}
	b64 := base64.StdEncoding
	finish := func(id, user, pass string) {
		if want, ok := users[user]; ok && want == pass {
			fmt.Fprintf(c, "OK\t%s\tuser=%s\n", id, user)
		} else {
			fmt.Fprintf(c, "FAIL\t%s\tuser=%s\n", id, user)
		}
		delete(reqs, id)
	}
	// step feeds one client response (nil: none yet) to a request.
	step := func(id string, r *req, resp []byte) {
		switch r.mech {
		case "PLAIN":
			if resp == nil {
				fmt.Fprintf(c, "CONT\t%s\t\n", id)
				return
			}
			p := strings.SplitN(string(resp), "\x00", 3)
			if len(p) != 3 {
				fmt.Fprintf(c, "FAIL\t%s\n", id)
				return
			}
			finish(id, p[1], p[2])
		case "LOGIN":
			switch {
			case r.step == 0 && resp == nil:
				r.step = 1
				fmt.Fprintf(c, "CONT\t%s\t%s\n", id, b64.EncodeToString([]byte("Username:")))
			case r.step <= 1:
				r.user, r.step = string(resp), 2
				fmt.Fprintf(c, "CONT\t%s\t%s\n", id, b64.EncodeToString([]byte("Password:")))
			default:
				finish(id, r.user, string(resp))
			}
		default:
			fmt.Fprintf(c, "FAIL\t%s\n", id)
		}
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case f[0] == "AUTH" && len(f) >= 3:
			r := &req{mech: strings.ToUpper(f[2])}
			reqs[f[1]] = r
			var resp []byte
			for _, p := range f[3:] {
				if v, ok := strings.CutPrefix(p, "resp="); ok {
					resp, _ = b64.DecodeString(v)
					if resp == nil {
						resp = []byte{}
					}
				}
			}
			step(f[1], r, resp)
		case f[0] == "CONT" && len(f) >= 3:
			if r := reqs[f[1]]; r != nil {
				resp, _ := b64.DecodeString(f[2])
				if resp == nil {
					resp = []byte{}
				}
				step(f[1], r, resp)
			}
		}
	}
}
