package dnsq

import (
	"sync"

	"github.com/miekg/dns"
)

// Idle UDP sockets are kept between exchanges, so that most questions
// cost no socket of their own: opening and closing one per question was a
// bulk run's largest cost (a quarter of its CPU time, in system calls).
// A socket still serves only one exchange at a time, and it is kept only
// after an exchange that ended cleanly: an answer with the question's ID,
// read before the deadline. A timeout, an error, a malformed or truncated
// answer, or a cancelled exchange closes it, so that no late answer can
// wait in it for the next question (miekg/dns also skips answers whose ID
// is not the question's, and validate checks the question section).
// Each socket serves at most maxSocketUses questions: its source port, the
// other half of what an off-path forger must guess besides the ID, keeps
// changing.
const (
	maxSocketUses = 16
	maxIdleSocks  = 256 // per server: a bulk run's in-flight bound
)

// socketPool keeps idle connected UDP sockets by server. Its methods are
// safe for concurrent use.
type socketPool struct {
	mu     sync.Mutex
	idle   map[string][]*pooledConn
	closed bool
}

// pooledConn is a connected UDP socket and the exchanges it served.
type pooledConn struct {
	*dns.Conn
	uses int
}

func newSocketPool() *socketPool { return &socketPool{idle: map[string][]*pooledConn{}} }

// get returns an idle socket to server, or nil when there is none.
func (p *socketPool) get(server string) *pooledConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.idle[server]
	if len(s) == 0 {
		return nil
	}
	c := s[len(s)-1]
	s[len(s)-1] = nil
	p.idle[server] = s[:len(s)-1]
	return c
}

// put keeps c for the next question to server after an exchange that
// ended cleanly, or closes it when it has served its share, the pool is
// full or closed.
func (p *socketPool) put(server string, c *pooledConn) {
	c.uses++
	p.mu.Lock()
	if p.closed || c.uses >= maxSocketUses || len(p.idle[server]) >= maxIdleSocks {
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	p.idle[server] = append(p.idle[server], c)
	p.mu.Unlock()
}

// close closes every idle socket; sockets given back later are closed
// then.
func (p *socketPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = map[string][]*pooledConn{}, true
	p.mu.Unlock()
	for _, s := range idle {
		for _, c := range s {
			_ = c.Close()
		}
	}
}
