package dnsbl

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: for each address (and the
// domain), each list asked and its answer — listed, clean or unknown, and
// why — then the lists that could not be used.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	v := d.Source
	if d.Reviewed != "" {
		v += ", reviewed " + d.Reviewed
	}
	items = append(items, checks.Item{Label: "lists", Value: fmt.Sprintf("%s (%d usable, %d unusable)", v, d.ListsUsable, d.ListsUnusable)})
	targets := make([]TargetData, 0, len(d.Addresses)+1)
	targets = append(targets, d.Addresses...)
	if d.Domain != nil {
		targets = append(targets, *d.Domain)
	}
	if len(targets) == 0 {
		items = append(items, checks.Item{Label: "addresses", Value: "none asked about"})
	}
	for _, t := range targets {
		status := string(t.Status)
		if !t.Queried {
			status = "not checked: no usable list answered"
		}
		label := "address " + t.Target
		if len(t.Sources) > 0 && t.Sources[0] == "domain" {
			label = "domain " + t.Target
		}
		items = append(items, checks.Item{Label: label, Value: status})
		if len(t.Sources) > 0 && t.Sources[0] != "domain" {
			items = append(items, checks.Item{Depth: 1, Label: "from", Value: strings.Join(t.Sources, ", ")})
		}
		for _, z := range t.Zones {
			v := string(z.Status)
			switch {
			case len(z.Meanings) > 0:
				v += " (" + strings.Join(z.Codes, ", ") + ": " + strings.Join(z.Meanings, "; ") + ")"
			case len(z.Codes) > 0:
				v += " (" + strings.Join(z.Codes, ", ") + ")"
			}
			if z.Reason != "" {
				v += `, the list says "` + z.Reason + `"`
			}
			if z.Error != "" {
				v += ": " + z.Error
			}
			items = append(items, checks.Item{Depth: 1, Label: z.Zone, Value: v})
		}
	}
	for _, z := range d.Zones {
		if z.Health == HealthOK {
			continue
		}
		v := string(z.Health)
		if z.HealthDetail != "" {
			v += ": " + z.HealthDetail
		}
		items = append(items, checks.Item{Label: "unusable list " + z.Zone, Value: v})
	}
	for _, s := range d.Skipped {
		items = append(items, checks.Item{Label: "not asked " + s.Target, Value: s.Reason})
	}
	return items
}
