package spf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	ok := []struct {
		rec   string
		terms int
		check func(t *testing.T, r *Record)
	}{
		{"v=spf1", 0, nil},
		{"V=SPF1 -ALL", 1, func(t *testing.T, r *Record) {
			if r.Terms[0].Mech != MechAll || r.Terms[0].Qual != QFail {
				t.Errorf("%+v", r.Terms[0])
			}
		}},
		{"v=spf1  ip4:192.0.2.0/24   ip6:2001:db8::/32 -all  ", 3, func(t *testing.T, r *Record) {
			if r.Terms[0].Net != netip.MustParsePrefix("192.0.2.0/24") || r.Terms[1].Net.Bits() != 32 || r.Terms[0].Pos != 8 {
				t.Errorf("%+v", r.Terms)
			}
		}},
		{"v=spf1 a/24//64 mx:example.com/30 a:%{d}", 3, func(t *testing.T, r *Record) {
			if r.Terms[0].CIDR4 != 24 || r.Terms[0].CIDR6 != 64 || r.Terms[1].Domain != "example.com" || r.Terms[1].CIDR4 != 30 || r.Terms[1].CIDR6 != 128 {
				t.Errorf("%+v", r.Terms)
			}
		}},
		{"v=spf1 redirect=_spf.example.com exp=explain.%{d} foo.bar-1=%{h}x", 3, func(t *testing.T, r *Record) {
			if r.RedirectTerm().Domain != "_spf.example.com" || r.ExpTerm() == nil || r.Terms[2].Mod != "foo.bar-1" {
				t.Errorf("%+v", r)
			}
		}},
		{"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} ptr:example.com ?ptr ~include:a.example.", 4, nil},
		{"v=spf1 exists:%{S}.%{L}.%%.%_.%-.example.com", 1, nil},
	}
	for _, c := range ok {
		t.Run(c.rec, func(t *testing.T) {
			r, err := Parse(c.rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Terms) != c.terms {
				t.Fatalf("%d terms, want %d", len(r.Terms), c.terms)
			}
			for _, term := range r.Terms {
				if c.rec[term.Pos:term.Pos+len(term.Text)] != term.Text {
					t.Errorf("term %q not at %d", term.Text, term.Pos)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
	bad := []struct {
		rec string
		pos int
		msg string
	}{
		{"v=spf10 -all", 0, "v=spf1"},
		{" v=spf1 -all", 0, "v=spf1"},
		{"v=spf1 -all foo", 12, "unknown mechanism"},
		{"v=spf1 ip4:192.0.2.0/33", 20, "longer than 32"},
		{"v=spf1 ip4:192.0.2.0/024", 20, "leading zero"},
		{"v=spf1 ip4:2001:db8::1", 11, "not an IPv4"},
		{"v=spf1 ip6:192.0.2.1", 11, "not an IPv6"},
		{"v=spf1 ip4:192.0.2", 11, "not an IP"},
		{"v=spf1 a:example", 9, "fully qualified"},
		{"v=spf1 a:example.123", 17, "top-level"},
		{"v=spf1 include:", 14, "needs"},
		{"v=spf1 redirect=a.example redirect=b.example", 26, "only once"},
		{"v=spf1 -redirect=a.example", 7, "qualifier"},
		{"v=spf1 exists:%{x}.example", 16, "macro letter"},
		{"v=spf1 exists:%{c}.example", 16, "only in exp"},
		{"v=spf1 exists:%{i0}.example", 17, "non-zero"},
		{"v=spf1 exists:%{i.example", 14, "expected"},
		{"v=spf1 exists:%d.example", 14, "not a macro"},
		{"v=spf1 a:ex\x00ample.com", 11, "NUL"},
		{"v=spf1 a:exämple.com", 11, "non-ASCII"},
		{"v=spf1\t-all", 0, "v=spf1"},
		{"v=spf1 -all\t", 11, "tab"},
		{"v=spf1 all:x", 10, "no argument"},
		{"v=spf1 a:", 8, "unexpected"},
		{"v=spf1 1a", 7, "expected a mechanism"},
	}
	for _, c := range bad {
		t.Run(c.rec, func(t *testing.T) {
			_, err := Parse(c.rec)
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("err %v, want a *SyntaxError", err)
			}
			if se.Pos+se.Offset != c.pos || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("position %d msg %q, want %d %q", se.Pos+se.Offset, se.Msg, c.pos, c.msg)
			}
		})
	}
}

func TestParseAllocs(t *testing.T) {
	rec := "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/28 include:_spf.google.com include:spf.protection.outlook.com exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.com exp=exp.%{d}"
	n := testing.AllocsPerRun(100, func() {
		if _, err := Parse(rec); err != nil {
			t.Fatal(err)
		}
	})
	if n > 2 {
		t.Errorf("Parse allocates %v times, want at most 2 (record and term slice)", n)
	}
}

func TestExpand(t *testing.T) {
	e := &evaluation{p: Params{IP: netip.MustParseAddr("192.0.2.3"), HELO: "mx.example.org"}, sender: "strong-bad@email.example.com", local: "strong-bad", senderDomain: "email.example.com"}
	e6 := &evaluation{p: Params{IP: netip.MustParseAddr("2001:db8::cb01")}, sender: e.sender, local: e.local, senderDomain: e.senderDomain}
	// RFC 7208 §7.4 examples.
	cases := []struct {
		e    *evaluation
		in   string
		want string
	}{
		{e, "%{s}", "strong-bad@email.example.com"},
		{e, "%{o}", "email.example.com"},
		{e, "%{d}", "email.example.com"},
		{e, "%{d4}", "email.example.com"},
		{e, "%{d3}", "email.example.com"},
		{e, "%{d2}", "example.com"},
		{e, "%{d1}", "com"},
		{e, "%{dr}", "com.example.email"},
		{e, "%{d2r}", "example.email"},
		{e, "%{l}", "strong-bad"},
		{e, "%{l-}", "strong.bad"},
		{e, "%{lr}", "strong-bad"},
		{e, "%{lr-}", "bad.strong"},
		{e, "%{l1r-}", "strong"},
		{e, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
		{e, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
		{e, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{e, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
		{e, "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
		{e6, "%{ir}.%{v}._spf.%{d2}", "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"},
		{e, "%{h} %% %_ %-", "mx.example.org %   %20"},
		{e, "%{S}", "strong-bad%40email.example.com"},
	}
	for _, c := range cases {
		got, err := c.e.expand(context.Background(), c.in, "email.example.com", true)
		if err != nil || got != c.want {
			t.Errorf("expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestTruncateName(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 30) + "example.com"
	got := truncateName(long)
	if len(got) > 253 || !strings.HasSuffix(got, ".example.com") || strings.HasPrefix(got, ".") {
		t.Errorf("truncateName: %d %q", len(got), got)
	}
}
