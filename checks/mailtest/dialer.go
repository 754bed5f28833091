package mailtest

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Dialer routes chosen "host:port" addresses (e.g. "192.0.2.10:25") to
// loopback listeners and refuses everything else, so code under test that
// dials real-looking addresses stays on 127.0.0.0/8. It satisfies
// checks.Dialer.
type Dialer struct {
	mu     sync.RWMutex
	routes map[string]string
	d      net.Dialer
}

// NewDialer returns a Dialer with no routes.
func NewDialer() *Dialer { return &Dialer{routes: map[string]string{}} }

// Route makes connections to from reach to (a "127.0.0.1:port" address).
func (d *Dialer) Route(from, to string) {
	d.mu.Lock()
	d.routes[normalizeAddr(from)] = to
	d.mu.Unlock()
}

// Unroute removes a route; connections to from fail as refused.
func (d *Dialer) Unroute(from string) {
	d.mu.Lock()
	delete(d.routes, normalizeAddr(from))
	d.mu.Unlock()
}

func normalizeAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	return net.JoinHostPort(host, port)
}

// DialContext connects to the loopback address routed from addr.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.RLock()
	to, ok := d.routes[normalizeAddr(addr)]
	d.mu.RUnlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%w: %s", ErrNoRoute, addr)}
	}
	return d.d.DialContext(ctx, network, to)
}
