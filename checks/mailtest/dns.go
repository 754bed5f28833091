package mailtest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Behaviour is a scripted misbehaviour for one name (and optionally type).
type Behaviour int

// The behaviours a DNSServer can script.
const (
	Normal      Behaviour = iota // answer from the zone data
	Timeout                      // never answer
	ServFail                     // answer SERVFAIL
	Refused                      // answer REFUSED
	Bogus                        // SERVFAIL unless the query has CD set (DNSSEC validation failure)
	NXDomain                     // answer NXDOMAIN whatever the data (a filtering or captive resolver)
	RewriteNX                    // answer names that do not exist with an A record (NXDOMAIN rewriting)
	TruncateTCP                  // set TC and drop the records, over UDP and TCP alike
	LenientLoop                  // answer a CNAME loop NOERROR with the chain, not SERVFAIL
)

// RewriteAddr is the address a RewriteNX server gives names that do not exist.
const RewriteAddr = "198.51.100.99"

// DNSServer is an authoritative-style DNS server for a closed world: it
// answers every question from its records, NXDOMAIN for names it does not
// know, follows CNAMEs inside its data like a recursive resolver would, and
// sets AD for names under zones marked signed.
type DNSServer struct {
	udp, tcp *dns.Server
	addr     string

	mu      sync.RWMutex
	names   map[string]map[uint16][]dns.RR // owner -> type -> RRs
	exists  map[string]bool                // owners and their ancestors (empty non-terminals)
	signed  map[string]bool                // zone apexes whose answers get AD
	script  map[scriptKey]Behaviour
	all     Behaviour            // for names without a script of their own
	trees   map[string]Behaviour // for names under a scripted name
	delays  map[scriptKey]time.Duration
	delay   time.Duration
	counts  map[scriptKey]int
	total   atomic.Int64
	pending sync.WaitGroup
}

type scriptKey struct {
	name  string
	qtype uint16 // 0 = any type
}

// NewDNSServer starts a server on 127.0.0.1 (UDP and TCP on the same port)
// loaded with zone text in RFC 1035 master format. Relative names are
// relative to the root unless the text sets $ORIGIN.
func NewDNSServer(zone string) (*DNSServer, error) {
	s := &DNSServer{
		names:  map[string]map[uint16][]dns.RR{},
		exists: map[string]bool{},
		signed: map[string]bool{},
		script: map[scriptKey]Behaviour{},
		delays: map[scriptKey]time.Duration{},
		trees:  map[string]Behaviour{},
		counts: map[scriptKey]int{},
	}
	if err := s.AddZone(zone); err != nil {
		return nil, err
	}
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("mailtest: dns udp listen: %w", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			lastErr = err
			continue
		}
		s.addr = pc.LocalAddr().String()
		h := dns.HandlerFunc(s.serve)
		s.udp = &dns.Server{PacketConn: pc, Handler: h}
		s.tcp = &dns.Server{Listener: l, Handler: h, ReadTimeout: 5 * time.Second}
		var started sync.WaitGroup
		started.Add(2)
		s.udp.NotifyStartedFunc = started.Done
		s.tcp.NotifyStartedFunc = started.Done
		go func() { _ = s.udp.ActivateAndServe() }()
		go func() { _ = s.tcp.ActivateAndServe() }()
		started.Wait()
		return s, nil
	}
	return nil, fmt.Errorf("mailtest: no free port for UDP and TCP: %w", lastErr)
}

// Addr returns the server's "127.0.0.1:port".
func (s *DNSServer) Addr() string { return s.addr }

// Close stops the server.
func (s *DNSServer) Close() {
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
}

// AddZone adds the records of zone text. SOA owners become zone apexes.
func (s *DNSServer) AddZone(zone string) error {
	zp := dns.NewZoneParser(strings.NewReader(zone), ".", "mailtest")
	zp.SetDefaultTTL(300)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("mailtest: zone: %w", err)
	}
	s.Add(rrs...)
	return nil
}

// Add adds records.
func (s *DNSServer) Add(rrs ...dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		h := rr.Header()
		h.Name = strings.ToLower(dns.Fqdn(h.Name))
		if s.names[h.Name] == nil {
			s.names[h.Name] = map[uint16][]dns.RR{}
		}
		s.names[h.Name][h.Rrtype] = append(s.names[h.Name][h.Rrtype], rr)
		for n := h.Name; ; {
			s.exists[n] = true
			i, end := dns.NextLabel(n, 0)
			if end {
				break
			}
			n = n[i:]
		}
	}
}

// Remove deletes every record of the given name and type (0: all types).
func (s *DNSServer) Remove(name string, qtype uint16) {
	name = strings.ToLower(dns.Fqdn(name))
	s.mu.Lock()
	defer s.mu.Unlock()
	if qtype == 0 {
		delete(s.names, name)
	} else if m := s.names[name]; m != nil {
		delete(m, qtype)
	}
}

// Sign marks the zone at apex (an owner with an SOA record) as
// DNSSEC-signed: answers for names whose closest enclosing zone is apex carry
// the AD bit when the query asked for DNSSEC (DO or AD). Child zones with
// their own SOA are signed or not on their own.
func (s *DNSServer) Sign(apex string) {
	s.mu.Lock()
	s.signed[strings.ToLower(dns.Fqdn(apex))] = true
	s.mu.Unlock()
}

// Script makes questions for name (and qtype, or every type when 0)
// misbehave.
func (s *DNSServer) Script(name string, qtype uint16, b Behaviour) {
	s.mu.Lock()
	s.script[scriptKey{strings.ToLower(dns.Fqdn(name)), qtype}] = b
	s.mu.Unlock()
}

// ScriptTree makes questions for name and every name under it misbehave,
// e.g. a DNSSEC-bogus zone (Bogus) or one whose servers all fail.
func (s *DNSServer) ScriptTree(name string, b Behaviour) {
	s.mu.Lock()
	s.trees[strings.ToLower(dns.Fqdn(name))] = b
	s.mu.Unlock()
}

// ScriptAll makes every question whose name has no script of its own
// misbehave (Normal restores the default).
func (s *DNSServer) ScriptAll(b Behaviour) {
	s.mu.Lock()
	s.all = b
	s.mu.Unlock()
}

// ScriptDelay delays the answers for name (and qtype, or every type when 0)
// by d, e.g. a root zone answered late or a zone just slower than --timeout.
func (s *DNSServer) ScriptDelay(name string, qtype uint16, d time.Duration) {
	s.mu.Lock()
	s.delays[scriptKey{strings.ToLower(dns.Fqdn(name)), qtype}] = d
	s.mu.Unlock()
}

// SetDelay delays every answer by d (for benchmarks of concurrency).
func (s *DNSServer) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Queries returns how many questions the server received.
func (s *DNSServer) Queries() int { return int(s.total.Load()) }

// QueryCount returns how many times (name, qtype) was asked.
func (s *DNSServer) QueryCount(name string, qtype uint16) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts[scriptKey{strings.ToLower(dns.Fqdn(name)), qtype}]
}

// Distinct returns how many distinct (name, type) questions were received.
func (s *DNSServer) Distinct() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.counts)
}

// ResetCounters zeroes the query counters.
func (s *DNSServer) ResetCounters() {
	s.mu.Lock()
	s.counts = map[scriptKey]int{}
	s.total.Store(0)
	s.mu.Unlock()
}

// maxCNAME bounds CNAME chasing inside the server's data.
const maxCNAME = 10

func (s *DNSServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.total.Add(1)
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.counts[scriptKey{name, q.Qtype}]++
	delay := s.delay
	b, ok := s.script[scriptKey{name, q.Qtype}]
	if !ok {
		b, ok = s.script[scriptKey{name, 0}]
	}
	for n := name; !ok; {
		if b, ok = s.trees[n]; ok {
			break
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[i:]
	}
	if !ok {
		b = s.all
	}
	if d, ok := s.delays[scriptKey{name, q.Qtype}]; ok {
		delay += d
	} else {
		delay += s.delays[scriptKey{name, 0}]
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay) // the server simulating a slow resolver
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	switch b {
	case Timeout:
		return
	case ServFail:
		m.Rcode = dns.RcodeServerFailure
		_ = w.WriteMsg(m)
		return
	case Refused:
		m.Rcode = dns.RcodeRefused
		_ = w.WriteMsg(m)
		return
	case Bogus:
		if !req.CheckingDisabled {
			m.Rcode = dns.RcodeServerFailure
			_ = w.WriteMsg(m)
			return
		}
	case NXDomain:
		m.Rcode = dns.RcodeNameError
		_ = w.WriteMsg(m)
		return
	case TruncateTCP:
		m.Truncated = true
		_ = w.WriteMsg(m)
		return
	}
	s.answer(m, name, q.Qtype, b == LenientLoop)
	if b == RewriteNX && m.Rcode == dns.RcodeNameError {
		m.Rcode = dns.RcodeSuccess
		m.Ns = nil
		if q.Qtype == dns.TypeA {
			rr, _ := dns.NewRR(q.Name + " 60 IN A " + RewriteAddr)
			m.Answer = append(m.Answer, rr)
		}
	}
	opt := req.IsEdns0()
	if opt != nil {
		m.SetEdns0(1232, opt.Do())
	}
	if (opt != nil && opt.Do()) || req.AuthenticatedData {
		zoneOf := name
		if q.Qtype == dns.TypeDS && name != "." {
			// DS records live in the parent zone: their answer (or its
			// authenticated denial, RFC 4035 §3.1.4) is as secure as it.
			i, _ := dns.NextLabel(name, 0)
			zoneOf = name[i:]
		}
		m.AuthenticatedData = b != Bogus && b != RewriteNX && s.isSigned(zoneOf)
	}
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
		size := dns.MinMsgSize
		if opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

func (s *DNSServer) isSigned(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// The answer is secure when the closest enclosing zone (the nearest
	// owner with an SOA record) is signed; a name in no zone is insecure.
	for n := name; ; {
		if len(s.names[n][dns.TypeSOA]) > 0 {
			return s.signed[n]
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			return false
		}
		n = n[i:]
	}
}

func (s *DNSServer) answer(m *dns.Msg, name string, qtype uint16, lenientLoop bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for range maxCNAME + 1 {
		rrs, exists := s.lookup(name)
		if !exists {
			m.Rcode = dns.RcodeNameError
			s.addSOA(m, name)
			return
		}
		if recs := rrs[qtype]; len(recs) > 0 {
			m.Answer = append(m.Answer, synth(recs, name)...)
			return
		}
		if qtype == dns.TypeANY {
			for _, recs := range rrs {
				m.Answer = append(m.Answer, synth(recs, name)...)
			}
			return
		}
		cn := rrs[dns.TypeCNAME]
		if len(cn) == 0 || qtype == dns.TypeCNAME {
			s.addSOA(m, name) // NODATA
			return
		}
		m.Answer = append(m.Answer, synth(cn[:1], name)...)
		name = strings.ToLower(cn[0].(*dns.CNAME).Target)
	}
	// CNAME loop or chain too long: what most resolvers answer; some
	// return the chain they followed with NOERROR.
	if lenientLoop {
		return
	}
	m.Answer = nil
	m.Rcode = dns.RcodeServerFailure
}

// lookup finds the records of name, using a wildcard (RFC 4592) when the
// name does not exist and its closest encloser has a "*" child.
func (s *DNSServer) lookup(name string) (map[uint16][]dns.RR, bool) {
	if rrs, ok := s.names[name]; ok && len(rrs) > 0 {
		return rrs, true
	}
	if s.exists[name] {
		return nil, true // empty non-terminal
	}
	for n := name; ; {
		i, end := dns.NextLabel(n, 0)
		if end {
			return nil, false
		}
		n = n[i:]
		if s.exists[n] {
			if rrs, ok := s.names["*."+n]; ok {
				return rrs, true
			}
			return nil, false
		}
	}
}

// synth copies records, renaming them to name (for wildcard answers).
func synth(recs []dns.RR, name string) []dns.RR {
	out := make([]dns.RR, 0, len(recs))
	for _, rr := range recs {
		c := dns.Copy(rr)
		c.Header().Name = name
		out = append(out, c)
	}
	return out
}

func (s *DNSServer) addSOA(m *dns.Msg, name string) {
	for n := name; ; {
		if soa := s.names[n][dns.TypeSOA]; len(soa) > 0 {
			m.Ns = append(m.Ns, soa[0])
			return
		}
		i, end := dns.NextLabel(n, 0)
		if end {
			return
		}
		n = n[i:]
	}
}

// ErrNoRoute is returned by the Dialer for addresses it has no route for.
var ErrNoRoute = errors.New("no route to this address in the test world (it never reaches the internet)")
