package mailtest

import (
	"net"
	"sync"
)

// connServer is the accept loop the scripted servers share: it runs one
// session per connection, tracks the connections, and Close drops them and
// waits for every session to end.
type connServer struct {
	l    net.Listener
	done chan struct{} // closed by Close: sessions that wait select on it

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// newConnServer returns the server of l; start begins accepting. (Two
// steps, so that the owner holds the server before any session runs.)
func newConnServer(l net.Listener) *connServer {
	return &connServer{l: l, done: make(chan struct{}), conns: map[net.Conn]bool{}}
}

// start accepts on the listener; each connection runs session (after
// onAccept, when set) and is closed when it returns.
func (cs *connServer) start(session func(net.Conn), onAccept func()) {
	l := cs.l
	cs.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			cs.mu.Lock()
			if cs.closed {
				cs.mu.Unlock()
				_ = c.Close()
				return
			}
			cs.conns[c] = true
			cs.wg.Add(1)
			cs.mu.Unlock()
			if onAccept != nil {
				onAccept()
			}
			go func() {
				defer cs.wg.Done()
				session(c)
				_ = c.Close()
				cs.mu.Lock()
				delete(cs.conns, c)
				cs.mu.Unlock()
			}()
		}
	})
}

// Close stops the server, drops its connections and waits for its sessions.
func (cs *connServer) Close() {
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return
	}
	cs.closed = true
	close(cs.done)
	conns := cs.conns
	cs.conns = map[net.Conn]bool{}
	cs.mu.Unlock()
	_ = cs.l.Close()
	for c := range conns {
		_ = c.Close()
	}
	cs.wg.Wait()
}
