package dkim

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: each selector found with its key
// (type, size, flags, record), and the selectors that were probed.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	found := 0
	for _, s := range d.Selectors {
		if s.Source == "wildcard-probe" {
			continue
		}
		if !s.Found && s.Error == "" && s.Source != "flag" {
			continue // a probed name that does not exist: listed below
		}
		if s.Found {
			found++
		}
		v := "no key"
		switch {
		case s.Found:
			v = "key found"
		case s.Error != "":
			v = "lookup failed"
		}
		if s.Source == "flag" {
			v += " (--selector)"
		}
		items = append(items, checks.Item{Label: "selector " + s.Selector, Value: v})
		items = append(items, checks.Item{Depth: 1, Label: "name", Value: s.Name})
		if len(s.CNAME) > 0 {
			items = append(items, checks.Item{Depth: 1, Label: "alias of", Value: strings.Join(s.CNAME, " → ")})
		}
		if k := s.Key; k != nil {
			kv := k.KeyType
			if k.Bits > 0 {
				kv = fmt.Sprintf("%s %d bits", k.KeyType, k.Bits)
			}
			if k.Revoked {
				kv += " (revoked: p= is empty)"
			}
			items = append(items, checks.Item{Depth: 1, Label: "key", Value: kv})
			if len(k.Flags) > 0 {
				items = append(items, checks.Item{Depth: 1, Label: "flags", Value: "t=" + strings.Join(k.Flags, ":")})
			}
			if len(k.Hashes) > 0 {
				items = append(items, checks.Item{Depth: 1, Label: "hashes", Value: "h=" + strings.Join(k.Hashes, ":")})
			}
			if len(k.Services) > 0 {
				items = append(items, checks.Item{Depth: 1, Label: "services", Value: "s=" + strings.Join(k.Services, ":")})
			}
			for _, p := range k.Problems {
				items = append(items, checks.Item{Depth: 1, Label: "problem", Value: p.Text})
			}
		}
		for _, r := range s.Records {
			items = append(items, checks.Item{Depth: 1, Label: "record", Value: r})
		}
		if s.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "error", Value: s.Error})
		}
	}
	if found == 0 {
		items = append([]checks.Item{{Label: "keys found", Value: "none"}}, items...)
	}
	if d.DomainkeyNXDOMAIN {
		items = append(items, checks.Item{Label: "_domainkey", Value: "does not exist (NXDOMAIN): no selector can exist, probing stopped"})
	}
	if d.Wildcard {
		items = append(items, checks.Item{Label: "wildcard", Value: "every selector name answers (a wildcard record)"})
	}
	for _, p := range d.Providers {
		var named []string
		for _, n := range p.Named {
			named = append(named, n.Via.words()+" "+n.Name)
		}
		items = append(items, checks.Item{Label: "mail provider", Value: p.Name + " (named by " + strings.Join(named, ", ") + ")"})
		if len(p.Selectors) > 0 {
			items = append(items, checks.Item{Depth: 1, Label: "its selectors", Value: strings.Join(p.Selectors, ", ")})
		}
		if p.Note != "" {
			items = append(items, checks.Item{Depth: 1, Label: "note", Value: p.Note})
		}
	}
	if d.Mode != "" {
		items = append(items, checks.Item{Label: "probe mode", Value: string(d.Mode) + " (--dkim-probe)"})
	}
	probed := "none"
	if len(d.Probed) > 0 {
		probed = strings.Join(d.Probed, ", ")
	}
	items = append(items, checks.Item{Label: "selectors probed", Value: probed})
	// Why each was asked, one line per reason (a selector may have several).
	type group struct{ label, sels string }
	var groups []group
	add := func(label, sel string) {
		for i := range groups {
			if groups[i].label == label {
				groups[i].sels += ", " + sel
				return
			}
		}
		groups = append(groups, group{label, sel})
	}
	for _, p := range d.Probes {
		for _, r := range p.Reasons {
			switch r {
			case ReasonProvider:
				for _, name := range p.Providers {
					add("inferred from "+name, p.Selector)
				}
			default:
				add(r.words(), p.Selector)
			}
		}
	}
	for _, g := range groups {
		if g.label == ReasonFull.words() {
			// The whole list is the line above: say how many.
			g.sels = fmt.Sprintf("%d selectors", strings.Count(g.sels, ",")+1)
		}
		items = append(items, checks.Item{Depth: 1, Label: g.label, Value: g.sels})
	}
	return items
}

// words says in plain words why a selector was asked.
func (r Reason) words() string {
	switch r {
	case ReasonUser:
		return "given with --selector"
	case ReasonCommon:
		return "common selectors"
	case ReasonFull:
		return "built-in list"
	}
	return string(r)
}

// words names the kind of record in plain words.
func (v Via) words() string {
	switch v {
	case ViaSPF:
		return "SPF include"
	case ViaMX:
		return "MX host"
	}
	return string(v)
}
