package mailtest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/mailtest"
)

func TestDialerRoutesOnlyWhatItKnows(t *testing.T) {
	w := mailtest.New(t, "")
	l, err := w.Listen("192.0.2.10:25", "[2001:db8::10]:25")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "220 hello\r\n")
			c.Close()
		}
	}()
	for _, addr := range []string{"192.0.2.10:25", "[2001:0db8:0::10]:25"} {
		c, err := w.Dialer.DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		b, _ := io.ReadAll(c)
		c.Close()
		if string(b) != "220 hello\r\n" {
			t.Fatalf("%s: read %q", addr, b)
		}
	}
	if _, err := w.Dialer.DialContext(context.Background(), "tcp", "93.184.216.34:25"); !errors.Is(err, mailtest.ErrNoRoute) {
		t.Fatalf("unrouted address: err = %v, want ErrNoRoute", err)
	}
}

func TestCAIssuesVerifiableCertificates(t *testing.T) {
	w := mailtest.New(t, "")
	good, err := w.CA.Issue([]string{"mx1.good.example"}, mailtest.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := w.CA.Issue([]string{"mx1.good.example"}, mailtest.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	self, err := w.CA.Issue([]string{"mx1.good.example"}, mailtest.CertOptions{SelfSigned: true, RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		cert   tls.Certificate
		server string
		ok     bool
	}{
		{"valid", good, "mx1.good.example", true},
		{"wrong name", good, "mx2.good.example", false},
		{"expired", expired, "mx1.good.example", false},
		{"self-signed", self, "mx1.good.example", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{tt.cert}})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err == nil {
					_ = c.(*tls.Conn).Handshake()
					c.Close()
				}
			}()
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", l.Addr().String(),
				&tls.Config{RootCAs: w.CA.Pool(), ServerName: tt.server})
			if (err == nil) != tt.ok {
				t.Fatalf("handshake err = %v, want ok=%v", err, tt.ok)
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestDNSServerOverTCPAndUDP(t *testing.T) {
	w := mailtest.New(t, "a.example. A 192.0.2.1\n")
	for _, proto := range []string{"udp", "tcp"} {
		m := new(dns.Msg)
		m.SetQuestion("a.example.", dns.TypeA)
		r, _, err := (&dns.Client{Net: proto}).Exchange(m, w.DNS.Addr())
		if err != nil || len(r.Answer) != 1 {
			t.Fatalf("%s: %v %v", proto, err, r)
		}
	}
	if w.DNS.Queries() != 2 || w.DNS.QueryCount("a.example", dns.TypeA) != 2 || w.DNS.Distinct() != 1 {
		t.Fatalf("counters: %d %d %d", w.DNS.Queries(), w.DNS.QueryCount("a.example", dns.TypeA), w.DNS.Distinct())
	}
}
