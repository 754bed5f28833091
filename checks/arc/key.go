package arc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/mailcanon"
)

// LookupTXT returns the TXT records at name, each record's strings
// joined. It returns an error wrapping ErrNoRecord when the name has no
// TXT record (NXDOMAIN, NODATA) and any other error for a failure that
// may pass (a timeout, SERVFAIL), which Verify reports as temperror.
type LookupTXT func(ctx context.Context, name string) ([]string, error)

// ErrNoRecord is what a LookupTXT wraps when the name has no TXT record.
var ErrNoRecord = errors.New("arc: no such record")

// MinRSABits is the smallest RSA key accepted (RFC 8301 §3.2).
const MinRSABits = 1024

// DNSLookup adapts mxray's DNS client: NXDOMAIN, NODATA and names that
// cannot be DNS names are ErrNoRecord; every other failure is temporary.
func DNSLookup(c *dnsq.Client) LookupTXT {
	return func(ctx context.Context, name string) ([]string, error) {
		a, err := c.Lookup(ctx, name, dns.TypeTXT)
		if err != nil {
			if errors.Is(err, dnsq.ErrInvalidName) {
				return nil, fmt.Errorf("%w: %w", ErrNoRecord, err)
			}
			return nil, err
		}
		txt := a.TXT()
		if len(txt) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrNoRecord, name)
		}
		out := make([]string, len(txt))
		for i, strs := range txt {
			out[i] = strings.Join(strs, "")
		}
		return out, nil
	}
}

// key is a public key fetched for a selector and domain.
type key struct {
	pub  crypto.PublicKey
	bits int // RSA modulus size, 0 for Ed25519
}

// keyError says why no usable key was found.
type keyError struct {
	reason Reason
	detail string
}

func (e *keyError) Error() string { return e.detail }

// fetchKey looks up and parses the key at selector._domainkey.domain for
// the key type kt ("rsa" or "ed25519").
func fetchKey(ctx context.Context, lookup LookupTXT, selector, domain, kt string) (*key, *keyError) {
	name := selector + "._domainkey." + domain
	recs, err := lookup(ctx, name)
	if err != nil {
		if errors.Is(err, ErrNoRecord) {
			return nil, &keyError{ReasonKeyMissing, "no key record at " + name}
		}
		if ctx.Err() != nil {
			return nil, &keyError{ReasonDNS, "the key lookup at " + name + " was interrupted"}
		}
		return nil, &keyError{ReasonDNS, "the key lookup at " + name + " failed: " + plainDNS(err)}
	}
	if len(recs) == 0 {
		return nil, &keyError{ReasonKeyMissing, "no key record at " + name}
	}
	var first *keyError
	for _, r := range recs {
		k, kerr := parseKey(r, kt)
		if kerr == nil {
			return k, nil
		}
		if first == nil {
			first = kerr
		}
	}
	first.detail = "the key at " + name + " " + first.detail
	return nil, first
}

// plainDNS says why a lookup failed without Go error text.
func plainDNS(err error) string {
	var le *dnsq.LookupError
	if errors.As(err, &le) {
		return dnsq.Describe(le.Err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	return "the resolver gave no usable answer"
}

// parseKey parses a DKIM key record (RFC 6376 §3.6.1) for key type kt.
func parseKey(rec, kt string) (*key, *keyError) {
	tags, err := mailcanon.ParseTags(rec)
	if err != nil {
		return nil, &keyError{ReasonKeyInvalid, "is not a valid key record (" + err.Error() + ")"}
	}
	if v, ok := tags.Get("v"); ok && (v != "DKIM1" || tags[0].Name != "v") {
		return nil, &keyError{ReasonKeyInvalid, "has a version other than DKIM1"}
	}
	if k, ok := tags.Get("k"); ok && k != kt || !ok && kt != "rsa" {
		return nil, &keyError{ReasonKeyInvalid, "is not a " + kt + " key"}
	}
	if h, ok := tags.Get("h"); ok && !listHas(h, "sha256") {
		return nil, &keyError{ReasonKeyInvalid, "does not allow sha256"}
	}
	if s, ok := tags.Get("s"); ok && !listHas(s, "*") && !listHas(s, "email") {
		return nil, &keyError{ReasonKeyInvalid, "is not for email"}
	}
	p, ok := tags.Get("p")
	if !ok {
		return nil, &keyError{ReasonKeyInvalid, "has no p= tag"}
	}
	p = mailcanon.StripWSP(p)
	if p == "" {
		return nil, &keyError{ReasonKeyRevoked, "is revoked (empty p=)"}
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, &keyError{ReasonKeyInvalid, "has a p= that is not base64"}
	}
	switch kt {
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, &keyError{ReasonKeyInvalid, "is not a 32-byte Ed25519 key"}
		}
		return &key{pub: ed25519.PublicKey(der)}, nil
	default:
		var pub *rsa.PublicKey
		if pk, err := x509.ParsePKIXPublicKey(der); err == nil {
			r, ok := pk.(*rsa.PublicKey)
			if !ok {
				return nil, &keyError{ReasonKeyInvalid, "is not an RSA key"}
			}
			pub = r
		} else if r, err := x509.ParsePKCS1PublicKey(der); err == nil {
			pub = r
		} else {
			return nil, &keyError{ReasonKeyInvalid, "holds no readable RSA key"}
		}
		bits := pub.N.BitLen()
		if bits < MinRSABits {
			return nil, &keyError{ReasonKeyTooSmall, fmt.Sprintf("is a %d-bit RSA key; verifiers require at least %d bits", bits, MinRSABits)}
		}
		return &key{pub: pub, bits: bits}, nil
	}
}

// listHas reports whether the colon-separated list holds want.
func listHas(list, want string) bool {
	for _, e := range strings.Split(list, ":") {
		if strings.EqualFold(strings.TrimSpace(e), want) {
			return true
		}
	}
	return false
}
