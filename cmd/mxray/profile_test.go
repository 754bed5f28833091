package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mxray/mxray/report"
)

// TestExplainCodes: a code from a bounce or a rejection, as people paste
// it, is explained with the provider that sends it and the fix.
func TestExplainCodes(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"5.7.26", "Gmail answers 550 5.7.26"},
		{"550 5.7.515", "Outlook.com"},
		{"[tss04]", "Yahoo answers 421 4.7.0 [TSS04]"},
		{"SC-001", "SC-001"},
	} {
		r := runApp(t, nil, "", "explain", tc.arg)
		if r.code != report.ExitOK || !strings.Contains(r.stdout, tc.want) || !strings.Contains(r.stdout, "fix:") {
			t.Errorf("explain %q: exit %d, stderr %q:\n%s", tc.arg, r.code, r.stderr, r.stdout)
		}
	}
	if r := runApp(t, nil, "", "explain", "9.9.9"); r.code != report.ExitUsage {
		t.Errorf("explain 9.9.9: exit %d", r.code)
	}
}

// TestProfileFlags: --profile runs the profile check with the providers
// asked for; --bulk grades the bulk rules; bad values are usage errors.
func TestProfileFlags(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	r := runApp(t, w, "", "check", "broken.example", "--resolver", w.DNS.Addr(), "--profile", "Gmail,yahoo", "--json", "--no-smtp")
	var doc struct {
		Checks []struct {
			ID       string                `json:"id"`
			Status   string                `json:"status"`
			Findings []struct{ ID string } `json:"findings"`
			Data     json.RawMessage       `json:"data"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("exit %d, stderr %q: %v", r.code, r.stderr, err)
	}
	found := false
	for _, c := range doc.Checks {
		if c.ID != "profile" {
			continue
		}
		found = true
		if c.Status == "skip" || !strings.Contains(string(c.Data), `"gmail"`) || !strings.Contains(string(c.Data), `"yahoo"`) {
			t.Errorf("profile: status %s, data %.300s", c.Status, c.Data)
		}
		has := false
		for _, f := range c.Findings {
			has = has || f.ID == "profile.yahoo-no-null-mx"
		}
		if !has {
			t.Errorf("profile findings %v: want profile.yahoo-no-null-mx (broken.example has a null MX beside its MX records)", c.Findings)
		}
	}
	if !found {
		t.Fatal("no profile check in the report")
	}
	for _, args := range [][]string{
		{"check", "example.com", "--bulk"},
		{"check", "example.com", "--profile", "aol"},
	} {
		if r := runApp(t, nil, "", args...); r.code != report.ExitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q: want one line and exit 2", args, r.code, r.stderr)
		}
	}
}
