package mx

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: every MX host with its preference,
// alias chain and addresses.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	switch {
	case d.Null && len(d.Hosts) > 0:
		items = append(items, checks.Item{Label: "MX 0", Value: ". (a null MX, beside other MX records)"})
	case d.Null:
		items = append(items, checks.Item{Label: "MX 0", Value: ". (null MX: the domain accepts no mail)"})
	case d.Implicit:
		items = append(items, checks.Item{Label: "MX", Value: "none: senders use the domain's own address (implicit MX)"})
	case len(d.Hosts) == 0:
		items = append(items, checks.Item{Label: "MX", Value: "none"})
	}
	for _, h := range d.Hosts {
		label := fmt.Sprintf("MX %d", h.Preference)
		if d.Implicit {
			label = "implicit MX"
		}
		items = append(items, checks.Item{Label: label, Value: h.Name})
		if len(h.CNAME) > 0 {
			items = append(items, checks.Item{Depth: 1, Label: "alias of", Value: strings.Join(h.CNAME, " → ")})
		}
		if len(h.Addresses) == 0 && h.Error == "" {
			items = append(items, checks.Item{Depth: 1, Label: "address", Value: "none"})
		}
		for _, a := range h.Addresses {
			items = append(items, checks.Item{Depth: 1, Label: "address", Value: a.String()})
		}
		if h.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "lookup failed", Value: h.Error})
		}
	}
	return items
}
