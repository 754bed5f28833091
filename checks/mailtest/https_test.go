package mailtest_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
)

func TestHTTPS(t *testing.T) {
	w := mailtest.New(t, "example. 300 IN SOA a.example. h.example. 1 3600 600 86400 300\n")
	s, err := w.StartHTTPS("192.0.2.80")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddHost("ok.example", "redir.example", "wrong.example", "hang.example", "slow.example", "big.example"); err != nil {
		t.Fatal(err)
	}
	s.Handle("ok.example", "/p.txt", mailtest.Response{Body: []byte("hello")})
	s.Redirect("redir.example", "/p.txt", "https://ok.example/p.txt")
	s.Handle("wrong.example", "/p.txt", mailtest.Response{Body: []byte("x")})
	s.SetCert("wrong.example", mailtest.CertWrongName)
	s.HangTLS("hang.example")
	s.Handle("slow.example", "/p.txt", mailtest.Response{Hang: true})
	s.Handle("big.example", "/p.txt", mailtest.Response{BodySize: 1 << 20, ContentType: "application/octet-stream"})
	env, err := w.Env(checks.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	get := func(host string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", "https://"+host+"/p.txt", nil)
		return env.HTTP.Do(req)
	}
	resp, err := get("ok.example")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("ok: %q %q", body, resp.Header.Get("Content-Type"))
	}
	if resp, err := get("redir.example"); err != nil || resp.StatusCode != 301 {
		t.Errorf("redirect: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, err := get("wrong.example"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("wrong cert: %v", err)
	}
	if _, err := get("hang.example"); err == nil {
		t.Error("hanging handshake: no error")
	}
	if _, err := get("slow.example"); err == nil {
		t.Error("hanging request: no error")
	}
	resp, err = get("big.example")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n != 1<<20 {
		t.Errorf("big body: %d bytes", n)
	}
	if s.Requests("ok.example", "/p.txt") != 1 {
		t.Errorf("requests: %d", s.Requests("ok.example", "/p.txt"))
	}
}

// TestHTTPSRouteAndCounts: Route makes other addresses reach the server, and
// the server counts connections (even failed handshakes) and requests.
func TestHTTPSRouteAndCounts(t *testing.T) {
	w := mailtest.New(t, "example. 300 IN SOA a.example. h.example. 1 3600 600 86400 300\n")
	s, err := w.StartHTTPS("192.0.2.80")
	if err != nil {
		t.Fatal(err)
	}
	s.Route("127.0.0.1:53")
	s.Handle("127.0.0.1", "/x", mailtest.Response{Body: []byte("x")})
	if s.Connections() != 0 || s.AllRequests() != 0 {
		t.Fatal("counts before any request")
	}
	// A client without mxray's URL rules, through the world's dialer. The
	// test CA issues no certificate for 127.0.0.1: the handshake fails,
	// but the connection was made and is counted.
	client := &http.Client{Transport: &http.Transport{DialContext: w.Dialer.DialContext,
		TLSClientConfig: &tls.Config{RootCAs: w.CA.Pool()}}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", "https://127.0.0.1:53/x", nil)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("no certificate error")
	}
	if c, n := s.Connections(), s.AllRequests(); c != 1 || n != 0 {
		t.Errorf("connections %d, requests %d; want 1, 0", c, n)
	}
}
