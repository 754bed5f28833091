package main

import (
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/dnsq"
)

// FuzzNormalizeDomain: any input either is rejected or yields a valid,
// lower-case A-label name.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.com", "bücher.example", "EXAMPLE.com.", "a..b", "xn--", "user@x.com", "\x00.com", strings.Repeat("a.", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := normalizeDomain(in)
		if err != nil {
			return
		}
		if _, err := dnsq.CheckName(d); err != nil || d != strings.ToLower(d) || strings.HasSuffix(d, ".") {
			t.Fatalf("%q normalised to invalid %q (%v)", in, d, err)
		}
	})
}

// FuzzNormalizeServer: any input is rejected or yields host:port.
func FuzzNormalizeServer(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[::1]:53", "x:1", "1.2.3.4:0", ":53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := dnsq.NormalizeServer(in)
		if err != nil {
			return
		}
		if _, err := dnsq.NormalizeServer(s); err != nil {
			t.Fatalf("%q normalised to %q, which does not parse: %v", in, s, err)
		}
	})
}
