package mtasts

import (
	"fmt"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: the TXT record, the policy fetch
// and the policy read (mode, max_age, mx lines), and which MX hosts the
// policy covers.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	switch {
	case d.TXT != nil:
		items = append(items, checks.Item{Label: "TXT record", Value: d.TXT.Raw})
		if d.TXT.ID != "" {
			items = append(items, checks.Item{Depth: 1, Label: "id", Value: d.TXT.ID})
		}
		for _, p := range d.TXT.Problems {
			items = append(items, checks.Item{Depth: 1, Label: "problem", Value: p})
		}
	case len(d.Records) == 0:
		items = append(items, checks.Item{Label: "TXT record", Value: "none"})
	}
	if len(d.Records) > 1 || (d.TXT == nil && len(d.Records) > 0) {
		for _, r := range d.Records {
			items = append(items, checks.Item{Label: "TXT record", Value: r})
		}
	}
	if f := d.Fetch; f != nil {
		items = append(items, checks.Item{Label: "policy URL", Value: f.URL})
		v := fmt.Sprintf("HTTP %d, %d bytes", f.Status, f.Bytes)
		if f.ContentType != "" {
			v += ", " + f.ContentType
		}
		if f.Status == 0 {
			v = "no answer"
		}
		items = append(items, checks.Item{Depth: 1, Label: "fetch", Value: v})
		if f.Location != "" {
			items = append(items, checks.Item{Depth: 1, Label: "redirect to", Value: f.Location})
		}
		if f.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "error", Value: f.Error})
		}
	}
	if p := d.Policy; p != nil {
		items = append(items, checks.Item{Label: "mode", Value: string(p.Mode)})
		items = append(items, checks.Item{Label: "max_age", Value: fmt.Sprintf("%d seconds", p.MaxAge)})
		for _, m := range p.MX {
			items = append(items, checks.Item{Label: "mx", Value: m})
		}
		for _, pr := range p.Problems {
			items = append(items, checks.Item{Depth: 1, Label: "problem", Value: pr})
		}
	}
	for _, m := range d.MX {
		v := "not covered by any mx line"
		if m.Covered {
			v = "covered by " + m.Pattern
		}
		items = append(items, checks.Item{Label: "MX host " + m.Host, Value: v})
	}
	return items
}
