package mailtest

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// TB is the part of testing.TB that New uses (so this package does not
// import testing into the mxray binary).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// World is a fake mail world: a DNS server with zone data, a dialer that
// routes documentation addresses to loopback listeners, and a test CA.
// Servers (SMTP, HTTPS, DNSBL zones) plug in by listening with Listen and
// adding records to DNS.
type World struct {
	DNS    *DNSServer
	Dialer *Dialer
	CA     *CA

	mu      sync.Mutex
	closers []func()
	closed  bool
}

// NewWorld starts a world whose DNS server serves zone.
func NewWorld(zone string) (*World, error) {
	srv, err := NewDNSServer(zone)
	if err != nil {
		return nil, err
	}
	ca, err := NewCA("mxray test root")
	if err != nil {
		srv.Close()
		return nil, err
	}
	w := &World{DNS: srv, Dialer: NewDialer(), CA: ca}
	w.OnClose(srv.Close)
	return w, nil
}

// New is NewWorld for tests: it fails the test on error and closes the world
// when the test ends.
func New(tb TB, zone string) *World {
	tb.Helper()
	w, err := NewWorld(zone)
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	tb.Cleanup(w.Close)
	return w
}

// OnClose registers f to run when the world closes (in reverse order);
// once the world is closed, f runs at once.
func (w *World) OnClose(f func()) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		f()
		return
	}
	w.closers = append(w.closers, f)
	w.mu.Unlock()
}

// Close stops every server of the world.
func (w *World) Close() {
	w.mu.Lock()
	cl := w.closers
	w.closers, w.closed = nil, true
	w.mu.Unlock()
	for i := len(cl) - 1; i >= 0; i-- {
		cl[i]()
	}
}

// Listen opens a TCP listener on 127.0.0.1 and routes each of the given
// addresses (e.g. "192.0.2.10:25") to it. The listener closes with the world.
func (w *World) Listen(routes ...string) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	for _, r := range routes {
		w.Dialer.Route(r, l.Addr().String())
	}
	w.OnClose(func() { l.Close() })
	return l, nil
}

// Env returns a checks.Env wired to the world: a fresh DNS client asking
// only the world's DNS server, the world's dialer, an HTTP client trusting
// only the test CA. Each call returns a new Env (a new DNS cache).
func (w *World) Env(opts checks.Options) (*checks.Env, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
		opts.Timeout = timeout
	}
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	env := &checks.Env{DNS: c, Dialer: w.Dialer, RootCAs: w.CA.Pool(), Now: time.Now, Opts: opts}
	env.HTTP = checks.NewHTTPClient(env)
	return env, nil
}
