package smtpwire_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtpwire"
)

const fanoutZone = `
$ORIGIN test.
@    IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN d.test.
mx1  IN A    192.0.2.12
mx1  IN A    192.0.2.11
mx1  IN AAAA 2001:db8::1
mx2  IN A    192.0.2.20
`

// ProbeMX probes every address of every host at once: each probe waits
// until all of them are in flight, which only a concurrent fan-out lets
// happen.
func TestProbeMXConcurrent(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, fanoutZone)
	w.DNS.Script("mx3.d.test", dns.TypeA, mailtest.ServFail)
	w.DNS.Script("mx3.d.test", dns.TypeAAAA, mailtest.ServFail)
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hosts := []mx.Host{{Name: "mx1.d.test", Preference: 10}, {Name: "mx2.d.test", Preference: 20}, {Name: "mx3.d.test", Preference: 30}, {Name: "none.d.test", Preference: 40}}
	const want = 4 // 3 addresses of mx1, 1 of mx2
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var mu sync.Mutex
	inFlight := 0
	all := make(chan struct{})
	got := smtpwire.ProbeMX(ctx, env, hosts, func(ctx context.Context, host string, ip netip.Addr) string {
		mu.Lock()
		inFlight++
		if inFlight == want {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			return host + " " + ip.String()
		case <-ctx.Done():
			return "not concurrent"
		}
	})
	var lines []string
	for _, h := range got {
		lines = append(lines, h.Host.Name+": "+strings.Join(h.Results, ", ")+" err="+smtpwire.LookupWords(h.Err))
	}
	wantLines := []string{
		"mx1.d.test: mx1.d.test 192.0.2.11, mx1.d.test 192.0.2.12, mx1.d.test 2001:db8::1 err=",
		"mx2.d.test: mx2.d.test 192.0.2.20 err=",
		"mx3.d.test:  err=mx3.d.test A, AAAA: the resolver answered SERVFAIL",
		"none.d.test:  err=none.d.test has no A or AAAA record",
	}
	if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	if !got[2].LookupFailed() || len(got[2].Queries()) != 2 || got[3].LookupFailed() {
		t.Errorf("lookup failures: mx3 %t (%d queries), none %t", got[2].LookupFailed(), len(got[2].Queries()), got[3].LookupFailed())
	}
	skip, msg, ev := smtpwire.Untested(&mx.Fact{Domain: "d.test", Hosts: hosts[2:]}, got[2:])
	if skip != nil || msg != "could not test: none of the 2 MX hosts has an address to connect to (mx3.d.test A, AAAA: the resolver answered SERVFAIL; none.d.test has no A or AAAA record)" || ev == nil || len(ev.DNS) != 2 {
		t.Errorf("untested: %v %q %+v", skip, msg, ev)
	}
	if skip, _, _ := smtpwire.Untested[string](&mx.Fact{Domain: "d.test", Null: true}, nil); skip == nil || !strings.Contains(skip.Error(), "null MX") {
		t.Errorf("null MX: %v", skip)
	}
}

func TestTally(t *testing.T) {
	t.Parallel()
	const (
		ok = smtpwire.ConnectOK
		to = smtpwire.ConnectTimeout
		un = smtpwire.ConnectUnreachable
		re = smtpwire.ConnectRefused
	)
	tests := []struct {
		name    string
		kinds   [][]smtpwire.ConnectKind // per host
		blocked bool
	}{
		{"nothing", nil, false},
		{"all time out", [][]smtpwire.ConnectKind{{to, to}, {to}}, true},
		{"timeouts and unreachable IPv6", [][]smtpwire.ConnectKind{{to, un}}, true},
		{"all unreachable", [][]smtpwire.ConnectKind{{un}, {un}}, false},
		{"one answered", [][]smtpwire.ConnectKind{{to}, {ok}}, false},
		{"one refused", [][]smtpwire.ConnectKind{{to, re}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hps []smtpwire.HostProbes[smtpwire.ConnectKind]
			n := 0
			for _, ks := range tc.kinds {
				hps = append(hps, smtpwire.HostProbes[smtpwire.ConnectKind]{Results: ks})
				n += len(ks)
			}
			tally := smtpwire.Count(hps, func(k smtpwire.ConnectKind) smtpwire.ConnectKind { return k })
			if tally.Addresses != n || tally.Port25Blocked() != tc.blocked {
				t.Errorf("%+v: blocked %t, want %t", tally, tally.Port25Blocked(), tc.blocked)
			}
		})
	}
}

// Open stops at TLS and says where a session that ended early ended, and
// how its connection failed.
func TestOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cert, err := w.Cert(mailtest.CertValid, "mx.example")
	if err != nil {
		t.Fatal(err)
	}
	tlsAddr := "192.0.2.25:25"
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.example", Domains: []string{"example"}, TLS: cert}, tlsAddr); err != nil {
		t.Fatal(err)
	}
	plainAddr := "192.0.2.26:25"
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.example", Domains: []string{"example"}}, plainAddr); err != nil {
		t.Fatal(err)
	}
	rejectAddr := "192.0.2.27:25"
	if _, err := w.SMTP(mailtest.SMTPOptions{Greeting: "554 5.7.1 go away"}, rejectAddr); err != nil {
		t.Fatal(err)
	}
	if err := w.Refuse("192.0.2.28:25"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr, step string
		tls        bool
		kind       smtpwire.ConnectKind
		dialer     checks.Dialer
		wait       time.Duration // the session's timeouts: 300 ms unless set
	}{
		{addr: tlsAddr, tls: true},
		{addr: plainAddr},
		{addr: rejectAddr, step: smtpwire.StepConnect},
		{addr: "192.0.2.28:25", step: smtpwire.StepConnect, kind: smtpwire.ConnectRefused},
		{addr: "192.0.2.29:25", step: smtpwire.StepConnect, kind: smtpwire.ConnectTimeout, dialer: mailtest.Blackhole(w.Dialer, "192.0.2.29:25"), wait: 100 * time.Millisecond},
		{addr: "192.0.2.30:25", step: smtpwire.StepConnect, kind: smtpwire.ConnectUnreachable}, // no route in the world
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			wait := 300 * time.Millisecond
			if tc.wait != 0 {
				wait = tc.wait
			}
			c := cfg(w, wait)
			if tc.dialer != nil {
				c.Dialer = tc.dialer
			}
			s := smtpwire.New(c, tc.addr)
			defer s.Close()
			op := smtpwire.Open(context.Background(), s, smtpwire.OpportunisticTLS("mx.example"))
			if op.Step != tc.step || (op.TLS != nil) != tc.tls || op.STARTTLS != tc.tls || op.Connect != tc.kind || (op.Err == nil) != (tc.step == "") {
				t.Errorf("opening %+v", op)
			}
			if len(op.Stages) == 0 || len(op.Transcript) == 0 {
				t.Errorf("no stages or transcript: %+v", op)
			}
			if tc.tls && op.TLS.Version < tls.VersionTLS12 {
				t.Errorf("TLS %x", op.TLS.Version)
			}
		})
	}
}
