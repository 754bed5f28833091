package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

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

// FuzzReadInputs: any -f input yields, line by line, a domain or an error
// document whose input is valid UTF-8 and bounded, in line order; nothing
// is lost or invented, and reading never fails on content.
func FuzzReadInputs(f *testing.F) {
	for _, s := range []string{"good.example\nbad domain!\n", "\ufeffa.example\r\n# c\n\n", strings.Repeat("a", 5000) + "\nb.example", "\xff\xfe\n", "x.example", "#only\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			return
		}
		a := newApp(strings.NewReader(in), nil, nil)
		var fl checkFlags
		fl.file = "-"
		last, domains := 0, 0
		err := a.readInputs(context.Background(), &fl, 3, func(b bulkInput) bool {
			if b.bad == nil {
				domains++
				return true
			}
			if b.bad.Line <= last || !utf8.ValidString(b.bad.Input) || len(b.bad.Input) > maxQuotedInput+len("…") || b.bad.Reason == "" {
				t.Fatalf("bad document %+v after line %d", *b.bad, last)
			}
			last = b.bad.Line
			return true
		})
		var ue *usageError
		if err != nil && (!errors.As(err, &ue) || domains > 0 || !strings.Contains(err.Error(), "no domain to check")) {
			t.Fatalf("error %v with %d domains", err, domains)
		}
		if err == nil && domains == 0 {
			t.Fatal("no domain and no error")
		}
	})
}
