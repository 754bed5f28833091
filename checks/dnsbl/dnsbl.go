package dnsbl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
)

// ID is the check ID.
const ID = "dnsbl"

// Check is the dnsbl check.
type Check struct{}

var (
	_ checks.Check          = Check{}
	_ checks.Validator      = Check{}
	_ checks.AddressChecker = Check{}
)

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Blocklists (DNSBL)" }

// Needs implements checks.Check: the MX hosts come from the mx check.
func (Check) Needs() []string { return []string{mx.ID} }

// ChecksAddress implements checks.AddressChecker: on an address target
// (mxray check 192.0.2.7) the check asks the IP lists about that address,
// and waits for no MX host.
func (Check) ChecksAddress() bool { return true }

// Validate implements checks.Validator: a malformed zones file is a usage
// error, reported with its line number before any network work.
func (Check) Validate(opts checks.Options) error {
	if opts.DNSBLZones == "" {
		return nil
	}
	_, err := LoadZonesFile(opts.DNSBLZones)
	return err
}

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "dnsbl.listed", Severity: checks.SevFail, Title: "An address or the domain is on a blocklist",
		SeverityNote: "warn when the list is informational (e.g. UCEPROTECT Level 2 and 3, DroneBL) or the code is (URIBL grey)",
		Why:          "Receivers that use the list reject or junk mail from a listed address, or mail naming a listed domain; the MX addresses often send too (bounces, forwards), and the sending IPs given with --ip are what receivers judge.",
		Fix:          "Find out why at the list's lookup page, stop the cause (compromised account or host, open relay, spam complaints), then request removal there.",
		Ref:          "RFC 5782"},
	{ID: "dnsbl.query-refused", Severity: checks.SevError, Title: "A blocklist refused mxray's queries",
		Why: "Lists such as Spamhaus answer 127.255.255.254 to public resolvers and 127.255.255.255 to heavy users; URIBL and SURBL answer 127.0.0.1. Such an answer is no listing, and says nothing about the address: it is unknown on that list.",
		Fix: "Run mxray through a resolver you operate (--resolver), not a public one; for Spamhaus, a free Data Query Service key zone in a --dnsbl-zones file also works."},
	{ID: "dnsbl.resolver-rewrite", Severity: checks.SevError, Title: "Blocklist answers fall outside 127.0.0.0/8: NXDOMAIN is being rewritten",
		Why: "Every blocklist answer lies in 127.0.0.0/8 (RFC 5782). Anything else comes from a resolver that replaces NXDOMAIN with an address (ads, search pages), or from a dead list whose domain now has wildcard records: no answer from it can be trusted.",
		Fix: "Use a resolver that passes NXDOMAIN through unchanged (--resolver, e.g. a local Unbound); turn off NXDOMAIN redirection at the ISP or router.",
		Ref: "RFC 5782 §2.1"},
	{ID: "dnsbl.zone-unhealthy", Severity: checks.SevInfo, Title: "A blocklist failed its RFC 5782 health probe; its answers are ignored",
		Why: "A working list lists the test entry 127.0.0.2 (TEST for domain lists) and never 127.0.0.1 (INVALID). A list that fails is dead, renamed, or lists everyone; trusting it would give false results either way.",
		Fix: "Nothing to do for the domain. Remove the zone from your --dnsbl-zones file if it stays unhealthy.",
		Ref: "RFC 5782 §5"},
	{ID: "dnsbl.dns-error", Severity: checks.SevError, Title: "Blocklist or address lookups failed (timeout, SERVFAIL or REFUSED)",
		Why: "A list that does not answer leaves the address unknown on it: mxray never calls it clean.",
		Fix: "Run the check again; if a list keeps failing, check that the resolver can reach it (some lists block resolvers or whole networks)."},
	{ID: "dnsbl.clean", Severity: checks.SevInfo, Title: "Not listed on any blocklist that answered",
		Why: "Every healthy list answered and none lists the address or domain.",
		Fix: "Nothing to do."},
	{ID: "dnsbl.no-addresses", Severity: checks.SevError, Title: "No address was checked against the IP blocklists",
		SeverityNote: "info when the domain has no address to ask about on purpose (null MX, no MX host, only private addresses), no --ip was given and the domain lists answered: nothing was left untested that could be tested",
		Why:          "The IP lists can only be asked about public addresses, and none was asked: the domain has no MX address to check (null MX, no MX, private addresses), no --ip was given, or no usable list takes the addresses there are (IPv6). Nothing is then known about the addresses receivers judge, so the check decides nothing rather than pass.",
		Fix:          "Give the addresses your mail is sent from with --ip; those are the ones receivers judge."},
	{ID: "dnsbl.zone-retired", Severity: checks.SevWarn, Title: "The zones file lists a blocklist that has shut down",
		Why: "Dead lists either answer nothing or, after their domain is re-registered, list the whole internet: mail servers that still query them reject everything.",
		Fix: "Remove the zone from the zones file, and from any mail server that still queries it."},
	{ID: "dnsbl.no-usable-list", Severity: checks.SevError, Title: "No blocklist could be used: every list failed its health probe, refused, or did not answer",
		Why: "A list whose RFC 5782 test entries give the wrong answer, that refuses mxray's queries, whose answers are rewritten, or that does not answer, says nothing about any address. When that is true of every list, nothing was checked: some ISP and public resolvers answer NXDOMAIN for, refuse or rewrite every blocklist query, which other tools report as clean.",
		Fix: "Run mxray through a resolver that passes blocklist answers through unchanged, such as one you operate (a local Unbound, given with --resolver). If you use a zones file, check that its lists are alive.",
		Ref: "RFC 5782 §5"},
}

// Health is the outcome of a zone's RFC 5782 health probe.
type Health string

// The health states of a zone.
const (
	HealthOK        Health = "healthy"   // 127.0.0.2 (TEST) listed, 127.0.0.1 (INVALID) not
	HealthUnhealthy Health = "unhealthy" // a probe gave the wrong answer: answers ignored
	HealthRefused   Health = "refused"   // the list refuses this resolver
	HealthRewrite   Health = "rewrite"   // answers outside 127/8
	HealthUnknown   Health = "unknown"   // a probe failed (timeout, SERVFAIL...)
)

func (h Health) rank() int {
	switch h {
	case HealthRewrite:
		return 4
	case HealthRefused:
		return 3
	case HealthUnhealthy:
		return 2
	case HealthUnknown:
		return 1
	}
	return 0
}

// TargetStatus is the verdict for one address or the domain over all lists.
type TargetStatus string

// The target verdicts.
const (
	TargetListed  TargetStatus = "listed"  // on at least one healthy list
	TargetClean   TargetStatus = "clean"   // every healthy list answered, none lists it
	TargetUnknown TargetStatus = "unknown" // not listed where asked, but some list could not answer
)

// Data is the check's JSON data.
type Data struct {
	Source   string `json:"source"`             // "built-in" or the zones file
	Reviewed string `json:"reviewed,omitempty"` // when the built-in list was last reviewed
	// ListsUsable counts the zones that passed their health probe this run;
	// only their answers decide anything. ListsUnusable counts the others.
	ListsUsable int `json:"lists_usable"`
	// ListsUnusable counts the zones that failed their health probe this run.
	ListsUnusable int `json:"lists_unusable"`
	// Zones are the lists asked, with their health this run; [] when none.
	Zones []ZoneData `json:"zones"`
	// Addresses are the results per address asked about (MX addresses and --ip), in order; [] when none.
	Addresses []TargetData `json:"addresses"`
	// Domain is the result for the domain itself on the domain lists; absent when no domain list was asked.
	Domain *TargetData `json:"domain,omitempty"`
	// Skipped are the addresses not asked about, and why; absent when none.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// ZoneData describes one zone and its health this run.
type ZoneData struct {
	// Zone is the list's DNS zone.
	Zone string `json:"zone"`
	// Name is the list's name for people.
	Name string `json:"name"`
	// Type is what the list holds: ip or domain.
	Type Kind `json:"type"`
	// Weight is how much a listing matters: scoring (fails the check) or info (a warning).
	Weight Weight `json:"weight"`
	// Health is the zone's RFC 5782 health this run: healthy, unhealthy, refused, rewrite or unknown.
	Health Health `json:"health"`
	// HealthDetail says in plain words why the zone is not healthy; absent when it is.
	HealthDetail string `json:"health_detail,omitempty"`
	// Removal is where to ask for removal; absent when unknown.
	Removal string `json:"removal,omitempty"`
}

// TargetData is the result for one address (or the domain) on every zone
// asked.
type TargetData struct {
	// Target is the address, or the domain, asked about.
	Target  string   `json:"target"`
	Sources []string `json:"sources"` // where the address came from: "--ip", "MX host mx1.example.com", "domain", "target address"
	// Status is listed, clean or unknown (see Queried).
	Status TargetStatus `json:"status"`
	// Queried reports whether at least one usable list (one that passed
	// its health probe) answered for the target, listed or not. When false
	// nothing is known about it, whatever Status says: a display must not
	// show it as checked.
	Queried bool `json:"queried"`
	// ListsAnswered counts the usable lists that answered for the target;
	// ListsUnusable the lists asked whose answers count for nothing
	// (failed health probe, refused, rewritten, no answer to the probe).
	ListsAnswered int `json:"lists_answered"`
	// ListsUnusable counts the lists asked whose answers count for nothing.
	ListsUnusable int `json:"lists_unusable"`
	// Zones are each list's answer for the target; [] when none was asked.
	Zones []ZoneResult `json:"zones"`
}

// ZoneResult is the answer of one zone for one target.
type ZoneResult struct {
	// Zone is the list's DNS zone.
	Zone string `json:"zone"`
	// Status is listed, clean, refused, error or unhealthy.
	Status Status `json:"status"`
	// Codes are the return codes (127.0.0.x) of a listing; absent otherwise.
	Codes []string `json:"codes,omitempty"`
	// Meanings are what the codes mean, per the list; absent when unknown.
	Meanings []string `json:"meanings,omitempty"`
	Reason   string   `json:"reason,omitempty"` // the list's TXT record
	// Error says in plain words why the answer is unknown; absent when it is known.
	Error string `json:"error,omitempty"`
}

// Skipped is an address that was not asked about, and why.
type Skipped struct {
	// Target is the address not asked about.
	Target string `json:"target"`
	// Reason says why, in plain words (e.g. a private address).
	Reason string `json:"reason"`
}

// target is one address, or the domain, being checked.
type target struct {
	name    string
	addr    netip.Addr // invalid for the domain
	sources []string
	results map[*Zone]*result
}

// result is one zone's answer for one target.
type result struct {
	name    string
	v       verdict
	reason  string
	err     error
	queries []dnsq.Query
	records []string
}

// probe is a zone's health probe.
type probe struct {
	health  Health
	detail  string
	reason  string // TXT of a refused probe: the list's own explanation
	codes   []string
	queries []dnsq.Query
}

// run is the state of one execution of the check.
type run struct {
	ctx  context.Context
	env  *checks.Env
	list *List

	wg      sync.WaitGroup
	mu      sync.Mutex
	addrs   []*target
	byAddr  map[netip.Addr]*target
	domain  *target
	probes  map[*Zone]*probe
	skipped []Skipped
	hostErr []hostError
}

// hostError is an MX host whose address lookups failed.
type hostError struct {
	host string
	errs []*dnsq.LookupError
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	list, err := Load(env.Opts.DNSBLZones)
	if err != nil {
		return err
	}
	onAddress := t.Kind() == checks.TargetAddress
	if onAddress {
		// An address: the IP lists only, and nothing to wait for.
		if a := t.Address.Unmap(); !checks.PublicAddress(a) {
			return checks.NotApplicable(fmt.Sprintf("%s is not a public address; blocklists list only public ones", a))
		}
		if list = list.only(KindIP); len(list.Zones) == 0 {
			return checks.NotApplicable("the zones file lists no IP blocklist to ask about an address")
		}
	}
	r := &run{ctx: ctx, env: env, list: list, byAddr: map[netip.Addr]*target{}, probes: map[*Zone]*probe{}}

	// Everything that needs nothing else starts at once: the health probes,
	// the domain on the domain lists, the --ip addresses on the IP lists.
	for _, z := range list.Zones {
		r.startProbe(z)
	}
	if t.Domain != "" && list.has(KindDomain) {
		r.domain = &target{name: t.Domain, sources: []string{"domain"}, results: map[*Zone]*result{}}
		for _, z := range list.Zones {
			if z.Kind == KindDomain {
				r.startQuery(r.domain, z)
			}
		}
	}
	if onAddress {
		r.addAddress(t.Address, SourceTarget)
	}
	for _, ip := range t.IPs {
		r.addAddress(ip, "--ip")
	}

	// The MX hosts' addresses join as soon as the mx check has them. When
	// the mx check decided nothing, the --ip addresses and the domain are
	// still reported, and the check ends undecided with the mx check's
	// reason.
	var noMX string
	var f *mx.Fact
	var mxErr error
	if !onAddress {
		f, mxErr = mx.Await(ctx, out)
	}
	if mxErr == nil && f != nil {
		switch {
		case f.Null:
			noMX = fmt.Sprintf("%s publishes a null MX", f.Domain)
		case len(f.Hosts) == 0:
			noMX = fmt.Sprintf("%s has no MX host", f.Domain)
		}
		r.resolveHosts(f)
	}
	r.wg.Wait()
	if err := ctx.Err(); err != nil {
		// Cut short by the check's deadline: the failed lookups say
		// nothing about the addresses or the lists.
		return err
	}

	report(r, t, noMX, mxErr != nil, out)
	return mxErr
}

// SourceTarget is the source of the address examined on an address
// target (mxray check 192.0.2.7).
const SourceTarget = "target address"

// only returns the list with the zones of kind k alone.
func (l *List) only(k Kind) *List {
	c := *l
	c.Zones = nil
	for _, z := range l.Zones {
		if z.Kind == k {
			c.Zones = append(c.Zones, z)
		}
	}
	return &c
}

func (l *List) has(k Kind) bool {
	for _, z := range l.Zones {
		if z.Kind == k {
			return true
		}
	}
	return false
}

// resolveHosts resolves the MX hosts concurrently and queues their addresses.
func (r *run) resolveHosts(f *mx.Fact) {
	var wg sync.WaitGroup
	for _, h := range f.Hosts {
		wg.Go(func() {
			addrs, err := checks.ResolveHost(r.ctx, r.env.DNS, h.Name)
			src := "MX host " + h.Name
			if f.Implicit {
				src = "implicit MX " + h.Name
			}
			if err != nil {
				r.mu.Lock()
				if les := mtasts.LookupErrors(err); len(les) > 0 {
					r.hostErr = append(r.hostErr, hostError{host: h.Name, errs: les})
				} else {
					r.skipped = append(r.skipped, Skipped{Target: h.Name, Reason: src + " has no A or AAAA record"})
				}
				r.mu.Unlock()
				return
			}
			for _, a := range addrs {
				r.addAddress(a, src)
			}
		})
	}
	wg.Wait()
}

// addAddress queues the queries for a, or records one more source for an
// address already queued.
func (r *run) addAddress(a netip.Addr, source string) {
	a = a.Unmap()
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.byAddr[a]; ok {
		for _, s := range t.sources {
			if s == source {
				return
			}
		}
		t.sources = append(t.sources, source)
		return
	}
	if !checks.PublicAddress(a) {
		for i := range r.skipped {
			if r.skipped[i].Target == a.String() {
				return
			}
		}
		r.skipped = append(r.skipped, Skipped{Target: a.String(),
			Reason: fmt.Sprintf("%s (%s) is not a public address; blocklists list only public ones", a, source)})
		return
	}
	t := &target{name: a.String(), addr: a, sources: []string{source}, results: map[*Zone]*result{}}
	r.byAddr[a] = t
	r.addrs = append(r.addrs, t)
	for _, z := range r.list.Zones {
		if z.Kind == KindIP && (a.Is4() || z.IPv6) {
			r.startQuery(t, z)
		}
	}
}

// lookup asks the run's DNS client. The client bounds every lookup by its
// own timeout and then returns the exchanges it tried; the guard here, a
// little later, only protects against a client configured without one.
func (r *run) lookup(name string, qtype uint16) (*dnsq.Answer, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.env.Timeout()+lookupMargin)
	defer cancel()
	ans, err := r.env.DNS.Lookup(ctx, name, qtype)
	if err != nil && len(dnsq.QueriesOf(err)) == 0 {
		// No exchange finished: the question may never have left (the
		// wait for a slot among the questions in flight ran out), so no
		// query is made up as evidence. A new error: the client's may be
		// shared by every caller. The guard's deadline is a timeout like
		// any other, told in dnsq's plain words.
		cause := err
		var le *dnsq.LookupError
		if errors.As(err, &le) {
			cause = le.Err
		}
		if !errors.Is(cause, context.DeadlineExceeded) && !errors.Is(cause, dnsq.ErrTimeout) {
			return ans, err // nothing was asked (an invalid name, a closed client)
		}
		err = &dnsq.LookupError{Name: dns.Fqdn(name), Type: dns.TypeToString[qtype], Err: dnsq.ErrTimeout}
	}
	return ans, err
}

// lookupMargin is how much longer than the per-wait timeout a lookup may
// take before the check gives up on it.
const lookupMargin = 500 * time.Millisecond

// txt fetches the TXT reason at name.
func (r *run) txt(name string) (string, []dnsq.Query, []string) {
	ans, err := r.lookup(name, dns.TypeTXT)
	if err != nil {
		return "", dnsq.QueriesOf(err), nil
	}
	var parts []string
	for _, t := range ans.TXT() {
		parts = append(parts, strings.Join(t, ""))
	}
	sort.Strings(parts)
	reason := strings.Join(parts, "; ")
	if len(reason) > 500 {
		reason = reason[:500] + "…"
	}
	return reason, []dnsq.Query{ans.Query}, ans.Strings()
}

// ask looks up the A records at name and decodes them for z.
func (r *run) ask(z *Zone, name string) *result {
	res := &result{name: name}
	ans, err := r.lookup(name, dns.TypeA)
	if err != nil {
		res.err = err
		res.queries = dnsq.QueriesOf(err)
		return res
	}
	res.queries = append(res.queries, ans.Query)
	res.records = ans.Strings()
	res.v = r.list.decode(z, ans.Addrs())
	return res
}

func (r *run) startQuery(t *target, z *Zone) {
	r.wg.Go(func() {
		var res *result
		name, err := QueryName(z, t.name)
		if err == nil {
			res = r.ask(z, name)
		} else {
			res = &result{err: err}
		}
		if res.err == nil && res.v.Status == StatusListed {
			reason, qs, recs := r.txt(name)
			res.reason = reason
			res.queries = append(res.queries, qs...)
			res.records = append(res.records, recs...)
		}
		r.mu.Lock()
		t.results[z] = res
		r.mu.Unlock()
	})
}

// startProbe runs the RFC 5782 health probe of z: both test entries at once.
func (r *run) startProbe(z *Zone) {
	r.wg.Go(func() {
		listedName, err1 := QueryName(z, z.TestListed)
		cleanName, err2 := QueryName(z, z.TestClean)
		p := &probe{health: HealthOK}
		if err := cmp.Or(err1, err2); err != nil {
			p.health, p.detail = HealthUnknown, "its test entry cannot be asked: "+err.Error()
			r.setProbe(z, p)
			return
		}
		var listed, clean *result
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); listed = r.ask(z, listedName) }()
		go func() { defer wg.Done(); clean = r.ask(z, cleanName) }()
		wg.Wait()
		p.queries = append(append(p.queries, listed.queries...), clean.queries...)

		worse := func(h Health, detail string, codes []string) {
			if h.rank() > p.health.rank() {
				p.health, p.detail, p.codes = h, detail, codes
			}
		}
		for _, c := range []struct {
			res        *result
			test       string
			wantListed bool
		}{{listed, z.TestListed, true}, {clean, z.TestClean, false}} {
			res := c.res
			switch {
			case res.err != nil:
				worse(HealthUnknown, "the probe "+res.err.Error(), nil)
			case res.v.Rewrite:
				worse(HealthRewrite, fmt.Sprintf("the probe %s was answered %s, outside 127.0.0.0/8", res.name, strings.Join(res.v.Codes, ", ")), res.v.Codes)
			case res.v.Status == StatusRefused:
				worse(HealthRefused, fmt.Sprintf("the probe %s was refused (%s)", res.name, strings.Join(res.v.Meanings, "; ")), res.v.Codes)
			case c.wantListed && res.v.Status == StatusClean:
				worse(HealthUnhealthy, fmt.Sprintf("its RFC 5782 test entry %s (%s) is not listed", res.name, c.test), nil)
			case !c.wantListed && res.v.Status == StatusListed:
				worse(HealthUnhealthy, fmt.Sprintf("it lists %s (%s), which RFC 5782 forbids: it answers as if everything were listed", res.name, c.test), res.v.Codes)
			}
		}
		if p.health == HealthRefused {
			name := listedName
			if clean.v.Status == StatusRefused {
				name = cleanName
			}
			reason, qs, _ := r.txt(name)
			p.reason = reason
			p.queries = append(p.queries, qs...)
		}
		r.setProbe(z, p)
	})
}

func (r *run) setProbe(z *Zone, p *probe) {
	r.mu.Lock()
	r.probes[z] = p
	r.mu.Unlock()
}

// final combines a zone's health with its answer for one target.
func final(p *probe, res *result) (Status, string) {
	switch p.health {
	case HealthUnhealthy:
		return StatusUnhealthy, "the zone failed its health probe: " + p.detail
	case HealthRewrite:
		return StatusError, "answers for this zone are rewritten: " + p.detail
	case HealthUnknown:
		if res.err != nil {
			return StatusError, res.err.Error()
		}
		return StatusError, "the zone's health probe failed, so its answer cannot be trusted: " + p.detail
	case HealthRefused:
		if res.err != nil {
			return StatusError, res.err.Error()
		}
		return StatusRefused, ""
	}
	switch {
	case res.err != nil:
		return StatusError, res.err.Error()
	case res.v.Rewrite:
		return StatusError, "the answer was rewritten: " + strings.Join(res.v.Meanings, "; ")
	}
	return res.v.Status, ""
}
