package dkim

import (
	"context"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tagval"
)

// Via says which of the domain's records named a mail provider.
type Via string

// The records a provider is inferred from.
const (
	ViaSPF Via = "spf-include" // an include: (or redirect=) of the SPF record, or of a record it includes
	ViaMX  Via = "mx"          // an MX host
)

// Inference bounds: the SPF records followed below the domain's own
// (include: and redirect= targets that name no known provider) and how
// deep. Their lookups are the spf check's own through the run's cache, so
// they cost no query of their own when spf runs too.
const (
	maxInferLookups = 10
	maxInferDepth   = 2
)

// hint is one provider named by one of the domain's records.
type hint struct {
	p        *provider
	via      Via
	evidence string // the include domain or MX host, lower case
}

// noHints is the closed channel of a run that infers nothing (--dkim-probe off).
var noHints = func() <-chan hint {
	ch := make(chan hint)
	close(ch)
	return ch
}()

// infer sends the providers the domain's MX hosts and SPF includes name,
// as soon as each is known, and closes the channel when both facts are in
// and the includes are followed (or ctx ends). A fact that is not
// published (spf or mx skipped, failed, or not run) adds nothing.
func infer(ctx context.Context, env *checks.Env, out *checks.Out) <-chan hint {
	ch := make(chan hint)
	send := func(h hint) bool {
		select {
		case ch <- h:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		f, err := mx.FactKey.Await(ctx, out)
		if err != nil || f == nil {
			return
		}
		for i, h := range f.Hosts {
			if i >= 20 { // a domain with more MX hosts names its provider in the first ones
				break
			}
			name := strings.TrimSuffix(strings.ToLower(h.Name), ".")
			for _, p := range match(name, mxDomains) {
				if !send(hint{p: p, via: ViaMX, evidence: safetext.Line(name)}) {
					return
				}
			}
		}
	})
	wg.Go(func() {
		f, err := spf.FactKey.Await(ctx, out)
		if err != nil || f == nil || f.Record == "" {
			return
		}
		followSPF(ctx, env, f.Record, send)
	})
	go func() {
		wg.Wait()
		close(ch)
	}()
	return ch
}

// followSPF sends the providers that record's include: and redirect=
// targets name, and reads the records of the other targets level by level
// for the providers they name, within maxInferDepth and maxInferLookups.
func followSPF(ctx context.Context, env *checks.Env, record string, send func(hint) bool) {
	seen := map[string]bool{}
	lookups := 0
	level := []string{record}
	for depth := 0; len(level) > 0; depth++ {
		var next []string // targets naming no provider: read at the next level
		for _, rec := range level {
			for _, target := range spfTargets(rec) {
				if seen[target] {
					continue
				}
				seen[target] = true
				ps := match(target, spfDomains)
				for _, p := range ps {
					if !send(hint{p: p, via: ViaSPF, evidence: target}) {
						return
					}
				}
				if len(ps) == 0 && depth < maxInferDepth && lookups < maxInferLookups {
					lookups++
					next = append(next, target)
				}
			}
		}
		level = readSPF(ctx, env, next)
	}
}

// readSPF returns the SPF records of names, read concurrently; a name
// whose lookup fails or which has no single SPF record adds none.
func readSPF(ctx context.Context, env *checks.Env, names []string) []string {
	recs := make([]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			ans, err := env.DNS.Lookup(ctx, name, dns.TypeTXT)
			if err != nil {
				return
			}
			n := 0
			for _, chunks := range ans.TXT() {
				if txt := tagval.Join(chunks); spf.IsSPF(txt) {
					recs[i] = txt
					n++
				}
			}
			if n != 1 {
				recs[i] = "" // several records: receivers return permerror
			}
		})
	}
	wg.Wait()
	var out []string
	for _, r := range recs {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// spfTargets returns the include: and redirect= domains of an SPF record,
// lower case without a trailing dot, leaving out those with macros (known
// only when a message is evaluated) and those that are not domain names.
// A record that does not parse names none.
func spfTargets(record string) []string {
	rec, err := spf.Parse(record)
	if err != nil {
		return nil
	}
	var out []string
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.Mech != spf.MechInclude && !t.IsRedirect() {
			continue
		}
		d := strings.TrimSuffix(strings.ToLower(t.Domain), ".")
		if strings.ContainsAny(d, "%'@;()\"\\$") || !spf.ValidDomain(d) {
			// Macros are expanded only when a message is evaluated; the
			// other characters are in no provider's name.
			continue
		}
		out = append(out, d)
	}
	return out
}
