package bimi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/tlsrpt"
)

// BenchmarkPolicyChecksDemo runs the five policy checks (with mx as a
// hidden dependency) against the demo world's good.example: DNS, two HTTPS
// fetches over TLS, SVG and key parsing.
func BenchmarkPolicyChecksDemo(b *testing.B) {
	w, err := demo.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	cs := []checks.Check{dkim.Check{}, dmarc.Check{}, mtasts.Check{}, tlsrpt.Check{}, bimi.Check{}}
	for b.Loop() {
		rep := policytest.Run(b, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: "good.example"}, cs, mx.Check{})
		if rep.Status() != checks.StatusPass {
			b.Fatalf("status %s", rep.Status())
		}
	}
}

// BenchmarkCheckSVG measures the Tiny PS check on a 30 KiB logo.
func BenchmarkCheckSVG(b *testing.B) {
	svg := []byte(strings.Replace(goodSVG, "</svg>", strings.Repeat(`<rect x="1" y="1" width="10" height="10" fill="#036"/>`+"\n", 550)+"</svg>", 1))
	b.SetBytes(int64(len(svg)))
	for b.Loop() {
		if r := bimi.CheckSVG(svg); len(r.Problems) > 0 {
			b.Fatal(r.Problems)
		}
	}
}
