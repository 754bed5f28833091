package profile

import (
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestRulesTable checks the table: every rule has a scope, a level, a
// decider and at least one source with an address and a date; IDs and
// providers are the defined ones, each provider lists a rule once.
func TestRulesTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range rules {
		name := string(r.Provider) + "/" + string(r.ID)
		t.Run(name, func(t *testing.T) {
			if seen[name] {
				t.Error("listed twice")
			}
			seen[name] = true
			if !slices.Contains(Providers, r.Provider) {
				t.Errorf("unknown provider %q", r.Provider)
			}
			if !slices.Contains(RuleIDs, r.ID) {
				t.Errorf("unknown rule %q", r.ID)
			}
			if r.Scope != ScopeAll && r.Scope != ScopeBulk {
				t.Errorf("scope %q", r.Scope)
			}
			if r.Level != LevelRequired && r.Level != LevelRecommended {
				t.Errorf("level %q", r.Level)
			}
			if r.Title == "" {
				t.Error("no title")
			}
			if len(r.Deciders) == 0 {
				t.Error("no decider")
			}
			if len(r.Sources) == 0 {
				t.Error("no source")
			}
			for _, s := range r.Sources {
				checkSource(t, s)
			}
			for _, a := range []string{r.Answer, r.AnswerSPF, r.AnswerDKIM} {
				if a != "" && !slices.Contains(r.Rejection, a) {
					t.Errorf("answer %q is not among the documented replies %v", a, r.Rejection)
				}
			}
			if len(r.Rejection) > 0 && r.Answer == "" {
				t.Error("replies documented but no answer named")
			}
		})
	}
	for _, p := range Providers {
		if len(RulesOf(p)) == 0 {
			t.Errorf("%s has no rules", p)
		}
	}
	if len(Rules()) != len(rules) {
		t.Errorf("Rules() has %d rules, the table %d", len(Rules()), len(rules))
	}
}

func checkSource(t *testing.T, s Source) {
	t.Helper()
	u, err := url.Parse(s.Page)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		t.Errorf("source page %q is not an https address", s.Page)
	}
	if _, err := time.Parse(time.DateOnly, s.Read); err != nil {
		t.Errorf("source %s: read date %q: %v", s.Page, s.Read, err)
	}
	if _, err := time.Parse(time.DateOnly, s.Copy); s.Copy != "" && err != nil {
		t.Errorf("source %s: copy date %q: %v", s.Page, s.Copy, err)
	}
}

// TestFindingIDs: every finding ID is profile.<provider>-<rule>, kebab
// case, documented.
func TestFindingIDs(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^profile\.[a-z]+-[a-z-]+$`)
	for _, d := range defs {
		if !re.MatchString(d.ID) || d.Why == "" || d.Fix == "" || d.Ref == "" || d.Title == "" {
			t.Errorf("%+v", d)
		}
	}
	if id := (Rule{ID: RuleSPFAndDKIM, Provider: Gmail}).FindingID(); id != "profile.gmail-spf-and-dkim" {
		t.Errorf("FindingID %q", id)
	}
}

func TestParseProviders(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []string
		want []Provider
		err  bool
	}{
		{in: []string{"gmail"}, want: []Provider{Gmail}},
		{in: []string{"Yahoo,GMAIL", "microsoft"}, want: []Provider{Gmail, Yahoo, Microsoft}},
		{in: []string{"outlook", "icloud", "laposte", "gmail,gmail"}, want: []Provider{Gmail, Microsoft, Apple, LaPoste}},
		{in: []string{" , "}, want: nil},
		{in: []string{"aol"}, err: true},
	} {
		got, err := ParseProviders(c.in)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("ParseProviders(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}
