package dnscheck

import (
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: whether the domain exists, its
// name servers, and its DNSSEC status with the answer that decided it.
func (d Data) Describe() []checks.Item {
	items := []checks.Item{{Label: "exists", Value: yesNo(d.Exists)}}
	if d.ZoneApex != "" {
		items = append(items, checks.Item{Label: "zone apex", Value: d.ZoneApex})
	}
	if len(d.NameServers) == 0 {
		items = append(items, checks.Item{Label: "name servers", Value: "none found"})
	} else {
		items = append(items, checks.Item{Label: "name servers", Value: strings.Join(d.NameServers, ", ")})
	}
	items = append(items, checks.Item{Label: "DNSSEC", Value: d.DNSSEC})
	if d.DecidedBy != "" {
		items = append(items, checks.Item{Depth: 1, Label: "decided by", Value: d.DecidedBy})
	}
	items = append(items, checks.Item{Label: "resolver validates DNSSEC", Value: yesNo(d.Validating)})
	return items
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
