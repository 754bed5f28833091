package bimi

import (
	"fmt"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: the BIMI record and where it was
// found, the logo fetched and its SVG properties, and the DMARC policy BIMI
// depends on.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	if d.Record == nil {
		items = append(items, checks.Item{Label: "record", Value: "none"})
	} else {
		items = append(items, checks.Item{Label: "record", Value: d.Record.Raw})
		if d.Name != "" {
			v := d.Name
			if d.Inherited {
				v += " (inherited from the organisational domain)"
			}
			items = append(items, checks.Item{Depth: 1, Label: "found at", Value: v})
		}
		if d.Record.Logo != "" {
			items = append(items, checks.Item{Depth: 1, Label: "logo (l=)", Value: d.Record.Logo})
		}
		if d.Record.VMC != "" {
			items = append(items, checks.Item{Depth: 1, Label: "certificate (a=)", Value: d.Record.VMC})
		}
		if d.Record.Declined {
			items = append(items, checks.Item{Depth: 1, Label: "declined", Value: "l= and a= are empty: the domain declines BIMI"})
		}
		for _, p := range d.Record.Problems {
			items = append(items, checks.Item{Depth: 1, Label: "problem", Value: p})
		}
	}
	if l := d.Logo; l != nil {
		v := fmt.Sprintf("HTTP %d, %d bytes", l.Status, l.Bytes)
		if l.Status == 0 {
			v = "no answer"
		}
		if l.ContentType != "" {
			v += ", " + l.ContentType
		}
		items = append(items, checks.Item{Label: "logo", Value: l.URL})
		items = append(items, checks.Item{Depth: 1, Label: "fetch", Value: v})
		if l.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "error", Value: l.Error})
		}
	}
	if s := d.SVG; s != nil {
		v := fmt.Sprintf("%d bytes", s.Bytes)
		if s.BaseProfile != "" {
			v += ", baseProfile " + s.BaseProfile
		}
		if s.Version != "" {
			v += ", version " + s.Version
		}
		items = append(items, checks.Item{Label: "SVG", Value: v})
		if s.Title != "" {
			items = append(items, checks.Item{Depth: 1, Label: "title", Value: s.Title})
		}
		for _, p := range s.Problems {
			items = append(items, checks.Item{Depth: 1, Label: "problem", Value: p})
		}
	}
	if d.Record != nil {
		vmc := "no"
		if d.VMC {
			vmc = "yes"
		}
		items = append(items, checks.Item{Label: "certificate (VMC)", Value: vmc})
	}
	if d.DMARCPolicy != "" {
		items = append(items, checks.Item{Label: "DMARC policy", Value: d.DMARCPolicy})
	}
	return items
}
