package profile_test

import (
	"testing"

	"github.com/mxray/mxray/checks/profile"
)

// TestOutcome: the one reading of a rule's result every display uses.
func TestOutcome(t *testing.T) {
	for _, tt := range []struct {
		rr   profile.RuleResult
		want profile.Outcome
	}{
		{profile.RuleResult{Status: profile.StatusPass}, profile.OutcomePass},
		{profile.RuleResult{Status: profile.StatusFail, Level: profile.LevelRequired}, profile.OutcomeFail},
		{profile.RuleResult{Status: profile.StatusFail, Level: profile.LevelRecommended}, profile.OutcomeShort},
		{profile.RuleResult{Status: profile.StatusUnknown}, profile.OutcomeUnknown},
		{profile.RuleResult{Status: profile.StatusNotApplicable, Scope: profile.ScopeBulk}, profile.OutcomeBulk},
		{profile.RuleResult{Status: profile.StatusNotApplicable, Scope: profile.ScopeAll}, profile.OutcomeNotApplicable},
		{profile.RuleResult{Status: "from-a-newer-version"}, profile.OutcomeUnknown},
	} {
		if got := tt.rr.Outcome(); got != tt.want {
			t.Errorf("%s/%s/%s: %d, want %d", tt.rr.Status, tt.rr.Level, tt.rr.Scope, got, tt.want)
		}
	}
}
