package report

import (
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/profile"
)

// profileReport is a run of the profile check for Gmail, Yahoo and
// Microsoft without --bulk: passes, a failure, undecided rules, bulk-only
// rules, a recommended rule missed, a rule only one provider has, and a
// rule ID from hostile data.
func profileReport() *checks.Report {
	rule := func(p profile.Provider, id profile.RuleID, scope profile.Scope, level profile.Level, st profile.Status) profile.RuleResult {
		return profile.RuleResult{ID: id, Provider: p, Scope: scope, Level: level, Status: st}
	}
	all, bulk := profile.ScopeAll, profile.ScopeBulk
	req, rec := profile.LevelRequired, profile.LevelRecommended
	data := profile.Data{Providers: []profile.ProviderResult{
		{Provider: profile.Gmail, Name: "Gmail", Rules: []profile.RuleResult{
			rule(profile.Gmail, profile.RuleSPFOrDKIM, all, req, profile.StatusPass),
			rule(profile.Gmail, profile.RuleReverseDNS, all, req, profile.StatusUnknown),
			rule(profile.Gmail, profile.RuleTLS, all, req, profile.StatusUnknown),
			rule(profile.Gmail, profile.RuleDMARCRecord, bulk, req, profile.StatusNotApplicable),
		}},
		{Provider: profile.Yahoo, Name: "Yahoo", Rules: []profile.RuleResult{
			rule(profile.Yahoo, profile.RuleSPFOrDKIM, all, req, profile.StatusPass),
			rule(profile.Yahoo, profile.RuleNoNullMX, all, req, profile.StatusFail),
			rule(profile.Yahoo, "arc|\x1b[31mred", all, rec, profile.StatusFail),
		}},
		{Provider: profile.Microsoft, Name: "Microsoft Outlook.com", Rules: []profile.RuleResult{
			rule(profile.Microsoft, profile.RuleSPFAndDKIM, bulk, req, profile.StatusNotApplicable),
			rule(profile.Microsoft, profile.RuleDMARCRecord, bulk, req, profile.StatusNotApplicable),
		}},
	}}
	return &checks.Report{
		Domain: "example.com", StartedAt: t0, Duration: 120 * time.Millisecond, DNSQueries: 3,
		Results: []checks.Result{{
			ID: profile.ID, Title: "Mailbox-provider rules", Status: checks.StatusFail, Duration: 2 * time.Millisecond,
			Findings: []checks.Finding{{ID: "profile.yahoo-no-null-mx", Severity: checks.SevFail, Message: "Yahoo would answer 554: the domain publishes a null MX."}},
			Data:     data,
		}},
	}
}

// TestGoldenProfile pins the providers × rules table of the text and
// Markdown reports: a word per cell, "-" where a provider has no such rule,
// hostile rule IDs escaped.
func TestGoldenProfile(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name string
		opts Options
	}{
		{"profile.txt", Options{Format: FormatText, Explain: explain}},
		{"profile.md", Options{Format: FormatMarkdown, Explain: explain}},
	} {
		t.Run(v.name, func(t *testing.T) {
			got := render(t, v.opts, profileReport())
			checkWellFormed(t, v.opts, got)
			if strings.Contains(string(got), "\x1b") {
				t.Errorf("a control character reached the output:\n%s", got)
			}
			golden.Check(t, "report/"+v.name, got)
		})
	}
}
