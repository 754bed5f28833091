package dkim

import (
	"strings"
	"testing"
)

func FuzzParseKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		k := ParseKey(s)
		if k.Revoked && k.Bits != 0 {
			t.Fatalf("revoked key with %d bits", k.Bits)
		}
		if k.Bits < 0 || k.Bits > 8*maxKeyDER {
			t.Fatalf("bits %d", k.Bits)
		}
		_ = k.Usable()
		_ = IsKeyRecord(s)
	})
}

// FuzzSPFTargets: whatever an SPF record holds, the targets read from it
// are lower-case domain names without macros, and never more than its
// terms.
func FuzzSPFTargets(f *testing.F) {
	for _, s := range []string{
		"v=spf1 include:_spf.google.com ~all",
		"v=spf1 include:%{d}.example redirect=_spf.example.com",
		"v=spf1 include:a;b.example include:UPPER.Example. -all",
		"v=spf1 include:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range spfTargets(s) {
			if d != strings.ToLower(d) || strings.ContainsAny(d, "%;@ ") || strings.HasSuffix(d, ".") || len(d) > 253 {
				t.Fatalf("target %q", d)
			}
			_ = match(d, spfDomains)
		}
	})
}
