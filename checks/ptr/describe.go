package ptr

import (
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: each sending address, its PTR
// names and whether each resolves back to it.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	for _, a := range d.Addresses {
		items = append(items, checks.Item{Label: "address " + a.Address, Value: string(a.Status)})
		if len(a.PTR) == 0 && a.Status != StatusNotPublic {
			items = append(items, checks.Item{Depth: 1, Label: "PTR", Value: "none"})
		}
		for _, n := range a.Names {
			v := "no addresses"
			if len(n.Addresses) > 0 {
				v = strings.Join(n.Addresses, ", ")
			}
			switch {
			case n.Error != "":
				v = "lookup failed: " + n.Error
			case n.Confirmed != nil && *n.Confirmed:
				v += " (resolves back)"
			case n.Confirmed != nil:
				v += " (does not resolve back)"
			}
			items = append(items, checks.Item{Depth: 1, Label: "PTR " + n.Name, Value: v})
			if n.Generic != "" {
				items = append(items, checks.Item{Depth: 2, Label: "looks generic", Value: n.Generic})
			}
		}
		if len(a.Names) == 0 {
			for _, p := range a.PTR {
				items = append(items, checks.Item{Depth: 1, Label: "PTR", Value: p})
			}
		}
		if a.FCrDNS != nil {
			v := "no"
			if *a.FCrDNS {
				v = "yes"
			}
			items = append(items, checks.Item{Depth: 1, Label: "forward-confirmed", Value: v})
		}
	}
	return items
}
