package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// trustGate holds the one decision an invocation makes about its
// resolvers (dnsq.ProbeTrust): made once, by the first run, and shared by
// every later run, in every mode. No verdict is shown before it is made,
// and none at all when the resolver cannot be trusted.
type trustGate struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newTrustGate() *trustGate { return &trustGate{done: make(chan struct{})} }

// decide makes the decision with c (the first caller's client, so that the
// probe's root query is shared with that run's dns check) and hint, a
// domain the run is about; later callers wait for the first decision.
func (g *trustGate) decide(ctx context.Context, c *dnsq.Client, hint string) error {
	g.once.Do(func() {
		go func() {
			_, g.err = c.ProbeTrust(ctx, hint)
			close(g.done)
		}()
	})
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// failed returns the decision when it has been made and was negative.
func (g *trustGate) failed() error {
	select {
	case <-g.done:
		return g.err
	default:
		return nil
	}
}

// isUntrusted reports whether err is the trust gate's negative decision.
func isUntrusted(err error) bool {
	var ue *dnsq.UntrustedError
	return errors.As(err, &ue)
}

// undecidedReport is the document of a domain for which nothing could be
// decided: status error, no checks, the reason in plain words.
func undecidedReport(t checks.Target, servers []string, err error) *checks.Report {
	return &checks.Report{Domain: t.Domain, Input: t.Input, Address: t.Address, Resolvers: servers, StartedAt: time.Now(), Err: err.Error()}
}
