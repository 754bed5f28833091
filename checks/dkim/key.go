package dkim

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks/tagval"
)

// Key is a parsed DKIM key record (RFC 6376 §3.6.1, RFC 8463 for ed25519).
type Key struct {
	// Raw is the key record as published.
	Raw      string   `json:"raw"`
	Version  string   `json:"version,omitempty"`  // v=, "" when absent
	KeyType  string   `json:"key_type"`           // k=, default "rsa"
	Hashes   []string `json:"hashes,omitempty"`   // h=, nil means any
	Services []string `json:"services,omitempty"` // s=, nil means "*"
	Flags    []string `json:"flags,omitempty"`    // t=
	Notes    string   `json:"notes,omitempty"`    // n=
	// Granularity is the g= tag of RFC 4871, removed by RFC 6376.
	Granularity *string `json:"granularity,omitempty"`
	Revoked     bool    `json:"revoked,omitempty"` // p= is empty
	// Bits is the RSA modulus size, or 256 for ed25519.
	Bits int `json:"bits,omitempty"`
	// Encoding says how p= encodes an RSA key: "spki" (SubjectPublicKeyInfo,
	// what RFC 6376 specifies) or "pkcs1" (a bare RSAPublicKey, accepted by
	// most verifiers).
	Encoding string `json:"encoding,omitempty"`
	// Unknown are tags the record has that RFC 6376 does not define; absent when none.
	Unknown []string `json:"unknown_tags,omitempty"`
	// Problems are the record's defects; absent when none.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one defect of a key record.
type Problem struct {
	// Tag is the tag the problem is about; absent for the record as a whole.
	Tag string `json:"tag,omitempty"`
	// Text describes the problem in plain words.
	Text string `json:"text"`
	// Fatal problems make verifiers unable to use the key for email.
	Fatal bool `json:"fatal,omitempty"`
}

// maxKeyDER bounds the decoded p= that is parsed as an RSA key: 8 KiB and a
// little DER framing hold a 65536-bit modulus, far past what any verifier
// accepts (RFC 8301 asks them for 1024 to 4096 bits).
const maxKeyDER = 8<<10 + 64

// keyKind names a non-RSA public key's algorithm with its article.
func keyKind(pub any) string {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return "an ECDSA"
	case ed25519.PublicKey:
		return "an Ed25519"
	case *ecdh.PublicKey:
		return "an X25519"
	}
	return "a non-RSA"
}

// Testing reports whether the t=y flag is set.
func (k *Key) Testing() bool { return has(k.Flags, "y") }

// SHA1Only reports whether h= allows only sha1, which RFC 8301 forbids.
func (k *Key) SHA1Only() bool {
	return len(k.Hashes) > 0 && !has(k.Hashes, "sha256")
}

// Usable reports whether a verifier can use the key for email signatures.
func (k *Key) Usable() bool {
	for _, p := range k.Problems {
		if p.Fatal {
			return false
		}
	}
	return !k.Revoked
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// IsKeyRecord reports whether a TXT record at a selector looks like a DKIM
// key record (v=DKIM1 first, or a p= tag), as opposed to unrelated text.
func IsKeyRecord(txt string) bool {
	t := strings.TrimLeft(txt, " \t")
	if strings.HasPrefix(t, "v=DKIM") || strings.HasPrefix(t, "v = DKIM") {
		return true
	}
	l := tagval.Parse(txt, false)
	return l.Has("p") || l.Has("k")
}

// splitList splits a colon-separated DKIM list, trimming white space.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ":") {
		if s = strings.Trim(s, " \t\r\n"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ParseKey parses a DKIM key record. It never fails: problems are listed
// in the key, fatal ones when verifiers would reject the key.
func ParseKey(txt string) *Key {
	k := &Key{Raw: txt, KeyType: "rsa"}
	bad := func(tag string, fatal bool, format string, args ...any) {
		k.Problems = append(k.Problems, Problem{Tag: tag, Fatal: fatal, Text: fmt.Sprintf(format, args...)})
	}
	l := tagval.Parse(txt, false)
	for _, p := range l.Problems {
		switch p.Kind {
		case tagval.KindEmptyEntry:
			continue
		case tagval.KindNoEquals, tagval.KindBadName:
			// RFC 6376 §3.2: the tag-list grammar is strict; verifiers
			// reject a record that does not parse.
			bad(p.Tag, true, "%s", p.Text)
		case tagval.KindDuplicate:
			bad(p.Tag, true, "%s (RFC 6376 §3.2 makes the whole record invalid)", p.Text)
		default:
			bad(p.Tag, false, "%s", p.Text)
		}
	}
	var p *string
	for _, t := range l.Tags {
		v := t.Value
		switch t.Name {
		case "v":
			k.Version = v
			if v != "DKIM1" {
				bad("v", true, "v=%s: the version must be DKIM1", tagval.Clean(v))
			}
			if t.Index != 0 {
				bad("v", false, "v= must be the first tag of the record")
			}
		case "k":
			k.KeyType = strings.ToLower(v)
			if k.KeyType != "rsa" && k.KeyType != "ed25519" {
				bad("k", true, "k=%s is not a key type verifiers know (rsa or ed25519)", tagval.Clean(v))
			}
		case "h":
			k.Hashes = splitList(strings.ToLower(v))
			if !has(k.Hashes, "sha256") && !has(k.Hashes, "sha1") {
				bad("h", true, "h=%s lists no hash algorithm verifiers know (sha256)", tagval.Clean(v))
			}
		case "s":
			k.Services = splitList(strings.ToLower(v))
			if !has(k.Services, "*") && !has(k.Services, "email") {
				bad("s", true, "s=%s does not include email or *: the key cannot verify mail", tagval.Clean(v))
			}
		case "t":
			k.Flags = splitList(strings.ToLower(v))
		case "n":
			k.Notes = tagval.Clean(v)
		case "g":
			g := v
			k.Granularity = &g
		case "p":
			p = &v
		default:
			k.Unknown = append(k.Unknown, tagval.Clean(t.Name))
		}
	}
	if p == nil {
		bad("p", true, "the record has no p= tag (the public key is required)")
		return k
	}
	data := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, *p)
	if data == "" {
		k.Revoked = true
		return k
	}
	der, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		var at base64.CorruptInputError
		if errors.As(err, &at) {
			bad("p", true, "p= is not valid base64 (bad data at character %d of the key)", int64(at)+1)
		} else {
			bad("p", true, "p= is not valid base64")
		}
		return k
	}
	switch k.KeyType {
	case "rsa":
		if len(der) > maxKeyDER {
			// Parsing is linear in the size, but no verifier takes such a
			// key: say so without parsing it.
			bad("p", true, "p= decodes to %d bytes, more than any RSA key verifiers accept (a 65536-bit key takes about 8200 bytes)", len(der))
			return k
		}
		if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
			rk, ok := pub.(*rsa.PublicKey)
			if !ok {
				bad("p", true, "p= holds %s key, not the RSA key k=rsa announces", keyKind(pub))
				return k
			}
			k.Bits, k.Encoding = rk.N.BitLen(), "spki"
		} else if rk, err2 := x509.ParsePKCS1PublicKey(der); err2 == nil {
			k.Bits, k.Encoding = rk.N.BitLen(), "pkcs1"
		} else {
			bad("p", true, "p= does not decode to an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1 RSAPublicKey)")
		}
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			bad("p", true, "p= decodes to %d bytes; an ed25519 key is exactly %d raw bytes (RFC 8463 §4.2, not SubjectPublicKeyInfo)", len(der), ed25519.PublicKeySize)
			return k
		}
		k.Bits = 256
	}
	return k
}
