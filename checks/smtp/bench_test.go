package smtp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// BenchmarkCheck runs the smtp and tls checks (with a fresh DNS cache each
// time) against 4 MX hosts on loopback, each with STARTTLS.
func BenchmarkCheck(b *testing.B) {
	z := zone + "@ IN MX 20 mx2\n@ IN MX 30 mx3\n@ IN MX 40 mx4\nmx2 IN A 192.0.2.11\nmx3 IN A 192.0.2.12\nmx4 IN A 192.0.2.13\n"
	w := mailtest.New(b, z)
	for i := 10; i <= 13; i++ {
		name := fmt.Sprintf("mx%d.d.test", i-9)
		if i == 10 {
			name = "mx.d.test"
		}
		cert, err := w.Cert(mailtest.CertValid, name)
		if err != nil {
			b.Fatal(err)
		}
		ip := fmt.Sprintf("192.0.2.%d", i)
		_ = w.PTR(ip, name)
		if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: name, Domains: []string{"d.test"}, TLS: cert}, ip+":25"); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []checks.Check{smtp.Check{}, tlscheck.Check{}} {
		b.Run(c.ID(), func(b *testing.B) {
			for b.Loop() {
				env, _ := w.Env(checks.Options{Timeout: 5 * time.Second})
				r := checks.Runner{Env: env, Checks: []checks.Check{c}, Registry: []checks.Check{mx.Check{}}}
				res := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
				if res.Status != checks.StatusPass {
					b.Fatalf("%s: %s %v", c.ID(), res.Status, ids(res))
				}
			}
		})
	}
}
