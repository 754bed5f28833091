package mtasts

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func FuzzParsePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		p := ParsePolicy(s)
		if len(p.MX) > 100 || len(p.Problems) > 16 {
			t.Fatalf("unbounded: %d mx, %d problems", len(p.MX), len(p.Problems))
		}
		if !p.Fatal && (p.MaxAge < 0 || p.MaxAge > MaxMaxAge) {
			t.Fatalf("max_age %d accepted", p.MaxAge)
		}
		if !p.Fatal && p.Mode != "enforce" && p.Mode != "testing" && p.Mode != "none" {
			t.Fatalf("mode %q accepted", p.Mode)
		}
	})
}

func FuzzParseTXT(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseTXT(s)
		if !r.Fatal && (r.ID == "" || len(r.ID) > 32) {
			t.Fatalf("id %q accepted", r.ID)
		}
		_ = IsSTSRecord(s)
		_ = LooksLikeSTS(s)
	})
}

func FuzzMatchMX(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, host string) {
		_ = MatchMX(pattern, host)
	})
}

// FuzzFetchableURL: whatever FetchableURL allows is an https URL without
// user info, on port 443, whose host is a DNS name in every reading.
func FuzzFetchableURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := FetchableURL(raw)
		if err != nil {
			if !errors.Is(err, ErrURLNotAllowed) || strings.ContainsAny(err.Error(), "\x00\x1b\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if u.Scheme != "https" || u.User != nil || u.Opaque != "" || (u.Port() != "" && u.Port() != "443") {
			t.Fatalf("%q allowed: %#v", raw, u)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil {
			t.Fatalf("%q allowed with host %q: %v", raw, host, err)
		}
		for _, h := range []string{host, ascii} {
			if _, err := netip.ParseAddr(h); err == nil {
				t.Fatalf("%q allowed: IP host %q", raw, h)
			}
			if ip := net.ParseIP(h); ip != nil {
				t.Fatalf("%q allowed: IP host %q", raw, h)
			}
			labels := strings.Split(h, ".")
			if len(labels) < 2 || isNumber(labels[len(labels)-1]) {
				t.Fatalf("%q allowed: host %q", raw, h)
			}
		}
		// The request net/http would send names the same host.
		req, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Fatalf("%q allowed but net/http refuses it: %v", raw, err)
		}
		if req.URL.Hostname() != u.Hostname() {
			t.Fatalf("%q: net/http host %q, ours %q", raw, req.URL.Hostname(), u.Hostname())
		}
	})
}
