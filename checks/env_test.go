package checks_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
)

// TestHTTPClientRefusesNonDNSTargets: the checks' HTTP client connects only
// to DNS names on port 443, whatever URL a record names (SSRF backstop).
func TestHTTPClientRefusesNonDNSTargets(t *testing.T) {
	w := mailtest.New(t, `
meta.example.   A 169.254.169.254
inside.example. A 10.1.2.3
local.example.  AAAA ::1
`)
	env, err := w.Env(checks.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer env.DNS.Close()
	for _, u := range []string{
		"https://127.0.0.1/latest/meta-data/",
		"https://127.0.0.1:53/latest/meta-data/",
		"https://[::1]/",
		"https://2130706433/",
		"https://0x7f.0.0.1/",
		"https://mta-sts.example.com:8443/.well-known/mta-sts.txt",
		"https://user:pw@mta-sts.example.com/.well-known/mta-sts.txt",
		"http://mta-sts.example.com/.well-known/mta-sts.txt",
		"https://localhost/",
	} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := env.HTTP.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, checks.ErrFetchNotAllowed) {
			t.Errorf("%s: err = %v, want ErrFetchNotAllowed", u, err)
		}
	}
	if n := w.DNS.Queries(); n != 0 {
		t.Errorf("%d DNS queries: a refused URL must not even be resolved", n)
	}
	// A DNS name that resolves inside the network is not dialled either.
	for _, u := range []string{"https://meta.example/latest/meta-data/", "https://inside.example/", "https://local.example/"} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := env.HTTP.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, checks.ErrFetchNotAllowed) || !strings.Contains(err.Error(), "internal addresses") {
			t.Errorf("%s: err = %v, want ErrFetchNotAllowed (internal addresses)", u, err)
		}
	}
}

func TestPublicAddress(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		public bool
	}{
		{"192.0.2.7", true}, {"2001:db8::7", true}, {"8.8.8.8", true}, {"::ffff:8.8.8.8", true},
		{"10.0.0.1", false}, {"172.16.0.1", false}, {"192.168.1.1", false}, {"127.0.0.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"0.1.2.3", false}, {"240.0.0.1", false},
		{"255.255.255.255", false}, {"224.0.0.1", false}, {"::", false}, {"::1", false},
		{"fe80::1", false}, {"fc00::1", false}, {"::ffff:10.0.0.1", false},
		{"64:ff9b::a00:1", false}, {"64:ff9b::808:808", true}, {"64:ff9b:1::1", false},
		{"2002:a00:1::1", false}, {"2002:808:808::1", true},
	} {
		if got := checks.PublicAddress(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("PublicAddress(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}
