package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every term it returns is
// the slice of the record at its position, and that a syntax error points
// inside the record. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all",
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24//64 mx:mail.example.com ptr ~all",
		"v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} redirect=x.example exp=e.%{d}",
		"v=spf1 a:%{d}%{d}%{d}%{d}",
		"v=spf1 a:ex\x00ample.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if p := se.Pos + se.Offset; p < 0 || p > len(s) {
				t.Fatalf("position %d outside the record (%d bytes)", p, len(s))
			}
			return
		}
		for _, term := range r.Terms {
			if term.Pos < 0 || term.Pos+len(term.Text) > len(s) || s[term.Pos:term.Pos+len(term.Text)] != term.Text {
				t.Fatalf("term %q is not at %d", term.Text, term.Pos)
			}
		}
		// Expanding every domain-spec must not panic and stays bounded.
		e := &evaluation{p: Params{IP: netip.MustParseAddr("2001:db8::1"), HELO: "h.example"}, sender: "a-b@c.example", local: "a-b", senderDomain: "c.example"}
		for _, term := range r.Terms {
			if term.Domain == "" {
				continue
			}
			out, err := e.expand(context.Background(), term.Domain, "c.example", term.IsExp())
			if err == nil && len(out) > 2*maxExpansion+1024 {
				t.Fatalf("expansion of %q is %d bytes", term.Domain, len(out))
			}
		}
	})
}

// FuzzExplanation expands arbitrary explain-strings.
func FuzzExplanation(f *testing.F) {
	f.Add("%{c} is not one of %{d}'s designated mail servers (%{r} at %{t})")
	f.Add("%{ir}.%{v}.arpa %{S} %{L9r-+,/_=}")
	f.Fuzz(func(t *testing.T, s string) {
		e := &evaluation{p: Params{IP: netip.MustParseAddr("192.0.2.1")}, sender: "x@y.example", local: "x", senderDomain: "y.example"}
		out, err := e.expand(context.Background(), s, "y.example", true)
		if err == nil && len(out) > 2*maxExpansion+1024 {
			t.Fatalf("%d bytes", len(out))
		}
		if err == nil && strings.IndexByte(s, '%') < 0 && out != s {
			t.Fatalf("literal %q changed to %q", s, out)
		}
	})
}
