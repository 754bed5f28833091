package send

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks/dnsq"
)

// ErrKey wraps problems with a DKIM private key file.
var ErrKey = errors.New("send: bad DKIM key")

// DKIMOptions ask for a DKIM signature.
type DKIMOptions struct {
	Domain   string        // the d= domain (default: the domain of From)
	Selector string        // the s= selector
	Key      crypto.Signer // an *rsa.PrivateKey or ed25519.PrivateKey (see ParseKey)
	// Headers are the header fields to sign; nil means DefaultSignedHeaders
	// (those present in the message, From signed once more than present).
	Headers []string
}

// DefaultSignedHeaders are the header fields signed when present (RFC 6376
// §5.4.1's recommendation, plus MIME and list fields receivers look at).
var DefaultSignedHeaders = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// ParseKey reads a PEM private key for DKIM: RSA (PKCS #1 or PKCS #8) or
// Ed25519 (PKCS #8). RSA keys shorter than 1024 bits are refused (RFC 8301).
func ParseKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrKey)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return nil, fmt.Errorf("%w: an ECDSA key; DKIM signs with RSA or Ed25519 only", ErrKey)
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, fmt.Errorf("%w: a public key; give the private key", ErrKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, fmt.Errorf("%w: RSA key of %d bits; receivers ignore keys under 1024 bits (RFC 8301), use 2048", ErrKey, k.N.BitLen())
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w: a %T; DKIM signs with RSA or Ed25519 only", ErrKey, key)
}

// algorithm returns the a= tag value and the k= tag value of a key.
func algorithm(k crypto.Signer) (string, string) {
	if _, ok := k.Public().(ed25519.PublicKey); ok {
		return "ed25519-sha256", "ed25519"
	}
	return "rsa-sha256", "rsa"
}

// PublicRecord returns the DNS TXT record that publishes the public half of
// k ("v=DKIM1; k=rsa; p=...").
func PublicRecord(k crypto.Signer) (string, error) {
	_, kt := algorithm(k)
	var p []byte
	switch pub := k.Public().(type) {
	case ed25519.PublicKey:
		p = pub
	default:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		p = der
	}
	return "v=DKIM1; k=" + kt + "; p=" + base64.StdEncoding.EncodeToString(p), nil
}

// signedHeaders picks the header fields to sign from those present.
func signedHeaders(fields []field, want []string) []string {
	if want != nil {
		return want
	}
	var out []string
	for _, name := range DefaultSignedHeaders {
		n := 0
		for _, f := range fields {
			if strings.EqualFold(f.name, name) {
				n++
			}
		}
		if strings.EqualFold(name, "From") {
			n++ // over-sign: a From added later breaks the signature
		}
		for range n {
			out = append(out, name)
		}
	}
	return out
}

// sign adds a DKIM-Signature to msg and verifies it locally against the
// key's public half.
func sign(msg []byte, fields []field, o *DKIMOptions, now time.Time) ([]byte, *DKIMInfo, error) {
	algo, _ := algorithm(o.Key)
	hk := signedHeaders(fields, o.Headers)
	info := &DKIMInfo{Domain: o.Domain, Selector: o.Selector, Algorithm: algo, Headers: hk}
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{
		Domain:                 o.Domain,
		Selector:               o.Selector,
		Signer:                 o.Key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             hk,
	})
	if err != nil {
		return nil, info, fmt.Errorf("DKIM signing failed: %s", strings.TrimPrefix(err.Error(), "dkim: "))
	}
	signed := out.Bytes()
	sf, _ := splitMessage(signed)
	if len(sf) > 0 {
		info.SignatureField = strings.ReplaceAll(sf[0].raw, "\r\n", "")
	}
	if err := verifyLocally(signed, o); err != nil {
		info.VerifyError = strings.TrimPrefix(err.Error(), "dkim: ")
		return signed, info, fmt.Errorf("the DKIM signature does not verify against its own key: %s", info.VerifyError)
	}
	info.VerifiedLocal = true
	return signed, info, nil
}

// verifyLocally verifies the message's DKIM signatures for o.Domain with the
// public key of o.Key, the way a receiver would after a DNS lookup.
func verifyLocally(signed []byte, o *DKIMOptions) error {
	rec, err := PublicRecord(o.Key)
	if err != nil {
		return err
	}
	want := strings.ToLower(o.Selector + "._domainkey." + o.Domain)
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(signed), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if strings.ToLower(strings.TrimSuffix(name, ".")) != want {
				return nil, fmt.Errorf("unexpected key lookup %s", name)
			}
			return []string{rec}, nil
		},
	})
	if err != nil {
		return err
	}
	for _, v := range vs {
		if strings.EqualFold(v.Domain, o.Domain) {
			return v.Err
		}
	}
	return errors.New("no signature for the domain found")
}

// publishedKey compares the key published in DNS at the selector with the
// signing key and returns a note for the trace.
func publishedKey(ctx context.Context, c *dnsq.Client, o *DKIMOptions) string {
	name := o.Selector + "._domainkey." + o.Domain
	ans, err := c.Lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return "could not look up the published key: " + err.Error() // dnsq's text names the question
	}
	var recs []string
	for _, t := range ans.TXT() {
		recs = append(recs, strings.Join(t, ""))
	}
	if len(recs) == 0 {
		return "no key is published at " + name + ": receivers will find this signature invalid (publish the record " + mustRecord(o.Key) + ")"
	}
	mine := pField(mustRecord(o.Key))
	for _, r := range recs {
		if p := pField(r); p == mine {
			return "the key published at " + name + " matches the signing key"
		} else if p == "" {
			return "the key at " + name + " is revoked (empty p=): receivers will find this signature invalid"
		}
	}
	return "the key published at " + name + " is a different key: receivers will find this signature invalid"
}

func mustRecord(k crypto.Signer) string {
	r, _ := PublicRecord(k)
	return r
}

// pField returns the p= value of a DKIM key record without spaces.
func pField(rec string) string {
	for _, tag := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(tag), "=")
		if ok && strings.TrimSpace(k) == "p" {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}
