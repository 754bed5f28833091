package demo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
)

// TestBadTLS runs every check against badtls.example through the real
// runner, with the demo's 2 s per-wait timeout, and pins what it shows:
// exactly the intended smtp and tls findings, one or two per MX host, and
// nothing above info from the other checks (its DNS and sender policies are
// healthy so that the page is about the servers).
func TestBadTLS(t *testing.T) {
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()

	start := time.Now()
	r := checks.Runner{Env: env, Checks: all.Checks()}
	rep := r.Run(context.Background(), checks.Target{Domain: "badtls.example"})
	elapsed := time.Since(start)

	want := []string{
		// mx-expired
		"fail tls.cert-expired mx-expired.badtls.example [192.0.2.31]",
		// mx-wrongname
		"warn tls.cert-name-mismatch mx-wrongname.badtls.example [192.0.2.32]",
		// mx-selfsigned
		"warn tls.cert-untrusted mx-selfsigned.badtls.example [192.0.2.33]",
		// mx-expiring
		"warn tls.cert-expiring mx-expiring.badtls.example [192.0.2.34]",
		"info smtp.greylisted mx-expiring.badtls.example [192.0.2.34]",
		// mx-legacy
		"warn tls.weak-key mx-legacy.badtls.example [192.0.2.35]",
		"warn tls.old-protocol mx-legacy.badtls.example [192.0.2.35]",
		// mx-reject
		"fail smtp.banner-rejected mx-reject.badtls.example [192.0.2.37]",
		"error tls.not-tested mx-reject.badtls.example [192.0.2.37]",
	}
	var got []string
	var ran []string
	for _, res := range rep.Results {
		ran = append(ran, res.ID)
		switch res.ID {
		case "smtp", "tls":
			if res.Err != "" {
				t.Errorf("%s: %s", res.ID, res.Err)
			}
			for _, f := range res.Findings {
				got = append(got, fmt.Sprintf("%s %s %s", f.Severity, f.ID, f.Subject))
			}
		case "profile":
			// No --profile: no provider's rules to grade.
			if res.Status != checks.StatusSkip {
				t.Errorf("profile: %s %q, want skip for want of --profile", res.Status, res.Skip)
			}
		case "ptr":
			// No --ip: no sending address to look up.
			if res.Status != checks.StatusSkip || res.Skip != "no sending address given (--ip)" {
				t.Errorf("ptr: %s %q, want skip for want of --ip", res.Status, res.Skip)
			}
		default:
			if res.Status != checks.StatusPass {
				var b strings.Builder
				for _, f := range res.Findings {
					fmt.Fprintf(&b, "\n  %s %s %s: %s", f.Severity, f.ID, f.Subject, f.Message)
				}
				t.Errorf("%s: %s %s, want pass (badtls.example's records must be healthy):%s", res.ID, res.Status, res.Err, b.String())
			}
		}
	}
	if !slices.Contains(ran, "smtp") || !slices.Contains(ran, "tls") {
		t.Fatalf("the smtp and tls checks did not run: %v", ran)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("smtp and tls findings of badtls.example:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}

	// Every server is on loopback and answers: no check waits out a
	// timeout (2 s in the demo).
	if elapsed > 2*time.Second {
		t.Errorf("badtls.example took %s; no demo server should make a check wait for a timeout", elapsed.Round(time.Millisecond))
	}
	t.Logf("badtls.example checked in %s", elapsed.Round(time.Millisecond))
}
