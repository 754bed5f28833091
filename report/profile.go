package report

import (
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/profile"
)

// The providers × rules table of the profile check (issue 18): one row per
// rule, one column per provider asked for, a word per cell. The text and
// Markdown reports print it after the check's findings.

// profileWord is the word a cell of the table shows for a rule's status.
func profileWord(rr profile.RuleResult) string {
	switch rr.Outcome() {
	case profile.OutcomePass:
		return "pass"
	case profile.OutcomeFail:
		return "FAIL"
	case profile.OutcomeShort:
		return "warn"
	case profile.OutcomeBulk:
		return "bulk"
	case profile.OutcomeNotApplicable:
		return "n/a"
	}
	return "?"
}

// profileNoRule is the cell of a rule the provider does not have.
const profileNoRule = "-"

// profileLegend explains the words of the table.
const profileLegend = "pass: met; FAIL: the provider would refuse the mail; warn: a recommended rule is not met; " +
	"?: not decided (the check's findings say what would decide it: --ip, a message, the provider's own data); " +
	"bulk: applies to bulk senders (--bulk grades it); -: not a rule of that provider"

// profileTable is the table of a result's profile data: the header (rule,
// then each provider) and one row per rule, in the catalogue's order. ok
// is false when the result has no profile data or no provider.
func profileTable(res checks.Result) (rows [][]string, ok bool) {
	var d *profile.Data
	switch v := res.Data.(type) {
	case profile.Data:
		d = &v
	case *profile.Data:
		d = v
	}
	if d == nil || len(d.Providers) == 0 {
		return nil, false
	}
	head := []string{"rule"}
	cells := map[profile.RuleID][]string{}
	for i, p := range d.Providers {
		head = append(head, clean(string(p.Provider)))
		for _, rr := range p.Rules {
			if cells[rr.ID] == nil {
				cells[rr.ID] = make([]string, len(d.Providers))
			}
			cells[rr.ID][i] = profileWord(rr)
		}
	}
	rows = append(rows, head)
	seen := map[profile.RuleID]bool{}
	add := func(id profile.RuleID) {
		c, ok := cells[id]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		row := []string{clean(string(id))}
		for _, w := range c {
			if w == "" {
				w = profileNoRule
			}
			row = append(row, w)
		}
		rows = append(rows, row)
	}
	for _, id := range profile.RuleIDs {
		add(id)
	}
	for _, p := range d.Providers { // a rule the catalogue does not list (newer data) still shows
		for _, rr := range p.Rules {
			add(rr.ID)
		}
	}
	return rows, true
}

// writeTextProfile prints the providers × rules table of a profile
// result, columns aligned, after its findings. Other results print
// nothing.
func writeTextProfile(b *strings.Builder, opts Options, res checks.Result) {
	rows, ok := profileTable(res)
	if !ok {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], textWidth(c))
		}
	}
	b.WriteString("  providers × rules:\n")
	for _, r := range rows {
		var l strings.Builder
		l.WriteString("    ")
		for i, c := range r {
			l.WriteString(c)
			if i < len(r)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-textWidth(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	wrapBlock(b, opts, "  ", "", profileLegend)
}

// writeMarkdownProfile prints the providers × rules table of a profile
// result as a GitHub table, after its findings. Other results print
// nothing.
func writeMarkdownProfile(b *strings.Builder, res checks.Result) {
	rows, ok := profileTable(res)
	if !ok {
		return
	}
	b.WriteString("\nProviders × rules:\n\n")
	for i, r := range rows {
		cs := make([]string, len(r))
		for j, c := range r {
			switch {
			case i == 0 && j == 0:
				cs[j] = "Rule"
			case i == 0:
				cs[j] = mdText(c)
			case j == 0:
				cs[j] = mdCellCode(c)
			default:
				cs[j] = mdText(c)
			}
		}
		b.WriteString("| " + strings.Join(cs, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat(" --- |", len(r)) + "\n")
		}
	}
	b.WriteString("\n" + mdText(profileLegend) + "\n\n")
}
