package smtp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// TestPostfix checks a real Debian Postfix on loopback: one listener with
// STARTTLS and a test-CA certificate, one without TLS.
func TestPostfix(t *testing.T) {
	w := mailtest.New(t, `
$ORIGIN test.
@    IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN pf.test.
@    IN MX 10 mx1
@    IN MX 20 mx2
mx1  IN A 192.0.2.50
mx2  IN A 192.0.2.51
`)
	_ = w.PTR("192.0.2.50", "mx1.pf.test")
	_ = w.PTR("192.0.2.51", "mx2.pf.test")
	cert, err := w.Cert(mailtest.CertValid, "mx1.pf.test")
	if err != nil {
		t.Fatal(err)
	}
	// One listener with STARTTLS, one without (and another hostname).
	pf := mailtest.StartPostfix(t, mailtest.PostfixConfig{
		Hostname: "mx1.pf.test",
		Domain:   "pf.test",
		Cert:     cert,
		Listeners: []mailtest.PostfixListener{
			{},
			{Options: "-o smtpd_tls_security_level=none -o myhostname=mx2.pf.test"},
		},
		Main: []string{"mydestination = pf.test", "local_recipient_maps =", "disable_vrfy_command = yes"},
	})
	w.Dialer.Route("192.0.2.50:25", pf.Addr(0))
	w.Dialer.Route("192.0.2.51:25", pf.Addr(1))

	env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}, tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: "pf.test", HELO: "probe.mxray.test"})
	smtpRes, tlsRes := rep.Results[0], rep.Results[1]

	if got := ids(smtpRes); len(got) != 0 || smtpRes.Err != "" {
		t.Errorf("smtp findings %v (err %q)", got, smtpRes.Err)
	}
	d := smtpRes.Data.(smtp.Data)
	a1 := d.Hosts[0].Addresses[0]
	if a1.Outcome != "completed" || !a1.STARTTLS || a1.TLS == "" || a1.BannerHost != "mx1.pf.test" {
		t.Errorf("mx1: %+v", a1)
	}
	if a1.Relay == nil || a1.Relay.Accepted || a1.Relay.Reply == nil || a1.Relay.Reply.Code < 500 {
		t.Errorf("relay probe: %+v", a1.Relay)
	}
	if a1.Postmaster == nil || !a1.Postmaster.Accepted {
		t.Errorf("postmaster: %+v", a1.Postmaster)
	}
	if a1.VRFY == nil || a1.VRFY.Accepted {
		t.Errorf("VRFY: %+v", a1.VRFY)
	}
	a2 := d.Hosts[1].Addresses[0]
	if a2.Outcome != "completed" || a2.STARTTLS {
		t.Errorf("mx2: %+v", a2)
	}

	want := "tls.starttls-missing:fail"
	if got := strings.Join(ids(tlsRes), ","); got != want {
		t.Errorf("tls findings %s, want %s", got, want)
	}
	td := tlsRes.Data.(tlscheck.Data)
	ta := td.Hosts[0].Addresses[0]
	if !ta.Trusted || !ta.NameMatch || ta.OldProbe != "refused" || ta.Version == "" {
		t.Errorf("mx1 TLS: %+v", ta)
	}
	t.Logf("Postfix mx1: %s %s, handshake %.1f ms; extensions %v", ta.Version, ta.Cipher, ta.HandshakeMs, a1.Extensions)
}
