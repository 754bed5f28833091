package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/mxray/mxray/checks"
)

// SchemaVersion is the value of the "schema" field of every document.
const SchemaVersion = "mxray/v1"

// JSONReport is the mxray/v1 document of one check run, as written by the
// json and ndjson formats and described by Schema.
type JSONReport struct {
	Schema string `json:"schema"`           // always SchemaVersion
	Domain string `json:"domain,omitempty"` // A-label form; absent only in a bulk error document
	Input  string `json:"input,omitempty"`  // as typed, only when it differs from Domain
	// Line is the 1-based line of the -f input file a bulk error document
	// answers (an input line that is not a domain); absent otherwise.
	Line       int           `json:"line,omitempty"`
	StartedAt  string        `json:"started_at"` // RFC 3339, UTC, whole seconds
	DurationMs int64         `json:"duration_ms"`
	Status     checks.Status `json:"status"` // pass, warn, fail or error
	Resolvers  []string      `json:"resolvers"`
	Checks     []JSONCheck   `json:"checks"`
	DNSQueries int           `json:"dns_queries"` // queries sent on the wire
	// Interrupted: the run was cancelled (Ctrl+C) before every check
	// finished. Added in mxray/v1; absent when false.
	Interrupted bool `json:"interrupted,omitempty"`
	// Error says why nothing could be decided for the domain (e.g. the
	// resolver cannot be trusted; checks is then empty), or that nothing
	// was tested (every check skipped); status is then error.
	Error string `json:"error,omitempty"`
	// JobID is the queue job the document answers (mxray worker, mxray
	// submit --wait); absent outside the queue. Added in mxray/v1.
	JobID string `json:"job_id,omitempty"`
	// Target says what the document examined: {"kind": "message"} for
	// mxray analyze and receive, {"kind": "address", "value":
	// "192.0.2.7"} for mxray check ADDRESS (Domain is then absent);
	// absent for a domain (mxray check). Added in mxray/v1.
	Target *JSONTarget `json:"target,omitempty"`
	// Message is the message examined (target kind message): its main
	// header fields and Received chain; absent otherwise. Domain is then
	// its RFC5322.From domain, absent when it has none. Added in mxray/v1.
	Message *JSONMessage `json:"message,omitempty"`
}

// JSONCheck is one check of a JSONReport.
type JSONCheck struct {
	ID         string           `json:"id"`
	Title      string           `json:"title"`
	Status     checks.Status    `json:"status"` // pass, warn, fail, error or skip
	DurationMs int64            `json:"duration_ms"`
	Error      string           `json:"error,omitempty"`       // why the check could not decide
	SkipReason string           `json:"skip_reason,omitempty"` // why the check was not run
	Findings   []checks.Finding `json:"findings"`              // never null
	Data       any              `json:"data,omitempty"`        // check-specific; omitted when nil
}

// Document converts a report to its mxray/v1 wire form. Slices are never
// nil, so they encode as [] rather than null; a check's nil data (including
// a typed nil pointer, map or slice) is omitted. The report is not modified.
func Document(rep *checks.Report) JSONReport {
	doc := JSONReport{
		Schema:      SchemaVersion,
		Domain:      rep.Domain,
		StartedAt:   rep.StartedAt.UTC().Format(time.RFC3339),
		DurationMs:  millis(rep.Duration),
		Status:      rep.Status(),
		Resolvers:   append([]string{}, rep.Resolvers...),
		Checks:      make([]JSONCheck, 0, len(rep.Results)),
		DNSQueries:  max(rep.DNSQueries, 0),
		Interrupted: rep.Interrupted,
		Error:       rep.Reason(),
	}
	if rep.Input != rep.Name() {
		doc.Input = rep.Input
	}
	if rep.Address.IsValid() {
		doc.Target = &JSONTarget{Kind: TargetAddress, Value: rep.Address.String()}
	}
	for _, res := range rep.Results {
		doc.Checks = append(doc.Checks, JSONCheck{
			ID:         res.ID,
			Title:      res.Title,
			Status:     res.EffectiveStatus(),
			DurationMs: millis(res.Duration),
			Error:      res.Err,
			SkipReason: res.Skip,
			Findings:   append([]checks.Finding{}, res.Findings...),
			Data:       nilData(res.Data),
		})
	}
	return doc
}

// millis rounds a duration to whole milliseconds, never below zero.
func millis(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return d.Round(time.Millisecond).Milliseconds()
}

// nilData turns typed nils into an untyped nil so that "data" is omitted
// instead of encoded as null.
func nilData(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		if rv.IsNil() {
			return nil
		}
	}
	return v
}

// encodeJSONItem encodes a document as an element of the Bulk array: the
// array's opening bracket before the first, a comma before the others,
// indented one level; Close writes the closing bracket.
func encodeJSONItem(doc JSONReport, first bool) ([]byte, error) {
	var buf bytes.Buffer
	if first {
		buf.WriteString("[\n  ")
	} else {
		buf.WriteString(",\n  ")
	}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(doc); err != nil {
		if _, derr := encodeJSON(doc, false); derr != nil {
			return nil, derr // names the check whose data failed
		}
		return nil, fmt.Errorf("report: encoding %s as JSON: %w", doc.Domain, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encodeJSON encodes a document: pretty (2-space indent) or compact, always
// ending in a newline, with <, > and & left unescaped.
func encodeJSON(doc JSONReport, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(doc); err != nil {
		for _, c := range doc.Checks {
			if _, cerr := json.Marshal(c.Data); cerr != nil {
				return nil, fmt.Errorf("report: encoding the data of check %s for %s as JSON: %w", c.ID, doc.Domain, cerr)
			}
		}
		return nil, fmt.Errorf("report: encoding %s as JSON: %w", doc.Domain, err)
	}
	return buf.Bytes(), nil
}
