package profile

import (
	"strings"
	"testing"
)

func TestExplainCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, code, meaning string
		provider          Provider
		rule              RuleID
		uses              int // -1: any number
	}{
		{in: "5.7.26", code: "5.7.26", meaning: "Multiple authentication checks failed", provider: Gmail, rule: RuleSPFOrDKIM, uses: 1},
		{in: "4.7.26", code: "4.7.26", meaning: "Multiple authentication checks failed", provider: Gmail, uses: 2},
		{in: "451 4.7.26", code: "4.7.26", provider: Gmail, rule: RuleAlignment, uses: 1},
		{in: "550 5.7.515", code: "5.7.515", provider: Microsoft, rule: RuleSPFAndDKIM, uses: 1},
		{in: "550 5.7.515 Access denied, sending domain example.com does not meet the required authentication level.", code: "5.7.515", provider: Microsoft, uses: 1},
		{in: "550-5.7.26 This mail has been blocked", code: "5.7.26", provider: Gmail, uses: 1},
		{in: "TSS04", code: "TSS04", provider: Yahoo, rule: RuleSpamRate, uses: 1},
		{in: "[tss04]", code: "TSS04", provider: Yahoo, uses: 1},
		{in: "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", code: "TSS04", provider: Yahoo, uses: 1},
		{in: "SC-001", code: "SC-001", provider: Microsoft, rule: RuleSpamRate, uses: 1},
		{in: "sc001", code: "SC-001", provider: Microsoft, uses: 1},
		{in: "550 DY-001 (COL004-MC4F11) Unfortunately, messages from 192.0.2.1 weren't sent", code: "DY-001", provider: Microsoft, rule: RuleReverseDNS, uses: 1},
		{in: "RP-001", code: "RP-001", provider: Microsoft, uses: 1},
		{in: "5.1.1", code: "5.1.1", meaning: "Bad destination mailbox address", uses: 0},
		{in: "5.01.010", code: "5.1.10", meaning: "Recipient address has a null MX", uses: 0},
		{in: "4.7.40", code: "4.7.40", provider: Gmail, rule: RuleDMARCRecord, uses: 1},
		{in: "5.7.30", code: "5.7.30", meaning: "REQUIRETLS support required", provider: Gmail, rule: RuleSPFAndDKIM, uses: 1},
	} {
		t.Run(c.in, func(t *testing.T) {
			e, ok := ExplainCode(c.in)
			if !ok {
				t.Fatal("not found")
			}
			if e.Code != c.code || (c.meaning != "" && e.Meaning != c.meaning) {
				t.Errorf("code %q meaning %q", e.Code, e.Meaning)
			}
			if c.uses >= 0 && len(e.Uses) != c.uses {
				t.Errorf("%d uses, want %d: %+v", len(e.Uses), c.uses, e.Uses)
			}
			if len(e.Uses) > 0 {
				u := e.Uses[0]
				if u.Provider != c.provider || (c.rule != "" && u.Rule != c.rule) || u.Fix == "" || u.Meaning == "" || u.Source.Page == "" {
					t.Errorf("use %+v", u)
				}
			}
		})
	}
	if e, _ := ExplainCode("5.7.25"); e.Rule != RuleReverseDNS || e.Fix == "" || len(e.Checks) == 0 {
		t.Errorf("5.7.25: %+v", e)
	}
	for _, in := range []string{"", "hello", "5.9.99", "999", "550", "XX-1", "1.2.3", strings.Repeat("x ", 600) + "5.7.26"} {
		if e, ok := ExplainCode(in); ok {
			t.Errorf("ExplainCode(%.40q) = %+v", in, e)
		}
	}
}

// TestCodesTable: every provider reply belongs to a rule the provider has
// (or none), and names a source with a date.
func TestCodesTable(t *testing.T) {
	t.Parallel()
	for _, u := range uses {
		if u.Rule != "" {
			found := false
			for _, r := range RulesOf(u.Provider) {
				found = found || r.ID == u.Rule
			}
			if !found {
				t.Errorf("%s %s: %s has no rule %s", u.Provider, u.Reply, u.Provider, u.Rule)
			}
		}
		checkSource(t, u.Source)
		b, enh, tok := replyWords(u.Reply)
		if b == "" || (enh == "" && tok == "") {
			t.Errorf("reply %q: want a basic code and an enhanced code or token", u.Reply)
		}
		if _, ok := ExplainCode(u.Reply); !ok {
			t.Errorf("ExplainCode(%q) finds nothing", u.Reply)
		}
	}
	// Every documented rejection of a rule can be explained.
	for _, r := range Rules() {
		for _, rej := range r.Rejection {
			if strings.Contains(rej, ".") || strings.Contains(rej, "-") {
				if _, ok := ExplainCode(rej); !ok {
					t.Errorf("%s %s: ExplainCode(%q) finds nothing", r.Provider, r.ID, rej)
				}
			}
		}
	}
}
