package smtp_test

import (
	"context"
	"fmt"
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
	t.Parallel() // each instance has its own loopback address and ports
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

// TestPostfixGreylisting checks the greylisting probe against a real
// Postfix with a greylisting policy service (mailtest.GreylistPolicy, as
// postgrey plugs in), run twice in a row: the second run must still see
// greylisting, which a fixed (client, sender, recipient) triplet would
// have been whitelisted out of by the first run's retry.
//   - mx1: postgrey's words ("Greylisted"), recognised by the reply;
//   - mx2: words that do not say it ("Try again later"), recognised by
//     the retry the policy lets through;
//   - mx3: no greylisting, but the null sender refused at RCPT
//     (smtpd_sender_restrictions under smtpd_delay_reject): the probe
//     says smtp.null-sender-rejected, not that postmaster is refused.
func TestPostfixGreylisting(t *testing.T) {
	t.Parallel()
	mailtest.PostfixBin(t)
	w := mailtest.New(t, `
$ORIGIN test.
@    IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN pf.test.
@    IN MX 10 mx1
@    IN MX 20 mx2
@    IN MX 30 mx3
mx1  IN A 192.0.2.50
mx2  IN A 192.0.2.51
mx3  IN A 192.0.2.52
`)
	for i, h := range []string{"mx1", "mx2", "mx3"} {
		_ = w.PTR(fmt.Sprintf("192.0.2.%d", 50+i), h+".pf.test")
	}
	postgrey := mailtest.StartGreylistPolicy(t, "Greylisted, see http://postgrey.schweikert.ch/help/pf.test.html", 0)
	quiet := mailtest.StartGreylistPolicy(t, "Try again later", 0)
	policy := func(p *mailtest.GreylistPolicy) string {
		return "-o smtpd_recipient_restrictions=reject_unauth_destination,check_policy_service,inet:" + p.Addr
	}
	pf := mailtest.StartPostfix(t, mailtest.PostfixConfig{
		Hostname: "mx1.pf.test",
		Domain:   "pf.test",
		Listeners: []mailtest.PostfixListener{
			{Options: policy(postgrey)},
			{Options: policy(quiet) + " -o myhostname=mx2.pf.test"},
			{Options: "-o smtpd_sender_restrictions=check_sender_access,inline:{<>=REJECT} -o myhostname=mx3.pf.test"},
		},
		Main: []string{"mydestination = pf.test", "local_recipient_maps =", "disable_vrfy_command = yes"},
	})
	for i := range 3 {
		w.Dialer.Route(fmt.Sprintf("192.0.2.%d:25", 50+i), pf.Addr(i))
	}
	for run := 1; run <= 2; run++ {
		env, err := w.Env(checks.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
		res := r.Run(context.Background(), checks.Target{Domain: "pf.test", HELO: "probe.mxray.test"}).Results[0]
		env.DNS.Close()
		want := "smtp.greylisted:info,smtp.greylisted:info,smtp.null-sender-rejected:warn"
		if got := strings.Join(ids(res), ","); got != want || res.Err != "" {
			t.Fatalf("run %d: findings %s (error %q), want %s\n%s\n%s", run, got, res.Err, want, dump(t, res), pf.ReadLog())
		}
		d := res.Data.(smtp.Data)
		for i, why := range []string{smtp.GreyReply, smtp.GreyRetry, ""} {
			a := d.Hosts[i].Addresses[0]
			got := ""
			for _, df := range a.Deferrals {
				if df.Greylisting != "" {
					got = df.Greylisting
					break
				}
			}
			if got != why {
				t.Errorf("run %d, %s: greylisting %q, want %q: %+v", run, d.Hosts[i].Name, got, why, a.Deferrals)
			}
		}
		a3 := d.Hosts[2].Addresses[0]
		if a3.NullSender == nil || !a3.NullSender.Accepted || a3.Postmaster.Accepted || a3.PostmasterNewSender == nil || !a3.PostmasterNewSender.Accepted {
			t.Errorf("run %d, mx3: null sender %+v, postmaster %+v, from the new sender %+v", run, a3.NullSender, a3.Postmaster, a3.PostmasterNewSender)
		}
		for _, f := range res.Findings {
			t.Logf("run %d: %s %s", run, f.ID, f.Message)
		}
	}
	if postgrey.Deferred() < 2 || quiet.Deferred() < 2 {
		t.Errorf("deferred %d and %d times", postgrey.Deferred(), quiet.Deferred())
	}
}
