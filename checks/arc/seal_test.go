package arc

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/internal/mailcanon"
	"gopkg.in/yaml.v3"
)

type signCase struct {
	Description string `yaml:"description"`
	Message     string `yaml:"message"`
	T           int64  `yaml:"t"`
	SigHeaders  string `yaml:"sig-headers"`
	SrvID       string `yaml:"srv-id"`
	AS          string `yaml:"AS"`
	AMS         string `yaml:"AMS"`
	AAR         string `yaml:"AAR"`
}

type signScenario struct {
	Description string              `yaml:"description"`
	Tests       map[string]signCase `yaml:"tests"`
	Domain      string              `yaml:"domain"`
	Sel         string              `yaml:"sel"`
	PrivateKey  string              `yaml:"privatekey"`
	TXT         map[string]string   `yaml:"txt-records"`
}

// tagsOf parses a header value into tags, b= and bh= without whitespace,
// for comparing with the suite's normalised values.
func tagsOf(t *testing.T, v string) map[string]string {
	t.Helper()
	tags, err := mailcanon.ParseTags(strings.TrimSpace(v))
	if err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	out := map[string]string{}
	for _, tg := range tags {
		val := tg.Value
		if tg.Name == "b" || tg.Name == "bh" || tg.Name == "h" {
			val = mailcanon.StripWSP(val)
		}
		out[tg.Name] = val
	}
	return out
}

// TestValimailSigning runs the suite's signing tests: Seal must produce
// the same AS, AMS and AAR (compared tag by tag, as the suite's README
// normalises them), and the sealed message must verify.
func TestValimailSigning(t *testing.T) {
	dir := conformance.Dir(t, "arc/valimail")
	f, err := os.Open(filepath.Join(dir, "arc-draft-sign-tests.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	total, passed := 0, 0
	for {
		var sc signScenario
		if err := dec.Decode(&sc); err != nil {
			break
		}
		block, _ := pem.Decode([]byte(sc.PrivateKey))
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range sc.Tests {
			total++
			t.Run(name, func(t *testing.T) {
				msg := crlf(c.Message)
				m, err := mailcanon.Split(msg, mailcanon.DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				// The suite stamps the chain's validation into the
				// newest Authentication-Results (its README).
				cv := CVNone
				for _, r := range authResultsOf(m, c.SrvID) {
					if v, ok := strings.CutPrefix(r, "arc="); ok {
						cv = ChainValue(strings.Fields(v)[0])
					}
				}
				if n := strings.Count(strings.ToLower(c.Message), "arc-seal:"); n > 0 && cv == CVNone {
					cv = CVFail
				}
				out, err := Seal(msg, SealOptions{Domain: sc.Domain, Selector: sc.Sel, Key: key, AuthServID: c.SrvID,
					Headers: strings.Split(c.SigHeaders, ":"), Time: time.Unix(c.T, 0), ChainValue: cv})
				if strings.TrimSpace(c.AS) == "" {
					if !errors.Is(err, ErrChainEnded) {
						t.Fatalf("sealed a chain that had ended: %v", err)
					}
					passed++
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				sealed, err := mailcanon.Split(out, mailcanon.DefaultLimits)
				if err != nil || len(sealed.Fields) != 3 {
					t.Fatalf("%d fields, %v", len(sealed.Fields), err)
				}
				for i, want := range []string{c.AS, c.AMS} {
					got, exp := tagsOf(t, sealed.Fields[i].Value()), tagsOf(t, want)
					for k, v := range exp {
						if got[k] != v {
							t.Errorf("%s %s=%q, want %q", sealed.Fields[i].Name, k, got[k], v)
						}
					}
					if len(got) != len(exp) {
						t.Errorf("%s tags %v, want %v", sealed.Fields[i].Name, got, exp)
					}
				}
				if g, w := strings.Join(strings.Fields(sealed.Fields[2].Value()), " "), strings.Join(strings.Fields(c.AAR), " "); g != w {
					t.Errorf("AAR %q, want %q", g, w)
				}
				if cv != CVFail {
					res, err := Verify(context.Background(), append(out, msg...), fakeLookup(sc.TXT))
					if err != nil || res.Status != StatusPass {
						t.Errorf("sealed message: %s %+v %v", res.Status, res.Failure, err)
					}
				}
				if !t.Failed() {
					passed++
				}
			})
		}
	}
	t.Logf("valimail ARC signing: %d/%d", passed, total)
	if total != 17 {
		t.Errorf("read %d tests, the suite has 17", total)
	}
}

// TestSealOptions: Seal refuses what would make a broken set.
func TestSealOptions(t *testing.T) {
	testKeys(t)
	good := SealOptions{Domain: "fwd.example", Selector: "rsa", Key: rsaKey, AuthServID: "mx.fwd.example"}
	sealed := func() []byte {
		out, err := Seal([]byte(baseMessage), good)
		if err != nil {
			t.Fatal(err)
		}
		return append(out, baseMessage...)
	}
	failed := func() []byte {
		o := good
		o.ChainValue = CVFail
		out, err := Seal(sealed(), o)
		if err != nil {
			t.Fatal(err)
		}
		return append(out, sealed()...)
	}
	cases := []struct {
		name string
		msg  func() []byte
		opts func(o SealOptions) SealOptions
		want error
	}{
		{"ok", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { return o }, nil},
		{"no-domain", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { o.Domain = ""; return o }, ErrSealOptions},
		{"bad-authserv-id", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { o.AuthServID = "a; b"; return o }, ErrSealOptions},
		{"result-with-newline", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { o.AuthResults = []string{"spf=pass\r\nX-Evil: 1"}; return o }, ErrSealOptions},
		{"small-rsa-key", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { o.Key = rsa512; return o }, ErrSealOptions},
		{"cv-pass-on-first-set", func() []byte { return []byte(baseMessage) }, func(o SealOptions) SealOptions { o.ChainValue = CVPass; return o }, ErrSealOptions},
		{"cv-missing-on-later-set", sealed, func(o SealOptions) SealOptions { return o }, ErrSealOptions},
		{"after-cv-fail", failed, func(o SealOptions) SealOptions { o.ChainValue = CVPass; return o }, ErrChainEnded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Seal(tc.msg(), tc.opts(good))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSealVerifies: chains made by Seal over several hops verify, and
// the AAR records the hop's own results.
func TestSealVerifies(t *testing.T) {
	_, lookup := world(t)
	msg := []byte("Authentication-Results: mx.list.example; spf=pass smtp.mailfrom=sender.example;\r\n dkim=pass header.d=sender.example\r\n" + baseMessage)
	keys := []SealOptions{
		{Domain: "list.example", Selector: "ed", Key: edKey, AuthServID: "mx.list.example", Time: time.Unix(1700000000, 0)},
		{Domain: "fwd.example", Selector: "rsa", Key: rsaKey, AuthServID: "mx.fwd.example", AuthResults: []string{"arc=pass"}, ChainValue: CVPass},
		{Domain: "list.example", Selector: "ed", Key: edKey, AuthServID: "mx2.list.example", AuthResults: []string{"arc=pass"}, ChainValue: CVPass},
	}
	for i, o := range keys {
		out, err := Seal(msg, o)
		if err != nil {
			t.Fatal(err)
		}
		msg = append(out, msg...)
		res, err := Verify(t.Context(), msg, lookup)
		if err != nil || res.Status != StatusPass || res.Instances != i+1 {
			t.Fatalf("hop %d: %s %+v %v", i+1, res.Status, res.Failure, err)
		}
		if i == 0 && res.Sets[0].AuthResults != "mx.list.example; spf=pass smtp.mailfrom=sender.example; dkim=pass header.d=sender.example" {
			t.Errorf("AAR %q", res.Sets[0].AuthResults)
		}
	}
	for _, line := range strings.Split(string(msg), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d bytes", len(line))
		}
	}
}
