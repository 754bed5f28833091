package smtp

import (
	"context"
	"net/netip"
	"strings"
	"sync"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/smtpwire"
)

// FactKey is the key of the fact the smtp check publishes as soon as it
// starts: the openings of its sessions, up to the TLS handshake after
// STARTTLS, which the tls check reads instead of opening sessions of its
// own (one connection per MX address for both checks).
var FactKey = checks.NewFactKey[*Fact](ID)

// Fact hands out, per MX address, how the opening of the smtp check's
// session with it went (smtpwire.Opening): the connection and greeting,
// EHLO, STARTTLS and the TLS handshake with smtpwire.OpportunisticTLS,
// and the EHLO inside TLS. Each opening is given as soon as it is over,
// while the smtp check goes on with its probes. It is safe for concurrent
// use.
type Fact struct {
	mu     sync.Mutex
	open   map[openingKey]*opening
	closed bool // the check ended: no opening is given any more
}

type openingKey struct {
	host string
	ip   netip.Addr
}

type opening struct {
	done chan struct{}
	op   *smtpwire.Opening
}

func newFact() *Fact { return &Fact{open: map[openingKey]*opening{}} }

func (f *Fact) slot(host string, ip netip.Addr) *opening {
	k := openingKey{strings.ToLower(strings.TrimSuffix(host, ".")), ip.Unmap()}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.open[k]
	if !ok {
		o = &opening{done: make(chan struct{})}
		if f.closed {
			close(o.done)
		}
		f.open[k] = o
	}
	return o
}

// Opening waits for the opening of the smtp check's session with ip, an
// address of MX host host. It returns nil when the smtp check ended without
// one (it did not reach that address, or was cut short): the caller then
// opens a session of its own. The error is ctx's.
func (f *Fact) Opening(ctx context.Context, host string, ip netip.Addr) (*smtpwire.Opening, error) {
	o := f.slot(host, ip)
	select {
	case <-o.done:
		return o.op, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put gives the opening of the session with ip of host; only the first of
// an address counts (an MX host listed twice is probed twice).
func (f *Fact) put(host string, ip netip.Addr, op *smtpwire.Opening) {
	o := f.slot(host, ip)
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-o.done:
	default:
		o.op = op
		close(o.done)
	}
}

// close releases every wait for an opening that will not come.
func (f *Fact) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, o := range f.open {
		select {
		case <-o.done:
		default:
			close(o.done)
		}
	}
}
