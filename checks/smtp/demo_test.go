package smtp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

// TestDemo pins what the smtp and tls checks say about the demo world.
func TestDemo(t *testing.T) {
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var b strings.Builder
	for _, d := range demo.Domains {
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}, tlscheck.Check{}}, Registry: all.Checks()}
		rep := r.Run(context.Background(), checks.Target{Domain: d.Name, HELO: "demo.mxray.invalid"})
		for _, res := range rep.Results {
			fmt.Fprintf(&b, "%s %s: %s %s\n", d.Name, res.ID, res.Status, res.Err)
			for _, f := range res.Findings {
				fmt.Fprintf(&b, "  %s %s %s\n", f.Severity, f.ID, f.Subject)
			}
		}
	}
	golden.Check(t, "smtp/demo.txt", []byte(b.String()))
}
