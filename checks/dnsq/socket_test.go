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
// port of every question and answers each A question with 192.0.2.1.
type portServer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	from []int // the source port of each question, in arrival order
	wg   sync.WaitGroup
}

func newPortServer(t *testing.T) *portServer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	s := &portServer{conn: c}
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
		s.from = append(s.from, int(from.Port()))
		s.mu.Unlock()
		resp := new(dns.Msg)
		resp.SetReply(req)
		rr, _ := dns.NewRR(req.Question[0].Name + " 60 IN A 192.0.2.1")
		resp.Answer = append(resp.Answer, rr)
		out, _ := resp.Pack()
		_, _ = s.conn.WriteToUDPAddrPort(out, from)
	}
}

func distinct(ports []int) int {
	seen := map[int]bool{}
	for _, p := range ports {
		seen[p] = true
	}
	return len(seen)
}

// TestEveryQuestionHasItsOwnSocket: every question goes out from a
// socket of its own, so its source port is new and random: besides the
// ID, the port is what an off-path forger must guess, and no answer can
// wait in an idle socket for the next question. (Keeping sockets between
// questions made a bulk run about a quarter faster; it was reverted
// because a forged answer planted in an idle socket was read as the next
// question's answer.)
func TestEveryQuestionHasItsOwnSocket(t *testing.T) {
	s := newPortServer(t)
	shared := dnsq.NewInFlight(8)
	for i := range 20 {
		c, err := dnsq.New(dnsq.Config{Servers: []string{s.addr()}, Timeout: 2 * time.Second, Shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			if _, err := c.Lookup(context.Background(), fmt.Sprintf("q%d-%d.example", i, j), dns.TypeA); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	if p := s.ports(); len(p) != 40 || distinct(p) < 38 {
		// Two sockets opened one after another may get the same port
		// back from the kernel now and then; never most of them.
		t.Fatalf("%d source ports for %d questions, want one each: %v", distinct(p), len(p), p)
	}
}
