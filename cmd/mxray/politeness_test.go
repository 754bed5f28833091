package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// TestSMTPRateUsage: a bad --smtp-rate is one line on stderr and exit 2.
func TestSMTPRateUsage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"fast": `--smtp-rate "fast": want N/s, N/m or N/h, e.g. 2/m`,
		"0/m":  `--smtp-rate "0/m": want a whole number of connections from 1 to 1000000 before the /`,
		"2/d":  `--smtp-rate "2/d": want N/s, N/m or N/h`,
	} {
		r := runApp(t, nil, "", "check", "example.com", "--smtp-rate", in)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("--smtp-rate %s: exit %d, stderr %q; want 2 and %q", in, r.code, r.stderr, want)
		}
	}
}

// countedConns counts the connections a listener accepted.
type countedConns struct {
	net.Listener
	n atomic.Int64
}

func (l *countedConns) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestBulkSharesMXAddresses: check -f over 50 domains whose MX is one
// address (a loopback go-smtp server) opens the connections of one domain
// (the smtp session and the TLS 1.0/1.1 probe), not 50 times as many;
// every domain gets its smtp and tls verdicts.
func TestBulkSharesMXAddresses(t *testing.T) {
	t.Parallel()
	const n = 50
	var zone, list strings.Builder
	zone.WriteString(benchZone + "mx.shared.example. IN A 192.0.2.10\n")
	var domains []string
	for i := range n {
		d := fmt.Sprintf("d%02d.example", i)
		domains = append(domains, d)
		fmt.Fprintf(&zone, "%s. IN MX 10 mx.shared.example.\n", d)
		list.WriteString(d + "\n")
	}
	w := mailtest.New(t, zone.String())
	_ = w.PTR("192.0.2.10", "mx.shared.example")
	cert, err := w.Cert(mailtest.CertValid, "mx.shared.example")
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.Listen("192.0.2.10:25")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countedConns{Listener: l}
	srv, err := mailtest.ServeSMTP(cl, mailtest.SMTPOptions{Hostname: "mx.shared.example", Domains: domains, TLS: cert})
	if err != nil {
		t.Fatal(err)
	}
	w.OnClose(srv.Close)
	file := filepath.Join(t.TempDir(), "domains.txt")
	if err := os.WriteFile(file, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// 1000/s: the TLS 1.0/1.1 probe need not wait the default 30 s.
	r := runApp(t, w, "", "check", "-f", file, "--only", "smtp,tls", "--resolver", w.DNS.Addr(), "--format", "ndjson",
		"--concurrency", "16", "--helo", "probe.mxray.example", "--smtp-rate", "1000/s")
	if r.code == report.ExitUsage || r.code == report.ExitCouldNotRun {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	docs := 0
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc struct {
			Domain string
			Checks []struct{ ID, Status string }
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		docs++
		for _, c := range doc.Checks {
			if c.Status == "error" || c.Status == "skip" {
				t.Errorf("%s: %s %s", doc.Domain, c.ID, c.Status)
			}
		}
	}
	if docs != n {
		t.Errorf("%d documents, want %d", docs, n)
	}
	t.Logf("%d domains on one MX address: %d connections", n, cl.n.Load())
	if got := cl.n.Load(); got != 2 {
		t.Errorf("%d connections to the shared MX address, want 2 (one smtp session, one TLS 1.0/1.1 probe)", got)
	}
}
