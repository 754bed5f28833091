package checks

import (
	"slices"
	"strings"
)

// RootCause is a failure that one check met and explained, and that other
// checks meet again on their own names: a zone whose answers fail
// (DNSSEC-bogus, SERVFAIL, timeouts). A check declares it with
// Out.RootCause. When the run ends, every other check that decided nothing
// only because its own lookups failed the same way under Zone says "not
// decided: depends on <check> (<Reason>)" instead of repeating the cause,
// and so do the checks that waited on it: one root cause is reported once,
// by the check that explains it, with its evidence.
type RootCause struct {
	Zone   string   // the domain whose names fail, and every name under it
	Rcodes []string // the failures, as dnsq.Query.Rcode: "SERVFAIL", "TIMEOUT", "REFUSED"
	Reason string   // in plain words, e.g. "DNSSEC validation fails for example.com"
}

// RootCause declares a failure this check explained (see RootCause).
func (o *Out) RootCause(rc RootCause) {
	rc.Zone = strings.TrimSuffix(strings.ToLower(rc.Zone), ".")
	if rc.Zone == "" || len(rc.Rcodes) == 0 {
		return
	}
	o.run.mu.Lock()
	o.run.causes = append(o.run.causes, declaredCause{check: o.id, RootCause: rc})
	o.run.mu.Unlock()
}

type declaredCause struct {
	check string
	RootCause
}

// collapse rewrites the results that only repeat a declared root cause, and
// the results that waited on them.
func (rn *run) collapse(results map[string]*Result) {
	rn.mu.Lock()
	causes := slices.Clone(rn.causes)
	rn.mu.Unlock()
	if len(causes) == 0 {
		return
	}
	ids := make([]string, 0, len(results))
	for id := range results {
		ids = append(ids, id)
	}
	slices.Sort(ids) // deterministic whatever order checks finished in
	repeated := map[string]declaredCause{}
	for _, id := range ids {
		res := results[id]
		for _, c := range causes {
			if c.check != id && c.repeatedBy(res) {
				res.Findings = nil
				res.Status = StatusError
				res.Err = c.reason()
				res.dependsOn = c.check
				repeated[id] = c
				break
			}
		}
	}
	for _, id := range ids {
		res := results[id]
		if c, ok := repeated[res.dependsOn]; ok && res.Err != "" && repeated[id].check == "" {
			res.Err = c.reason()
		}
	}
}

func (c declaredCause) reason() string {
	return (&DependencyError{Check: c.check, Reason: c.Reason}).Error()
}

// repeatedBy reports whether res decided nothing only because its lookups
// failed as the root cause says: status error, every finding an error
// whose DNS evidence fails only that way under the zone.
func (c declaredCause) repeatedBy(res *Result) bool {
	if res.Status != StatusError || len(res.Findings) == 0 {
		return false
	}
	for _, f := range res.Findings {
		if f.Severity != SevError || f.Evidence == nil {
			return false
		}
		failing := 0
		for _, q := range f.Evidence.DNS {
			if q.Rcode == "NOERROR" || q.Rcode == "NXDOMAIN" {
				continue
			}
			name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
			if !slices.Contains(c.Rcodes, q.Rcode) || (name != c.Zone && !strings.HasSuffix(name, "."+c.Zone)) {
				return false
			}
			failing++
		}
		if failing == 0 {
			return false
		}
	}
	return true
}
