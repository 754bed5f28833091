package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/golden"
)

// TestInputErrorDocuments: a bulk input line that is not a domain is a
// document in its place in every format; in JSON it has input, line,
// status error, error and empty checks, no domain, and validates.
func TestInputErrorDocuments(t *testing.T) {
	t.Parallel()
	bad := InputError{Line: 17, Input: "bad domain! <b>|", Reason: `invalid domain "bad domain! <b>|": give a bare domain name such as example.com`, At: t0}
	sch := compileSchema(t)
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			opts := Options{Format: f, Bulk: true, Explain: explain}
			var buf bytes.Buffer
			s := NewStream(&buf, opts)
			rep := healthyReport()
			for i := range rep.Results {
				rep.Results[i].Data = nil // the fixture's data maps predate the per-check data schemas
			}
			if err := s.Add(rep); err != nil {
				t.Fatal(err)
			}
			if err := s.AddInputError(bad); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			checkWellFormed(t, opts, out)
			golden.Check(t, "report/input-error."+string(f), out)
			switch f {
			case FormatJSON:
				if err := validate(t, sch, out); err != nil {
					t.Fatalf("does not validate: %v", err)
				}
				var docs []map[string]any
				if err := json.Unmarshal(out, &docs); err != nil || len(docs) != 2 {
					t.Fatalf("%v: %s", err, out)
				}
				d := docs[1]
				if _, has := d["domain"]; has || d["line"] != float64(17) || d["input"] != bad.Input || d["status"] != "error" || d["error"] != bad.Reason {
					t.Fatalf("error document: %v", d)
				}
			case FormatNDJSON:
				for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
					if err := validate(t, sch, []byte(l)); err != nil {
						t.Fatalf("does not validate: %v\n%s", err, l)
					}
				}
			case FormatText:
				if !strings.Contains(string(out), "line 17: ERROR \"bad domain! <b>|\"\n  not checked: invalid domain") ||
					!strings.Contains(string(out), "line 17: bad domain! <b>|  ERROR") {
					t.Fatalf("text:\n%s", out)
				}
			}
		})
	}
}

// TestBulkJSONEmpty: a bulk run with no document is an empty array.
func TestBulkJSONEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := NewStream(&buf, Options{Format: FormatJSON, Bulk: true})
	if err := s.Close(); err != nil || buf.String() != "[]\n" {
		t.Fatalf("%v %q", err, buf.String())
	}
}
