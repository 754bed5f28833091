package tlscheck

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/mailtest"
)

// FuzzMatchTLSA matches a TLSA record against a served chain (leaf, then
// an optional issuer): it must never panic, usages other than 2 and 3
// never match, a DANE-EE match is exactly the leaf's association data,
// and a DANE-TA match names a certificate above the leaf. The seeds under
// testdata/fuzz are real shapes: a test CA's chain with the records
// operators publish (3 1 1, 3 0 1, 2 0 1, 2 1 1, 3 1 2, usage 1,
// upper-case hex, truncated data).
func FuzzMatchTLSA(f *testing.F) {
	ca, err := mailtest.NewCA("fuzz root")
	if err != nil {
		f.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"mx.example.com"}, mailtest.CertOptions{})
	if err != nil {
		f.Fatal(err)
	}
	l, c := leaf.Certificate[0], ca.Cert.Raw
	lc, _ := x509.ParseCertificate(l)
	f.Add(uint8(3), uint8(1), uint8(1), tlsaData(lc, 1, 1), l, c, "mx.example.com")
	f.Add(uint8(2), uint8(0), uint8(1), tlsaData(ca.Cert, 0, 1), l, c, "mx.example.com")
	f.Add(uint8(2), uint8(1), uint8(2), strings.ToUpper(tlsaData(ca.Cert, 1, 2)), l, c, "other.example.com")
	f.Add(uint8(3), uint8(0), uint8(0), tlsaData(lc, 0, 0), l, []byte(nil), "")
	f.Fuzz(func(t *testing.T, usage, selector, matching uint8, data string, leafDER, issuerDER []byte, host string) {
		var chain []*x509.Certificate
		for _, der := range [][]byte{leafDER, issuerDER} {
			if len(der) == 0 {
				continue
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return
			}
			chain = append(chain, c)
		}
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		if len(chain) > 0 {
			now = chain[0].NotBefore.Add(time.Hour)
		}
		r := &dns.TLSA{Usage: usage, Selector: selector, MatchingType: matching, Certificate: data}
		ok := matchTLSA(r, chain, host, now)
		switch {
		case !ok:
		case usage != 2 && usage != 3:
			t.Fatalf("usage %d matched", usage)
		case usage == 3 && tlsaData(chain[0], selector, matching) != strings.ToLower(data):
			t.Fatalf("DANE-EE matched data that is not the leaf's")
		case usage == 2 && len(chain) < 2:
			t.Fatalf("DANE-TA matched a chain without an issuer")
		}
		if ok != matchTLSA(r, chain, host, now) {
			t.Fatal("not deterministic")
		}
	})
}

// TestWriteTLSASeeds regenerates testdata/fuzz/FuzzMatchTLSA from a fresh
// test CA when MXRAY_WRITE_SEEDS is set.
func TestWriteTLSASeeds(t *testing.T) {
	if os.Getenv("MXRAY_WRITE_SEEDS") == "" {
		t.Skip("set MXRAY_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	ca, err := mailtest.NewCA("mxray seed root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"mx1.example.com", "mx2.example.com"}, mailtest.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, c := leaf.Certificate[0], ca.Cert.Raw
	lc, _ := x509.ParseCertificate(l)
	dir := filepath.Join("testdata", "fuzz", "FuzzMatchTLSA")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string]struct {
		u, s, m uint8
		data    string
		issuer  bool
		host    string
	}{
		"dane-ee-spki-sha256":      {3, 1, 1, tlsaData(lc, 1, 1), true, "mx1.example.com"},
		"dane-ee-cert-sha256":      {3, 0, 1, tlsaData(lc, 0, 1), false, "mx1.example.com"},
		"dane-ee-spki-sha512":      {3, 1, 2, tlsaData(lc, 1, 2), true, "mx2.example.com"},
		"dane-ee-upper-case":       {3, 1, 1, strings.ToUpper(tlsaData(lc, 1, 1)), true, "mx1.example.com"},
		"dane-ee-truncated":        {3, 1, 1, tlsaData(lc, 1, 1)[:40], true, "mx1.example.com"},
		"dane-ta-cert-sha256":      {2, 0, 1, tlsaData(ca.Cert, 0, 1), true, "mx1.example.com"},
		"dane-ta-spki-sha256":      {2, 1, 1, tlsaData(ca.Cert, 1, 1), true, "mx2.example.com"},
		"dane-ta-wrong-name":       {2, 0, 1, tlsaData(ca.Cert, 0, 1), true, "mail.example.net"},
		"dane-ta-no-issuer-served": {2, 0, 1, tlsaData(ca.Cert, 0, 1), false, "mx1.example.com"},
		"pkix-ee-ignored":          {1, 1, 1, tlsaData(lc, 1, 1), true, "mx1.example.com"},
		"full-cert-matching-0":     {3, 0, 0, tlsaData(lc, 0, 0), false, "mx1.example.com"},
		"unknown-selector":         {3, 7, 1, tlsaData(lc, 1, 1), true, "mx1.example.com"},
	}
	for name, s := range seeds {
		var issuer []byte
		if s.issuer {
			issuer = c
		}
		body := "go test fuzz v1\n" +
			"byte(" + strconv.QuoteRune(rune(s.u)) + ")\nbyte(" + strconv.QuoteRune(rune(s.s)) + ")\nbyte(" + strconv.QuoteRune(rune(s.m)) + ")\n" +
			"string(" + strconv.Quote(s.data) + ")\n[]byte(" + strconv.Quote(string(l)) + ")\n[]byte(" + strconv.Quote(string(issuer)) + ")\n" +
			"string(" + strconv.Quote(s.host) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
