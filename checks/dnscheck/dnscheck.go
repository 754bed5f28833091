package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// ID is the check ID.
const ID = "dns"

// Check is the dns check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "DNS and DNSSEC" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// DNSSEC states reported in Data.DNSSEC.
const (
	DNSSECSecure        = "secure"        // answers validated (AD)
	DNSSECInsecure      = "insecure"      // resolver validates, domain unsigned
	DNSSECBogus         = "bogus"         // validation fails
	DNSSECUnknown       = "unknown"       // the resolver does not validate
	DNSSECNotApplicable = "not-available" // the domain could not be resolved
)

// Data is the check's JSON data: what the resolver said about the domain's
// existence, name servers and DNSSEC.
type Data struct {
	// Exists is false when the resolver answered NXDOMAIN for the domain
	// (or its NS lookup failed).
	Exists bool `json:"exists"`
	// NameServers are the NS names of the domain, lower case without the
	// trailing dot, sorted; [] when it has none (a name inside a zone) or
	// the lookup failed.
	NameServers []string `json:"name_servers"`
	// ZoneApex is the apex of the zone the domain is in: the domain itself
	// when it has NS records, else the owner of the SOA in the answer's
	// authority section; absent when unknown.
	ZoneApex string `json:"zone_apex,omitempty"`
	// DNSSEC is one of secure, insecure, bogus, unknown (the resolver does
	// not validate) or not-available (the domain could not be resolved).
	DNSSEC string `json:"dnssec"`
	// DecidedBy is the answer that decided DNSSEC, e.g. "example.com NS:
	// NOERROR with AD"; absent when nothing was decided.
	DecidedBy string `json:"dnssec_decided_by,omitempty"`
	// Validating is true when the resolver set the AD bit on any answer it
	// gave (the root zone's NS, the domain's NS or DS).
	Validating bool `json:"resolver_validates"`
}

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "dns.nxdomain", Severity: checks.SevFail, Title: "The domain does not exist (NXDOMAIN)",
		Why: "A domain that does not resolve can neither send authenticated mail nor receive any.",
		Fix: "Check the spelling; if the domain is yours, check its registration and its delegation (NS records at the registry)."},
	{ID: "dns.no-ns", Severity: checks.SevFail, Title: "The zone apex has no NS records",
		Why: "Without NS records the delegation is broken and resolvers may fail intermittently.",
		Fix: "Publish NS records at the zone apex matching the delegation at the parent zone."},
	{ID: "dns.single-ns", Severity: checks.SevWarn, Title: "The zone has only one name server",
		Why: "RFC 1034 asks for at least two name servers; with one, any outage makes every record of the domain — MX, SPF, DKIM, DMARC — unresolvable.",
		Fix: "Add a second name server, preferably on another network, and list it at the registrar.",
		Ref: "RFC 1034 §4.1, RFC 2182"},
	{ID: "dns.dnssec-unsigned", Severity: checks.SevInfo, Title: "The domain is not DNSSEC-signed",
		Why: "Without DNSSEC, DANE cannot protect SMTP and answers can be spoofed in transit.",
		Fix: "Enable DNSSEC signing at your DNS provider and publish the DS record at the registrar."},
	{ID: "dns.dnssec-bogus", Severity: checks.SevFail, Title: "DNSSEC validation fails for the domain",
		Why: "Validating resolvers (used by most large mail providers) answer SERVFAIL for a bogus zone: mail to and from the domain fails.",
		Fix: "Fix the signatures or the DS record at the parent (expired RRSIG, DS for a removed key, algorithm mismatch); remove the DS record if you stopped signing."},
	{ID: "dns.resolver-not-validating", Severity: checks.SevInfo, Title: "The resolver does not validate DNSSEC, so DNSSEC status is unknown",
		Why: "mxray reads DNSSEC status from the resolver's AD bit; this resolver set it on none of the answers it gave (the root zone, the domain's NS and DS).",
		Fix: "Run mxray with a validating resolver, e.g. --resolver 127.0.0.1 running Unbound, to check DNSSEC and DANE."},
	{ID: "dns.resolver-unreachable", Severity: checks.SevError, Title: "The DNS resolver does not answer",
		Why: "Nothing can be checked without DNS; this is a problem of the network mxray runs on, not of the domain.",
		Fix: "Check the --resolver address or /etc/resolv.conf, and that UDP and TCP port 53 are reachable."},
	{ID: "dns.dns-error", Severity: checks.SevError, Title: "DNS lookups for the domain failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the domain's records exist; senders and receivers see the same failures.",
		Fix: "Check that every name server of the domain answers, over UDP and TCP, for the domain's names."},
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := t.Domain
	data := Data{NameServers: []string{}, DNSSEC: DNSSECNotApplicable}
	defer func() { out.SetData(data) }()

	// Three questions, one round trip: the root's NS (does the resolver
	// validate?), the domain's NS (does it exist, is it signed?) and its
	// DS (an authenticated denial at the parent proves it unsigned).
	var (
		root, nsAns, ds     *dnsq.Answer
		rootErr, err, dsErr error
		wg                  sync.WaitGroup
	)
	wg.Go(func() { root, rootErr = env.DNS.Lookup(ctx, ".", dns.TypeNS) })
	wg.Go(func() { nsAns, err = env.DNS.Lookup(ctx, domain, dns.TypeNS) })
	wg.Go(func() { ds, dsErr = env.DNS.Lookup(ctx, domain, dns.TypeDS) })
	wg.Wait()
	if err != nil {
		if rootErr != nil && isTransport(rootErr) && isTransport(err) {
			out.Add(checks.Finding{ID: "dns.resolver-unreachable", Subject: strings.Join(env.DNS.Servers(), ", "),
				Message:  fmt.Sprintf("the resolver did not answer for the root zone nor for %s (%s)", domain, dnsq.Describe(err)),
				Evidence: checks.DNSEvidence(append(dnsq.QueriesOf(rootErr), dnsq.QueriesOf(err)...)...)})
			return nil
		}
		if errors.Is(err, dnsq.ErrServFail) {
			cd, cdErr := env.DNS.Lookup(ctx, domain, dns.TypeNS, dnsq.WithCD())
			if cdErr == nil {
				ev := checks.DNSEvidence(append(dnsq.QueriesOf(err), cd.Query)...)
				out.Add(checks.Finding{ID: "dns.dnssec-bogus", Subject: domain, Evidence: ev,
					Message: fmt.Sprintf("the resolver answers SERVFAIL for %s NS, but answers (%s) with checking disabled: DNSSEC validation fails", domain, dns.RcodeToString[cd.Rcode])})
				data.DNSSEC = DNSSECBogus
				data.DecidedBy = domain + " NS: SERVFAIL, but " + dns.RcodeToString[cd.Rcode] + " with checking disabled"
				data.Exists = !cd.NXDomain()
				out.RootCause(checks.RootCause{Zone: domain, Rcodes: []string{"SERVFAIL"},
					Reason: fmt.Sprintf("DNSSEC validation fails for %s", domain)})
				return nil
			}
		}
		qs := dnsq.QueriesOf(err)
		out.Add(checks.Finding{ID: "dns.dns-error", Subject: domain, Evidence: checks.DNSEvidence(qs...),
			Message: fmt.Sprintf("the NS lookup failed: %v", err)})
		var rcodes []string
		for _, q := range qs {
			if q.Rcode != "NOERROR" && q.Rcode != "NXDOMAIN" && !slices.Contains(rcodes, q.Rcode) {
				rcodes = append(rcodes, q.Rcode)
			}
		}
		out.RootCause(checks.RootCause{Zone: domain, Rcodes: rcodes,
			Reason: fmt.Sprintf("the lookups of %s fail: %v", domain, err)})
		return nil
	}
	// AD on any answer from the resolver the user chose proves that it
	// validates; AD is trusted from it (see README, "DNSSEC and AD").
	asked := []*dnsq.Answer{root, nsAns, ds}
	for _, a := range asked {
		if a != nil && a.AD {
			data.Validating = true
		}
	}
	if nsAns.NXDomain() {
		out.Add(checks.Finding{ID: "dns.nxdomain", Subject: domain, Evidence: checks.DNSEvidence(nsAns.Query),
			Message: fmt.Sprintf("%s does not exist (the resolver answers NXDOMAIN)", domain)})
		return nil
	}
	data.Exists = true
	for _, rr := range nsAns.Records() {
		if ns, ok := rr.(*dns.NS); ok {
			data.NameServers = append(data.NameServers, strings.TrimSuffix(strings.ToLower(ns.Ns), "."))
		}
	}
	sort.Strings(data.NameServers)
	data.ZoneApex = domain
	if len(data.NameServers) == 0 {
		// Not a zone apex (a name inside a zone): find the apex from the SOA
		// in the authority section.
		data.ZoneApex = ""
		for _, rr := range nsAns.Msg.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				data.ZoneApex = strings.TrimSuffix(strings.ToLower(soa.Hdr.Name), ".")
			}
		}
		if data.ZoneApex == domain {
			out.Add(checks.Finding{ID: "dns.no-ns", Subject: domain, Evidence: checks.DNSEvidence(nsAns.Query),
				Message: fmt.Sprintf("%s is a zone apex (it has an SOA record) but publishes no NS records", domain)})
		}
	} else if len(data.NameServers) == 1 {
		out.Add(checks.Finding{ID: "dns.single-ns", Subject: domain, Evidence: checks.DNSEvidence(nsAns.Query),
			Message: fmt.Sprintf("%s has a single name server (%s)", domain, data.NameServers[0])})
	}

	resolvers := strings.Join(env.DNS.Servers(), ", ")
	deniedDS := ds != nil && ds.AD && ds.Empty()
	switch {
	case nsAns.AD:
		data.DNSSEC = DNSSECSecure
		data.DecidedBy = decided(nsAns, "with AD")
	case deniedDS:
		data.DNSSEC = DNSSECInsecure
		data.DecidedBy = decided(ds, "no DS, denial validated (AD)")
		out.Add(checks.Finding{ID: "dns.dnssec-unsigned", Subject: domain, Evidence: checks.DNSEvidence(ds.Query, nsAns.Query),
			Message: fmt.Sprintf("%s is not DNSSEC-signed: its parent zone proves that it has no DS record (an authenticated denial, validated by %s)", domain, resolvers)})
	case data.Validating:
		data.DNSSEC = DNSSECInsecure
		data.DecidedBy = decided(nsAns, "without AD, though the resolver validates")
		ev := checks.DNSEvidence(nsAns.Query)
		for _, a := range asked {
			if a != nil && a.AD {
				ev.AddDNS(a.Query)
			}
		}
		out.Add(checks.Finding{ID: "dns.dnssec-unsigned", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s is not DNSSEC-signed: %s validates (it sets AD on other answers) but not on the answers for %s", domain, resolvers, domain)})
	default:
		data.DNSSEC = DNSSECUnknown
		data.DecidedBy = "no AD bit on any answer (root NS, domain NS and DS)"
		ev := checks.DNSEvidence(nsAns.Query)
		var asks []string
		for _, q := range []struct {
			name string
			a    *dnsq.Answer
			err  error
		}{{".", root, rootErr}, {domain, nsAns, nil}, {domain, ds, dsErr}} {
			if q.err != nil {
				ev.AddDNS(dnsq.QueriesOf(q.err)...)
				asks = append(asks, q.err.Error())
				continue
			}
			ev.AddDNS(q.a.Query)
			asks = append(asks, fmt.Sprintf("%s %s: %s without AD", strings.TrimSuffix(q.a.Name, ".")+dotIfRoot(q.a.Name), dns.TypeToString[q.a.Type], dns.RcodeToString[q.a.Rcode]))
		}
		msg := fmt.Sprintf("%s sets the AD bit on none of its answers (%s): it does not validate DNSSEC, so the DNSSEC status of %s is unknown", resolvers, strings.Join(asks, "; "), domain)
		if rootErr == nil && !root.AD && len(root.Records()) > 0 {
			msg = fmt.Sprintf("%s does not validate DNSSEC: no AD bit on any answer, not even for the signed root zone; the DNSSEC status of %s is unknown", resolvers, domain)
		}
		out.Add(checks.Finding{ID: "dns.resolver-not-validating", Subject: resolvers, Evidence: ev, Message: msg})
	}
	return nil
}

// dotIfRoot names the root zone "." rather than "".
func dotIfRoot(name string) string {
	if name == "." {
		return "."
	}
	return ""
}

// isTransport reports whether err means the resolver did not answer at all.
func isTransport(err error) bool {
	return errors.Is(err, dnsq.ErrTimeout) || errors.Is(err, dnsq.ErrUnreachable)
}

// decided words the answer that decided the DNSSEC status.
func decided(a *dnsq.Answer, how string) string {
	return strings.TrimSuffix(a.Name, ".") + " " + dns.TypeToString[a.Type] + ": " + dns.RcodeToString[a.Rcode] + " " + how
}
