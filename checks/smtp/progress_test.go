package smtp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
)

// TestProgressSaysWhichWait: while the smtp check waits on a server, the
// run's events say which wait it is in and its bound (the TUI's row shows
// "connected, waiting for the greeting 12s / 30s"); nothing of it reaches
// the result.
func TestProgressSaysWhichWait(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	_ = w.PTR("192.0.2.10", "mx.d.test")
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, Tarpit: true}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	env, err := w.Env(checks.Options{Timeout: time.Second, GreetingTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []checks.Progress
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}},
		Events: func(e checks.Event) {
			if e.Kind == checks.EventProgress && e.CheckID == "smtp" {
				mu.Lock()
				got = append(got, *e.Progress)
				mu.Unlock()
			}
		}}
	rep := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"})
	mu.Lock()
	defer mu.Unlock()
	var greeting bool
	for _, p := range got {
		greeting = greeting || (p.Text == "connected, waiting for the greeting" && p.Limit == 300*time.Millisecond && !p.Since.IsZero())
	}
	if !greeting {
		t.Errorf("progress %+v: want the greeting wait with its 300ms bound", got)
	}
	if res := rep.Results[0]; res.EffectiveStatus() != checks.StatusError {
		t.Errorf("a tarpit: status %s", res.EffectiveStatus())
	}
}
