package mtasts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
)

// hostileURLs are URLs that must never be fetched, with a fragment of the
// reason given.
var hostileURLs = []struct{ url, why string }{
	{"https://127.0.0.1:53/latest/meta-data/", "IP address (127.0.0.1)"},
	{"https://127.0.0.1/latest/meta-data/", "IP address (127.0.0.1)"},
	{"https://169.254.169.254/latest/meta-data/", "IP address"},
	{"https://[::1]/", "IPv6 address"},
	{"https://[::ffff:127.0.0.1]/", "IPv6 address"},
	{"https://[fe80::1%25eth0]/", "IPv6 address"},
	{"https://2130706433/", "ends in a number"},
	{"https://0x7f.0.0.1/", "ends in a number"},
	{"https://0x7f000001/", "ends in a number"},
	{"https://0177.0.0.1/", "ends in a number"},
	{"https://127.1/", "ends in a number"},
	{"https://%31%32%37.0.0.1/", "not a valid URL"},
	{"https://１２７.０.０.１/", "IP address (127.0.0.1)"},
	{"https://user:pass@mta-sts.good.example/", "user name or password"},
	{"https://@mta-sts.good.example/", "user name or password"},
	{"https://mta-sts.good.example:8443/", "port 8443"},
	{"https://mta-sts.good.example:/", "empty port"},
	{"https://mta-sts.good.example:0443/", "port 0443"},
	{"http://mta-sts.good.example/", "not https"},
	{"ftp://mta-sts.good.example/", "not https"},
	{"//mta-sts.good.example/", "not an https URL"},
	{"https:///path", "no host"},
	{"https:opaque", "no host"},
	{"https://localhost/", "single label"},
	{"https://metadata/computeMetadata/v1/", "single label"},
	{"https://bad_name.example/", "not a valid host name"},
	{"https://-bad.example/", "not a valid host name"},
	{"https://a..example/", "empty label"},
	{"https://mta-sts.good.example\x00.evil/", "valid URL"},
	{"https://mta-sts.good.example%00.evil/", "not a valid URL"},
	{"https://mta-sts.good.example\\@127.0.0.1/", "valid URL"},
	{"", "not an https URL"},
}

func TestFetchableURL(t *testing.T) {
	t.Parallel()
	for _, tc := range hostileURLs {
		t.Run(tc.url, func(t *testing.T) {
			_, err := mtasts.FetchableURL(tc.url)
			if err == nil {
				t.Fatal("allowed")
			}
			if !errors.Is(err, mtasts.ErrURLNotAllowed) {
				t.Errorf("%v does not wrap ErrURLNotAllowed", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.why) {
				t.Errorf("reason %q lacks %q", msg, tc.why)
			}
		})
	}
	for _, ok := range []string{
		"https://mta-sts.good.example/.well-known/mta-sts.txt",
		"https://MTA-STS.Good.Example./.well-known/mta-sts.txt",
		"https://mta-sts.good.example:443/.well-known/mta-sts.txt",
		"https://img.bücher.example/logo.svg",
		"https://xn--bcher-kva.example/logo.svg?x=1#f",
		"https://1password.example/logo.svg",
		"https://a.b.c.d.example/",
	} {
		if _, err := mtasts.FetchableURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestFetchURLNotAllowed routes every hostile address to a live HTTPS
// server, so that a fetch would reach it, and checks that none does.
func TestFetchURLNotAllowed(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, policytest.Base+"mta-sts.good.example. A 192.0.2.80\n")
	s, err := w.StartHTTPS("192.0.2.80")
	if err != nil {
		t.Fatal(err)
	}
	s.Route("127.0.0.1:53", "127.0.0.1:443", "169.254.169.254:443", "[::1]:443", "[::ffff:127.0.0.1]:443", "192.0.2.80:8443", "192.0.2.80:0443")
	for _, h := range []string{"mta-sts.good.example", "127.0.0.1", "169.254.169.254", "::1"} {
		s.Handle(h, "/latest/meta-data/", mailtest.Response{Body: []byte("secret")})
		s.Handle(h, "/", mailtest.Response{Body: []byte("secret")})
	}
	env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.DNS.Close)
	for _, tc := range hostileURLs {
		fr := mtasts.FetchURL(context.Background(), env, tc.url)
		if fr.Reason != mtasts.ReasonNotAllowed || fr.Body != "" {
			t.Errorf("%s: reason %q, body %q", tc.url, fr.Reason, fr.Body)
		}
	}
	if n, c := s.AllRequests(), s.Connections(); n != 0 || c != 0 {
		t.Fatalf("the HTTPS server saw %d connections and %d requests", c, n)
	}
	// The same server answers an allowed URL: the routes above were live.
	if fr := mtasts.FetchURL(context.Background(), env, "https://mta-sts.good.example/latest/meta-data/"); fr.Reason != "" || fr.Body != "secret" {
		t.Fatalf("allowed URL: %+v", fr)
	}
	if c := s.Connections(); c != 1 {
		t.Errorf("connections %d, want 1", c)
	}
}
