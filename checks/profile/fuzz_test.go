package profile

import (
	"testing"
	"unicode/utf8"
)

// FuzzExplainCode: whatever is pasted, ExplainCode never panics and a
// found entry has a code.
func FuzzExplainCode(f *testing.F) {
	for _, s := range []string{"5.7.26", "550 5.7.515", "[TSS04]", "sc-001", "550-5.7.26 x", "421 4.7.0 [TSS04] x", "5.999.999", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, ok := ExplainCode(s)
		if ok && (e.Code == "" || !utf8.ValidString(e.Code)) {
			t.Fatalf("ExplainCode(%q) = %+v", s, e)
		}
	})
}
