package dmarc

import (
	"context"
	"strings"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/tagval"
	"golang.org/x/net/publicsuffix"
)

// Rule names how a DMARC record was found.
type Rule string

// The discovery rules.
const (
	// RuleExact: the record is at _dmarc.<domain> itself.
	RuleExact Rule = "exact"
	// RuleOrgDomain: RFC 7489 §6.6.3 fallback to the organisational domain
	// given by the public suffix list.
	RuleOrgDomain Rule = "rfc7489-org-domain"
	// RuleTreeWalk: RFC 9989 §4.10 DNS tree walk (at most 8 queries, from
	// the domain towards the top-level domain).
	RuleTreeWalk Rule = "rfc9989-tree-walk"
)

// Level is one _dmarc name queried during discovery.
type Level struct {
	Name   string `json:"name"`   // e.g. "_dmarc.example.com"
	Domain string `json:"domain"` // e.g. "example.com"
	// Rcode is the answer's DNS rcode (NOERROR, NXDOMAIN...); absent when the lookup failed.
	Rcode string   `json:"rcode,omitempty"`
	TXT   []string `json:"txt,omitempty"`   // every TXT record (character-strings joined)
	DMARC []string `json:"dmarc,omitempty"` // the records that start with v=DMARC1
	// Error says in plain words why the lookup failed; absent when it did not.
	Error   string       `json:"error,omitempty"`
	Queries []dnsq.Query `json:"-"`
	err     error        // the lookup's error, for errors.Is
}

// Discovery is the outcome of one discovery procedure.
type Discovery struct {
	// Domain is the domain discovery started from.
	Domain string `json:"domain"`
	// Found is set when exactly one DMARC record was found at RecordDomain.
	Found bool `json:"found"`
	// Record is the DMARC record found; absent when none.
	Record string `json:"record,omitempty"`
	// RecordDomain is the domain it is at; absent when none.
	RecordDomain string `json:"record_domain,omitempty"`
	// Rule is how it was found; absent when nothing was.
	Rule Rule `json:"rule,omitempty"`
	// Multiple is set when discovery stopped at RecordDomain because it
	// publishes more than one DMARC record.
	Multiple bool `json:"multiple,omitempty"`
	// Levels are the _dmarc names asked, in order; [] when none.
	Levels []Level `json:"levels"`
	// Err is the DNS failure that stopped discovery.
	Err error `json:"-"`
}

// maxWalk is the RFC 9989 §4.10 query budget; longer names jump to their
// last 7 labels after the first query.
const maxWalk = 8

// OrgDomain returns the RFC 7489 organisational domain of a domain (its
// registrable domain per the public suffix list), or the domain itself when
// it is a public suffix.
func OrgDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// WalkNames returns the domains the RFC 9989 §4.10 tree walk queries for
// domain, in order: the domain itself, then (for names of 8 or more labels)
// its last 7 labels, then each parent down to the top-level domain.
func WalkNames(domain string) []string {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	if domain == "" {
		return nil
	}
	labels := strings.Split(domain, ".")
	out := []string{domain}
	if len(labels) > maxWalk-1 {
		labels = labels[len(labels)-(maxWalk-1):]
		out = append(out, strings.Join(labels, "."))
	}
	for len(labels) > 1 && len(out) < maxWalk {
		labels = labels[1:]
		out = append(out, strings.Join(labels, "."))
	}
	// The jump to 7 labels adds one name: drop the duplicate when the name
	// had exactly 7 labels after the first.
	return dedupe(out)
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// query fetches the TXT records at _dmarc.<domain>.
func query(ctx context.Context, c *dnsq.Client, domain string) Level {
	lv := Level{Name: "_dmarc." + domain, Domain: domain}
	ans, err := c.Lookup(ctx, lv.Name, dns.TypeTXT)
	if err != nil {
		lv.Error = err.Error() // plain words that name the question
		lv.Queries = dnsq.QueriesOf(err)
		lv.err = err
		return lv
	}
	lv.Queries = []dnsq.Query{ans.Query}
	lv.Rcode = dns.RcodeToString[ans.Rcode]
	for _, chunks := range ans.TXT() {
		txt := tagval.Join(chunks)
		lv.TXT = append(lv.TXT, txt)
		if IsDMARC(txt) {
			lv.DMARC = append(lv.DMARC, txt)
		}
	}
	return lv
}

// settle records the outcome at a level and reports whether discovery stops.
func (d *Discovery) settle(lv Level, rule Rule) bool {
	d.Levels = append(d.Levels, lv)
	switch {
	case lv.Error != "":
		d.Err = &levelError{lv}
		return true
	case len(lv.DMARC) == 1:
		d.Found, d.Record, d.RecordDomain, d.Rule = true, lv.DMARC[0], lv.Domain, rule
		return true
	case len(lv.DMARC) > 1:
		d.Multiple, d.RecordDomain, d.Rule = true, lv.Domain, rule
		return true
	}
	return false
}

// levelError is the lookup failure that stopped discovery at one level. Its
// text is the lookup's, which already names the question ("_dmarc.x TXT:
// the resolver answered SERVFAIL").
type levelError struct{ lv Level }

func (e *levelError) Error() string { return e.lv.Error }

func (e *levelError) Unwrap() error { return e.lv.err }

// DiscoverTreeWalk finds the DMARC record that applies to domain by the
// RFC 9989 §4.10 tree walk: the first name on the walk with exactly one
// DMARC record wins; a name with several stops the walk with no policy.
func DiscoverTreeWalk(ctx context.Context, c *dnsq.Client, domain string) *Discovery {
	d := &Discovery{Domain: domain, Levels: []Level{}}
	for i, name := range WalkNames(domain) {
		rule := RuleTreeWalk
		if i == 0 {
			rule = RuleExact
		}
		if d.settle(query(ctx, c, name), rule) {
			break
		}
	}
	return d
}

// DiscoverRFC7489 finds the DMARC record by RFC 7489 §6.6.3: the domain
// itself, then its organisational domain from the public suffix list.
func DiscoverRFC7489(ctx context.Context, c *dnsq.Client, domain string) *Discovery {
	d := &Discovery{Domain: domain, Levels: []Level{}}
	if d.settle(query(ctx, c, domain), RuleExact) {
		return d
	}
	if org := OrgDomain(domain); org != domain {
		d.settle(query(ctx, c, org), RuleOrgDomain)
	}
	return d
}

// RegistrableDomain returns the registrable domain (eTLD+1) of domain and
// true, or false when domain is itself a public suffix.
func RegistrableDomain(domain string) (string, bool) {
	org, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(strings.ToLower(domain), "."))
	return org, err == nil
}
