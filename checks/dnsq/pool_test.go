package dnsq_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks/dnsq"
)

// portServer is a raw UDP DNS server on loopback that notes the source
// port of every question and answers each A question with 192.0.2.1,
// except as its hooks say.
type portServer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	from []int // the source port of each question, in arrival order
	// drop, when set, tells whether to leave question n (0-based)
	// unanswered.
	drop func(n int) bool
	// stale, when set, sends after answer n a second packet: an answer
	// with another ID naming the next question's name, as a late or
	// forged answer would.
	stale func(n int) (name string, ok bool)
	wg    sync.WaitGroup
}

// newPortServer starts a portServer with the hooks hooks sets (nil:
// none) before it serves.
func newPortServer(t *testing.T, hooks func(*portServer)) *portServer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	s := &portServer{conn: c}
	if hooks != nil {
		hooks(s)
	}
	s.wg.Go(s.serve)
	t.Cleanup(func() { c.Close(); s.wg.Wait() })
	return s
}

func (s *portServer) addr() string { return s.conn.LocalAddr().String() }

func (s *portServer) ports() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.from...)
}

func (s *portServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		req := new(dns.Msg)
		if req.Unpack(buf[:n]) != nil || len(req.Question) != 1 {
			continue
		}
		s.mu.Lock()
		i := len(s.from)
		s.from = append(s.from, int(from.Port()))
		s.mu.Unlock()
		if s.drop != nil && s.drop(i) {
			continue
		}
		resp := new(dns.Msg)
		resp.SetReply(req)
		rr, _ := dns.NewRR(req.Question[0].Name + " 60 IN A 192.0.2.1")
		resp.Answer = append(resp.Answer, rr)
		out, _ := resp.Pack()
		_, _ = s.conn.WriteToUDPAddrPort(out, from)
		if s.stale != nil {
			if name, ok := s.stale(i); ok {
				forged := new(dns.Msg)
				forged.SetQuestion(name, dns.TypeA)
				forged.Id = req.Id + 1
				forged.Response = true
				bad, _ := dns.NewRR(name + " 60 IN A 203.0.113.66")
				forged.Answer = append(forged.Answer, bad)
				out, _ := forged.Pack()
				_, _ = s.conn.WriteToUDPAddrPort(out, from)
			}
		}
	}
}

func distinct(ports []int) int {
	seen := map[int]bool{}
	for _, p := range ports {
		seen[p] = true
	}
	return len(seen)
}

// TestSocketsAreReusedAndRetired: questions asked one after another share
// a socket, up to 16 questions a socket, so that its source port keeps
// changing; the client's Close closes what it kept.
func TestSocketsAreReusedAndRetired(t *testing.T) {
	s := newPortServer(t, nil)
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 40 {
		if _, err := c.Lookup(context.Background(), fmt.Sprintf("q%d.example", i), dns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	ports := s.ports()
	if len(ports) != 40 {
		t.Fatalf("%d questions reached the server, want 40", len(ports))
	}
	// 40 questions in a row: sockets of 16, 16 and 8 questions.
	if n := distinct(ports); n != 3 {
		t.Fatalf("%d source ports for 40 sequential questions, want 3 (16 questions a socket): %v", n, ports)
	}
	for i := 1; i < len(ports); i++ {
		if i%16 != 0 && ports[i] != ports[i-1] {
			t.Fatalf("question %d changed socket before its 16th question: %v", i, ports)
		}
	}
}

// TestNoReuseAfterTimeout: a socket whose question got no answer in time
// is never used again, so that its late answer cannot be read as the
// answer to another question.
func TestNoReuseAfterTimeout(t *testing.T) {
	s := newPortServer(t, func(s *portServer) {
		s.drop = func(n int) bool { return n == 1 } // the second question goes unanswered
	})
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 150 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Lookup(context.Background(), "a.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup(context.Background(), "b.example", dns.TypeA); err == nil {
		t.Fatal("the unanswered question succeeded")
	}
	if _, err := c.Lookup(context.Background(), "c.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	p := s.ports()
	if len(p) != 3 || p[0] != p[1] || p[2] == p[1] {
		t.Fatalf("source ports %v: want the first socket reused for b.example, and a new one for c.example after the timeout", p)
	}
}

// TestStaleAnswerOnReusedSocket: an answer with another ID waiting in a
// reused socket (a late duplicate, or a forgery) is never taken for the
// next question's answer.
func TestStaleAnswerOnReusedSocket(t *testing.T) {
	s := newPortServer(t, func(s *portServer) {
		s.stale = func(n int) (string, bool) { return "next.example.", n == 0 }
	})
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Lookup(context.Background(), "first.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	ans, err := c.Lookup(context.Background(), "next.example", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if got := ans.Addrs(); len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("next.example = %v, want the real answer 192.0.2.1, not the stale 203.0.113.66", got)
	}
	if p := s.ports(); len(p) != 2 || p[0] != p[1] {
		t.Fatalf("source ports %v: want one reused socket (the case under test)", p)
	}
}

// TestSharedClientsShareSockets: clients with one Config.Shared (a bulk
// run's domains, a fresh client each) reuse one another's sockets, and
// the InFlight's Close closes those left.
func TestSharedClientsShareSockets(t *testing.T) {
	s := newPortServer(t, nil)
	shared := dnsq.NewInFlight(8)
	defer shared.Close()
	for i := range 8 {
		c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 2 * time.Second, Shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lookup(context.Background(), fmt.Sprintf("d%d.example", i), dns.TypeA); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if n := distinct(s.ports()); n != 1 {
		t.Fatalf("8 clients one after another used %d sockets, want 1: %v", n, s.ports())
	}
}
