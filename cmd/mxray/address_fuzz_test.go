package main

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseTarget: whatever is typed as a target, parseTarget never
// panics; an address comes back canonical and public, and an error is one
// line of plain words (no Go package text).
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"192.0.2.7", "2001:db8::7", "[2001:db8::7]", "[IPv6:2001:db8::7]", "::ffff:192.0.2.7",
		"192.0.2.0/24", "192.0.2.7:25", "[2001:db8::1]:25", "fe80::1%eth0", "192.0.2.007", "1.2.3", "0x7f.1",
		"example.com", "bücher.example", "10.0.0.1", "[192.0.2.7", "192.0.2.7.", "::", "a.b.c.1", "ex[ample.com", "0xbeef.de", "1.2.3.", "my_host.example.com", "64:ff9b::a00:1"} {
		f.Add(s)
	}
	var fl checkFlags
	f.Fuzz(func(t *testing.T, in string) {
		tg, err := fl.parseTarget(in)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || strings.Contains(msg, "idna:") || strings.Contains(msg, "netip") || strings.Contains(msg, "ParseAddr") {
				t.Fatalf("%q: error %q is not one line of plain words", in, msg)
			}
			return
		}
		if !tg.Address.IsValid() {
			if tg.Domain == "" {
				t.Fatalf("%q: neither a domain nor an address", in)
			}
			return
		}
		if tg.Domain != "" || tg.Address.Zone() != "" || tg.Address.Is4In6() {
			t.Fatalf("%q: address target %+v is not canonical", in, tg)
		}
		if back, err := netip.ParseAddr(tg.Address.String()); err != nil || back != tg.Address {
			t.Fatalf("%q: %s does not round-trip", in, tg.Address)
		}
	})
}
