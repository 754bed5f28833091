package mailtest

import (
	"context"

	"github.com/mxray/mxray/checks"
)

// Run runs check c against domain in the world through the real Runner (with
// deps available for its Needs) and returns its result. It fails the test
// when the Env cannot be built.
func (w *World) Run(tb TB, t checks.Target, opts checks.Options, c checks.Check, deps ...checks.Check) checks.Result {
	tb.Helper()
	env, err := w.Env(opts)
	if err != nil {
		tb.Fatalf("mailtest: env: %v", err)
	}
	defer env.DNS.Close()
	r := &checks.Runner{Env: env, Checks: []checks.Check{c}, Registry: append(deps, c)}
	return r.Run(context.Background(), t).Results[0]
}

// FindingIDs returns the IDs of a result's findings, in result order.
func FindingIDs(r checks.Result) []string {
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	return ids
}
