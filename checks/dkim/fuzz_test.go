package dkim

import "testing"

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
