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

// report turns the run's results into findings and data.
func report(r *run, t checks.Target, noMX string, out *checks.Out) {
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
	}

	targets := append([]*target(nil), r.addrs...)
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].addr.Less(targets[j].addr) })
	if r.domain != nil {
		targets = append(targets, r.domain)
	}

	// Per-zone collections for the aggregated findings.
	type zoneIssues struct {
		refused []string // targets
		errs    []string // "target (error)"
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
					zi.errs = append(zi.errs, fmt.Sprintf("%s (%s)", tg.name, shortErr(res.err)))
					zi.queries = append(zi.queries, res.queries...)
				default: // health unknown
					zi.errs = append(zi.errs, tg.name)
				}
			}
		}
		switch {
		case listed > 0:
			td.Status = TargetListed
		case unknown > 0 || clean == 0:
			td.Status = TargetUnknown
		default:
			td.Status = TargetClean
			msg := fmt.Sprintf("%s is not listed on any of the %d blocklists that answered", tg.who(), clean)
			if ignored > 0 {
				msg += fmt.Sprintf(" (%d unhealthy %s ignored)", ignored, plural(ignored, "list", "lists"))
			}
			if n := r.list.noIPv6(); tg.addr.Is6() && n > 0 {
				msg += fmt.Sprintf("; %d %s no IPv6 addresses and %s not asked", n, plural(n, "list holds", "lists hold"), plural(n, "was", "were"))
			}
			out.Add(checks.Finding{ID: "dnsbl.clean", Subject: tg.name, Message: msg, Evidence: checks.DNSEvidence(asked...)})
		}
		if tg.addr.IsValid() {
			data.Addresses = append(data.Addresses, td)
		} else {
			d := td
			data.Domain = &d
		}
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
				Message: fmt.Sprintf("Lookups on %s failed for %s: %s unknown on this list, not clean",
					z.label(), listOf(zi.errs, 5), plural(len(zi.errs), "that target is", "those targets are"))})
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
	switch n := len(unknownZones); {
	case n > 2 && n == len(r.list.Zones):
		// No list answered at all: one finding about the resolver, not
		// one per list.
		servers := strings.Join(r.env.DNS.Servers(), ", ")
		ev := &checks.Evidence{}
		for _, f := range unknownZones[:min(n, 3)] {
			if f.Evidence != nil {
				ev.AddDNS(f.Evidence.DNS...)
			}
		}
		out.Add(checks.Finding{ID: "dnsbl.dns-error", Subject: servers, Evidence: nonEmpty(ev),
			Message: fmt.Sprintf("No blocklist answered the health probes through %s (e.g. %s): every address and the domain are unknown on all %d lists, not clean",
				servers, r.probes[r.list.Zones[0]].detail, n),
			Fix: "Check that the resolver answers (--resolver) and can reach the blocklists' name servers; some networks block them."})
	default:
		for _, f := range unknownZones {
			out.Add(f)
		}
	}

	// MX hosts whose addresses could not be resolved.
	sort.Slice(r.hostErr, func(i, j int) bool { return r.hostErr[i].host < r.hostErr[j].host })
	for _, he := range r.hostErr {
		out.Add(checks.Finding{ID: "dnsbl.dns-error", Subject: he.host, Evidence: checks.DNSEvidence(dnsq.QueriesOf(he.err)...),
			Message: fmt.Sprintf("The addresses of MX host %s could not be resolved (%s): they were not checked", he.host, shortErr(he.err))})
	}

	sort.Slice(r.skipped, func(i, j int) bool { return r.skipped[i].Target < r.skipped[j].Target })
	data.Skipped = r.skipped
	if len(r.addrs) == 0 && r.list.has(KindIP) && len(r.hostErr) == 0 {
		var why []string
		if noMX != "" {
			why = append(why, noMX)
		}
		for _, s := range r.skipped {
			why = append(why, s.Reason)
		}
		if len(t.IPs) == 0 {
			why = append(why, "no --ip was given")
		}
		out.Add(checks.Finding{ID: "dnsbl.no-addresses", Subject: t.Domain,
			Message: "No public address was checked against the IP blocklists: " + strings.Join(why, "; "),
			Fix:     fmt.Sprintf("Run `mxray check %s --only dnsbl --ip <address>` with the addresses your mail is sent from.", t.Domain)})
	}
	out.SetData(data)
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
	out.Add(checks.Finding{ID: "dnsbl.listed", Severity: sev, Subject: tg.name, Message: msg, Fix: fix, Evidence: ev})
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

// shortErr drops the "dnsq: " prefixes of a lookup error for messages.
func shortErr(err error) string {
	return strings.ReplaceAll(err.Error(), "dnsq: ", "")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isAre(n int) string { return plural(n, "is", "are") }

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
