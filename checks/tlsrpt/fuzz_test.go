package tlsrpt

import "testing"

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if len(r.RUA) > maxRUA {
			t.Fatalf("%d rua URIs", len(r.RUA))
		}
		if !r.Fatal && len(r.RUA) == 0 {
			t.Fatal("a record without rua accepted")
		}
		_ = IsTLSRPT(s)
	})
}
