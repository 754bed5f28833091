package smtpwire

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"sync"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mx"
)

// ConnectKind says how the connection to an MX address failed, for the
// tally of a fan-out: whether port 25 looks blocked is decided from it.
type ConnectKind string

// The connection outcomes of the tally.
const (
	// ConnectOK: the TCP connection was made (whatever followed), or the
	// check's own time ran out, which says nothing about the address.
	ConnectOK          ConnectKind = ""
	ConnectRefused     ConnectKind = "refused"     // the address refused the connection
	ConnectTimeout     ConnectKind = "timeout"     // no answer to the connection in time
	ConnectUnreachable ConnectKind = "unreachable" // no route from here (e.g. IPv6 on an IPv4-only network)
)

// ConnectFailure classifies err, the error of s.Connect.
func ConnectFailure(ctx context.Context, s *Session, err error) ConnectKind {
	switch {
	case err == nil || ctx.Err() != nil || s.Connected():
		return ConnectOK
	case errors.Is(err, ErrRefused):
		return ConnectRefused
	case errors.Is(err, ErrTimeout):
		return ConnectTimeout
	}
	return ConnectUnreachable
}

// HostProbes is the outcome of a fan-out for one MX host.
type HostProbes[A any] struct {
	Host mx.Host
	// Err is why the host's addresses could not be found
	// (checks.ResolveHost's error); Addrs and Results are then empty.
	Err     error
	Addrs   []netip.Addr // the host's addresses, sorted
	Results []A          // the probe's result for each address, in Addrs order
}

// LookupFailed reports whether the host's address lookups failed (a DNS
// error, with its query log), as opposed to a host that has no address,
// which is the mx check's finding (mx.no-address).
func (h *HostProbes[A]) LookupFailed() bool {
	var le *dnsq.LookupError
	return errors.As(h.Err, &le)
}

// Queries returns the query logs of the host's failed lookups.
func (h *HostProbes[A]) Queries() []dnsq.Query {
	var qs []dnsq.Query
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		qs = append(qs, dnsq.QueriesOf(e)...)
	}
	walk(h.Err)
	return qs
}

// ProbeMX is the one fan-out over MX hosts and their addresses: it resolves
// every host's addresses through the run's DNS client and calls probe for
// every address of every host, all at once, so that one slow or silent
// address (a tarpit, a firewall dropping port 25) costs its own wait,
// never the sum of them. It returns when every probe has, with the hosts
// in the order given.
func ProbeMX[A any](ctx context.Context, env *checks.Env, hosts []mx.Host, probe func(ctx context.Context, host string, ip netip.Addr) A) []HostProbes[A] {
	out := make([]HostProbes[A], len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		out[i].Host = h
		wg.Go(func() {
			hp := &out[i]
			addrs, err := checks.ResolveHost(ctx, env.DNS, h.Name)
			if err != nil {
				hp.Err = err
				return
			}
			sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
			hp.Addrs = addrs
			hp.Results = make([]A, len(addrs))
			var awg sync.WaitGroup
			for j, ip := range addrs {
				awg.Go(func() {
					hp.Results[j] = probe(ctx, h.Name, ip)
				})
			}
			awg.Wait()
		})
	}
	wg.Wait()
	return out
}

// Tally counts the connection outcomes of a fan-out.
type Tally struct {
	Addresses   int // addresses tried
	TimedOut    int // connections that got no answer in time
	Unreachable int // addresses unreachable from here
}

// Count tallies a fan-out; kind says how the connection behind one
// address's result went.
func Count[A any](hosts []HostProbes[A], kind func(A) ConnectKind) Tally {
	var t Tally
	for _, h := range hosts {
		for _, r := range h.Results {
			t.Addresses++
			switch kind(r) {
			case ConnectTimeout:
				t.TimedOut++
			case ConnectUnreachable:
				t.Unreachable++
			}
		}
	}
	return t
}

// Port25Blocked reports that no address could be reached, and at least one
// timed out while connecting: outbound port 25 is probably blocked on this
// network, which says nothing about the servers.
func (t Tally) Port25Blocked() bool {
	return t.TimedOut > 0 && t.TimedOut+t.Unreachable == t.Addresses
}

// Untested decides a fan-out that tried no address at all (Tally.Addresses
// is 0). For a domain that publishes a null MX and nothing else, there is
// on purpose nothing to test: skip is the checks.NotApplicable error to
// return. Otherwise nothing tested is never a pass: message is the text of
// the check's <check>.nothing-tested finding and ev the DNS evidence of
// the lookups that failed (nil when none did).
func Untested[A any](fact *mx.Fact, hosts []HostProbes[A]) (skip error, message string, ev *checks.Evidence) {
	if fact.Null && len(fact.Hosts) == 0 {
		return checks.NotApplicable(NothingTested(fact, nil)), "", nil
	}
	errs := make([]string, len(hosts))
	ev = &checks.Evidence{}
	for i := range hosts {
		errs[i] = LookupWords(hosts[i].Err)
		if hosts[i].LookupFailed() {
			ev.AddDNS(hosts[i].Queries()...)
		}
	}
	if len(ev.DNS) == 0 {
		ev = nil
	}
	return nil, NothingTested(fact, errs), ev
}
