package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/report"
)

// TestEmittedSeveritiesMatchTheCatalogue: every finding that a scenario
// emits (the whole demo, run here, and every golden under testdata/golden,
// which the mailtest scenarios of each check write) has the severity its
// catalogue entry gives, or an entry whose SeverityNote says when it
// differs. So `mxray explain` and docs/findings.md agree with what is
// emitted.
func TestEmittedSeveritiesMatchTheCatalogue(t *testing.T) {
	t.Parallel()
	defs := map[string]checks.Def{}
	for _, d := range all.Catalogue() {
		defs[d.ID] = d
	}
	seen := 0
	checkOne := func(where, id string, sev checks.Severity) {
		t.Helper()
		d, ok := defs[id]
		if !ok {
			t.Errorf("%s: %s is not in the catalogue", where, id)
			return
		}
		seen++
		if sev != d.Severity && d.SeverityNote == "" {
			t.Errorf("%s: %s emitted as %s; the catalogue says %s and has no severity note", where, id, sev, d.Severity)
		}
	}
	// The demo, every domain.
	r := runApp(t, nil, "", "demo", "--json") // several domains: one array
	var docs []report.JSONReport
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		for _, c := range doc.Checks {
			for _, f := range c.Findings {
				checkOne("demo "+doc.Domain, f.ID, f.Severity)
			}
		}
	}
	// Every golden that records findings.
	root := filepath.Join("..", "..", "testdata", "golden")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "report" {
			return filepath.SkipDir // hand-built report fixtures, not scenarios
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return nil // not one JSON document (e.g. NDJSON)
		}
		walkFindings(v, func(id string, sev checks.Severity) { checkOne(p, id, sev) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 200 {
		t.Fatalf("only %d findings seen: the scenarios were not found", seen)
	}
}

// walkFindings calls fn for every object with a finding ID and a severity.
func walkFindings(v any, fn func(id string, sev checks.Severity)) {
	switch x := v.(type) {
	case map[string]any:
		id, _ := x["id"].(string)
		sev, _ := x["severity"].(string)
		if id != "" && sev != "" && strings.Contains(id, ".") {
			fn(id, checks.Severity(sev))
		}
		for _, e := range x {
			walkFindings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkFindings(e, fn)
		}
	}
}
