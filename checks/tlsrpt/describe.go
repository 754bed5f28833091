package tlsrpt

import (
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: the TLS-RPT record, its report
// addresses, and whether MTA-STS or DANE make reports useful.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	switch {
	case d.Record != nil:
		items = append(items, checks.Item{Label: "record", Value: d.Record.Raw})
		for _, r := range d.Record.RUA {
			items = append(items, checks.Item{Depth: 1, Label: "rua", Value: r})
		}
		for _, p := range d.Record.Problems {
			items = append(items, checks.Item{Depth: 1, Label: "problem", Value: p})
		}
	case len(d.Records) == 0:
		items = append(items, checks.Item{Label: "record", Value: "none"})
	}
	if len(d.Records) > 1 || (d.Record == nil && len(d.Records) > 0) {
		for _, r := range d.Records {
			items = append(items, checks.Item{Label: "record", Value: r})
		}
	}
	if d.MTASTSDeployed != nil {
		items = append(items, checks.Item{Label: "MTA-STS deployed", Value: yesNo(*d.MTASTSDeployed)})
	}
	if d.DANEDeployed != nil {
		v := yesNo(*d.DANEDeployed)
		if len(d.DANEHosts) > 0 {
			v += " (" + strings.Join(d.DANEHosts, ", ") + ")"
		}
		items = append(items, checks.Item{Label: "DANE deployed", Value: v})
	}
	return items
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
