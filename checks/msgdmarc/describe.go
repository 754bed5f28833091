package msgdmarc

import (
	"fmt"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
)

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: the From domain, the record and
// where discovery found it, the policy that applies, each identifier's
// alignment and the result.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	items := []checks.Item{
		{Label: "From domain", Value: d.FromDomain},
		{Label: "organisational domain", Value: d.OrgDomain},
	}
	if d.Record != nil {
		items = append(items, checks.Item{Label: "record", Value: d.Record.Raw})
	} else if d.Status != "" {
		items = append(items, checks.Item{Label: "record", Value: "none (" + string(d.Status) + ")"})
	}
	if d.RecordDomain != "" {
		v := "_dmarc." + d.RecordDomain
		switch d.Rule {
		case dmarc.RuleExact:
			v += " (the From domain's own)"
		case dmarc.RuleOrgDomain:
			v += " (the organisational domain's, RFC 7489)"
		case dmarc.RuleTreeWalk:
			v += " (found by the DNS tree walk, RFC 9989)"
		}
		items = append(items, checks.Item{Label: "found at", Value: v})
	}
	if l := d.RFC7489; l != nil && l.Err == nil && d.TreeWalk != nil && l.RecordDomain != d.TreeWalk.RecordDomain {
		v := "no record"
		if l.RecordDomain != "" {
			v = "_dmarc." + l.RecordDomain
		}
		items = append(items, checks.Item{Depth: 1, Label: "RFC 7489 receivers find", Value: v})
	}
	if d.Policy != "" {
		v := d.PolicyTag + "=" + string(d.Policy)
		switch d.PolicyTag {
		case "sp":
			v += " (the subdomain policy)"
		case "np":
			v += " (the From domain does not exist)"
		}
		if r := d.Record; r != nil {
			if r.HasPct && r.Pct < 100 {
				v += fmt.Sprintf(", pct=%d", r.Pct)
			}
			if r.Testing {
				v += ", t=y"
			}
		}
		items = append(items, checks.Item{Label: "policy on failure", Value: v})
	}
	for _, a := range d.Alignment {
		label := "SPF " + a.Domain
		if a.Helo {
			label += " (HELO)"
		}
		if a.Identifier == IdentifierDKIM {
			label = fmt.Sprintf("DKIM d=%s s=%s", a.Domain, a.Selector)
		}
		v := a.Result
		switch {
		case a.Aligned:
			v += ", aligned (" + string(a.Mode) + ")"
		case a.Pass:
			v += ", not aligned: " + a.Note
		}
		items = append(items, checks.Item{Label: label, Value: v})
	}
	for _, u := range d.Undecided {
		items = append(items, checks.Item{Label: "not decided", Value: u})
	}
	if d.Result != "" {
		items = append(items, checks.Item{Label: "result", Value: string(d.Result)})
	}
	return items
}
