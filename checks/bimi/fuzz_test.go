package bimi

import "testing"

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if !r.Fatal && r.Logo != "" && checkHTTPS(r.Logo) != nil {
			t.Fatalf("non-https logo %q accepted", r.Logo)
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
