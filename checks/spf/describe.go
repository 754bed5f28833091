package spf

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// maxDescribeNodes bounds the tree nodes one Describe lists.
const maxDescribeNodes = 200

// Describe implements checks.Describer: the record, the totals, the
// include/redirect tree with each record's lookup cost, void lookups and
// the places the limits are crossed, and for each --ip the deciding
// mechanism.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	if d.Record != "" {
		items = append(items, checks.Item{Label: "record", Value: d.Record})
		items = append(items, checks.Item{Depth: 1, Label: "size", Value: fmt.Sprintf("%d bytes", d.RecordSize)})
	}
	if d.Tree != nil && d.Record == "" && len(d.Records) == 0 {
		v := "none"
		if d.Tree.Error != "" {
			v = "none (" + d.Tree.Error + ")"
		}
		items = append(items, checks.Item{Label: "record", Value: v})
	}
	if d.Record != "" {
		lim := fmt.Sprintf("%d of %d", d.Lookups, d.LookupLimit)
		void := fmt.Sprintf("%d of %d", d.VoidLookups, d.VoidLimit)
		if d.Truncated {
			lim, void = "at least "+lim, "at least "+void
		}
		items = append(items, checks.Item{Label: "DNS lookups", Value: lim})
		items = append(items, checks.Item{Label: "void lookups", Value: void})
		if d.Tree != nil {
			items = append(items, checks.Item{Label: "include tree"})
			n := 0
			items = describeNode(items, d.Tree, 1, &n)
		}
	}
	for _, r := range d.Records {
		items = append(items, checks.Item{Label: fmt.Sprintf("record %d of %d", r.Index, len(d.Records)), Value: r.Record})
		if r.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "error", Value: r.Error})
			continue
		}
		items = append(items, checks.Item{Depth: 1, Label: "DNS lookups", Value: fmt.Sprintf("%d of %d", r.Lookups, d.LookupLimit)})
		items = append(items, checks.Item{Depth: 1, Label: "void lookups", Value: fmt.Sprintf("%d of %d", r.VoidLookups, d.VoidLimit)})
		if r.Tree != nil {
			n := 0
			items = describeNode(items, r.Tree, 1, &n)
		}
	}
	for _, e := range d.Evaluations {
		items = append(items, checks.Item{Label: "evaluation", Value: fmt.Sprintf("%s for %s (%s %s)", e.Result, e.IP, e.Identity, e.Domain)})
		if e.Mechanism != "" {
			v := e.Mechanism
			if e.Domain != "" && e.Domain != d.Domain {
				v += " in " + e.Domain
			}
			items = append(items, checks.Item{Depth: 1, Label: "decided by", Value: v})
		}
		if e.Reason != "" {
			items = append(items, checks.Item{Depth: 1, Label: "reason", Value: e.Reason})
		}
		if e.Explanation != "" {
			items = append(items, checks.Item{Depth: 1, Label: "explanation", Value: e.Explanation})
		}
		items = append(items, checks.Item{Depth: 1, Label: "lookups", Value: fmt.Sprintf("%d, void %d", e.Lookups, e.VoidLookups)})
	}
	return items
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// describeNode lists a tree node and its children, at most
// maxDescribeNodes in all.
func describeNode(items []checks.Item, n *Node, depth int, count *int) []checks.Item {
	if n == nil {
		return items
	}
	*count++
	if *count > maxDescribeNodes {
		if *count == maxDescribeNodes+1 {
			items = append(items, checks.Item{Depth: depth, Value: "… more records not shown"})
		}
		return items
	}
	label := n.Mechanism
	if label == "" {
		label = n.Domain
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%s, %d with includes (running count %d→%d of %d)", plural(n.OwnLookups, "lookup"), n.SubtreeLookups, n.LookupsBefore, n.CumulativeLookups, MaxDNSTerms))
	if n.VoidLookups > 0 {
		parts = append(parts, fmt.Sprintf("%d void", n.VoidLookups))
	}
	items = append(items, checks.Item{Depth: depth, Label: label, Value: strings.Join(parts, ", ")})
	if n.Record != "" {
		items = append(items, checks.Item{Depth: depth + 1, Label: "record", Value: n.Record})
	}
	if n.LimitTerm != "" {
		items = append(items, checks.Item{Depth: depth + 1, Label: "11th lookup", Value: n.LimitTerm + ": receivers stop here with permerror"})
	}
	if n.VoidLimitTerm != "" {
		items = append(items, checks.Item{Depth: depth + 1, Label: "3rd void lookup", Value: n.VoidLimitTerm + ": receivers stop here with permerror"})
	}
	if n.Error != "" {
		items = append(items, checks.Item{Depth: depth + 1, Label: "error", Value: n.Error})
	}
	for _, c := range n.Children {
		items = describeNode(items, c, depth+1, count)
	}
	return items
}
