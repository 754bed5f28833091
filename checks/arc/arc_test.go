package arc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/mailcanon"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// sealer is a test ARC sealer: a domain, a selector and a key. It signs
// with the package's own canonicalisation, so a chain it makes checks
// the verifier's plumbing (DNS, instances, results); the canonicalisation
// itself is checked against the ValiMail suite.
type sealer struct {
	domain, selector string
	priv             crypto.Signer
}

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsa512   *rsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		// A 512-bit key, which verifiers refuse; Go refuses to generate
		// one, so it is built from two primes of the right size.
		rsa512 = weakRSA()
		_, edKey, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
	})
}

// weakRSA returns a 512-bit RSA key for the too-small-key case. Only its
// public half is ever published; no signature needs to verify with it.
func weakRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	k.N.Rsh(k.N, 512) // a 512-bit modulus: the public half is all the test uses
	return k
}

// keyRecord returns the TXT record publishing s's public key.
func keyRecord(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			der = x509.MarshalPKCS1PublicKey(k)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
	t.Fatalf("key type %T", pub)
	return ""
}

func (s sealer) alg() string {
	if _, ok := s.priv.(ed25519.PrivateKey); ok {
		return "ed25519-sha256"
	}
	return "rsa-sha256"
}

func (s sealer) sign(t testing.TB, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	var sig []byte
	var err error
	if k, ok := s.priv.(ed25519.PrivateKey); ok {
		sig = ed25519.Sign(k, sum[:])
	} else {
		sig, err = s.priv.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// seal adds the next ARC set to msg with cv.
func (s sealer) seal(t testing.TB, msg []byte, cv ChainValue) []byte {
	t.Helper()
	m, err := mailcanon.Split(msg, mailcanon.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// The existing sets, by instance.
	prior := map[int][3][]byte{}
	n := 0
	for _, f := range m.Fields {
		var inst, slot int
		switch {
		case f.Is("ARC-Authentication-Results"):
			inst, _, err = parseAAR(f.Value())
			slot = 0
		case f.Is("ARC-Message-Signature"), f.Is("ARC-Seal"):
			tags, perr := mailcanon.ParseTags(f.Value())
			if perr != nil {
				t.Fatal(perr)
			}
			inst, err = instanceOf(tags)
			slot = 1
			if f.Is("ARC-Seal") {
				slot = 2
			}
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p := prior[inst]
		p[slot] = f.Raw
		prior[inst] = p
		n = max(n, inst)
	}
	i := n + 1
	aar := []byte(fmt.Sprintf("ARC-Authentication-Results: i=%d; mx%d.%s;\r\n spf=pass smtp.mailfrom=sender.example\r\n", i, i, s.domain))
	bh := sha256.Sum256(mailcanon.Relaxed.Body(m.Body))
	ams := fmt.Sprintf("ARC-Message-Signature: i=%d; a=%s; c=relaxed/relaxed; d=%s; s=%s;\r\n t=1700000000; h=from:to:subject; bh=%s; b=",
		i, s.alg(), s.domain, s.selector, base64.StdEncoding.EncodeToString(bh[:]))
	var data []byte
	for _, name := range []string{"from", "to", "subject"} {
		for j := len(m.Fields) - 1; j >= 0; j-- {
			if m.Fields[j].Is(name) {
				data = append(data, mailcanon.Relaxed.Header(m.Fields[j].Raw)...)
				break
			}
		}
	}
	data = append(data, trimCRLF(mailcanon.Relaxed.Header([]byte(ams+"\r\n")))...)
	ams += s.sign(t, data) + "\r\n"
	as := fmt.Sprintf("ARC-Seal: i=%d; a=%s; cv=%s; d=%s; s=%s; t=1700000000; b=", i, s.alg(), cv, s.domain, s.selector)
	data = nil
	for j := 1; j < i; j++ {
		for _, raw := range prior[j] {
			data = append(data, mailcanon.Relaxed.Header(raw)...)
		}
	}
	data = append(data, mailcanon.Relaxed.Header(aar)...)
	data = append(data, mailcanon.Relaxed.Header([]byte(ams))...)
	data = append(data, trimCRLF(mailcanon.Relaxed.Header([]byte(as+"\r\n")))...)
	as += s.sign(t, data) + "\r\n"
	out := append([]byte(as), ams...)
	out = append(out, aar...)
	return append(out, msg...)
}

const baseMessage = "From: Alice <alice@sender.example>\r\n" +
	"To: list@lists.example\r\n" +
	"Subject: hello\r\n" +
	"Date: Thu, 1 Jan 2026 10:00:00 +0000\r\n" +
	"Message-ID: <1@sender.example>\r\n" +
	"\r\n" +
	"Hello,  world.\r\n\r\n"

// world starts a mailtest DNS server publishing the test keys:
// rsa._domainkey.fwd.example, ed._domainkey.list.example,
// weak._domainkey.weak.example, revoked._domainkey.fwd.example; every
// name under temp.example answers SERVFAIL.
func world(t *testing.T) (*mailtest.World, LookupTXT) {
	t.Helper()
	testKeys(t)
	w := mailtest.New(t, policytest.Base)
	add := func(name, rec string) {
		var chunks []string
		for len(rec) > 255 {
			chunks, rec = append(chunks, rec[:255]), rec[255:]
		}
		chunks = append(chunks, rec)
		w.DNS.Add(&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: chunks})
	}
	add("rsa._domainkey.fwd.example.", keyRecord(t, rsaKey.Public()))
	add("ed._domainkey.list.example.", keyRecord(t, edKey.Public()))
	add("weak._domainkey.weak.example.", keyRecord(t, rsa512.Public()))
	add("revoked._domainkey.fwd.example.", "v=DKIM1; k=rsa; p=")
	w.DNS.ScriptTree("temp.example.", mailtest.ServFail)
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return w, DNSLookup(c)
}

func TestVerify(t *testing.T) {
	testKeys(t)
	fwd := sealer{"fwd.example", "rsa", rsaKey}
	list := sealer{"list.example", "ed", edKey}
	cases := []struct {
		name       string
		msg        func(t *testing.T) []byte
		status     Status
		reason     Reason
		instance   int
		oldestPass int
	}{
		{name: "none", msg: func(t *testing.T) []byte { return []byte(baseMessage) }, status: StatusNone},
		{name: "pass-rsa", msg: func(t *testing.T) []byte { return fwd.seal(t, []byte(baseMessage), CVNone) },
			status: StatusPass, oldestPass: 1},
		{name: "pass-three-hops-rsa-and-ed25519", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			m = list.seal(t, m, CVPass)
			return fwd.seal(t, m, CVPass)
		}, status: StatusPass, oldestPass: 1},
		{name: "pass-lf-line-endings", msg: func(t *testing.T) []byte {
			return bytes.ReplaceAll(list.seal(t, []byte(baseMessage), CVNone), []byte("\r\n"), []byte("\n"))
		}, status: StatusPass, oldestPass: 1},
		{name: "pass-body-changed-between-hops", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			m = append(m, "-- \r\nlist footer\r\n"...)
			return list.seal(t, m, CVPass)
		}, status: StatusPass, oldestPass: 2},
		{name: "fail-body-changed-after-last-hop", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			m = list.seal(t, m, CVPass)
			return append(m, "footer\r\n"...)
		}, status: StatusFail, reason: ReasonBodyHash, instance: 2},
		{name: "fail-subject-changed", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			return bytes.Replace(m, []byte("Subject: hello"), []byte("Subject: [list] hello"), 1)
		}, status: StatusFail, reason: ReasonSignature, instance: 1},
		{name: "fail-chain-already-failed", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			return list.seal(t, m, CVFail)
		}, status: StatusFail, reason: ReasonChainFailed, instance: 2},
		{name: "fail-first-instance-says-pass", msg: func(t *testing.T) []byte { return fwd.seal(t, []byte(baseMessage), CVPass) },
			status: StatusFail, reason: ReasonChainValue, instance: 1},
		{name: "fail-gap", msg: func(t *testing.T) []byte {
			m := fwd.seal(t, []byte(baseMessage), CVNone)
			m = list.seal(t, m, CVPass)
			return bytes.ReplaceAll(m, []byte("i=2;"), []byte("i=3;"))
		}, status: StatusFail, reason: ReasonStructure, instance: 2},
		{name: "fail-too-many-instances", msg: func(t *testing.T) []byte {
			m := list.seal(t, []byte(baseMessage), CVNone)
			for range MaxInstances {
				m = list.seal(t, m, CVPass)
			}
			return m
		}, status: StatusFail, reason: ReasonStructure, instance: MaxInstances + 1},
		{name: "fail-too-many-signed-headers", msg: func(t *testing.T) []byte {
			h := make([]string, MaxSignedHeaders+1)
			for i := range h {
				h[i] = "x-h"
			}
			out, err := Seal([]byte(baseMessage), SealOptions{Domain: "fwd.example", Selector: "rsa", Key: rsaKey, AuthServID: "mx.fwd.example", Headers: h})
			if err != nil {
				t.Fatal(err)
			}
			return append(out, baseMessage...)
		}, status: StatusFail, reason: ReasonSyntax, instance: 1},
		{name: "fail-key-missing", msg: func(t *testing.T) []byte {
			return sealer{"nokey.example", "rsa", rsaKey}.seal(t, []byte(baseMessage), CVNone)
		}, status: StatusFail, reason: ReasonKeyMissing, instance: 1},
		{name: "fail-key-revoked", msg: func(t *testing.T) []byte {
			return sealer{"fwd.example", "revoked", rsaKey}.seal(t, []byte(baseMessage), CVNone)
		}, status: StatusFail, reason: ReasonKeyRevoked, instance: 1},
		{name: "fail-key-too-small", msg: func(t *testing.T) []byte {
			return sealer{"weak.example", "weak", rsaKey}.seal(t, []byte(baseMessage), CVNone)
		}, status: StatusFail, reason: ReasonKeyTooSmall, instance: 1},
		{name: "fail-key-type-mismatch", msg: func(t *testing.T) []byte {
			return sealer{"list.example", "ed", rsaKey}.seal(t, []byte(baseMessage), CVNone)
		}, status: StatusFail, reason: ReasonKeyInvalid, instance: 1},
		{name: "temperror-servfail", msg: func(t *testing.T) []byte {
			return sealer{"temp.example", "rsa", rsaKey}.seal(t, []byte(baseMessage), CVNone)
		}, status: StatusTempError, reason: ReasonDNS, instance: 1},
		{name: "permerror-too-many-fields", msg: func(t *testing.T) []byte {
			return append([]byte(strings.Repeat("X-A: b\r\n", mailcanon.DefaultLimits.MaxFields+1)), baseMessage...)
		}, status: StatusPermError, reason: ReasonLimit},
	}
	_, lookup := world(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(t.Context(), tc.msg(t), lookup)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %s, want %s (%+v)", res.Status, tc.status, res.Failure)
			}
			if tc.reason != "" {
				if res.Failure == nil || res.Failure.Reason != tc.reason || res.Failure.Instance != tc.instance {
					t.Fatalf("failure %+v, want reason %s at instance %d", res.Failure, tc.reason, tc.instance)
				}
				if p := policytest.PlainProblems(res.Failure.Detail); len(p) > 0 {
					t.Errorf("detail %q: %v", res.Failure.Detail, p)
				}
			} else if res.Failure != nil {
				t.Fatalf("unexpected failure %+v", res.Failure)
			}
			if res.OldestPass != tc.oldestPass {
				t.Errorf("oldest pass %d, want %d", res.OldestPass, tc.oldestPass)
			}
			if res.Status == StatusPass {
				for _, s := range res.Sets {
					if !strings.HasPrefix(s.AuthResults, "mx") || s.Seal != SigPass {
						t.Errorf("set %+v", s)
					}
				}
			}
		})
	}
}

// TestVerifyInterrupted: a cancelled context gives an error, never a
// fail verdict.
func TestVerifyInterrupted(t *testing.T) {
	testKeys(t)
	msg := sealer{"fwd.example", "rsa", rsaKey}.seal(t, []byte(baseMessage), CVNone)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, lookup := world(t)
	res, err := Verify(ctx, msg, lookup)
	if err == nil || res.Status == StatusFail {
		t.Fatalf("status %s, err %v; want an interruption, not a verdict", res.Status, err)
	}
}
