package ptr

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// ID is the check ID.
const ID = "ptr"

// Check is the ptr check.
type Check struct{}

var (
	_ checks.Check          = Check{}
	_ checks.AddressChecker = Check{}
)

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Reverse DNS of sending addresses" }

// Needs implements checks.Check: the check needs only the target's --ip
// addresses, or the target address itself.
func (Check) Needs() []string { return nil }

// ChecksAddress implements checks.AddressChecker: on an address target
// (mxray check 192.0.2.7) the check examines that address.
func (Check) ChecksAddress() bool { return true }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "ptr.missing", Severity: checks.SevFail, Title: "A sending address has no reverse DNS (PTR) record",
		Why: "Receivers look up the PTR record of the address a message comes from before anything else. Gmail rejects mail from an address without one (550 5.7.25; 451 4.7.23 while it defers), Yahoo, Apple and La Poste require one, Microsoft may not accept such mail, and spam filters score it as a hijacked or consumer host.",
		Fix: "Ask whoever holds the address (your hosting or network provider: only they can publish it) for a PTR record naming your mail server, e.g. `7.113.0.203.in-addr.arpa. IN PTR mail.example.com.`, and publish `mail.example.com. IN A 203.0.113.7`.",
		Ref: "RFC 1912 §2.1"},
	{ID: "ptr.fcrdns-mismatch", Severity: checks.SevFail, Title: "The PTR name of a sending address does not resolve back to it",
		SeverityNote: "warn when the address has several PTR names and at least one of them resolves back to it",
		Why:          "Receivers trust a PTR name only when it is forward-confirmed (FCrDNS): its A or AAAA records must include the address, or whoever controls a reverse zone could claim any name. Gmail treats a name that does not resolve back like a missing PTR record (550 5.7.25: the forward DNS entry does not point to the sending IP) and Yahoo requires valid forward and reverse DNS, so this fails. When an address has several PTR names and only some resolve back, a receiver that takes one of the others (resolvers return them in any order, and most receivers use one) sees a mismatch on some messages only: a warning.",
		Fix:          "Publish an A (or AAAA) record for the PTR name pointing at the address, or have the PTR record changed to a name that does; keep one PTR record per address.",
		Ref:          "RFC 8601 §3 (iprev)"},
	{ID: "ptr.generic", Severity: checks.SevWarn, Title: "The PTR name of a sending address looks generic (a provider's name for a consumer or dynamic address)",
		Why: "Providers give every address of a range a generated name; receivers take such names for consumer or dynamically assigned hosts, which are not expected to send mail directly. Yahoo asks senders not to use a reverse DNS that looks dynamically assigned, Spamhaus lists such ranges in its Policy Block List (PBL), and spam filters (SpamAssassin's RDNS_DYNAMIC, for one) score them; Gmail's reverse DNS rejections (550 5.7.25, 451 4.7.23) come on top when the name does not resolve back. mxray calls a name generic when it contains the address: IPv4's four octets in either order, separated by dots, dashes or underscores, with or without zero padding (203-0-113-7, 7.113.0.203, 203-000-113-007), as twelve padded digits (203000113007), in hex (cb007107, either byte order) or as one number (3405803783), or IPv6's groups separated by dashes or dots, its 32 hex digits or its reversed nibbles; when it contains the last two octets of an IPv4 address (113-7, 7-113) next to a word such as host, ip, cust, client, static, dyn, pool, dsl or cable (host-113-7.cust.example); or when a label left of its registered domain joins a word such as dyn, dynamic, dhcp, dialup, ppp, pppoe, dsl, adsl, broadband, cpe, cust or residential with a number (dsl123.isp.example).",
		Fix: "Have the PTR record set to a name of your own that identifies the mail server (e.g. mail.example.com) and resolves back to the address. An address of a consumer connection cannot send mail directly: relay through your provider's or an email service's servers."},
	{ID: "ptr.dns-error", Severity: checks.SevError, Title: "A reverse or forward DNS lookup of a sending address failed (timeout, SERVFAIL or REFUSED)",
		Why: "A lookup that fails says nothing about the record: the address is left undecided, never called missing or mismatched.",
		Fix: "Check that the reverse zone's name servers (your provider's) answer PTR queries for the address, and the PTR name's servers A/AAAA queries, then run the check again."},
	{ID: "ptr.not-public", Severity: checks.SevInfo, Title: "A sending address is not a public address; its reverse DNS is not checked",
		Why: "Receivers on the internet never see a private, loopback, link-local or shared (CGNAT) address: they judge the public address the mail leaves from, whose reverse DNS is what matters.",
		Fix: "Give the public address your mail leaves from with --ip."},
	{ID: "ptr.ok", Severity: checks.SevInfo, Title: "The sending address has a PTR record that resolves back to it",
		Why: "Forward-confirmed reverse DNS with a name of its own is what receivers ask of a sending address.",
		Fix: "Nothing to do."},
}

// Status is the verdict on one address's reverse DNS. Its string values
// are the wire words of the check's JSON data.
type Status string

// The statuses of an address, from best to worst.
const (
	StatusOK        Status = "ok"              // a PTR name of its own that resolves back
	StatusGeneric   Status = "generic"         // resolves back, but the name looks generic
	StatusPartial   Status = "fcrdns-partial"  // several PTR names, only some resolve back
	StatusMismatch  Status = "fcrdns-mismatch" // no PTR name resolves back
	StatusMissing   Status = "missing"         // no PTR record
	StatusUnknown   Status = "unknown"         // a lookup failed: undecided
	StatusNotPublic Status = "not-public"      // not looked up: receivers never see it
)

// Data is the check's JSON data.
type Data struct {
	// Addresses are the --ip addresses in the order given, once each.
	Addresses []Address `json:"addresses"`
}

// Address is the reverse DNS of one sending address.
type Address struct {
	// Address is the sending address.
	Address string `json:"address"`
	// Status is the verdict on the address's reverse DNS.
	Status Status `json:"status"`
	// PTR lists the PTR names (lower case, no trailing dot); empty when
	// the address has none or its PTR lookup failed (Status says which).
	PTR []string `json:"ptr,omitempty"`
	// Names holds, for each PTR name, its forward lookup.
	Names []Name `json:"names,omitempty"`
	// FCrDNS is true when a PTR name resolves back to the address, false
	// when none does; absent when there is no PTR name or a failed lookup
	// left it undecided.
	FCrDNS *bool `json:"fcrdns,omitempty"`
	// Generic says why a PTR name looks generic; absent when none does.
	Generic string `json:"generic,omitempty"`
}

// Name is one PTR name and its forward (A or AAAA, the address's family)
// lookup.
type Name struct {
	// Name is the PTR name, lower case without the trailing dot.
	Name string `json:"name"`
	// Addresses are the name's addresses of the sending address's family.
	Addresses []string `json:"addresses"`
	// Confirmed: the name resolves back to the address; absent when its
	// lookup failed.
	Confirmed *bool `json:"confirmed,omitempty"`
	// Error says, in plain words, why the forward lookup failed.
	Error string `json:"error,omitempty"`
	// Generic says why the name looks generic (like a dynamic or residential address); absent when it does not.
	Generic string `json:"generic,omitempty"`
}

// maxNames bounds the PTR names of one address that are followed.
const maxNames = 10

// cgnat is the shared address space of RFC 6598.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// public reports whether receivers on the internet can see a as a sending
// address (checks.PublicAddress).
func public(a netip.Addr) bool { return checks.PublicAddress(a) }

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	given := t.IPs
	if t.Kind() == checks.TargetAddress {
		given = append([]netip.Addr{t.Address}, t.IPs...)
	}
	if len(given) == 0 {
		return checks.NotApplicable("no sending address given (--ip)")
	}
	// The data lists the addresses in the order given, once each.
	data := &Data{Addresses: []Address{}}
	defer out.SetData(data)
	var addrs []netip.Addr
	var slots []int // data.Addresses index of addrs[i]
	seen := map[netip.Addr]bool{}
	for _, a := range given {
		a = a.WithZone("").Unmap()
		if !a.IsValid() || seen[a] {
			continue
		}
		seen[a] = true
		if !public(a) {
			data.Addresses = append(data.Addresses, Address{Address: a.String(), Status: StatusNotPublic})
			f := checks.Finding{ID: "ptr.not-public", Subject: a.String(), Address: a.String(),
				Message: fmt.Sprintf("%s is not a public address (%s): receivers never see it, so its reverse DNS is not checked", a, kind(a))}
			if t.Kind() == checks.TargetAddress {
				f.Fix = "Check the public address your mail leaves from instead: mxray check ADDRESS (the address a receiver sees, e.g. in the Received header it adds)."
			}
			out.Add(f)
			continue
		}
		slots = append(slots, len(data.Addresses))
		data.Addresses = append(data.Addresses, Address{Address: a.String()})
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		if t.Kind() == checks.TargetAddress {
			return checks.NotApplicable(t.Address.String() + " is not a public address")
		}
		return checks.NotApplicable("no public sending address given (--ip)")
	}

	results := make([]reverse, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { results[i] = lookup(ctx, env.DNS, a) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		for _, i := range slots {
			data.Addresses[i].Status = StatusUnknown
		}
		return ctx.Err() // cut short by the check's deadline: nothing about the addresses
	}
	for i, a := range addrs {
		data.Addresses[slots[i]] = report(out, t.Domain, a, results[i])
	}
	FactKey.Publish(out, data)
	return nil
}

func kind(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case cgnat.Contains(a):
		return "shared address space for carrier-grade NAT"
	case a.IsMulticast():
		return "multicast"
	case a.IsUnspecified():
		return "unspecified"
	}
	return "reserved"
}

// reverse is the outcome of one address's lookups.
type reverse struct {
	arpa     string
	err      error // the PTR lookup's
	names    []string
	dropped  int // PTR names beyond maxNames
	forward  []forward
	evidence []dnsq.Query
}

type forward struct {
	addrs     []netip.Addr
	confirmed bool
	nxdomain  bool // the name does not exist
	invalid   bool // the PTR record holds no valid domain name
	err       error
	query     dnsq.Query // the successful answer's log entry
}

// lookup asks for the PTR record of a, then for the A or AAAA records of
// every PTR name at once.
func lookup(ctx context.Context, c *dnsq.Client, a netip.Addr) reverse {
	var r reverse
	r.arpa, r.err = dns.ReverseAddr(a.String())
	if r.err != nil {
		return r
	}
	ans, err := c.Lookup(ctx, r.arpa, dns.TypePTR)
	if err != nil {
		r.err = err
		r.evidence = dnsq.QueriesOf(err)
		return r
	}
	r.evidence = append(r.evidence, ans.Query)
	for _, rr := range ans.Records() {
		if p, ok := rr.(*dns.PTR); ok {
			n := strings.TrimSuffix(strings.ToLower(p.Ptr), ".")
			if n == "" {
				n = "."
			}
			r.names = append(r.names, n)
		}
	}
	slices.Sort(r.names)
	r.names = slices.Compact(r.names)
	if len(r.names) > maxNames {
		r.dropped = len(r.names) - maxNames
		r.names = r.names[:maxNames]
	}
	qtype := dns.TypeA
	if a.Is6() {
		qtype = dns.TypeAAAA
	}
	r.forward = make([]forward, len(r.names))
	var wg sync.WaitGroup
	for i, n := range r.names {
		wg.Go(func() {
			fa, err := c.Lookup(ctx, n, qtype)
			if err != nil {
				if errors.Is(err, dnsq.ErrInvalidName) {
					// Not a name at all: it cannot resolve back.
					r.forward[i] = forward{invalid: true}
					return
				}
				r.forward[i] = forward{err: err}
				return
			}
			f := forward{addrs: fa.Addrs(), nxdomain: fa.NXDomain(), query: fa.Query}
			f.confirmed = slices.ContainsFunc(f.addrs, func(x netip.Addr) bool { return x.Unmap() == a })
			r.forward[i] = f
		})
	}
	wg.Wait()
	for _, f := range r.forward {
		if f.err != nil {
			r.evidence = append(r.evidence, dnsq.QueriesOf(f.err)...)
		} else {
			r.evidence = append(r.evidence, f.query)
		}
	}
	return r
}

// report turns one address's lookups into findings and its data.
func report(out *checks.Out, domain string, a netip.Addr, r reverse) Address {
	subj := a.String()
	d := Address{Address: subj}
	ev := checks.DNSEvidence(r.evidence...)
	if r.err != nil {
		d.Status = StatusUnknown
		out.Add(checks.Finding{ID: "ptr.dns-error", Subject: subj, Address: subj, Evidence: ev,
			Message: fmt.Sprintf("the reverse DNS of %s could not be looked up (%s); whether it has a PTR record is unknown", a, plain(r.err))})
		return d
	}
	example := "mail." + domain
	if domain == "" {
		example = "mail.example.com"
	}
	if len(r.names) == 0 {
		d.Status = StatusMissing
		out.Add(checks.Finding{ID: "ptr.missing", Subject: subj, Address: subj, Evidence: ev,
			Message: fmt.Sprintf("%s has no PTR record (none at %s): Gmail rejects its mail (550 5.7.25), and most receivers distrust it", a, strings.TrimSuffix(r.arpa, ".")),
			Fix: fmt.Sprintf("Ask whoever holds %s (your hosting or network provider) to publish `%s IN PTR %s.`, and publish `%s. IN %s %s`.",
				a, r.arpa, example, example, family(a), a)})
		return d
	}
	d.PTR = r.names
	var confirmed, unconfirmed, undecided []string
	var generic []string
	for i, n := range r.names {
		f := r.forward[i]
		nm := Name{Name: n, Addresses: []string{}}
		for _, x := range f.addrs {
			nm.Addresses = append(nm.Addresses, x.String())
		}
		switch {
		case f.err != nil:
			nm.Error = reason(f.err)
			undecided = append(undecided, n)
		case f.confirmed:
			nm.Confirmed = ptrTo(true)
			confirmed = append(confirmed, n)
		default:
			nm.Confirmed = ptrTo(false)
			unconfirmed = append(unconfirmed, n)
		}
		if g, why := Generic(n, a); g {
			nm.Generic = why
			if d.Generic == "" {
				d.Generic = why
			}
			generic = append(generic, n)
		}
		d.Names = append(d.Names, nm)
	}
	switch {
	case len(confirmed) > 0:
		d.FCrDNS = ptrTo(true)
	case len(undecided) == 0:
		d.FCrDNS = ptrTo(false)
	}
	names := strings.Join(r.names, ", ")
	if r.dropped > 0 {
		names += fmt.Sprintf(" and %d more", r.dropped)
	}

	switch {
	case len(undecided) > 0 && len(confirmed) == 0:
		d.Status = StatusUnknown
	case len(unconfirmed) > 0 && len(confirmed) == 0:
		d.Status = StatusMismatch
	case len(undecided) > 0:
		d.Status = StatusUnknown
	case len(unconfirmed) > 0:
		d.Status = StatusPartial
	case len(generic) > 0:
		d.Status = StatusGeneric
	default:
		d.Status = StatusOK
	}

	if len(unconfirmed) > 0 {
		var why []string
		for i, n := range r.names {
			if slices.Contains(unconfirmed, n) {
				why = append(why, notBack(n, a, r.forward[i]))
			}
		}
		f := checks.Finding{ID: "ptr.fcrdns-mismatch", Subject: subj, Address: subj, Evidence: ev}
		switch {
		case len(confirmed) > 0:
			f.Severity = checks.SevWarn
			f.Message = fmt.Sprintf("%s has %d PTR names (%s); %s resolves back to it, but %s: receivers that take one of those see a mismatch",
				a, len(r.names), names, strings.Join(confirmed, ", "), strings.Join(why, "; "))
			f.Fix = fmt.Sprintf("Have the PTR records of %s that do not resolve back (%s) removed, keeping %s.", a, strings.Join(unconfirmed, ", "), confirmed[0])
		case len(undecided) > 0:
			f.Severity = checks.SevWarn
			f.Message = fmt.Sprintf("%s has PTR %s; %s, and whether the other names resolve back is unknown", a, names, strings.Join(why, "; "))
			f.Fix = fmt.Sprintf("Publish `%s. IN %s %s`, or have the PTR record changed to a name that resolves to %s.", unconfirmed[0], family(a), a, a)
		default:
			which := "which does not resolve"
			if len(r.names) > 1 {
				which = "none of which resolves"
			}
			f.Message = fmt.Sprintf("%s has PTR %s, %s back to it: %s; Gmail rejects its mail (550 5.7.25) as if it had no PTR record", a, names, which, strings.Join(why, "; "))
			f.Fix = fmt.Sprintf("Publish `%s. IN %s %s`, or have the PTR record of %s changed to a name that resolves to it.", unconfirmed[0], family(a), a, a)
		}
		out.Add(f)
	}
	if len(undecided) > 0 {
		var why []string
		for i, n := range r.names {
			if slices.Contains(undecided, n) {
				w := reason(r.forward[i].err)
				if len(undecided) > 1 {
					w = n + ": " + w
				}
				why = append(why, w)
			}
		}
		lookups := fmt.Sprintf("its %s lookup failed (%s)", family(a), strings.Join(why, "; "))
		if len(undecided) > 1 {
			lookups = fmt.Sprintf("their %s lookups failed (%s)", family(a), strings.Join(why, "; "))
		}
		var msg string
		switch {
		case len(r.names) == 1:
			msg = fmt.Sprintf("whether the PTR name of %s, %s, resolves back to it is unknown: %s", a, names, lookups)
		case len(confirmed) > 0:
			msg = fmt.Sprintf("%s has PTR %s; %s resolves back to it, but whether %s does is unknown: %s", a, names, strings.Join(confirmed, ", "), strings.Join(undecided, ", "), lookups)
		default:
			msg = fmt.Sprintf("%s has PTR %s, and whether %s resolves back to it is unknown: %s", a, names, strings.Join(undecided, ", "), lookups)
		}
		out.Add(checks.Finding{ID: "ptr.dns-error", Subject: subj, Address: subj, Evidence: ev, Message: msg,
			Fix: fmt.Sprintf("Check that the name servers of %s answer %s queries, then run the check again.", undecided[0], family(a))})
	}
	if len(generic) > 0 {
		out.Add(checks.Finding{ID: "ptr.generic", Subject: subj, Address: subj, Evidence: ev,
			Message: fmt.Sprintf("%s has the generic-looking PTR name %s: %s, so receivers take it for a consumer or dynamically assigned address",
				a, strings.Join(generic, ", "), d.Generic),
			Fix: fmt.Sprintf("Have the PTR record of %s set to a name of your own for the mail server (e.g. %s) that resolves back to it; a consumer connection's address cannot send mail directly: relay through your provider's or an email service's servers.", a, example)})
	}
	if d.Status == StatusOK {
		out.Add(checks.Finding{ID: "ptr.ok", Subject: subj, Address: subj, Evidence: ev,
			Message: fmt.Sprintf("%s has PTR %s, which resolves back to it", a, names)})
	}
	return d
}

// notBack says why the PTR name n does not resolve back to a.
func notBack(n string, a netip.Addr, f forward) string {
	switch {
	case f.invalid:
		return fmt.Sprintf("%q is not a valid host name", n)
	case f.nxdomain:
		return fmt.Sprintf("%s does not exist", n)
	case len(f.addrs) == 0:
		return fmt.Sprintf("%s has no %s record", n, family(a))
	}
	var s []string
	for _, x := range f.addrs {
		s = append(s, x.String())
	}
	return fmt.Sprintf("%s resolves to %s", n, strings.Join(s, ", "))
}

// plain says why a lookup failed, in plain words: the question and the
// reason ("mail.example.com A: the resolver answered SERVFAIL").
func plain(err error) string {
	var le *dnsq.LookupError
	if errors.As(err, &le) {
		return le.Error()
	}
	return dnsq.Describe(err)
}

// reason says why a lookup failed, without the question
// ("the resolver answered SERVFAIL").
func reason(err error) string {
	var le *dnsq.LookupError
	if errors.As(err, &le) {
		return dnsq.Describe(le.Err)
	}
	return dnsq.Describe(err)
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "A"
	}
	return "AAAA"
}

func ptrTo[T any](v T) *T { return &v }
