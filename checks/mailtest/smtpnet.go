package mailtest

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
)

// PTR publishes reverse DNS for addr (an IPv4 or IPv6 address): a PTR
// record at its in-addr.arpa / ip6.arpa name pointing at name.
func (w *World) PTR(addr, name string) error {
	arpa, err := dns.ReverseAddr(addr)
	if err != nil {
		return fmt.Errorf("mailtest: PTR %s: %w", addr, err)
	}
	w.DNS.Add(&dns.PTR{Hdr: dns.RR_Header{Name: arpa, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 300}, Ptr: dns.Fqdn(name)})
	return nil
}

// BlackholeDialer wraps a dialer so that connections to chosen addresses
// never complete: the dial waits until its context ends, like a firewall
// that drops packets (port 25 blocked, a dead host).
type BlackholeDialer struct {
	Next checks.Dialer
	mu   sync.RWMutex
	drop map[string]bool
}

var _ checks.Dialer = (*BlackholeDialer)(nil)

// Blackhole returns a dialer that drops connections to addrs ("host:port")
// and passes every other dial to next.
func Blackhole(next checks.Dialer, addrs ...string) *BlackholeDialer {
	d := &BlackholeDialer{Next: next, drop: map[string]bool{}}
	d.Drop(addrs...)
	return d
}

// Drop adds addresses to drop.
func (d *BlackholeDialer) Drop(addrs ...string) {
	d.mu.Lock()
	for _, a := range addrs {
		d.drop[normalizeAddr(a)] = true
	}
	d.mu.Unlock()
}

// DialContext implements checks.Dialer.
func (d *BlackholeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.RLock()
	drop := d.drop[normalizeAddr(addr)]
	d.mu.RUnlock()
	if !drop {
		return d.Next.DialContext(ctx, network, addr)
	}
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
}
