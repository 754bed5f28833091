package report

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
)

// TestNothingTestedInEveryFormat: a run whose checks were all skipped
// says so in every format, and none of them reads as a pass: JSON has
// status error and the reason, JUnit counts an error (CI reads a suite of
// skips as green), text and Markdown say "nothing tested".
func TestNothingTestedInEveryFormat(t *testing.T) {
	t.Parallel()
	rep := &checks.Report{Domain: "example.com", StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Results: []checks.Result{{ID: "smtp", Title: "SMTP handshake", Status: checks.StatusSkip, Skip: "--no-smtp"}}}
	if doc := Document(rep); doc.Status != checks.StatusError || doc.Error != checks.NothingTestedReason {
		t.Errorf("JSON: status %s error %q", doc.Status, doc.Error)
	}
	var doc junitSuites
	if err := xml.Unmarshal(render(t, Options{Format: FormatJUnit}, rep), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Errors != 1 || doc.Skipped != 1 {
		t.Errorf("JUnit: errors %d skipped %d, want an error beside the skip", doc.Errors, doc.Skipped)
	}
	for _, f := range []Format{FormatText, FormatMarkdown} {
		if out := string(render(t, Options{Format: f}, rep)); !strings.Contains(strings.ToLower(out), "nothing tested") {
			t.Errorf("%s does not say nothing was tested:\n%s", f, out)
		}
	}
}
