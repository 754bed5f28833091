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
		// The canonical form fixes proposes is clean, accepted by a strict
		// RFC 7489 reader, and stable.
		if r.P != "" {
			c := r.Render()
			rc := Parse(c)
			if len(rc.Problems) > 0 || rc.MsgAuthErr != "" || rc.Render() != c {
				t.Fatalf("Render of %q gives %q: problems %+v, strict reader %q, renders as %q", s, c, rc.Problems, rc.MsgAuthErr, rc.Render())
			}
			if rc.P != r.P || rc.SP != r.SP || rc.NP != r.NP || rc.Pct != r.Pct || rc.Testing != r.Testing || len(rc.RUA) > len(r.RUA) {
				t.Fatalf("Render of %q changes the policy: %q", s, c)
			}
		}
	})
}
