package bimi

import (
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/mtasts"
)

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if !r.Fatal && r.Logo != "" && checkHTTPS(r.Logo) != nil {
			t.Fatalf("non-https logo %q accepted", r.Logo)
		}
		// Whatever would be fetched is a URL mxray may fetch.
		for _, u := range []string{r.Logo, r.VMC} {
			if _, err := mtasts.FetchableURL(u); u != "" && err != nil {
				t.Fatalf("%q kept for fetching: %v", u, err)
			}
		}
		for _, na := range r.NotAllowed {
			if na.Tag != "l" && na.Tag != "a" || na.Reason == "" || strings.ContainsAny(na.URL+na.Reason, "\x00\x1b\n") {
				t.Fatalf("not allowed %+v", na)
			}
		}
		_ = IsBIMI(s)
	})
}

func FuzzCheckSVG(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		r := CheckSVG(b)
		if len(r.Problems) > 12 {
			t.Fatalf("%d problems", len(r.Problems))
		}
	})
}
