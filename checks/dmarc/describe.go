package dmarc

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: the record and where discovery
// found it, the policy that applies, and the report addresses with their
// authorisation.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	if d.Record != nil {
		items = append(items, checks.Item{Label: "record", Value: d.Record.Raw})
	} else {
		items = append(items, checks.Item{Label: "record", Value: "none (" + string(d.Status) + ")"})
	}
	if d.RecordDomain != "" {
		v := "_dmarc." + d.RecordDomain
		switch d.Rule {
		case RuleExact:
			v += " (the domain's own)"
		case RuleOrgDomain:
			v += " (the organisational domain's, RFC 7489)"
		case RuleTreeWalk:
			v += " (found by the DNS tree walk, RFC 9989)"
		}
		items = append(items, checks.Item{Label: "found at", Value: v})
	}
	if d.TreeWalk != nil {
		items = append(items, checks.Item{Label: "tree walk"})
		for _, l := range d.TreeWalk.Levels {
			v := l.Rcode
			switch {
			case l.Error != "":
				v = l.Error
			case len(l.DMARC) > 0:
				v = strings.Join(l.DMARC, " | ")
			case len(l.TXT) > 0:
				v = fmt.Sprintf("%s, no DMARC record among %d TXT", l.Rcode, len(l.TXT))
			case v == "":
				v = "no record"
			}
			items = append(items, checks.Item{Depth: 1, Label: l.Name, Value: v})
		}
	}
	if d.Policy != "" {
		items = append(items, checks.Item{Label: "policy", Value: string(d.Policy)})
	}
	if r := d.Record; r != nil {
		if r.SP != "" {
			items = append(items, checks.Item{Depth: 1, Label: "subdomains (sp)", Value: string(r.SP)})
		}
		if r.NP != "" {
			items = append(items, checks.Item{Depth: 1, Label: "non-existent subdomains (np)", Value: string(r.NP)})
		}
		items = append(items, checks.Item{Depth: 1, Label: "pct", Value: fmt.Sprint(r.Pct)})
		items = append(items, checks.Item{Depth: 1, Label: "alignment", Value: "adkim=" + r.ADKIM + " aspf=" + r.ASPF})
		if r.Testing {
			items = append(items, checks.Item{Depth: 1, Label: "testing", Value: "t=y: receivers apply the next weaker policy"})
		}
		for _, u := range r.RUA {
			items = append(items, checks.Item{Label: "rua", Value: u.Raw})
			items = append(items, d.auth("rua", u)...)
		}
		for _, u := range r.RUF {
			items = append(items, checks.Item{Label: "ruf", Value: u.Raw})
			items = append(items, d.auth("ruf", u)...)
		}
	}
	return items
}

// auth describes the external-destination authorisation of one report URI.
func (d Data) auth(tag string, u URI) []checks.Item {
	for _, a := range d.Reports {
		if a.Tag != tag || (a.URI != u.Raw && (u.Domain == "" || a.Domain != u.Domain)) {
			continue
		}
		v := "authorised by " + a.Name
		switch {
		case a.Error != "":
			v = "not decided: " + a.Error
		case !a.Authorized:
			v = "not authorised: no record at " + a.Name
		}
		return []checks.Item{{Depth: 1, Label: "external destination", Value: v}}
	}
	return nil
}
