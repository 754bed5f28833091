package msgdmarc_test

import (
	"testing"

	"github.com/mxray/mxray/checks/msgdmarc"
)

// FuzzAligns feeds Aligns the domains a message carries (From, d=, the
// Return-Path or HELO name): it never panics, strict alignment implies
// relaxed, and relaxed alignment is symmetric.
func FuzzAligns(f *testing.F) {
	for _, s := range [][2]string{{"sender.example", "sender.example"}, {"news.sender.example", "sender.example"},
		{"a.example.co.uk", "b.example.co.uk"}, {"co.uk", "example.co.uk"}, {"", "x"}, {"Sender.Example.", "sender.example"},
		{"xn--bcher-kva.example", "b\u00fccher.example"}, {"..", "."}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, from, domain string) {
		strict := msgdmarc.Aligns(from, domain, msgdmarc.ModeStrict)
		relaxed := msgdmarc.Aligns(from, domain, msgdmarc.ModeRelaxed)
		if strict && !relaxed {
			t.Errorf("%q and %q align strictly but not relaxed", from, domain)
		}
		if relaxed != msgdmarc.Aligns(domain, from, msgdmarc.ModeRelaxed) {
			t.Errorf("relaxed alignment of %q and %q is not symmetric", from, domain)
		}
	})
}
