package dnsq

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Errors returned (wrapped in *LookupError) by Lookup.
var (
	ErrTimeout     = errors.New("dnsq: timeout")
	ErrServFail    = errors.New("dnsq: SERVFAIL")
	ErrRefused     = errors.New("dnsq: REFUSED")
	ErrRcode       = errors.New("dnsq: error response")
	ErrUnreachable = errors.New("dnsq: resolver unreachable")
	ErrInvalidName = errors.New("dnsq: invalid domain name")
	ErrMalformed   = errors.New("dnsq: malformed response")
	ErrClosed      = errors.New("dnsq: client closed")
	// ErrTruncated: the answer was truncated even over TCP, so what it
	// holds (often nothing) is not the record set.
	ErrTruncated = errors.New("dnsq: truncated answer over TCP")
	// ErrCNAMELoop: the answer's CNAME chain loops or is longer than
	// resolvers follow.
	ErrCNAMELoop = errors.New("dnsq: CNAME loop or chain too long")
)

// Describe says in plain words, for people, why a lookup failed: no package
// prefix, no Go error text. Detail wrapped after a sentinel (e.g. the rcode
// or the loop's names) is kept.
func Describe(err error) string {
	words := []struct {
		sentinel error
		text     string
	}{
		{ErrTimeout, "no answer from the resolver"},
		{ErrServFail, "the resolver answered SERVFAIL"},
		{ErrRefused, "the resolver answered REFUSED"},
		{ErrRcode, "the resolver answered with an error"},
		{ErrUnreachable, "the resolver is unreachable"},
		{ErrInvalidName, "not a valid domain name"},
		{ErrMalformed, "the resolver's answer is malformed"},
		{ErrClosed, "interrupted"},
		{ErrTruncated, "the answer is truncated even over TCP"},
		{ErrCNAMELoop, "the CNAME chain loops or is too long"},
	}
	for _, w := range words {
		if errors.Is(err, w.sentinel) {
			// Keep the detail that follows the sentinel's own text.
			msg := err.Error()
			if i := strings.Index(msg, w.sentinel.Error()); i >= 0 {
				if rest := strings.TrimPrefix(msg[i+len(w.sentinel.Error()):], ":"); strings.TrimSpace(rest) != "" {
					return w.text + " (" + strings.TrimSpace(rest) + ")"
				}
			}
			return w.text
		}
	}
	return err.Error()
}

// LookupError is the error of a failed lookup.
type LookupError struct {
	Name string // the queried name (FQDN)
	Type string // the query type, e.g. "MX"
	Err  error  // one of the package's sentinel errors, possibly wrapping a cause
	// Queries are the exchanges attempted, for evidence.
	Queries []Query
}

// QueriesOf returns the exchanges attempted by the lookup that failed with
// err, or nil.
func QueriesOf(err error) []Query {
	var le *LookupError
	if errors.As(err, &le) {
		return le.Queries
	}
	return nil
}

// Error says in plain words which question failed and why, e.g.
// "_dmarc.example.com TXT: the resolver answered SERVFAIL". Callers print
// it as is: it already names the question.
func (e *LookupError) Error() string {
	name := strings.TrimSuffix(e.Name, ".")
	if name == "" {
		name = "."
	}
	return fmt.Sprintf("%s %s: %s", name, e.Type, Describe(e.Err))
}

func (e *LookupError) Unwrap() error { return e.Err }

// Query is one entry of the query log: one question sent on the wire and what
// came back. It is the DNS evidence attached to findings.
type Query struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	CD      bool    `json:"cd,omitempty"` // sent with Checking Disabled
	Server  string  `json:"server"`
	Proto   string  `json:"proto"`           // "udp" or "tcp"
	Rcode   string  `json:"rcode"`           // NOERROR, NXDOMAIN, SERVFAIL, REFUSED..., or TIMEOUT/UNREACHABLE
	AD      bool    `json:"ad"`              // the answer was DNSSEC-validated by the resolver
	Answers int     `json:"answers"`         // records in the answer section
	RTTMs   float64 `json:"rtt_ms"`          // round-trip time in milliseconds
	Err     string  `json:"error,omitempty"` // transport error, if any
}

// Config configures a Client.
type Config struct {
	// Servers are "host:port" addresses, tried in order with failover.
	Servers []string
	// Timeout bounds the whole lookup of one (name, type), across retries
	// and servers: it is --timeout, exactly. Default 10 s.
	Timeout time.Duration
	// AttemptTimeout is the retransmit interval: while no attempt has
	// answered, another starts (to the next server) this often; earlier
	// attempts keep waiting until Timeout. Default Timeout/Attempts.
	AttemptTimeout time.Duration
	// Attempts is the number of exchanges tried per lookup (rotating over
	// Servers). Default 2 per server, at least 3.
	Attempts int
	// MaxInFlight bounds concurrent wire queries. Default 256: enough for
	// one round trip of 40 DNSBL zones × several addresses plus probes.
	MaxInFlight int
	// MaxLog bounds the query log. Default 10000 entries.
	MaxLog int
	// Shared, when set, bounds the wire queries of every client given it,
	// together, on top of each one's MaxInFlight: a bulk run's domains
	// (one client each, for a fresh cache) then ask a resolver at most
	// that many questions at once, instead of 256 each, which overflows
	// its socket buffers and turns answers into timeouts.
	Shared *InFlight
}

// InFlight is a bound on concurrent wire queries shared by several
// clients (Config.Shared). Its methods are safe for concurrent use.
type InFlight struct {
	sem     chan struct{}
	waiting atomic.Int64 // exchanges queued for a slot
}

// NewInFlight returns a bound of n concurrent queries (at least 1).
func NewInFlight(n int) *InFlight {
	return &InFlight{sem: make(chan struct{}, max(n, 1))}
}

// acquire waits for a slot; it reports false when ctx ended first.
func (f *InFlight) acquire(ctx context.Context) bool {
	select {
	case f.sem <- struct{}{}:
		return true
	default:
	}
	f.waiting.Add(1)
	defer f.waiting.Add(-1)
	select {
	case f.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *InFlight) release() { <-f.sem }

// Client is a caching, de-duplicating DNS client for one run.
type Client struct {
	cfg    Config
	udp    *dns.Client
	tcp    *dns.Client
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	prefer atomic.Int32 // index of the server tried first: the last one that answered

	mu      sync.Mutex
	cache   map[key]*entry
	log     []Query
	sent    int
	dropped int
}

type key struct {
	name  string
	qtype uint16
	cd    bool
}

type entry struct {
	done chan struct{}
	ans  *Answer
	err  error
}

// New returns a Client for the given configuration.
func New(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%w: no DNS servers configured", ErrUnreachable)
	}
	for i, s := range cfg.Servers {
		norm, err := NormalizeServer(s)
		if err != nil {
			return nil, err
		}
		cfg.Servers[i] = norm
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = max(3, 2*len(cfg.Servers))
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = cfg.Timeout / time.Duration(cfg.Attempts)
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.MaxLog <= 0 {
		cfg.MaxLog = 10000
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		cfg:    cfg,
		udp:    &dns.Client{Net: "udp", UDPSize: 1232},
		tcp:    &dns.Client{Net: "tcp"},
		sem:    make(chan struct{}, cfg.MaxInFlight),
		ctx:    ctx,
		cancel: cancel,
		cache:  map[key]*entry{},
	}, nil
}

// Close cancels the client's in-flight queries. Lookups after Close fail
// with ErrClosed unless cached.
func (c *Client) Close() { c.cancel() }

// NormalizeServer checks a resolver address and adds port 53 when missing.
// It accepts "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:53".
func NormalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("invalid resolver %q: want an IP address with optional :port", s)
	}
	if net.ParseIP(host) == nil {
		return "", fmt.Errorf("invalid resolver %q: %q is not an IP address", s, host)
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p < 1 || p > 65535 || fmt.Sprint(p) != port {
		return "", fmt.Errorf("invalid resolver %q: bad port %q", s, port)
	}
	return net.JoinHostPort(host, port), nil
}

// SystemServers reads the nameservers from a resolv.conf file (usually
// /etc/resolv.conf).
func SystemServers(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading resolver configuration: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			addr := fields[1]
			if i := strings.IndexByte(addr, '%'); i >= 0 { // zone index
				addr = addr[:i]
			}
			if s, err := NormalizeServer(addr); err == nil {
				out = append(out, s)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no nameserver in %s", ErrUnreachable, path)
	}
	return out, nil
}

// Servers returns the configured server addresses.
func (c *Client) Servers() []string { return append([]string(nil), c.cfg.Servers...) }

// Stats are the client's counters.
type Stats struct {
	Sent     int // exchanges sent on the wire (each retry and TCP fallback counts)
	Distinct int // distinct (name, type, cd) questions asked
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Sent: c.sent, Distinct: len(c.cache)}
}

// Log returns a copy of the query log, in the order queries completed.
func (c *Client) Log() []Query {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Query(nil), c.log...)
}

// Option modifies a single lookup.
type Option func(*key)

// WithCD sets the Checking Disabled bit: the resolver returns data even when
// DNSSEC validation fails. Used to tell a bogus zone from a broken one.
func WithCD() Option { return func(k *key) { k.cd = true } }

// CheckName validates a domain name: at most 253 octets, labels of 1–63
// octets. It returns the name in canonical form (lower case, FQDN).
func CheckName(name string) (string, error) {
	n := strings.ToLower(dns.Fqdn(name))
	if n == "." {
		return n, nil
	}
	if len(n) > 254 {
		return "", fmt.Errorf("%w: %d octets is longer than 253", ErrInvalidName, len(n)-1)
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return "", fmt.Errorf("%w: %q", ErrInvalidName, truncate(name, 80))
	}
	for _, l := range dns.SplitDomainName(n) {
		if len(l) == 0 || len(l) > 63 {
			return "", fmt.Errorf("%w: label %q", ErrInvalidName, truncate(l, 80))
		}
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Lookup asks for (name, qtype). The answer is cached for the run: later and
// concurrent calls with the same question share one wire exchange. A nil
// error means the resolver answered NOERROR or NXDOMAIN; see Answer.
func (c *Client) Lookup(ctx context.Context, name string, qtype uint16, opts ...Option) (*Answer, error) {
	n, err := CheckName(name)
	if err != nil {
		return nil, &LookupError{Name: dns.Fqdn(truncate(name, 80)), Type: dns.TypeToString[qtype], Err: err}
	}
	k := key{name: n, qtype: qtype}
	for _, o := range opts {
		o(&k)
	}
	if ctx.Err() != nil {
		// A caller already cancelled gets no answer, not even a cached
		// one: the select below would pick one of two ready cases at
		// random, and a cancelled run must never reach a verdict.
		return nil, ctxLookupError(ctx, n, qtype)
	}
	c.mu.Lock()
	e, ok := c.cache[k]
	if !ok {
		e = &entry{done: make(chan struct{})}
		c.cache[k] = e
		go func() {
			e.ans, e.err = c.resolve(k)
			close(e.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.ans, e.err
	case <-ctx.Done():
		return nil, ctxLookupError(ctx, n, qtype)
	}
}

// ctxLookupError is the error of a lookup whose caller's context ended:
// a timeout for a deadline, ErrClosed for a cancellation.
func ctxLookupError(ctx context.Context, name string, qtype uint16) error {
	sentinel := ErrTimeout
	if errors.Is(ctx.Err(), context.Canceled) {
		sentinel = ErrClosed
	}
	return &LookupError{Name: name, Type: typeString(qtype), Err: causeErr{sentinel, ctx.Err()}}
}

// causeErr is a sentinel that also wraps its cause (e.g. context.Canceled)
// for errors.Is, without the cause's Go text in the message.
type causeErr struct{ sentinel, cause error }

func (e causeErr) Error() string   { return e.sentinel.Error() }
func (e causeErr) Unwrap() []error { return []error{e.sentinel, e.cause} }

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

// resolve performs the wire exchanges for one question. It runs detached
// from any caller's context (its result is shared), bounded by the client's
// timeout and cancelled by Close.
//
// Attempts overlap: each waits until the lookup's deadline, and a new one
// (to the next server) starts every Timeout/Attempts while none has
// answered, or at once when one fails outright. So an answer that takes
// just under --timeout is still taken, a lost UDP packet costs one
// retransmit interval, and a dead server costs no more than that before the
// next is asked. The whole lookup never outlasts Timeout.
func (c *Client) resolve(k key) (*Answer, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(k.name, k.qtype)
	m.RecursionDesired = true
	m.AuthenticatedData = true
	m.CheckingDisabled = k.cd
	m.SetEdns0(1232, true)

	type outcome struct {
		server string
		resp   *dns.Msg
		qs     []Query
		err    error
	}
	results := make(chan outcome, c.cfg.Attempts)
	servers := c.cfg.Servers
	failed := map[string]bool{} // servers that answered SERVFAIL, REFUSED or another error rcode
	launched, pending := 0, 0
	first := int(c.prefer.Load()) // start with the server that answered last
	launch := func() bool {
		for range len(servers) {
			server := servers[(first+launched)%len(servers)]
			if launched >= c.cfg.Attempts {
				return false
			}
			launched++
			if failed[server] {
				continue
			}
			pending++
			go func() {
				resp, qs, err := c.exchange(ctx, m, server, k)
				results <- outcome{server, resp, qs, err}
			}()
			return true
		}
		return false
	}
	launch()
	retransmit := time.NewTimer(c.cfg.AttemptTimeout)
	defer retransmit.Stop()

	var tried []Query
	var lastErr error = ErrTimeout
	for pending > 0 {
		select {
		case <-retransmit.C:
			if launch() {
				retransmit.Reset(c.cfg.AttemptTimeout)
			}
			continue
		case r := <-results:
			pending--
			for _, q := range r.qs {
				if q.Name != "" {
					tried = append(tried, q)
				}
			}
			err := r.err
			if err == nil {
				switch r.resp.Rcode {
				case dns.RcodeSuccess, dns.RcodeNameError:
					c.preferServer(r.server)
					if err = checkChain(k, r.resp); err == nil {
						cancel()
						return newAnswer(k, r.resp, r.qs[len(r.qs)-1]), nil
					}
				case dns.RcodeServerFailure:
					err = ErrServFail
					failed[r.server] = true
				case dns.RcodeRefused:
					err = ErrRefused
					failed[r.server] = true
				default:
					err = fmt.Errorf("%w: %s", ErrRcode, dns.RcodeToString[r.resp.Rcode])
					failed[r.server] = true
				}
			}
			// A definite answer (an error rcode, a truncated or looping
			// answer) outranks a timeout of another attempt as the reason.
			if !errors.Is(lastErr, ErrServFail) && !errors.Is(lastErr, ErrRefused) || !errors.Is(err, ErrTimeout) {
				lastErr = err
			}
			if errors.Is(err, ErrCNAMELoop) || errors.Is(err, ErrTruncated) {
				continue // another server would most likely say the same; let pending ones finish
			}
			if ctx.Err() == nil && launch() {
				retransmit.Reset(c.cfg.AttemptTimeout)
			}
		}
	}
	if c.ctx.Err() != nil {
		return nil, &LookupError{Name: k.name, Type: typeString(k.qtype), Err: ErrClosed, Queries: tried}
	}
	return nil, &LookupError{Name: k.name, Type: typeString(k.qtype), Err: lastErr, Queries: tried}
}

// preferServer makes later lookups start with server, which just answered:
// with a dead first resolver only the first lookups pay the failover wait.
func (c *Client) preferServer(server string) {
	for i, s := range c.cfg.Servers {
		if s == server {
			c.prefer.Store(int32(i))
			return
		}
	}
}

// checkChain rejects a NOERROR answer whose CNAME chain from the question
// name loops or is longer than maxChain: what it holds is not the record set
// of the name, and reading it as "no record" would be a false verdict.
func checkChain(k key, resp *dns.Msg) error {
	if k.qtype == dns.TypeCNAME || resp.Rcode != dns.RcodeSuccess {
		return nil
	}
	name := k.name
	seen := map[string]bool{name: true}
	path := []string{strings.TrimSuffix(name, ".")}
	for {
		next := ""
		for _, rr := range resp.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next = strings.ToLower(c.Target)
				break
			}
		}
		if next == "" {
			return nil
		}
		path = append(path, strings.TrimSuffix(next, "."))
		if seen[next] {
			return fmt.Errorf("%w: %s", ErrCNAMELoop, strings.Join(path, " → "))
		}
		if len(path) > maxChain+1 {
			return fmt.Errorf("%w: more than %d CNAMEs from %s", ErrCNAMELoop, maxChain, path[0])
		}
		seen[next] = true
		name = next
	}
}

// exchange sends one question to one server, falling back to TCP when the
// UDP answer is truncated, and logs every exchange. A TCP answer that is
// itself truncated is an error: what it holds is not the whole record set.
func (c *Client) exchange(ctx context.Context, m *dns.Msg, server string, k key) (*dns.Msg, []Query, error) {
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, nil, ErrTimeout
	}
	if sh := c.cfg.Shared; sh != nil {
		if !sh.acquire(ctx) {
			return nil, nil, ErrTimeout
		}
		defer sh.release()
	}
	resp, q, err := c.exchangeOnce(ctx, c.udp, m, server, k)
	qs := []Query{q}
	if err == nil && resp.Truncated {
		resp, q, err = c.exchangeOnce(ctx, c.tcp, m, server, k)
		qs = append(qs, q)
		if err == nil && resp.Truncated {
			return nil, qs, fmt.Errorf("%w from %s", ErrTruncated, server)
		}
	}
	return resp, qs, err
}

func (c *Client) exchangeOnce(ctx context.Context, cl *dns.Client, m *dns.Msg, server string, k key) (*dns.Msg, Query, error) {
	q := Query{Name: k.name, Type: typeString(k.qtype), CD: k.cd, Server: server, Proto: cl.Net}
	start := time.Now()
	resp, err := exchangeCtx(ctx, cl, m.Copy(), server)
	q.RTTMs = float64(time.Since(start).Microseconds()) / 1000
	if err == nil {
		err = validate(m, resp)
	}
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, ErrMalformed):
			q.Rcode = "MALFORMED"
		case errors.Is(ctx.Err(), context.Canceled):
			// Another attempt answered (or the client closed): this one
			// was abandoned, not timed out; it is counted, not logged.
			c.record(Query{})
			return nil, Query{}, ErrTimeout
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded),
			errors.Is(ctx.Err(), context.DeadlineExceeded): // the deadline closed the socket (exchangeCtx)
			q.Rcode = "TIMEOUT"
			err = ErrTimeout
		default:
			q.Rcode = "UNREACHABLE"
			err = fmt.Errorf("%w: %s", ErrUnreachable, netWords(err))
		}
		q.Err = Describe(err)
		c.record(q)
		return nil, q, err
	}
	q.Rcode = dns.RcodeToString[resp.Rcode]
	if resp.Truncated && cl.Net == "tcp" {
		q.Rcode = "TRUNCATED"
	}
	q.AD = resp.AuthenticatedData
	q.Answers = len(resp.Answer)
	c.record(q)
	return resp, q, nil
}

// exchangeCtx is dns.Client.ExchangeContext, except that cancelling ctx ends
// the wait at once. miekg/dns only applies ctx's deadline to the socket, so
// an attempt made redundant by another attempt's answer (or by the run's
// cancellation) used to keep its socket, its goroutine and its in-flight slot
// until the full timeout passed.
func exchangeCtx(ctx context.Context, cl *dns.Client, m *dns.Msg, server string) (*dns.Msg, error) {
	co, err := dial(ctx, cl, server)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	// Close, not a past deadline: ExchangeWithConnContext sets the
	// socket's deadlines itself and would overwrite one set before it.
	stop := context.AfterFunc(ctx, func() { _ = co.Close() })
	defer stop()
	resp, _, err := cl.ExchangeWithConnContext(ctx, m, co)
	return resp, err
}

// dial opens a connection to server, a normalized IP:port. Over UDP it
// opens the socket directly, without dns.Client.DialContext's detour
// through name resolution and the parallel dialer (a fresh socket per
// question, for a random source port, is a bulk run's main cost).
func dial(ctx context.Context, cl *dns.Client, server string) (*dns.Conn, error) {
	if cl.Net == "udp" {
		if ap, err := netip.ParseAddrPort(server); err == nil {
			c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
			if err != nil {
				return nil, err
			}
			return &dns.Conn{Conn: c, UDPSize: cl.UDPSize}, nil
		}
	}
	return cl.DialContext(ctx, server)
}

func validate(req, resp *dns.Msg) error {
	if resp == nil {
		return fmt.Errorf("%w: empty", ErrMalformed)
	}
	if !resp.Response {
		return fmt.Errorf("%w: QR bit not set", ErrMalformed)
	}
	if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
		if len(resp.Question) != 1 || !sameName(resp.Question[0].Name, req.Question[0].Name) || resp.Question[0].Qtype != req.Question[0].Qtype {
			return fmt.Errorf("%w: answer is for another question", ErrMalformed)
		}
	}
	return nil
}

// sameName compares two names in wire form, ignoring ASCII case, so that
// "a b.example." and its escaped echo "a\\032b.example." are the same name.
func sameName(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	var ba, bb [256]byte
	na, errA := dns.PackDomainName(a, ba[:], 0, nil, false)
	nb, errB := dns.PackDomainName(b, bb[:], 0, nil, false)
	if errA != nil || errB != nil || na != nb {
		return false
	}
	return strings.EqualFold(string(ba[:na]), string(bb[:nb]))
}

// netWords says what a transport error was, in plain words.
func netWords(err error) string {
	msg := err.Error()
	for _, w := range []string{"connection refused", "network is unreachable", "no route to host", "connection reset by peer", "host is down", "permission denied"} {
		if strings.Contains(msg, w) {
			return w
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the connection closed before the answer"
	}
	return "network error"
}

// record logs q and counts it as sent; a zero q is counted only.
func (c *Client) record(q Query) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	if q.Name == "" {
		return
	}
	if len(c.log) < c.cfg.MaxLog {
		c.log = append(c.log, q)
	} else {
		c.dropped++
	}
}

// Trust is what the resolver probe learnt.
type Trust struct {
	// Validating: some probe answer carried the AD bit, so the resolver
	// validates DNSSEC (AD is trusted from the resolver the user chose).
	Validating bool
	// Queries are the probe's exchanges, for evidence.
	Queries []Query
}

// ProbeTrust decides, once per run and before any verdict is shown, whether
// the client's resolvers can be trusted. The decision is positive: the
// resolver must answer a question as an honest recursive resolver does.
//
// It asks, concurrently (one round trip): the root zone's NS records; and,
// when hint (a domain the run is about) is given, the NS records of hint's
// top-level domain and the A record of a random label under it, which
// cannot exist. Then:
//   - NXDOMAIN or no records for the root, or addresses for the random name
//     (a resolver that rewrites NXDOMAIN), mean the resolver lies:
//     untrusted.
//   - NS records for the root: trusted.
//   - The root refused, failed or timed out (many enterprise and
//     split-horizon resolvers answer only some zones): trusted when the
//     top-level domain has NS records and the random name has no address.
//   - No answer at all within --timeout: unreachable.
//   - Otherwise: untrusted, with what each probe got.
//
// The error is an *UntrustedError.
func (c *Client) ProbeTrust(ctx context.Context, hint string) (Trust, error) {
	type probe struct {
		name  string
		qtype uint16
		ans   *Answer
		err   error
	}
	probes := []*probe{{name: ".", qtype: dns.TypeNS}}
	tld := ""
	if n, err := CheckName(hint); err == nil && n != "." {
		labels := dns.SplitDomainName(n)
		tld = labels[len(labels)-1] + "."
		probes = append(probes,
			&probe{name: tld, qtype: dns.TypeNS},
			&probe{name: randomLabel() + "." + tld, qtype: dns.TypeA})
	}
	var wg sync.WaitGroup
	for _, p := range probes {
		wg.Go(func() {
			p.ans, p.err = c.Lookup(ctx, p.name, p.qtype)
		})
	}
	wg.Wait()

	var tr Trust
	transport := 0
	var got []string
	for _, p := range probes {
		if p.err != nil {
			tr.Queries = append(tr.Queries, QueriesOf(p.err)...)
			if errors.Is(p.err, ErrTimeout) || errors.Is(p.err, ErrUnreachable) {
				transport++
			}
			got = append(got, p.err.Error())
			continue
		}
		tr.Queries = append(tr.Queries, p.ans.Query)
		tr.Validating = tr.Validating || p.ans.AD
	}
	untrusted := func(reason string) (Trust, error) {
		return tr, &UntrustedError{Servers: c.Servers(), Reason: reason, Queries: tr.Queries}
	}
	root := probes[0]
	if root.err == nil {
		if root.ans.NXDomain() {
			return untrusted("it answers NXDOMAIN for the root zone (a filtering or captive resolver)")
		}
		if len(root.ans.Records()) == 0 {
			return untrusted("it returns no NS records for the root zone (a filtering or captive resolver)")
		}
	}
	if len(probes) == 3 {
		if rnd := probes[2]; rnd.err == nil && len(rnd.ans.Records()) > 0 {
			return untrusted(fmt.Sprintf("it returns records for %s, a random name that does not exist (it rewrites NXDOMAIN answers)", strings.TrimSuffix(rnd.name, ".")))
		}
	}
	if root.err == nil {
		return tr, nil
	}
	if len(probes) == 3 {
		tp, rnd := probes[1], probes[2]
		if tp.err == nil && len(tp.ans.Records()) > 0 && (rnd.err != nil || rnd.ans.NXDomain()) {
			return tr, nil
		}
		if tp.err == nil && tp.ans.NXDomain() {
			got = append(got, fmt.Sprintf("%s NS: NXDOMAIN", strings.TrimSuffix(tld, ".")))
		}
	}
	if transport == len(probes) {
		return tr, &UntrustedError{Servers: c.Servers(), Unreachable: true, Queries: tr.Queries,
			Reason: fmt.Sprintf("no answer within %s", c.cfg.Timeout)}
	}
	return untrusted("it did not answer the probe questions as an honest resolver does (" + strings.Join(got, "; ") + ")")
}

// randomLabel returns a DNS label that no zone has.
func randomLabel() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("mxray-probe-%x", b)
}

// UntrustedError means no verdict may be drawn from the resolver: it does not
// answer at all, or it answers in a way an honest recursive resolver never
// does (NXDOMAIN or no records for the root zone, addresses for names that
// cannot exist). Every mode reports it in one line and exits 3.
type UntrustedError struct {
	Servers     []string // the resolvers asked
	Unreachable bool     // none of them answered at all
	Reason      string   // what they did, in plain words
	Queries     []Query  // the probe's exchanges, for evidence
}

func (e *UntrustedError) Error() string {
	who := "resolver " + strings.Join(e.Servers, ", ")
	if len(e.Servers) > 1 {
		who = "resolvers " + strings.Join(e.Servers, ", ")
	}
	if e.Unreachable {
		return fmt.Sprintf("%s did not answer (%s); check the network or choose a resolver with --resolver IP", who, e.Reason)
	}
	return fmt.Sprintf("%s cannot be trusted: %s; choose another with --resolver IP", who, e.Reason)
}
