package smtp_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// countingListener counts the connections a fake server accepted.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// countedSMTP starts a go-smtp fake server on addr (e.g. "192.0.2.10:25")
// whose accepted connections are counted.
func countedSMTP(tb testing.TB, w *mailtest.World, o mailtest.SMTPOptions, addr string) *countingListener {
	tb.Helper()
	l, err := w.Listen(addr)
	if err != nil {
		tb.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	srv, err := mailtest.ServeSMTP(cl, o)
	if err != nil {
		tb.Fatal(err)
	}
	w.OnClose(srv.Close)
	return cl
}

// TestConnectionsPerAddress counts the TCP connections the smtp and tls
// checks open to one MX address. The tls check reads the STARTTLS
// handshake of the smtp check's session (smtp.FactKey) instead of opening
// its own: one connection for both, plus the separate TLS 1.0/1.1 probe.
// Before the shared session it was three (smtp's, tls's, the probe).
func TestConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	type run struct {
		name   string
		checks []checks.Check
		want   int64
	}
	tests := []struct {
		name    string
		noTLS   bool
		badTLS  bool   // STARTTLS offered, the handshake fails
		tlsWant string // the tls check's findings
		runs    []run
	}{
		{name: "STARTTLS", runs: []run{
			{"smtp and tls", []checks.Check{smtp.Check{}, tlscheck.Check{}}, 2}, // was 3
			{"smtp alone", []checks.Check{smtp.Check{}}, 1},
			{"tls alone (smtp runs hidden)", []checks.Check{tlscheck.Check{}}, 2},
		}},
		{name: "no STARTTLS", noTLS: true, tlsWant: "tls.starttls-missing:fail", runs: []run{
			{"smtp and tls", []checks.Check{smtp.Check{}, tlscheck.Check{}}, 1}, // was 2
			{"tls alone (smtp runs hidden)", []checks.Check{tlscheck.Check{}}, 1},
		}},
		// The smtp check retries without TLS on a second connection, as
		// MTAs do; the tls check reads the failed handshake.
		{name: "handshake fails", badTLS: true, tlsWant: "tls.handshake-failed:fail", runs: []run{
			{"smtp and tls", []checks.Check{smtp.Check{}, tlscheck.Check{}}, 2}, // was 3
		}},
	}
	for _, tc := range tests {
		for _, r := range tc.runs {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				w := mailtest.New(t, zone)
				_ = w.PTR("192.0.2.10", "mx.d.test")
				o := mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}}
				switch {
				case tc.badTLS:
					o.TLS = &tls.Certificate{}
				case !tc.noTLS:
					cert, err := w.Cert(mailtest.CertValid, "mx.d.test")
					if err != nil {
						t.Fatal(err)
					}
					o.TLS = cert
				}
				cl := countedSMTP(t, w, o, "192.0.2.10:25")
				env, _ := w.Env(checks.Options{Timeout: 2 * time.Second})
				reg := []checks.Check{mx.Check{}, mtasts.Check{}, smtp.Check{}, tlscheck.Check{}}
				rn := checks.Runner{Env: env, Checks: r.checks, Registry: reg}
				rep := rn.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"})
				for _, res := range rep.Results {
					want := ""
					if res.ID == tlscheck.ID {
						want = tc.tlsWant
					}
					if got := strings.Join(ids(res), ","); got != want || res.Err != "" {
						t.Errorf("%s: %s %s %s, want %s", res.ID, res.Status, got, res.Err, want)
					}
				}
				// Run hidden, the smtp check does only what the tls check
				// reads: no reverse DNS, no probes after the opening.
				ptrs := w.DNS.QueryCount("10.2.0.192.in-addr.arpa", dns.TypePTR)
				if hidden := strings.Contains(r.name, "hidden"); hidden != (ptrs == 0) {
					t.Errorf("%d PTR queries with smtp hidden=%v", ptrs, hidden)
				}
				got := cl.n.Load()
				t.Logf("%s, %s: %d connection(s)", tc.name, r.name, got)
				if got != r.want {
					t.Errorf("%d connections, want %d", got, r.want)
				}
			})
		}
	}
}

// TestTLSWithoutSMTP: when the smtp check does not run (not registered,
// or skipped by the runner), the tls check opens its own session, and says
// the same.
func TestTLSWithoutSMTP(t *testing.T) {
	t.Parallel()
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("smtp skipped %t", skip), func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, zone)
			cert, err := w.Cert(mailtest.CertExpired, "mx.d.test")
			if err != nil {
				t.Fatal(err)
			}
			cl := countedSMTP(t, w, mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, TLS: cert}, "192.0.2.10:25")
			env, _ := w.Env(checks.Options{Timeout: 2 * time.Second})
			r := checks.Runner{Env: env, Checks: []checks.Check{tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}}}
			if skip {
				r.Checks = []checks.Check{smtp.Check{}, tlscheck.Check{}}
				r.Skip = map[string]string{smtp.ID: "skipped for the test"}
			}
			rep := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"})
			res := rep.Results[len(rep.Results)-1]
			if got := fmt.Sprint(ids(res)); got != "[tls.cert-expired:fail]" || res.Err != "" {
				t.Errorf("findings %s (err %q)", got, res.Err)
			}
			if got := cl.n.Load(); got != 2 {
				t.Errorf("%d connections, want 2 (the tls check's session and its TLS 1.0/1.1 probe)", got)
			}
			var tr []string
			for _, e := range res.Data.(tlscheck.Data).Hosts[0].Addresses[0].Transcript {
				tr = append(tr, string(e.Dir)+" "+e.Text)
			}
			if j := strings.Join(tr, "\n"); !strings.Contains(j, "C QUIT") || strings.Contains(j, "smtp check's session") {
				t.Errorf("not the tls check's own session:\n%s", j)
			}
		})
	}
}

// An MX host with an IPv4 and an IPv6 address: the tls check reads each
// address's opening.
func TestSharedOpeningsPerAddress(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone+"mx IN AAAA 2001:db8::10\n")
	_ = w.PTR("192.0.2.10", "mx.d.test")
	_ = w.PTR("2001:db8::10", "mx.d.test")
	cert, err := w.Cert(mailtest.CertValid, "mx.d.test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.Listen("192.0.2.10:25", "[2001:db8::10]:25")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	srv, err := mailtest.ServeSMTP(cl, mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, TLS: cert})
	if err != nil {
		t.Fatal(err)
	}
	w.OnClose(srv.Close)
	env, _ := w.Env(checks.Options{Timeout: 2 * time.Second})
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}, tlscheck.Check{}}, Registry: []checks.Check{mx.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"})
	for _, res := range rep.Results {
		if len(res.Findings) != 0 || res.Err != "" {
			t.Errorf("%s: %v %s", res.ID, ids(res), res.Err)
		}
	}
	td := rep.Results[1].Data.(tlscheck.Data)
	for _, a := range td.Hosts[0].Addresses {
		var tr []string
		for _, e := range a.Transcript {
			tr = append(tr, string(e.Dir)+" "+e.Text)
		}
		j := strings.Join(tr, "\n")
		if a.Version == "" || !strings.Contains(j, "connected to "+net.JoinHostPort(a.Address, "25")) || !strings.Contains(j, "smtp check's session") {
			t.Errorf("%s: version %q, transcript\n%s", a.Address, a.Version, j)
		}
	}
	if len(td.Hosts[0].Addresses) != 2 {
		t.Errorf("tls data %+v", td)
	}
	// The smtp check's session with each address and the tls check's TLS
	// 1.0/1.1 probe of each (it was 6: the tls check had its own sessions).
	if got := cl.n.Load(); got != 4 {
		t.Errorf("%d connections, want 4", got)
	}
}
