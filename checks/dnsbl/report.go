package dnsbl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// maxEvidence bounds the DNS queries attached to one aggregated finding.
const maxEvidence = 12

// label names a zone for people: "Spamhaus ZEN (zen.spamhaus.org)".
func (z *Zone) label() string {
	if z.Name == "" || z.Name == z.Zone {
		return z.Zone
	}
	return fmt.Sprintf("%s (%s)", z.Name, z.Zone)
}

// who names a target with where it came from: "192.0.2.20 (MX host mail.example.com)".
func (t *target) who() string {
	if len(t.sources) == 0 || t.sources[0] == "domain" {
		return t.name
	}
	return fmt.Sprintf("%s (%s)", t.name, strings.Join(t.sources, ", "))
}

// listOf joins names, eliding after max.
func listOf(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// report turns the run's results into findings and data. mxUnknown is set
// when the mx check decided nothing: the check then returns that reason and
// reports nothing about the missing MX addresses.
func report(r *run, t checks.Target, noMX string, mxUnknown bool, out *checks.Out) {
	data := Data{Source: r.list.Source, Addresses: []TargetData{}, Zones: []ZoneData{}}
	if r.list.Source == SourceBuiltin {
		data.Reviewed = r.list.Reviewed
	}
	for _, u := range r.list.RetiredUsed {
		out.Add(checks.Finding{ID: "dnsbl.zone-retired", Subject: u.Zone,
			Message: fmt.Sprintf("%s (line %d of %s) is a retired blocklist: %s", u.Zone, u.Line, r.list.Source, u.Note),
			Fix:     fmt.Sprintf("Delete line %d (%s) from %s, and remove the zone from any mail server that still queries it.", u.Line, u.Zone, r.list.Source)})
	}
	for _, z := range r.list.Zones {
		p := r.probes[z]
		data.Zones = append(data.Zones, ZoneData{Zone: z.Zone, Name: z.Name, Type: z.Kind, Weight: z.Weight,
			Health: p.health, HealthDetail: p.detail, Removal: z.Removal})
		if p.health == HealthOK {
			data.ListsUsable++
		} else {
			data.ListsUnusable++
		}
	}

	targets := append([]*target(nil), r.addrs...)
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].addr.Less(targets[j].addr) })
	if r.domain != nil {
		targets = append(targets, r.domain)
	}

	// Per-zone collections for the aggregated findings.
	type zoneIssues struct {
		refused []string // targets
		errs    []string // targets whose lookup failed
		errText []string // the failed lookups, in plain words
		rewrite []string
		queries []dnsq.Query
	}
	issues := map[*Zone]*zoneIssues{}
	issue := func(z *Zone) *zoneIssues {
		if issues[z] == nil {
			issues[z] = &zoneIssues{}
		}
		return issues[z]
	}

	addrQueried := false // some address was asked on a usable list
	for _, tg := range targets {
		td := TargetData{Target: tg.name, Sources: tg.sources, Zones: []ZoneResult{}}
		listed, unknown, clean, ignored := 0, 0, 0, 0
		var asked []dnsq.Query
		for _, z := range r.list.Zones {
			res, ok := tg.results[z]
			if !ok {
				continue // not asked: the zone's kind, or no IPv6 support
			}
			p := r.probes[z]
			if p.health != HealthOK {
				td.ListsUnusable++
			} else if tg.addr.IsValid() {
				addrQueried = true
			}
			st, errText := final(p, res)
			zr := ZoneResult{Zone: z.Zone, Status: st, Error: errText}
			if res.err == nil {
				zr.Codes, zr.Meanings = res.v.Codes, res.v.Meanings
			}
			if st == StatusListed {
				zr.Reason = res.reason
			}
			td.Zones = append(td.Zones, zr)
			switch st {
			case StatusListed:
				listed++
				addListed(out, tg, z, res)
			case StatusClean:
				clean++
				asked = append(asked, res.queries...)
			case StatusUnhealthy:
				ignored++
			case StatusRefused:
				unknown++
				if p.health != HealthRefused { // a refused zone is reported once, below
					zi := issue(z)
					zi.refused = append(zi.refused, tg.name)
					zi.queries = append(zi.queries, res.queries...)
				}
			case StatusError:
				unknown++
				zi := issue(z)
				switch {
				case p.health == HealthRewrite:
				case res.err == nil && res.v.Rewrite:
					zi.rewrite = append(zi.rewrite, fmt.Sprintf("%s → %s", tg.name, strings.Join(res.v.Codes, ", ")))
					zi.queries = append(zi.queries, res.queries...)
				case res.err != nil:
					zi.errs = append(zi.errs, tg.name)
					zi.errText = append(zi.errText, res.err.Error())
					zi.queries = append(zi.queries, res.queries...)
				default: // health unknown
					zi.errs = append(zi.errs, tg.name)
				}
			}
		}
		td.ListsAnswered = listed + clean
		td.Queried = td.ListsAnswered > 0
		switch {
		case listed > 0:
			td.Status = TargetListed
		case unknown > 0 || clean == 0:
			td.Status = TargetUnknown
		default:
			td.Status = TargetClean
			msg := fmt.Sprintf("%s is not listed on any of the %d %s that answered", tg.who(), clean, plural(clean, "blocklist", "blocklists"))
			if ignored > 0 {
				msg += fmt.Sprintf(" (%d %s the RFC 5782 health probe and %s ignored)", ignored, plural(ignored, "list failed", "lists failed"), plural(ignored, "was", "were"))
			}
			if n := r.list.noIPv6(); tg.addr.Is6() && n > 0 {
				msg += fmt.Sprintf("; %d %s no IPv6 addresses and %s not asked", n, plural(n, "list holds", "lists hold"), plural(n, "was", "were"))
			}
			out.Add(checks.Finding{ID: "dnsbl.clean", Subject: tg.name, Host: tg.host(), Address: tg.address(), Message: msg, Evidence: checks.DNSEvidence(asked...)})
		}
		if tg.addr.IsValid() {
			data.Addresses = append(data.Addresses, td)
		} else {
			d := td
			data.Domain = &d
		}
	}

	sort.Slice(r.skipped, func(i, j int) bool { return r.skipped[i].Target < r.skipped[j].Target })
	data.Skipped = r.skipped
	defer func() { out.SetData(data) }()
	if data.ListsUsable == 0 {
		// Nothing was checked: one finding says why, instead of one per
		// list, and nothing is said about addresses or MX hosts.
		addNoUsable(out, r, targets)
		return
	}

	// Zone-level findings, in list order.
	var rewritten []*Zone
	var unknownZones []checks.Finding
	for _, z := range r.list.Zones {
		p := r.probes[z]
		zi := issues[z]
		if zi == nil {
			zi = &zoneIssues{}
		}
		affected := targetsOn(targets, z)
		switch p.health {
		case HealthUnhealthy:
			out.Add(checks.Finding{ID: "dnsbl.zone-unhealthy", Subject: z.Zone, Evidence: checks.DNSEvidence(p.queries...),
				Message: fmt.Sprintf("%s fails the RFC 5782 health probe: %s; its answers are ignored", z.label(), p.detail),
				Fix:     unhealthyFix(r.list, z)})
		case HealthRefused:
			addRefused(out, z, p.detail, p.reason, affected, p.queries)
		case HealthRewrite:
			rewritten = append(rewritten, z)
		case HealthUnknown:
			ev := &checks.Evidence{}
			ev.AddDNS(p.queries...)
			ev.AddDNS(capQ(zi.queries)...)
			msg := fmt.Sprintf("The health probe of %s failed (%s), so none of its answers can be trusted", z.label(), p.detail)
			if len(affected) > 0 {
				msg += fmt.Sprintf(": %s %s unknown on it, not clean", listOf(affected, 5), isAre(len(affected)))
			}
			unknownZones = append(unknownZones, checks.Finding{ID: "dnsbl.dns-error", Subject: z.Zone, Message: msg, Evidence: nonEmpty(ev)})
			continue
		}
		if len(zi.refused) > 0 {
			addRefused(out, z, "", "", zi.refused, zi.queries)
		}
		if len(zi.errs) > 0 {
			out.Add(checks.Finding{ID: "dnsbl.dns-error", Subject: z.Zone, Evidence: checks.DNSEvidence(capQ(zi.queries)...),
				Message: fmt.Sprintf("Lookups on %s failed, so %s %s unknown on this list, not clean: %s",
					z.label(), listOf(zi.errs, 5), isAre(len(zi.errs)), listOf(zi.errText, 3))})
		}
		if len(zi.rewrite) > 0 {
			out.Add(checks.Finding{ID: "dnsbl.resolver-rewrite", Subject: z.Zone, Evidence: checks.DNSEvidence(capQ(zi.queries)...),
				Message: fmt.Sprintf("%s answered outside 127.0.0.0/8 (%s): a resolver rewriting NXDOMAIN, or a parked zone; those answers are ignored",
					z.label(), listOf(zi.rewrite, 5))})
		}
	}
	if len(rewritten) > 0 {
		addRewrite(out, r, rewritten)
	}
	for _, f := range unknownZones {
		out.Add(f)
	}

	// MX hosts whose addresses could not be resolved.
	sort.Slice(r.hostErr, func(i, j int) bool { return r.hostErr[i].host < r.hostErr[j].host })
	for _, he := range r.hostErr {
		var texts []string
		var qs []dnsq.Query
		for _, le := range he.errs {
			texts = append(texts, le.Error())
			qs = append(qs, le.Queries...)
		}
		out.Add(checks.Finding{ID: "dnsbl.dns-error", Subject: he.host, Host: he.host, Evidence: checks.DNSEvidence(qs...),
			Message: fmt.Sprintf("The addresses of MX host %s are unknown, so they were not checked: %s", he.host, strings.Join(texts, "; ")),
			Fix:     fmt.Sprintf("Check that the name servers of %s answer A and AAAA queries, then run the check again.", he.host)})
	}

	// No address asked on a usable list: nothing is known about the
	// addresses receivers judge. A failed MX host lookup or an undecided
	// mx check already says why.
	if !addrQueried && r.list.has(KindIP) && len(r.hostErr) == 0 && !mxUnknown {
		var why []string
		switch {
		case len(r.addrs) == 0:
			if noMX != "" {
				why = append(why, noMX)
			}
			for _, s := range r.skipped {
				why = append(why, s.Reason)
			}
			if len(t.IPs) == 0 {
				why = append(why, "no --ip was given")
			}
		case !r.usable(KindIP):
			why = append(why, "none of the IP blocklists passed its health probe")
		default:
			var names []string
			for _, a := range r.addrs {
				names = append(names, a.name)
			}
			why = append(why, "no usable list takes IPv6 addresses such as "+listOf(names, 5))
		}
		// With no address at all to ask about (null MX, no MX, only
		// private addresses) and no --ip, there is nothing to test on
		// purpose: the domain lists decided, and this is only a note.
		sev := checks.SevError
		if len(r.addrs) == 0 && len(t.IPs) == 0 && r.usable(KindDomain) {
			sev = checks.SevInfo
		}
		f := checks.Finding{ID: "dnsbl.no-addresses", Subject: t.Domain, Severity: sev,
			Message: "No address was checked against the IP blocklists: " + strings.Join(why, "; "),
			Fix:     fmt.Sprintf("Run `mxray check %s --only dnsbl --ip <address>` with the addresses your mail is sent from.", t.Domain)}
		if t.Kind() == checks.TargetAddress {
			f.Subject, f.Address = t.Address.String(), t.Address.String()
			f.Fix = "Ask lists that can answer for the address: through a resolver that passes blocklist answers through unchanged (--resolver, e.g. a local Unbound), and for an IPv6 address, lists that take IPv6 addresses, given in a --dnsbl-zones file (mxray asks every list of a zones file about IPv6 addresses)."
		}
		out.Add(f)
	}
}

// addNoUsable reports that no list could be used, with the reasons counted
// by kind, an example of each, and the targets left unknown.
func addNoUsable(out *checks.Out, r *run, targets []*target) {
	kinds := []struct {
		h    Health
		what string
	}{
		{HealthUnhealthy, "failed the RFC 5782 health probe"},
		{HealthRefused, "refused mxray's queries"},
		{HealthRewrite, "gave answers outside 127.0.0.0/8 (NXDOMAIN rewritten)"},
		{HealthUnknown, "did not answer the health probe"},
	}
	n := len(r.list.Zones)
	var parts []string
	ev := &checks.Evidence{}
	for _, k := range kinds {
		var zs []*Zone
		for _, z := range r.list.Zones {
			if r.probes[z].health == k.h {
				zs = append(zs, z)
			}
		}
		if len(zs) == 0 {
			continue
		}
		if len(ev.DNS) < maxEvidence {
			ev.AddDNS(r.probes[zs[0]].queries...)
		}
		if n == 1 {
			parts = append(parts, fmt.Sprintf("it %s: %s", k.what, r.probes[zs[0]].detail))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s (e.g. %s: %s)", len(zs), k.what, zs[0].label(), r.probes[zs[0]].detail))
	}
	servers := strings.Join(r.env.DNS.Servers(), ", ")
	subject, msg := servers, fmt.Sprintf("None of the %d blocklists could be used through %s: %s", n, servers, strings.Join(parts, "; "))
	if n == 1 {
		z := r.list.Zones[0]
		subject, msg = z.Zone, fmt.Sprintf("The only blocklist, %s, could not be used: %s", z.label(), strings.Join(parts, "; "))
	}
	var names []string
	for _, tg := range targets {
		names = append(names, tg.name)
	}
	if len(names) > 0 {
		msg += fmt.Sprintf(". Nothing was checked: %s %s unknown, not clean", listOf(names, 5), isAre(len(names)))
	} else {
		msg += ". Nothing was checked"
	}
	fix := "Run mxray through a resolver that passes blocklist answers through unchanged, such as one you operate (a local Unbound, given with --resolver): some ISP and public resolvers answer NXDOMAIN for, refuse or rewrite every blocklist query."
	if r.probes[r.list.Zones[0]].health == HealthUnknown && len(parts) == 1 {
		fix = "Check that the resolver answers (--resolver) and can reach the blocklists' name servers; some networks block them."
	}
	if r.list.Source != SourceBuiltin {
		if n == 1 && r.list.Zones[0].Line > 0 {
			fix += fmt.Sprintf(" If the list has shut down, remove line %d (%s) from %s.", r.list.Zones[0].Line, r.list.Zones[0].Zone, r.list.Source)
		} else {
			fix += fmt.Sprintf(" If the lists in %s have shut down, replace them.", r.list.Source)
		}
	}
	out.Add(checks.Finding{ID: "dnsbl.no-usable-list", Subject: subject, Message: msg, Fix: fix, Evidence: nonEmpty(ev)})
}

func addListed(out *checks.Out, tg *target, z *Zone, res *result) {
	sev := checks.SevFail
	if res.v.Weight == WeightInfo {
		sev = checks.SevWarn
	}
	msg := fmt.Sprintf("%s is listed on %s: %s", tg.who(), z.label(), strings.Join(res.v.Meanings, "; "))
	if res.reason != "" {
		msg += fmt.Sprintf(". The list says: %q", res.reason)
	}
	if sev == checks.SevWarn {
		why := z.WhyInfo
		switch {
		case z.Weight == WeightScoring:
			why = "This return code is informational: few receivers reject on it."
		case why == "":
			why = "The list is informational: few receivers reject on it."
		}
		msg += ". " + why
	}
	var fix string
	where := "the list's website"
	if z.Removal != "" {
		where = z.Removal
	}
	if tg.addr.IsValid() {
		fix = fmt.Sprintf("Look %s up at %s to see why it is listed; stop the cause (a compromised account or host, an open relay, mail to purchased lists), then request removal there.", tg.name, where)
	} else {
		fix = fmt.Sprintf("Look %s up at %s to see why it is listed; remove what got it there (spam links, a compromised site, an abused redirect or form), then request removal there.", tg.name, where)
	}
	ev := checks.DNSEvidence(res.queries...)
	if ev != nil {
		ev.Records = res.records
	}
	out.Add(checks.Finding{ID: "dnsbl.listed", Severity: sev, Subject: tg.name, Host: tg.host(), Address: tg.address(), Message: msg, Fix: fix, Evidence: ev})
}

func addRefused(out *checks.Out, z *Zone, detail, reason string, affected []string, qs []dnsq.Query) {
	msg := fmt.Sprintf("%s refused mxray's queries", z.label())
	if detail != "" {
		msg += ": " + detail
	}
	if reason != "" {
		msg += fmt.Sprintf(". The list says: %q", reason)
	}
	if len(affected) > 0 {
		msg += fmt.Sprintf(". This is no listing: %s %s unknown on this list", listOf(affected, 5), isAre(len(affected)))
	} else {
		msg += ". This is no listing"
	}
	fix := z.RefusedFix
	if fix == "" {
		fix = "Run mxray through a resolver you operate (--resolver) rather than a public or shared one; heavy users need the list's own data feed or query key."
	}
	out.Add(checks.Finding{ID: "dnsbl.query-refused", Subject: z.Zone, Message: msg, Fix: fix, Evidence: checks.DNSEvidence(capQ(qs)...)})
}

func addRewrite(out *checks.Out, r *run, zones []*Zone) {
	var names []string
	var qs []dnsq.Query
	for _, z := range zones {
		p := r.probes[z]
		names = append(names, z.Zone)
		qs = append(qs, p.queries...)
	}
	if len(zones) == len(r.list.Zones) || len(zones) >= 3 {
		servers := strings.Join(r.env.DNS.Servers(), ", ")
		first := r.probes[zones[0]]
		out.Add(checks.Finding{ID: "dnsbl.resolver-rewrite", Subject: servers, Evidence: checks.DNSEvidence(capQ(qs)...),
			Message: fmt.Sprintf("The resolver %s rewrites blocklist answers for %d %s (%s; e.g. %s): no answer from %s can be trusted",
				servers, len(zones), plural(len(zones), "list", "lists"), listOf(names, 5), first.detail, plural(len(zones), "it", "them"))})
		return
	}
	for _, z := range zones {
		p := r.probes[z]
		out.Add(checks.Finding{ID: "dnsbl.resolver-rewrite", Subject: z.Zone, Evidence: checks.DNSEvidence(p.queries...),
			Message: fmt.Sprintf("%s answers outside 127.0.0.0/8 (%s): a resolver rewriting NXDOMAIN, or a dead list whose domain now has wildcard records; its answers are ignored", z.label(), p.detail),
			Fix:     "If other lists answer normally, the list is dead or parked: remove it from your zones. Otherwise use a resolver that passes NXDOMAIN through unchanged (--resolver)."})
	}
}

func unhealthyFix(l *List, z *Zone) string {
	if l.Source == SourceBuiltin {
		return "Nothing to do for the domain: mxray ignores this list's answers. If it stays unhealthy, the list may have shut down or blocks your resolver; run with --resolver pointing at a resolver you operate to tell the two apart."
	}
	if z.Line > 0 {
		return fmt.Sprintf("Nothing to do for the domain. If the list stays unhealthy, remove line %d (%s) from %s.", z.Line, z.Zone, l.Source)
	}
	return ""
}

// targetsOn lists the targets that asked z.
func targetsOn(ts []*target, z *Zone) []string {
	var out []string
	for _, t := range ts {
		if _, ok := t.results[z]; ok {
			out = append(out, t.name)
		}
	}
	return out
}

func capQ(qs []dnsq.Query) []dnsq.Query {
	if len(qs) > maxEvidence {
		return qs[:maxEvidence]
	}
	return qs
}

func nonEmpty(ev *checks.Evidence) *checks.Evidence {
	if ev == nil || len(ev.DNS) == 0 {
		return nil
	}
	return ev
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isAre(n int) string { return plural(n, "is", "are") }

// usable reports whether a zone of kind k passed its health probe.
func (r *run) usable(k Kind) bool {
	for _, z := range r.list.Zones {
		if z.Kind == k && r.probes[z].health == HealthOK {
			return true
		}
	}
	return false
}

// noIPv6 counts the IP lists that do not answer IPv6 queries.
func (l *List) noIPv6() int {
	n := 0
	for _, z := range l.Zones {
		if z.Kind == KindIP && !z.IPv6 {
			n++
		}
	}
	return n
}

// host is the MX host a target address belongs to, when it is exactly
// one ("" for the domain, --ip addresses and addresses shared by hosts).
func (t *target) host() string {
	host := ""
	for _, s := range t.sources {
		h, ok := strings.CutPrefix(s, "MX host ")
		if !ok {
			h, ok = strings.CutPrefix(s, "implicit MX ")
		}
		if !ok {
			continue
		}
		if host != "" && host != h {
			return ""
		}
		host = h
	}
	return host
}

// address is the target's IP address, "" for the domain.
func (t *target) address() string {
	if !t.addr.IsValid() {
		return ""
	}
	return t.addr.String()
}
