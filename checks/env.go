package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

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
		return nil, joinLookupErrors(host, errs)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s %w", host, ErrNoAddress)
	}
	return addrs, nil
}

// lookupErrors is the failure of several lookups of one host, said on one
// line: "mx.example A, AAAA: the resolver answered SERVFAIL" when they
// failed alike, each clause otherwise. errors.Is and errors.As see every
// error it holds.
type lookupErrors struct {
	host string
	errs []error
}

func (e *lookupErrors) Unwrap() []error { return e.errs }

func (e *lookupErrors) Error() string {
	var types []string
	reason := ""
	alike := true
	for _, err := range e.errs {
		var le *dnsq.LookupError
		if !errors.As(err, &le) {
			alike = false
			break
		}
		r := dnsq.Describe(le.Err)
		if reason != "" && r != reason {
			alike = false
			break
		}
		reason = r
		types = append(types, le.Type)
	}
	if alike && reason != "" {
		return fmt.Sprintf("%s %s: %s", strings.TrimSuffix(e.host, "."), strings.Join(types, ", "), reason)
	}
	parts := make([]string, len(e.errs))
	for i, err := range e.errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func joinLookupErrors(host string, errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return &lookupErrors{host: host, errs: errs}
}

// DialHost resolves host with the run's DNS client and connects to port on
// its addresses in turn through the Env's dialer.
func DialHost(ctx context.Context, env *Env, host string, port int) (net.Conn, error) {
	addrs, err := ResolveHost(ctx, env.DNS, host)
	if err != nil {
		return nil, err
	}
	return dialAddrs(ctx, env, addrs, port)
}

func dialAddrs(ctx context.Context, env *Env, addrs []netip.Addr, port int) (net.Conn, error) {
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

// cgnat is the shared address space of RFC 6598.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr reports whether a is an address mxray may fetch HTTPS from: not
// loopback, private (RFC 1918, RFC 4193), link-local (cloud metadata
// services live at 169.254.169.254), CGNAT, multicast or unspecified.
func publicAddr(a netip.Addr) bool { return PublicAddress(a) }

// Address blocks that IsGlobalUnicast counts in but no host on the
// internet uses as its own: "this network" (RFC 791) and the reserved
// class E; and the IPv6 forms that embed an IPv4 address, which is then
// what is judged: NAT64 (RFC 6052, RFC 8215) and 6to4 (RFC 3056).
var (
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	classE    = netip.MustParsePrefix("240.0.0.0/4")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// PublicAddress reports whether a is a public address, one that hosts on
// the internet can see and that can have a reputation: not loopback,
// private (RFC 1918, RFC 4193), link-local, shared (CGNAT, RFC 6598),
// multicast, unspecified, "this network" (0.0.0.0/8) or reserved
// (240.0.0.0/4); an IPv6 address that embeds an IPv4 one (NAT64, 6to4)
// is judged by it, so that 64:ff9b::a00:1 is as private as 10.0.0.1. The
// ptr and dnsbl checks, the HTTPS client and the CLI's address target
// judge addresses by it, all alike.
func PublicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return PublicAddress(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64Loc.Contains(a):
			return false // a network's own NAT64 prefix: its IPv4 side is local
		case sixToFour.Contains(a):
			return PublicAddress(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return a.IsGlobalUnicast() && !a.IsPrivate() && !cgnat.Contains(a) && !thisNet.Contains(a) && !classE.Contains(a)
}

// ErrFetchNotAllowed is returned by the HTTP client of NewHTTPClient for a
// URL that is not a DNS name on port 443: mxray fetches nothing else, so a
// record cannot point it at an internal service (SSRF).
var ErrFetchNotAllowed = errors.New("only https URLs with a DNS name on port 443 are fetched")

// NewHTTPClient returns the HTTP client for checks: names resolve through the
// run's DNS client, connections go through the Env's dialer, certificates
// verify against env.RootCAs (system roots when nil), redirects are never
// followed (the caller sees the 3xx), and the whole fetch is bounded by the
// Env's timeout (--timeout: one network wait). It connects only to DNS
// names on port 443 (never an IP literal, another port or a URL with
// userinfo), and only to public addresses (never loopback, private,
// link-local, CGNAT or multicast ones); checks validate URLs first and
// report a finding, and this is the backstop. Callers must still cap the bytes they read.
func NewHTTPClient(env *Env) *http.Client {
	timeout := env.Timeout()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if port != "443" || host == "" {
				return nil, ErrFetchNotAllowed
			}
			if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
				return nil, ErrFetchNotAllowed
			}
			if !fetchableName(host) {
				return nil, ErrFetchNotAllowed
			}
			addrs, err := ResolveHost(ctx, env.DNS, host)
			if err != nil {
				return nil, err
			}
			public := slices.DeleteFunc(slices.Clone(addrs), func(a netip.Addr) bool { return !publicAddr(a) })
			if len(public) == 0 {
				return nil, fmt.Errorf("%w: %s resolves only to internal addresses (%s)", ErrFetchNotAllowed, host, addrs[0])
			}
			return dialAddrs(ctx, env, public, 443)
		},
		TLSClientConfig:        &tls.Config{RootCAs: env.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableKeepAlives:      true,
		Proxy:                  nil,
	}
	return &http.Client{
		Transport: httpsOnly{tr},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// httpsOnly refuses requests that are not plain https URLs (no userinfo).
type httpsOnly struct{ next http.RoundTripper }

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "https" || req.URL.User != nil {
		return nil, ErrFetchNotAllowed
	}
	return h.next.RoundTrip(req)
}

// fetchableName reports whether host is a DNS name mxray may fetch from: a
// valid name of two labels or more whose top-level label is not numeric
// (RFC 3696 §2), so that forms some parsers read as IP addresses
// ("0x7f.0.0.1", "127.1") are refused too.
func fetchableName(host string) bool {
	h := strings.TrimSuffix(host, ".")
	if _, err := dnsq.CheckName(h); err != nil || !strings.Contains(h, ".") {
		return false
	}
	tld := h[strings.LastIndexByte(h, '.')+1:]
	return strings.Trim(tld, "0123456789") != ""
}
