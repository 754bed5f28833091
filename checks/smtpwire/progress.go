package smtpwire

import (
	"context"
	"time"
)

// ProgressFunc receives what a session waits for now, in plain words, and
// the bound on that wait.
type ProgressFunc func(text string, limit time.Duration)

type progressKey struct{}

// WithProgress returns a context carrying f: a Session driven with it (or a
// context derived from it) reports each wait (connecting, the greeting, the
// reply to each command, the TLS handshake) to f, for live displays. The
// checks pass their checks.Out.Progress.
func WithProgress(ctx context.Context, f ProgressFunc) context.Context {
	if f == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, f)
}

// Progress reports text and limit to the ProgressFunc ctx carries, if any.
// The text may hold network data (a host name): displays escape it.
func Progress(ctx context.Context, text string, limit time.Duration) {
	if f, ok := ctx.Value(progressKey{}).(ProgressFunc); ok {
		f(text, limit)
	}
}
