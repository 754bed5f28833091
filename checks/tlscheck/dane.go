package tlscheck

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// tlsaData returns the certificate association data of c for a TLSA
// selector and matching type (RFC 6698 §2.1), hex-encoded, or "" when
// either is unknown.
func tlsaData(c *x509.Certificate, selector, matching uint8) string {
	var data []byte
	switch selector {
	case 0:
		data = c.Raw
	case 1:
		data = c.RawSubjectPublicKeyInfo
	default:
		return ""
	}
	switch matching {
	case 0:
	case 1:
		s := sha256.Sum256(data)
		data = s[:]
	case 2:
		s := sha512.Sum512(data)
		data = s[:]
	default:
		return ""
	}
	return hex.EncodeToString(data)
}

// matchTLSA reports whether a usable TLSA record (usage 2 or 3) matches the
// served chain per RFC 7672 §3.1: DANE-EE (3) matches the leaf alone, with
// neither name nor expiry checks; DANE-TA (2) matches a certificate of the
// chain above the leaf, which must then issue the leaf for the MX host
// name (§3.2.2).
func matchTLSA(r *dns.TLSA, chain []*x509.Certificate, host string, now time.Time) bool {
	want := strings.ToLower(r.Certificate)
	switch r.Usage {
	case 3:
		return len(chain) > 0 && tlsaData(chain[0], r.Selector, r.MatchingType) == want
	case 2:
		for i := 1; i < len(chain); i++ {
			if tlsaData(chain[i], r.Selector, r.MatchingType) != want {
				continue
			}
			roots := x509.NewCertPool()
			roots.AddCert(chain[i])
			inter := x509.NewCertPool()
			for _, c := range chain[1:i] {
				inter.AddCert(c)
			}
			_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: now})
			if err == nil {
				return true
			}
		}
	}
	return false
}
