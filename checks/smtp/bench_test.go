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
// time) against 4 MX hosts on loopback, each with STARTTLS: each check
// alone (the tls check needs the smtp check's sessions, so "tls" runs smtp
// hidden, as --only tls does) and both together, as a full run does.
// Besides the run's wall time it reports each check's own duration
// (smtp-ms, tls-ms) and the TCP connections the servers accepted
// (conns/op).
func BenchmarkCheck(b *testing.B) {
	z := zone + "@ IN MX 20 mx2\n@ IN MX 30 mx3\n@ IN MX 40 mx4\nmx2 IN A 192.0.2.11\nmx3 IN A 192.0.2.12\nmx4 IN A 192.0.2.13\n"
	w := mailtest.New(b, z)
	var servers []*countingListener
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
		servers = append(servers, countedSMTP(b, w, mailtest.SMTPOptions{Hostname: name, Domains: []string{"d.test"}, TLS: cert}, ip+":25"))
	}
	accepted := func() int64 {
		var n int64
		for _, s := range servers {
			n += s.n.Load()
		}
		return n
	}
	for _, bc := range []struct {
		name   string
		checks []checks.Check
	}{
		{"smtp", []checks.Check{smtp.Check{}}},
		{"tls", []checks.Check{tlscheck.Check{}}},
		{"smtp+tls", []checks.Check{smtp.Check{}, tlscheck.Check{}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			durs := map[string]time.Duration{}
			conns0 := accepted()
			for b.Loop() {
				env, _ := w.Env(checks.Options{Timeout: 5 * time.Second})
				r := checks.Runner{Env: env, Checks: bc.checks, Registry: []checks.Check{mx.Check{}, smtp.Check{}}}
				for _, res := range r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results {
					if res.Status != checks.StatusPass {
						b.Fatalf("%s: %s %v", res.ID, res.Status, ids(res))
					}
					durs[res.ID] += res.Duration
				}
				env.DNS.Close()
			}
			for id, d := range durs {
				b.ReportMetric(float64(d.Microseconds())/1000/float64(b.N), id+"-ms")
			}
			b.ReportMetric(float64(accepted()-conns0)/float64(b.N), "conns/op")
		})
	}
}
