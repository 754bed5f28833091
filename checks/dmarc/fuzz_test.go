package dmarc

import "testing"

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if r.Pct < 0 || r.Pct > 100 {
			t.Fatalf("pct %d", r.Pct)
		}
		if len(r.RUA) > maxURIs || len(r.RUF) > maxURIs {
			t.Fatalf("%d/%d URIs", len(r.RUA), len(r.RUF))
		}
		if r.P != "" && r.P.strength() < 0 {
			t.Fatalf("policy %q", r.P)
		}
		_ = IsDMARC(s)
		_ = LooksLikeDMARC(s)
	})
}
