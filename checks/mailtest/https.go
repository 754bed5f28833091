package mailtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Response is what an HTTPS route answers.
type Response struct {
	Status      int               // default 200
	ContentType string            // default "text/plain"; "-" sends no Content-Type
	Body        []byte            // the body, unless BodySize is set
	Header      map[string]string // extra headers (e.g. Location)
	// BodySize, when positive, streams that many filler bytes ("x") instead
	// of Body, without a Content-Length (for oversized-body tests).
	BodySize int64
	// Delay holds the answer back this long (until the client gives up or
	// the server closes, whichever comes first).
	Delay time.Duration
	// Hang never answers: the request waits until the client gives up or
	// the server closes.
	Hang bool
}

// HTTPSServer is an HTTPS server for the fake world: it answers on
// <ip>:443 (routed through the world's dialer), presents certificates from
// the world's CA chosen by SNI, and serves chosen paths per host name, with
// scripted misbehaviour (redirects, wrong type, huge or slow bodies, bad
// certificates, a handshake that never completes).
type HTTPSServer struct {
	w     *World
	ip    string
	local string // the loopback address the server listens on
	srv   *http.Server
	done  chan struct{}
	conns atomic.Int64 // connections accepted, whatever happened next
	reqs  atomic.Int64 // requests received, whatever their host and path

	mu     sync.Mutex
	routes map[string]Response
	modes  map[string]CertKind
	hang   map[string]bool
	certs  map[string]*tls.Certificate
	counts map[string]int
}

// StartHTTPS starts an HTTPS server answering on ip:443 (e.g.
// "192.0.2.80"). Use AddHost to give it names in DNS and Handle to serve
// paths. It stops when the world closes.
func (w *World) StartHTTPS(ip string) (*HTTPSServer, error) {
	l, err := w.Listen(net.JoinHostPort(ip, "443"))
	if err != nil {
		return nil, err
	}
	s := &HTTPSServer{w: w, ip: ip, local: l.Addr().String(), done: make(chan struct{}),
		routes: map[string]Response{}, modes: map[string]CertKind{}, hang: map[string]bool{},
		certs: map[string]*tls.Certificate{}, counts: map[string]int{}}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		TLSConfig:         &tls.Config{GetCertificate: s.getCertificate, MinVersion: tls.VersionTLS12},
	}
	s.srv.SetKeepAlivesEnabled(false)
	go func() { _ = s.srv.Serve(tls.NewListener(countingListener{l, &s.conns}, s.srv.TLSConfig)) }()
	w.OnClose(s.Close)
	return s, nil
}

// IP returns the address the server answers on.
func (s *HTTPSServer) IP() string { return s.ip }

// Route makes connections to each of the given "host:port" addresses (e.g.
// "127.0.0.1:53" or "[::1]:443") reach this server too, so that a test can
// prove a URL naming them is never fetched: were it fetched, the server
// would count the connection.
func (s *HTTPSServer) Route(addrs ...string) {
	for _, a := range addrs {
		s.w.Dialer.Route(a, s.local)
	}
}

// Connections returns how many TCP connections the server has accepted,
// including those whose TLS handshake then failed.
func (s *HTTPSServer) Connections() int { return int(s.conns.Load()) }

// AllRequests returns how many requests reached the server, whatever their
// host and path.
func (s *HTTPSServer) AllRequests() int { return int(s.reqs.Load()) }

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Close stops the server and releases hanging requests and handshakes;
// connections to its address are refused from then on.
func (s *HTTPSServer) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
		close(s.done)
	}
	s.mu.Unlock()
	_ = s.srv.Close()
	// A closed server's port refuses connections, and stays refusing:
	// its freed loopback port could otherwise be taken by another test's
	// listener, which would accept the connection (see World.Refuse).
	_ = s.w.Refuse(net.JoinHostPort(s.ip, "443"))
}

// AddHost publishes an A record name → the server's address in the world's
// DNS.
func (s *HTTPSServer) AddHost(names ...string) error {
	for _, n := range names {
		rr, err := dns.NewRR(fmt.Sprintf("%s 300 IN A %s", dns.Fqdn(n), s.ip))
		if err != nil {
			return fmt.Errorf("mailtest: https host %q: %w", n, err)
		}
		s.w.DNS.Add(rr)
	}
	return nil
}

func routeKey(host, path string) string {
	return strings.ToLower(strings.TrimSuffix(host, ".")) + " " + path
}

// Handle makes GET https://host/path answer r.
func (s *HTTPSServer) Handle(host, path string, r Response) {
	s.mu.Lock()
	s.routes[routeKey(host, path)] = r
	s.mu.Unlock()
}

// Redirect makes https://host/path answer 301 to location.
func (s *HTTPSServer) Redirect(host, path, location string) {
	s.Handle(host, path, Response{Status: http.StatusMovedPermanently, Header: map[string]string{"Location": location}})
}

// SetCert chooses the certificate host presents (see World.Cert; the
// default is CertValid).
func (s *HTTPSServer) SetCert(host string, kind CertKind) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	s.mu.Lock()
	s.modes[host] = kind
	delete(s.certs, host)
	s.mu.Unlock()
}

// HangTLS makes TLS handshakes for host never complete (a server that
// accepts the connection and then never answers).
func (s *HTTPSServer) HangTLS(host string) {
	s.mu.Lock()
	s.hang[strings.ToLower(strings.TrimSuffix(host, "."))] = true
	s.mu.Unlock()
}

// Requests returns how many requests reached host/path.
func (s *HTTPSServer) Requests(host, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[routeKey(host, path)]
}

func (s *HTTPSServer) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	host := strings.ToLower(hello.ServerName)
	if host == "" {
		host = s.ip
	}
	s.mu.Lock()
	kind, hang := s.modes[host], s.hang[host]
	if c, ok := s.certs[host]; ok && !hang {
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	if hang {
		select {
		case <-s.done:
		case <-hello.Context().Done():
		}
		return nil, errors.New("mailtest: handshake abandoned")
	}
	c, err := s.w.Cert(kind, host)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.certs[host] = c
	s.mu.Unlock()
	return c, nil
}

func (s *HTTPSServer) serve(rw http.ResponseWriter, req *http.Request) {
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	key := routeKey(host, req.URL.Path)
	s.reqs.Add(1)
	s.mu.Lock()
	s.counts[key]++
	r, ok := s.routes[key]
	s.mu.Unlock()
	if !ok {
		http.NotFound(rw, req)
		return
	}
	if r.Hang {
		s.wait(req.Context(), 0)
		return
	}
	if r.Delay > 0 && !s.wait(req.Context(), r.Delay) {
		return
	}
	for k, v := range r.Header {
		rw.Header().Set(k, v)
	}
	switch r.ContentType {
	case "":
		rw.Header().Set("Content-Type", "text/plain")
	case "-":
		rw.Header()["Content-Type"] = nil
	default:
		rw.Header().Set("Content-Type", r.ContentType)
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	if r.BodySize <= 0 {
		rw.Header().Set("Content-Length", fmt.Sprint(len(r.Body)))
		rw.WriteHeader(status)
		_, _ = rw.Write(r.Body)
		return
	}
	rw.WriteHeader(status)
	chunk := []byte(strings.Repeat("x", 32<<10))
	for left := r.BodySize; left > 0; {
		n := min(int64(len(chunk)), left)
		if _, err := rw.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
		select {
		case <-s.done:
			return
		default:
		}
	}
}

// wait blocks for d (forever when 0) or until the request is abandoned or
// the server closes; it reports whether the full wait elapsed.
func (s *HTTPSServer) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}
