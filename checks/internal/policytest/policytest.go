package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
)

// Base is the root and TLD zone every policy test world starts from.
const Base = `
$ORIGIN .
$TTL 300
.          IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
example.   IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
test.      IN SOA a.root.example. hostmaster.example. 1 3600 600 86400 300
`

// Now is the fixed clock of Run, so that fixes naming dates are stable.
var Now = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// Run runs the checks cs (with registry resolving their Needs) for target
// against world w and returns the report.
func Run(t testing.TB, w *mailtest.World, opts checks.Options, target checks.Target, cs []checks.Check, registry ...checks.Check) *checks.Report {
	t.Helper()
	env, err := w.Env(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	env.Now = func() time.Time { return Now }
	r := &checks.Runner{Env: env, Checks: cs, Registry: registry}
	return r.Run(context.Background(), target)
}

// Result returns the result of check id in rep.
func Result(t testing.TB, rep *checks.Report, id string) *checks.Result {
	t.Helper()
	for i := range rep.Results {
		if rep.Results[i].ID == id {
			return &rep.Results[i]
		}
	}
	t.Fatalf("no result for check %q", id)
	return nil
}

// IDs returns the finding IDs of a result, in order.
func IDs(res *checks.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID)
	}
	return out
}

// Has reports whether res has a finding with the given ID.
func Has(res *checks.Result, id string) bool {
	for _, f := range res.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// Find returns the first finding with the given ID, or nil.
func Find(res *checks.Result, id string) *checks.Finding {
	for i := range res.Findings {
		if res.Findings[i].ID == id {
			return &res.Findings[i]
		}
	}
	return nil
}

type stableQuery struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Rcode string `json:"rcode"`
}

type stableFinding struct {
	ID       string        `json:"id"`
	Severity string        `json:"severity"`
	Subject  string        `json:"subject"`
	Message  string        `json:"message"`
	Fix      string        `json:"fix,omitempty"`
	DNS      []stableQuery `json:"dns,omitempty"`
	Records  []string      `json:"records,omitempty"`
}

// Stable renders a result's status and findings as indented JSON without
// round-trip times, servers or ports.
func Stable(res *checks.Result) []byte {
	out := struct {
		Check    string          `json:"check"`
		Status   string          `json:"status"`
		Error    string          `json:"error,omitempty"`
		Findings []stableFinding `json:"findings"`
	}{Check: res.ID, Status: string(res.Status), Error: res.Err, Findings: []stableFinding{}}
	for _, f := range res.Findings {
		sf := stableFinding{ID: f.ID, Severity: string(f.Severity), Subject: f.Subject, Message: f.Message, Fix: f.Fix}
		if f.Evidence != nil {
			for _, q := range f.Evidence.DNS {
				sf.DNS = append(sf.DNS, stableQuery{q.Name, q.Type, q.Rcode})
			}
			sf.Records = f.Evidence.Records
		}
		out.Findings = append(out.Findings, sf)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		panic(fmt.Sprint("policytest: ", err))
	}
	return b.Bytes()
}

// Golden compares a result's stable rendering with testdata/golden/<name>.json.
func Golden(t testing.TB, name string, res *checks.Result) {
	t.Helper()
	golden.Check(t, name+".json", Stable(res))
}

// Catalogue checks that every ID in ids is in the check's catalogue and
// that the catalogue entries are complete, and returns the catalogue IDs.
func Catalogue(t testing.TB, c checks.Check) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for _, d := range c.Findings() {
		if seen[d.ID] {
			t.Errorf("duplicate finding ID %s", d.ID)
		}
		seen[d.ID] = true
		if d.Title == "" || d.Why == "" || d.Fix == "" || !d.Severity.Valid() {
			t.Errorf("finding %s: incomplete catalogue entry", d.ID)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// PlainProblems says what makes s unfit for people: Go error text, a
// package prefix ("dnsq:", "checks:", and the extra strings, e.g. the
// check's own "spf:"), a line break, or the same name twice in a row (as in
// "x TXT: x TXT: ..."). Empty means plain.
func PlainProblems(s string, extra ...string) []string {
	var out []string
	for _, bad := range append([]string{"dnsq:", "checks:", "context deadline", "context canceled", "%!", "\n"}, extra...) {
		if strings.Contains(s, bad) {
			out = append(out, fmt.Sprintf("contains %q", bad))
		}
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" :;,()", r) })
	for n := 1; n <= 3; n++ {
		for i := 0; i+2*n <= len(words); i++ {
			a, b := strings.Join(words[i:i+n], " "), strings.Join(words[i+n:i+2*n], " ")
			if a == b && strings.ContainsAny(a, ".=") {
				out = append(out, "repeats "+a)
			}
		}
	}
	return out
}
