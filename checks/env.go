package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
)

// ErrNoAddress is returned (wrapped) by ResolveHost for a host that exists
// but has neither A nor AAAA records.
var ErrNoAddress = errors.New("has no A or AAAA record")

// ResolveHost returns the IPv4 and IPv6 addresses of host through the run's
// DNS client (both lookups concurrently). An IP literal is returned as is.
func ResolveHost(ctx context.Context, c *dnsq.Client, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	type res struct {
		ans *dnsq.Answer
		err error
	}
	ch := make(chan res, 2)
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		go func() {
			a, err := c.Lookup(ctx, host, t)
			ch <- res{a, err}
		}()
	}
	var addrs []netip.Addr
	var errs []error
	for range 2 {
		r := <-ch
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		addrs = append(addrs, r.ans.Addrs()...)
	}
	if len(addrs) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s %w", host, ErrNoAddress)
	}
	return addrs, nil
}

// DialHost resolves host with the run's DNS client and connects to port on
// its addresses in turn through the Env's dialer.
func DialHost(ctx context.Context, env *Env, host string, port int) (net.Conn, error) {
	addrs, err := ResolveHost(ctx, env.DNS, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		dctx, cancel := context.WithTimeout(ctx, env.Timeout())
		conn, err := env.Dialer.DialContext(dctx, "tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
		cancel()
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// NewHTTPClient returns the HTTP client for checks: names resolve through the
// run's DNS client, connections go through the Env's dialer, certificates
// verify against env.RootCAs (system roots when nil), redirects are never
// followed (the caller sees the 3xx), and every phase is bounded by the
// Env's timeout. Callers must still cap the bytes they read.
func NewHTTPClient(env *Env) *http.Client {
	timeout := env.Timeout()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			p, err := strconv.Atoi(port)
			if err != nil {
				return nil, err
			}
			return DialHost(ctx, env, host, p)
		},
		TLSClientConfig:        &tls.Config{RootCAs: env.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableKeepAlives:      true,
		Proxy:                  nil,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   2 * timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
