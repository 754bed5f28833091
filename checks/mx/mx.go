package mx

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// ID is the check ID.
const ID = "mx"

// Check is the mx check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "MX records" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Host is one mail exchanger.
type Host struct {
	// Name is the MX target, lower case without the trailing dot (the
	// domain itself for an implicit MX).
	Name string `json:"name"`
	// Preference is the MX preference (lower is tried first); 0 for an
	// implicit MX.
	Preference uint16 `json:"preference"`
	// Addresses are the host's A and AAAA addresses, sorted; [] when it
	// has none or their lookups failed (Error says).
	Addresses []netip.Addr `json:"addresses"`
	// CNAME is the alias chain when the target is a CNAME, each name
	// without the trailing dot; absent otherwise.
	CNAME []string `json:"cname,omitempty"`
	// Error says in plain words why the addresses could not (all) be
	// resolved; absent when they were.
	Error string `json:"error,omitempty"`
}

// Fact is what the mx check publishes for dependent checks as soon as the MX
// answer is in: the hosts in preference order (addresses not yet resolved;
// resolve them through the run's DNS client, which shares the mx check's
// lookups). Implicit is set when the domain has no MX and its own address
// records are used; Null when the domain publishes a null MX.
type Fact struct {
	Domain   string
	Hosts    []Host
	Implicit bool
	Null     bool
}

// FactKey is the key of the fact the mx check publishes: the MX hosts as
// soon as the MX answer is in.
var FactKey = checks.NewFactKey[*Fact](ID)

// Await returns the mx check's fact (FactKey.Await).
func Await(ctx context.Context, out *checks.Out) (*Fact, error) { return FactKey.Await(ctx, out) }

// Data is the check's JSON data: the MX hosts with their addresses.
type Data struct {
	// Hosts are the MX hosts in preference order, then by name; [] when
	// the domain has none (null MX, NXDOMAIN, no MX and no address).
	// IP-literal targets (mx.ip-literal) and duplicates are left out.
	Hosts []Host `json:"hosts"`
	// Implicit is present (true) when the domain has no MX record and
	// its own address records stand in (RFC 5321 §5.1).
	Implicit bool `json:"implicit,omitempty"`
	// Null is present (true) when the domain publishes a null MX (MX 0 .,
	// RFC 7505).
	Null bool `json:"null,omitempty"`
}

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "mx.missing", Severity: checks.SevFail, Title: "The domain has no MX record and no address to fall back to",
		Why: "Without MX, A or AAAA records no server can deliver mail to the domain: senders bounce every message.",
		Fix: "Publish an MX record, e.g. `example.com. 3600 IN MX 10 mx1.example.com.`, or a null MX (`example.com. IN MX 0 .`) if the domain receives no mail.",
		Ref: "RFC 5321 §5.1"},
	{ID: "mx.implicit", Severity: checks.SevWarn, Title: "No MX record: senders fall back to the domain's A/AAAA address",
		Why: "The implicit MX rule works, but many senders and anti-spam systems treat a domain without MX as suspicious, and mail goes to a web server that may not accept it.",
		Fix: "Publish an explicit MX record for the host that receives mail, or a null MX (`MX 0 .`) if the domain receives no mail.",
		Ref: "RFC 5321 §5.1"},
	{ID: "mx.null", Severity: checks.SevInfo, Title: "Null MX: the domain declares that it accepts no mail",
		Why: "Senders reject mail to this domain immediately instead of retrying. That is right for domains that never receive mail.",
		Fix: "Nothing to do if the domain should not receive mail; otherwise replace `MX 0 .` with real MX records.",
		Ref: "RFC 7505"},
	{ID: "mx.null-mixed", Severity: checks.SevFail, Title: "A null MX is published beside other MX records",
		Why: "RFC 7505 forbids a null MX together with other MX records; senders behave inconsistently, some bouncing all mail.",
		Fix: "Remove the `MX 0 .` record if the domain receives mail, or remove every other MX record if it does not.",
		Ref: "RFC 7505 §3"},
	{ID: "mx.cname", Severity: checks.SevWarn, Title: "An MX target is a CNAME",
		Why: "MX targets must be host names with address records, not aliases; some MTAs refuse or mis-handle them.",
		Fix: "Point the MX record at the canonical host name (the CNAME's final target) instead of the alias.",
		Ref: "RFC 2181 §10.3, RFC 5321 §5.1"},
	{ID: "mx.no-address", Severity: checks.SevFail, Title: "An MX host has no A or AAAA record",
		Why: "Senders cannot connect to an MX host without an address; if every MX is like this, mail bounces.",
		Fix: "Publish A and/or AAAA records for the MX host, or remove it from the MX set.",
		Ref: "RFC 5321 §5.1"},
	{ID: "mx.ip-literal", Severity: checks.SevFail, Title: "An MX target is an IP address instead of a host name",
		Why: "MX targets must be domain names; senders look the literal up as a name and fail.",
		Fix: "Give the server a host name with an A/AAAA record and point the MX at that name.",
		Ref: "RFC 5321 §5.1, RFC 7505 §3"},
	{ID: "mx.duplicate", Severity: checks.SevWarn, Title: "The same MX host is listed more than once",
		Why: "Duplicate MX records add nothing and usually reveal a copy-paste mistake in the zone.",
		Fix: "Keep one MX record per host with the preference you intend."},
	{ID: "mx.single", Severity: checks.SevInfo, Title: "Only one MX host",
		Why: "With a single MX host, maintenance or an outage makes senders queue mail; a second host (or a provider with anycast) adds redundancy.",
		Fix: "Consider a second MX host at a higher preference value."},
	{ID: "mx.private-address", Severity: checks.SevWarn, Title: "An MX host resolves to a loopback, private or otherwise non-public address",
		Why: "Senders on the internet cannot reach a private address; some will even deliver to themselves (loopback).",
		Fix: "Publish the server's public address in the MX host's A/AAAA records."},
	{ID: "mx.dns-error", Severity: checks.SevError, Title: "MX or address lookups failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the records exist; a temporary DNS failure also makes senders defer mail.",
		Fix: "Check that the domain's name servers answer for the name over UDP and TCP, and that DNSSEC validates."},
}

// hostResult is the outcome of resolving one MX host.
type hostResult struct {
	host     Host
	aliasOf  string
	evidence []dnsq.Query
	errs     []error
}

// Run implements checks.Check. When ctx ends first (the check's time is up
// or the run was interrupted), it returns ctx's error, which the Runner
// words, instead of reporting the lookups that were cut short as DNS errors.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	run(ctx, env, t.Domain, out)
	if err := ctx.Err(); err != nil {
		out.SetData(nil) // lookups cut short: their errors are not the domain's
		return err
	}
	return nil
}

func run(ctx context.Context, env *checks.Env, domain string, out *checks.Out) {
	ans, err := env.DNS.Lookup(ctx, domain, dns.TypeMX)
	if err != nil {
		addDNSError(ctx, out, domain, "", "MX lookup failed", []error{err}, dnsq.QueriesOf(err))
		return
	}
	ev := checks.DNSEvidence(ans.Query)
	if ans.NXDomain() {
		out.Add(checks.Finding{ID: "mx.missing", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s does not exist (NXDOMAIN): it can receive no mail", domain),
			Fix:     fmt.Sprintf("If %s should receive mail, create it with an MX record, e.g. `%s. 3600 IN MX 10 mx1.%s.` (and an A record for mx1.%s); if it should not, nothing needs to be done: senders bounce mail to it at once.", domain, domain, domain, domain)})
		FactKey.Publish(out, &Fact{Domain: domain})
		out.SetData(Data{Hosts: []Host{}})
		return
	}
	mxs := ans.MX()
	if len(mxs) == 0 {
		implicit(ctx, env, domain, ans, out)
		return
	}
	if ev != nil {
		ev.Records = ans.Strings()
	}

	var hosts []Host
	null := false
	seen := map[string]bool{}
	for _, m := range mxs {
		target := strings.ToLower(m.Mx)
		if target == "." {
			null = true
			continue
		}
		name := strings.TrimSuffix(target, ".")
		if seen[name] {
			out.Add(checks.Finding{ID: "mx.duplicate", Subject: name, Host: name, Evidence: ev,
				Message: fmt.Sprintf("MX host %s is listed more than once", name)})
			continue
		}
		seen[name] = true
		hosts = append(hosts, Host{Name: name, Preference: m.Preference})
	}
	sort.SliceStable(hosts, func(i, j int) bool {
		if hosts[i].Preference != hosts[j].Preference {
			return hosts[i].Preference < hosts[j].Preference
		}
		return hosts[i].Name < hosts[j].Name
	})
	if null {
		if len(hosts) > 0 {
			out.Add(checks.Finding{ID: "mx.null-mixed", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("%s publishes a null MX (MX 0 .) beside %d other MX record(s)", domain, len(hosts))})
		} else {
			out.Add(checks.Finding{ID: "mx.null", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("%s publishes a null MX: it declares that it accepts no mail", domain),
				Fix:     fmt.Sprintf("Nothing to do if %s should not receive mail; otherwise replace `%s. IN MX 0 .` with MX records for the hosts that receive its mail.", domain, domain)})
			FactKey.Publish(out, &Fact{Domain: domain, Null: true})
			out.SetData(Data{Hosts: []Host{}, Null: true})
			return
		}
	}

	var resolvable []Host
	for _, h := range hosts {
		if _, err := netip.ParseAddr(h.Name); err == nil {
			out.Add(checks.Finding{ID: "mx.ip-literal", Subject: h.Name, Address: h.Name, Evidence: ev,
				Message: fmt.Sprintf("MX target %s is an IP address, not a host name", h.Name),
				Fix:     fmt.Sprintf("Give %s a host name, e.g. `mx1.%s. IN A %s`, and publish `%s. IN MX %d mx1.%s.`", h.Name, domain, h.Name, domain, h.Preference, domain)})
			continue
		}
		resolvable = append(resolvable, h)
	}
	fact := &Fact{Domain: domain, Hosts: append([]Host(nil), resolvable...), Null: null}
	FactKey.Publish(out, fact)

	results := resolveAll(ctx, env, resolvable)
	data := Data{Hosts: make([]Host, 0, len(results)), Null: null}
	for _, r := range results {
		reportHost(ctx, out, domain, r, len(results) == 1)
		data.Hosts = append(data.Hosts, r.host)
	}
	if len(hosts) == 1 {
		out.Add(checks.Finding{ID: "mx.single", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s has a single MX host (%s)", domain, hosts[0].Name)})
	}
	out.SetData(data)
}

// implicit handles a domain without MX records (RFC 5321 §5.1 implicit MX).
func implicit(ctx context.Context, env *checks.Env, domain string, mxAns *dnsq.Answer, out *checks.Out) {
	r := resolveAll(ctx, env, []Host{{Name: domain}})[0]
	ev := &checks.Evidence{}
	ev.AddDNS(mxAns.Query)
	ev.AddDNS(r.evidence...)
	switch {
	case len(r.host.Addresses) > 0:
		out.Add(checks.Finding{ID: "mx.implicit", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s has no MX record; senders fall back to its address %s", domain, joinAddrs(r.host.Addresses)),
			Fix:     fmt.Sprintf("Publish an explicit MX record for the host that receives mail for %s, e.g. `%s. 3600 IN MX 10 %s.` if it is that host, or a null MX (`%s. IN MX 0 .`) if %s receives no mail.", domain, domain, domain, domain, domain)})
		FactKey.Publish(out, &Fact{Domain: domain, Hosts: []Host{{Name: domain}}, Implicit: true})
		reportAddresses(out, r)
		out.SetData(Data{Hosts: []Host{r.host}, Implicit: true})
	case len(r.errs) > 0:
		addDNSError(ctx, out, domain, "", "no MX record, and the A/AAAA fallback lookup failed", r.errs, r.evidence)
		out.SetData(Data{Hosts: []Host{}})
	default:
		out.Add(checks.Finding{ID: "mx.missing", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s has no MX record and no A/AAAA record: it can receive no mail", domain),
			Fix:     fmt.Sprintf("Publish an MX record, e.g. `%s. 3600 IN MX 10 mx1.%s.` with an A record for mx1.%s, or a null MX (`%s. IN MX 0 .`) if %s receives no mail.", domain, domain, domain, domain, domain)})
		FactKey.Publish(out, &Fact{Domain: domain})
		out.SetData(Data{Hosts: []Host{}})
	}
}

// resolveAll resolves every host's addresses concurrently, keeping order.
func resolveAll(ctx context.Context, env *checks.Env, hosts []Host) []hostResult {
	res := make([]hostResult, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(2)
		res[i].host = h
		res[i].host.Addresses = []netip.Addr{}
		var mu sync.Mutex
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			go func() {
				defer wg.Done()
				ans, err := env.DNS.Lookup(ctx, h.Name, qt)
				mu.Lock()
				defer mu.Unlock()
				r := &res[i]
				if err != nil {
					r.errs = append(r.errs, err)
					r.evidence = append(r.evidence, dnsq.QueriesOf(err)...)
					return
				}
				r.evidence = append(r.evidence, ans.Query)
				r.host.Addresses = append(r.host.Addresses, ans.Addrs()...)
				if chain := ans.CNAMEs(); len(chain) > 0 && len(r.host.CNAME) == 0 {
					for _, c := range chain {
						r.host.CNAME = append(r.host.CNAME, strings.TrimSuffix(c, "."))
					}
				}
			}()
		}
	}
	wg.Wait()
	for i := range res {
		addrs := res[i].host.Addresses
		sort.Slice(addrs, func(a, b int) bool { return addrs[a].Less(addrs[b]) })
		sort.Slice(res[i].evidence, func(a, b int) bool { return res[i].evidence[a].Type < res[i].evidence[b].Type })
		if len(res[i].errs) > 0 {
			res[i].host.Error = Describe(res[i].errs)
		}
	}
	return res
}

// reportHost adds the findings about one MX host; only is set when it is
// the domain's only MX host.
func reportHost(ctx context.Context, out *checks.Out, domain string, r hostResult, only bool) {
	h := r.host
	ev := checks.DNSEvidence(r.evidence...)
	if len(h.CNAME) > 0 {
		target := h.CNAME[len(h.CNAME)-1]
		out.Add(checks.Finding{ID: "mx.cname", Subject: h.Name, Host: h.Name, Evidence: ev,
			Message: fmt.Sprintf("MX target %s is a CNAME for %s", h.Name, target),
			Fix:     fmt.Sprintf("Publish `%s. IN MX %d %s.` instead of pointing the MX at the alias %s.", domain, h.Preference, target, h.Name)})
	}
	switch {
	case len(h.Addresses) == 0 && len(r.errs) > 0:
		addDNSError(ctx, out, h.Name, h.Name, "address lookup for MX host failed", r.errs, r.evidence)
	case len(h.Addresses) == 0:
		fix := fmt.Sprintf("Publish `%s. IN A <address>` (and AAAA if the server has IPv6), or remove the MX record pointing at it.", h.Name)
		if only {
			// Removing the only MX leaves no MX at all (mx.implicit or
			// mx.missing): point it at a host that receives mail instead.
			fix = fmt.Sprintf("Publish `%s. IN A <address>` (and AAAA if the server has IPv6) for the server that receives mail for %s, or point the MX record at a host that has them.", h.Name, domain)
		}
		out.Add(checks.Finding{ID: "mx.no-address", Subject: h.Name, Host: h.Name, Evidence: ev,
			Message: fmt.Sprintf("MX host %s has no A or AAAA record", h.Name),
			Fix:     fix})
	default:
		if len(r.errs) > 0 { // one family answered, the other failed
			addDNSError(ctx, out, h.Name, h.Name, "part of the address lookup for MX host failed", r.errs, r.evidence)
		}
		reportAddresses(out, r)
	}
}

func reportAddresses(out *checks.Out, r hostResult) {
	for _, a := range r.host.Addresses {
		if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsMulticast() {
			out.Add(checks.Finding{ID: "mx.private-address", Subject: r.host.Name, Host: r.host.Name, Address: a.String(), Evidence: checks.DNSEvidence(r.evidence...),
				Message: fmt.Sprintf("MX host %s resolves to %s, which is not reachable from the internet", r.host.Name, a)})
		}
	}
}

// addDNSError reports the mx.dns-error finding for lookups that failed, in
// the lookups' own words (a CNAME loop, a timeout, SERVFAIL...). It adds
// nothing once ctx is done: those lookups were cut short by the check's own
// deadline or an interruption, which the Runner reports instead. host is
// the MX host whose lookups failed, "" for the domain's own.
func addDNSError(ctx context.Context, out *checks.Out, subject, host, what string, errs []error, qs []dnsq.Query) {
	if ctx.Err() != nil {
		return
	}
	out.Add(checks.Finding{ID: "mx.dns-error", Severity: checks.SevError, Subject: subject, Host: host,
		Message: fmt.Sprintf("%s: %s", what, Describe(errs)), Evidence: checks.DNSEvidence(qs...)})
}

// Describe words failed lookups for people, one clause per way of failing:
// lookups of the same name that failed the same way are merged
// ("mx1.example A, AAAA: no answer from the resolver"). Each clause is the
// *dnsq.LookupError's own text, which already names the question.
func Describe(errs []error) string {
	type group struct {
		name, why string
		types     []string
	}
	var groups []*group
	var other []string
	for _, err := range errs {
		var le *dnsq.LookupError
		if !errors.As(err, &le) {
			other = append(other, err.Error())
			continue
		}
		name, why := strings.TrimSuffix(le.Name, "."), dnsq.Describe(le.Err)
		var g *group
		for _, have := range groups {
			if have.name == name && have.why == why {
				g = have
				break
			}
		}
		if g == nil {
			g = &group{name: name, why: why}
			groups = append(groups, g)
		}
		if !slices.Contains(g.types, le.Type) {
			g.types = append(g.types, le.Type)
		}
	}
	parts := make([]string, 0, len(groups)+len(other))
	for _, g := range groups {
		sort.Strings(g.types)
		parts = append(parts, fmt.Sprintf("%s %s: %s", g.name, strings.Join(g.types, ", "), g.why))
	}
	return strings.Join(append(parts, other...), "; ")
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
