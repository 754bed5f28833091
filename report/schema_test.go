package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// compileSchema compiles the embedded schema, asserting formats such as
// date-time (draft 2020-12 treats them as annotations by default).
// The schema is compiled once per test binary (about 25 ms of CPU each time,
// and eight tests use it); a compiled schema only reads itself when it
// validates.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		return nil, fmt.Errorf("schema.json is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("mxray-v1.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("mxray-v1.json")
	if err != nil {
		return nil, fmt.Errorf("schema.json does not compile: %w", err)
	}
	return sch, nil
})

func validate(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	return sch.Validate(inst)
}

// TestSchemaValidatesOutput checks the real encoders' output against the
// published schema.
func TestSchemaValidatesOutput(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, fx := range fixtures {
		for _, f := range []Format{FormatJSON, FormatNDJSON} {
			t.Run(fx.name+"/"+string(f), func(t *testing.T) {
				out := render(t, Options{Format: f}, typedOnly(fx.rep()))
				if err := validate(t, sch, out); err != nil {
					t.Errorf("output does not validate: %v\n%s", err, out)
				}
			})
		}
	}
	t.Run("empty report", func(t *testing.T) {
		out := render(t, Options{Format: FormatJSON}, &checks.Report{Domain: "x.example", StartedAt: t0})
		if err := validate(t, sch, out); err != nil {
			t.Errorf("output does not validate: %v\n%s", err, out)
		}
	})
	t.Run("send trace", func(t *testing.T) {
		doc := `{"schema":"mxray/v1","trace":{"steps":[{"step":"ehlo","started_ms":12,"duration_ms":3,"client":["EHLO mxray.test"],"server":["250-mx1.example.net","250 PIPELINING"]},{"step":"tls","started_ms":15,"duration_ms":2,"tls":{"version":"TLS 1.3","cipher_suite":"TLS_AES_128_GCM_SHA256","server_name":"mx1.example.net","verified":true}},{"step":"auth","started_ms":17,"duration_ms":1,"client":["AUTH PLAIN ***"],"server":["235 2.7.0 ok"],"reply":{"code":235,"enhanced_code":"2.7.0","text":"ok"}}],"result":"delivered","queue_id":"4Zx9Q1","duration_ms":20}}`
		if err := validate(t, sch, []byte(doc)); err != nil {
			t.Errorf("send trace does not validate: %v", err)
		}
	})
}

// TestSchemaRejects makes sure the validation above can fail: each case
// breaks one rule of a valid document.
func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	base := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(render(t, Options{Format: FormatJSON}, typedOnly(problemReport())), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	check := func(m map[string]any, i int) map[string]any { return m["checks"].([]any)[i].(map[string]any) }
	finding := func(m map[string]any, i, j int) map[string]any {
		return check(m, i)["findings"].([]any)[j].(map[string]any)
	}
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"bad report status", func(m map[string]any) { m["status"] = "broken" }},
		{"skip as report status", func(m map[string]any) { m["status"] = "skip" }},
		{"bad check status", func(m map[string]any) { check(m, 0)["status"] = "ok" }},
		{"bad severity", func(m map[string]any) { finding(m, 1, 0)["severity"] = "critical" }},
		{"bad finding id", func(m map[string]any) { finding(m, 1, 0)["id"] = "SPF_lookup" }},
		{"finding id without check", func(m map[string]any) { finding(m, 1, 0)["id"] = "lookup-limit" }},
		{"null findings", func(m map[string]any) { check(m, 0)["findings"] = nil }},
		{"missing findings", func(m map[string]any) { delete(check(m, 0), "findings") }},
		{"wrong schema", func(m map[string]any) { m["schema"] = "mxray/v2" }},
		{"unknown field", func(m map[string]any) { m["colour"] = "red" }},
		{"bad started_at", func(m map[string]any) { m["started_at"] = "yesterday" }},
		{"fractional duration", func(m map[string]any) { m["duration_ms"] = 1.5 }},
		{"negative dns_queries", func(m map[string]any) { m["dns_queries"] = -1 }},
		{"bad smtp direction", func(m map[string]any) {
			ev := finding(m, 3, 0)["evidence"].(map[string]any)
			ev["smtp"].([]any)[0].(map[string]any)["dir"] = ">"
		}},
		{"bad dns proto", func(m map[string]any) {
			ev := finding(m, 1, 0)["evidence"].(map[string]any)
			ev["dns"].([]any)[0].(map[string]any)["proto"] = "doh"
		}},
		{"dns entry without rcode", func(m map[string]any) {
			ev := finding(m, 1, 0)["evidence"].(map[string]any)
			delete(ev["dns"].([]any)[0].(map[string]any), "rcode")
		}},
		{"unicode domain", func(m map[string]any) { m["domain"] = "bücher.example" }},
		{"both report and trace", func(m map[string]any) { m["trace"] = map[string]any{"steps": []any{}, "result": "delivered"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			if err := validate(t, sch, mustJSON(t, m)); err != nil {
				t.Fatalf("unmodified document does not validate: %v", err)
			}
			tt.mutate(m)
			if err := validate(t, sch, mustJSON(t, m)); err == nil {
				t.Errorf("schema accepted a document with %s", tt.name)
			}
		})
	}
	for name, doc := range map[string]string{
		"trace without steps": `{"schema":"mxray/v1","trace":{"result":"delivered","duration_ms":1}}`,
		"step without name":   `{"schema":"mxray/v1","trace":{"steps":[{"started_ms":0,"duration_ms":1}],"result":"delivered","duration_ms":1}}`,
		"unknown result":      `{"schema":"mxray/v1","trace":{"steps":[],"result":"maybe","duration_ms":1}}`,
		"unknown step field":  `{"schema":"mxray/v1","trace":{"steps":[{"step":"x","started_ms":0,"duration_ms":1,"password":"x"}],"result":"delivered","duration_ms":1}}`,
		"not an object":       `["mxray/v1"]`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := validate(t, sch, []byte(doc)); err == nil {
				t.Errorf("schema accepted %s", doc)
			}
		})
	}
}

// typedOnly returns a copy of rep without the data that is not the check's
// own Go type (hand-written maps in fixtures): the data definitions are
// closed, and real check data is validated by TestDataValidates.
func typedOnly(rep *checks.Report) *checks.Report {
	cp := *rep
	cp.Results = slices.Clone(rep.Results)
	for i, r := range cp.Results {
		if r.Data == nil {
			continue
		}
		typ := reflect.TypeOf(r.Data)
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ != dataTypes[r.ID] {
			cp.Results[i].Data = nil
		}
	}
	return &cp
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSchemaCoversWireTypes compares the properties of each closed object in
// the schema with the JSON fields of the Go type encoded there, so that a
// field added to the engine types (even one the fixtures leave empty) cannot
// go undocumented, and the schema lists no field the encoder never writes.
func TestSchemaCoversWireTypes(t *testing.T) {
	t.Parallel()
	var s struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	types := map[string]reflect.Type{
		"checkReport": reflect.TypeFor[JSONReport](),
		"check":       reflect.TypeFor[JSONCheck](),
		"finding":     reflect.TypeFor[checks.Finding](),
		"evidence":    reflect.TypeFor[checks.Evidence](),
		"dnsQuery":    reflect.TypeFor[dnsq.Query](),
		"line":        reflect.TypeFor[checks.Line](),
	}
	for def, typ := range types {
		t.Run(def, func(t *testing.T) {
			d, ok := s.Defs[def]
			if !ok {
				t.Fatalf("schema has no $defs/%s", def)
			}
			var props []string
			for p := range d.Properties {
				props = append(props, p)
			}
			sort.Strings(props)
			fields, always := jsonFields(typ)
			if !slices.Equal(props, fields) {
				t.Errorf("$defs/%s properties %v, Go type %s encodes %v", def, props, typ, fields)
			}
			req := slices.Clone(d.Required)
			sort.Strings(req)
			for _, r := range req {
				if !slices.Contains(always, r) {
					t.Errorf("$defs/%s requires %q, which %s omits when empty", def, r, typ)
				}
			}
		})
	}
}

// jsonFields returns the sorted JSON names of a struct's fields, and those
// without omitempty.
func jsonFields(typ reflect.Type) (all, always []string) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	return all, always
}
