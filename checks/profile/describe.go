package profile

import (
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: per provider, each rule with its
// verdict, why, and the replies the provider documents for it.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	for _, p := range d.Providers {
		items = append(items, checks.Item{Label: "provider", Value: p.Name})
		for _, r := range p.Rules {
			items = append(items, checks.Item{Depth: 1, Label: string(r.ID), Value: string(r.Status) + ": " + r.Note})
			for _, e := range r.Evidence.Data {
				items = append(items, checks.Item{Depth: 2, Label: "read", Value: e})
			}
			if r.Status == StatusFail && len(r.Rejection) > 0 {
				items = append(items, checks.Item{Depth: 2, Label: "replies", Value: strings.Join(r.Rejection, ", ")})
			}
		}
	}
	return items
}
