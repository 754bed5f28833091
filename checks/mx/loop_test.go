package mx_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mx"
)

// loopServer answers like a resolver that returns a CNAME chain as far as
// it goes: NOERROR with mx1.d.example → l1 → l2 → l1 for the MX host's
// addresses, where mailtest answers SERVFAIL.
func loopServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		switch {
		case q.Name == "d.example." && q.Qtype == dns.TypeMX:
			m.Answer = []dns.RR{rr("d.example. 300 IN MX 10 mx1.d.example.")}
		case q.Name == "mx1.d.example.":
			m.Answer = []dns.RR{rr("mx1.d.example. 300 IN CNAME l1.d.example."), rr("l1.d.example. 300 IN CNAME l2.d.example."), rr("l2.d.example. 300 IN CNAME l1.d.example.")}
		default:
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestCNAMELoopWords: an MX host whose addresses are a CNAME loop is
// mx.dns-error in the DNS client's words, which name the loop; never
// mx.no-address.
func TestCNAMELoopWords(t *testing.T) {
	t.Parallel()
	c, err := dnsq.New(dnsq.Config{Servers: []string{loopServer(t)}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := (&checks.Runner{Env: &checks.Env{DNS: c}, Checks: []checks.Check{mx.Check{}}}).Run(context.Background(), checks.Target{Domain: "d.example"})
	res := r.Results[0]
	var msg string
	for _, f := range res.Findings {
		if f.ID == "mx.no-address" {
			t.Errorf("a CNAME loop reads as no address: %s", f.Message)
		}
		if f.ID == "mx.dns-error" {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "mx1.d.example A, AAAA: the CNAME chain loops") || !strings.Contains(msg, "l1.d.example → l2.d.example → l1.d.example") {
		t.Errorf("dns-error %q does not name the loop; findings %v", msg, res.Findings)
	}
	for _, p := range plainProblems(msg) {
		t.Errorf("%q: %s", msg, p)
	}
}
