package mtasts

import "testing"

func FuzzParsePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		p := ParsePolicy(s)
		if len(p.MX) > 100 || len(p.Problems) > 16 {
			t.Fatalf("unbounded: %d mx, %d problems", len(p.MX), len(p.Problems))
		}
		if !p.Fatal && (p.MaxAge < 0 || p.MaxAge > MaxMaxAge) {
			t.Fatalf("max_age %d accepted", p.MaxAge)
		}
		if !p.Fatal && p.Mode != "enforce" && p.Mode != "testing" && p.Mode != "none" {
			t.Fatalf("mode %q accepted", p.Mode)
		}
	})
}

func FuzzParseTXT(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseTXT(s)
		if !r.Fatal && (r.ID == "" || len(r.ID) > 32) {
			t.Fatalf("id %q accepted", r.ID)
		}
		_ = IsSTSRecord(s)
		_ = LooksLikeSTS(s)
	})
}

func FuzzMatchMX(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, host string) {
		_ = MatchMX(pattern, host)
	})
}
