package smtp

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/smtpwire"
)

// Rate is how often mxray may open a connection to one MX address: N
// connections every Per.
type Rate struct {
	N   int
	Per time.Duration
}

// DefaultRate is the bulk default: two connections a minute per address.
var DefaultRate = Rate{N: 2, Per: time.Minute}

// maxRateN bounds N in a rate: more than a million connections per unit
// is no politeness at all.
const maxRateN = 1_000_000

// ErrRate is the error of a rate that cannot be read.
var ErrRate = errors.New("smtp: invalid rate")

// ParseRate reads a rate written N/s, N/m or N/h (e.g. 2/m): N from 1 to
// a million connections per second, minute or hour.
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[strings.TrimSpace(unit)]
	if !ok || per == 0 {
		return Rate{}, fmt.Errorf("%w: want N/s, N/m or N/h, e.g. 2/m", ErrRate)
	}
	v, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || v < 1 || v > maxRateN {
		return Rate{}, fmt.Errorf("%w: want a whole number of connections from 1 to %d before the /", ErrRate, maxRateN)
	}
	return Rate{N: v, Per: per}, nil
}

// String writes the rate as ParseRate reads it.
func (r Rate) String() string {
	u := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return fmt.Sprintf("%d/%s", r.N, u)
}

// interval is the time between two connections to one address.
func (r Rate) interval() time.Duration {
	if r.N <= 0 || r.Per <= 0 {
		return 0
	}
	return r.Per / time.Duration(r.N)
}

// DefaultCacheSize bounds a Cache: the addresses whose results it keeps
// (the least recently used are forgotten first). A result is a few
// kilobytes (the opening's transcript and certificates): about 40 MB.
const DefaultCacheSize = 10_000

// Cache shares, across the domains of a bulk run, what an MX address
// showed of itself: the greeting, EHLO, STARTTLS, the TLS handshake and
// certificate (the opening the tls check judges, DANE included) and its
// reverse DNS, so that a million domains hosted on one provider do not
// become a million connections to it. What concerns one domain (the
// postmaster, null sender, relay and VRFY probes, greylisting) is not
// shared: a domain whose address was already tested reports none of it.
// It also spaces the connections to each address by a Rate. It keeps at
// most its size of addresses, least recently used forgotten first, and
// the connection times of as many. Safe for concurrent use.
type Cache struct {
	rate Rate
	size int
	now  func() time.Time

	mu       sync.Mutex
	entries  map[cacheKey]*list.Element // of *cacheEntry
	lru      *list.List
	next     map[netip.Addr]time.Time // when an address may next be dialled
	nextLRU  *list.List               // of netip.Addr, oldest first
	nextEl   map[netip.Addr]*list.Element
	sessions int
}

type cacheKey struct {
	kind string // what was probed: "smtp" (the session), or a caller's kind (Shared)
	host string
	ip   netip.Addr
	helo string
}

type cacheEntry struct {
	key  cacheKey
	done chan struct{}
	ok   bool // filled; false when abandoned (the first run was cut short)
	v    any
}

// sessionResult is what the smtp check keeps of a session.
type sessionResult struct {
	addr    Address
	opening *smtpwire.Opening
}

// NewCache returns a cache of at most size addresses (DefaultCacheSize
// when size < 1) whose connections to one address are spaced by rate (a
// zero rate: not at all).
func NewCache(size int, rate Rate) *Cache {
	if size < 1 {
		size = DefaultCacheSize
	}
	return &Cache{rate: rate, size: size, now: time.Now, entries: map[cacheKey]*list.Element{}, lru: list.New(),
		next: map[netip.Addr]time.Time{}, nextLRU: list.New(), nextEl: map[netip.Addr]*list.Element{}}
}

// Sessions is how many addresses the cache had tested for it (one
// session each, whatever the number of domains that read the result).
func (c *Cache) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions
}

type cacheCtxKey struct{}

// WithCache returns ctx carrying c: the smtp check of every run given ctx
// shares c.
func WithCache(ctx context.Context, c *Cache) context.Context {
	return context.WithValue(ctx, cacheCtxKey{}, c)
}

func cacheOf(ctx context.Context) *Cache {
	c, _ := ctx.Value(cacheCtxKey{}).(*Cache)
	return c
}

// claim returns the entry for k and whether the caller is the first, who
// must test the address and then fill or abandon it. Others wait for it.
func (c *Cache) claim(k cacheKey) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry), false
	}
	e := &cacheEntry{key: k, done: make(chan struct{})}
	c.entries[k] = c.lru.PushFront(e)
	c.sessions++
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).key)
	}
	return e, true
}

// fill records the result of the first run; abandon forgets the entry
// (the run was cut short), so that the next domain tests the address.
func (c *Cache) fill(e *cacheEntry, v any) {
	e.v, e.ok = v, true
	close(e.done)
}

func (c *Cache) abandon(e *cacheEntry) {
	c.mu.Lock()
	if el, ok := c.entries[e.key]; ok && el.Value == e {
		c.lru.Remove(el)
		delete(c.entries, e.key)
	}
	c.sessions--
	c.mu.Unlock()
	close(e.done)
}

// wait waits until ip may be dialled under the rate and books the slot.
func (c *Cache) wait(ctx context.Context, ip netip.Addr) error {
	iv := c.rate.interval()
	if iv <= 0 {
		return nil
	}
	c.mu.Lock()
	now := c.now()
	at := c.next[ip]
	if at.Before(now) {
		at = now
	}
	if dl, ok := ctx.Deadline(); ok && at.After(dl) {
		// The slot comes after this check's end: book nothing, or the
		// bookings of checks that can never use them would push every
		// later slot out and starve the address for the rest of the run.
		c.mu.Unlock()
		return context.DeadlineExceeded
	}
	c.next[ip] = at.Add(iv)
	if el, ok := c.nextEl[ip]; ok {
		c.nextLRU.MoveToBack(el)
	} else {
		c.nextEl[ip] = c.nextLRU.PushBack(ip)
		for c.nextLRU.Len() > c.size {
			old := c.nextLRU.Front()
			c.nextLRU.Remove(old)
			delete(c.nextEl, old.Value.(netip.Addr))
			delete(c.next, old.Value.(netip.Addr))
		}
	}
	c.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// perDomain are the findings about one domain rather than its MX address:
// a domain that reads a shared result reports none of them.
var perDomain = map[string]bool{
	"smtp.postmaster-rejected":  true,
	"smtp.null-sender-rejected": true,
	"smtp.open-relay":           true,
	"smtp.vrfy-enabled":         true,
	"smtp.greylisted":           true,
	"smtp.deferred":             true,
	"smtp.port25-blocked":       true, // judged over the domain's addresses
	"smtp.nothing-tested":       true,
	"smtp.timeout":              true, // unless the opening ended with it (below)
	"smtp.reply-too-long":       true, // idem
	"smtp.dns-error":            false,
	"smtp.connect-failed":       false,
	"smtp.banner-timeout":       false,
	"smtp.banner-rejected":      false,
	"smtp.slow-banner":          false,
	"smtp.ehlo-rejected":        false,
	"smtp.ptr-missing":          false,
	"smtp.fcrdns-mismatch":      false,
	"smtp.ptr-generic":          false,
	"smtp.banner-ptr-mismatch":  false,
}

// shared is the part of a's result that another domain may read: the
// opening (its stages and transcript, not the probes after it), the
// address's own findings. op is the opening the tls check was given.
func shared(a Address, op *smtpwire.Opening) Address {
	s := a
	s.VRFY, s.NullSender, s.Postmaster, s.Relay, s.PostmasterNewSender = nil, nil, nil, nil, nil
	s.Sender, s.Deferrals, s.Greylisted = "", nil, false
	openingEnded := op != nil && op.Step != ""
	s.findings = nil
	for _, f := range a.findings {
		if !perDomain[f.ID] || (openingEnded && (f.ID == "smtp.timeout" || f.ID == "smtp.reply-too-long")) {
			s.findings = append(s.findings, f)
		}
	}
	if op != nil {
		s.Stages = append([]smtpwire.Stage(nil), op.Stages...)
		s.Transcript = append([]smtpwire.Entry(nil), op.Transcript...)
		if op.Step == "" {
			s.Outcome, s.Error = OutcomeCompleted, ""
		}
	}
	return s
}

// reused is a copy of a shared result for one more domain, its transcript
// saying where it comes from.
func reused(s Address) Address {
	a := s
	a.findings = append([]checks.Finding(nil), s.findings...)
	a.Stages = append([]smtpwire.Stage(nil), s.Stages...)
	a.Transcript = append(append([]smtpwire.Entry(nil), s.Transcript...),
		smtpwire.Entry{Dir: checks.DirInfo, Text: "the session with this address, earlier in this batch, for another domain (the postmaster, relay and VRFY probes are not repeated)"})
	return a
}

// ErrNotTested is the error of Shared when the check's time ran out
// before the address could be probed (waiting for the rate, or for
// another domain's probe of it).
var ErrNotTested = errors.New("not tested: the check's time ran out while waiting for the next connection --smtp-rate allows to this address")

// Shared runs probe, a probe of MX address ip of host that says nothing
// about the domain (e.g. the tls check's TLS 1.0/1.1 connection), once per
// bulk batch: with a Cache in ctx, the first domain's run waits for the
// address's rate and probes, the others read its result. probe reports
// whether its result may be shared (false when it was cut short: the next
// domain probes again). Without a Cache, it just runs probe.
func Shared[T any](ctx context.Context, kind, host string, ip netip.Addr, helo string, probe func() (T, bool)) (T, error) {
	c := cacheOf(ctx)
	if c == nil {
		v, _ := probe()
		return v, nil
	}
	var zero T
	k := cacheKey{kind: kind, host: strings.ToLower(strings.TrimSuffix(host, ".")), ip: ip.Unmap(), helo: helo}
	for {
		e, first := c.claim(k)
		if first {
			if err := c.wait(ctx, ip); err != nil {
				c.abandon(e)
				return zero, ErrNotTested
			}
			v, keep := probe()
			if !keep || ctx.Err() != nil {
				c.abandon(e)
				return v, nil
			}
			c.fill(e, v)
			return v, nil
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return zero, ErrNotTested
		}
		if v, ok := e.v.(T); e.ok && ok {
			return v, nil
		}
		if !e.ok {
			continue
		}
		return zero, fmt.Errorf("internal error: the shared %s probe holds a %T", kind, e.v)
	}
}
