package arc

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxray/mxray/checks/internal/mailcanon"
)

// DefaultHeaders are the header fields an ARC-Message-Signature signs
// when SealOptions.Headers is nil.
var DefaultHeaders = []string{"from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type", "reply-to", "in-reply-to", "references"}

// SealOptions say who adds an ARC set and what it records.
type SealOptions struct {
	Domain   string // d=
	Selector string // s=
	// Key signs: an *rsa.PrivateKey (rsa-sha256, at least 1024 bits) or
	// an ed25519.PrivateKey (ed25519-sha256).
	Key crypto.Signer
	// AuthServID is the sealer's authserv-id, written in the
	// ARC-Authentication-Results.
	AuthServID string
	// AuthResults are the results recorded in the ARC-Authentication-
	// Results ("spf=pass smtp.mailfrom=..."). Nil means those of the
	// message's Authentication-Results header fields of AuthServID, in
	// order.
	AuthResults []string
	// Headers are the fields the ARC-Message-Signature signs (h=); nil
	// means DefaultHeaders. ARC header fields are never signed.
	Headers []string
	// Time is t=; the zero time leaves t= out.
	Time time.Time
	// ChainValue is cv=: the result of validating the chain on arrival
	// (Verify): none when the message has no ARC set, pass or fail.
	ChainValue ChainValue
}

// Errors of Seal.
var (
	// ErrSealOptions: the options are incomplete or invalid.
	ErrSealOptions = errors.New("arc: invalid seal options")
	// ErrChainEnded: the chain already records cv=fail, or has 50 sets;
	// RFC 8617 §5.1 adds no set to it.
	ErrChainEnded = errors.New("arc: the chain has ended")
)

// Seal returns the ARC set a sealer adds to the raw message: the
// ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results header
// fields, in that order, each ending with CRLF, to prepend to the message
// (RFC 8617 §5.1). Both signatures use relaxed/relaxed canonicalisation.
// With cv=fail the seal covers the new set only (§5.1.2).
func Seal(raw []byte, opts SealOptions) ([]byte, error) {
	alg, err := sealAlgorithm(opts)
	if err != nil {
		return nil, err
	}
	if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
		// A continuation line with no field before it would continue
		// the ARC-Authentication-Results once the set is prepended.
		return nil, fmt.Errorf("%w: the message starts with a folded line", ErrSealOptions)
	}
	msg, err := mailcanon.Split(mailcanon.NormalizeNewlines(raw), mailcanon.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealOptions, err)
	}
	prior, n, err := priorSets(msg)
	if err != nil {
		return nil, err
	}
	i := n + 1
	switch {
	case i > MaxInstances:
		return nil, fmt.Errorf("%w: it has %d sets", ErrChainEnded, n)
	case n > 0 && ChainValue(get(prior[n-1].sealTags, "cv")) == CVFail:
		return nil, fmt.Errorf("%w: instance %d records cv=fail", ErrChainEnded, n)
	case n == 0 && opts.ChainValue != CVNone && opts.ChainValue != "":
		return nil, fmt.Errorf("%w: a message without ARC sets has cv=none", ErrSealOptions)
	case n > 0 && opts.ChainValue != CVPass && opts.ChainValue != CVFail:
		return nil, fmt.Errorf("%w: a message with ARC sets needs cv=pass or cv=fail from its validation", ErrSealOptions)
	}
	cv := opts.ChainValue
	if n == 0 {
		cv = CVNone
	}
	results := opts.AuthResults
	if results == nil {
		results = authResultsOf(msg, opts.AuthServID)
	}
	if len(results) == 0 {
		results = []string{"none"}
	}
	aar := fmt.Sprintf("ARC-Authentication-Results: i=%d; %s;\r\n\t%s\r\n", i, opts.AuthServID, strings.Join(results, ";\r\n\t"))

	// The message signature.
	headers := opts.Headers
	if headers == nil {
		headers = DefaultHeaders
	}
	var h []string
	for _, name := range headers {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || strings.HasPrefix(name, "arc-") {
			continue
		}
		h = append(h, name)
	}
	bh := sha256.Sum256(mailcanon.Relaxed.Body(msg.Body))
	t := ""
	if !opts.Time.IsZero() {
		t = "; t=" + strconv.FormatInt(opts.Time.Unix(), 10)
	}
	amsTags := func(b string) string {
		return fmt.Sprintf("a=%s; b=%s; bh=%s; c=relaxed/relaxed; d=%s; h=%s; i=%d; s=%s%s",
			alg, b, base64.StdEncoding.EncodeToString(bh[:]), opts.Domain, strings.Join(h, ":"), i, opts.Selector, t)
	}
	var data []byte
	used := map[string]int{}
	for _, name := range h {
		skip := used[name]
		used[name]++
		seen := 0
		for j := len(msg.Fields) - 1; j >= 0; j-- {
			if !msg.Fields[j].Is(name) {
				continue
			}
			if seen == skip {
				data = append(data, mailcanon.Relaxed.Header(msg.Fields[j].Raw)...)
				break
			}
			seen++
		}
	}
	data = append(data, trimCRLF(mailcanon.Relaxed.Header([]byte("ARC-Message-Signature: "+amsTags("")+"\r\n")))...)
	sig, err := sign(opts.Key, data)
	if err != nil {
		return nil, err
	}
	ams := "ARC-Message-Signature: " + amsTags(sig) + "\r\n"

	// The seal, over the sets in order (only the new one after a
	// failure).
	asTags := func(b string) string {
		return fmt.Sprintf("a=%s; b=%s; cv=%s; d=%s; i=%d; s=%s%s", alg, b, cv, opts.Domain, i, opts.Selector, t)
	}
	data = data[:0]
	if cv != CVFail {
		for _, s := range prior {
			data = append(data, mailcanon.Relaxed.Header(s.aar.Raw)...)
			data = append(data, mailcanon.Relaxed.Header(s.sig.Raw)...)
			data = append(data, mailcanon.Relaxed.Header(s.seal.Raw)...)
		}
	}
	data = append(data, mailcanon.Relaxed.Header([]byte(aar))...)
	data = append(data, mailcanon.Relaxed.Header([]byte(ams))...)
	data = append(data, trimCRLF(mailcanon.Relaxed.Header([]byte("ARC-Seal: "+asTags("")+"\r\n")))...)
	sig, err = sign(opts.Key, data)
	if err != nil {
		return nil, err
	}
	as := "ARC-Seal: " + asTags(sig) + "\r\n"
	return []byte(fold(as) + fold(ams) + aar), nil
}

func sealAlgorithm(opts SealOptions) (string, error) {
	if !validDomain(opts.Domain) || !validSelector(opts.Selector) {
		return "", fmt.Errorf("%w: domain %q or selector %q is not a DNS name", ErrSealOptions, opts.Domain, opts.Selector)
	}
	if opts.AuthServID == "" || strings.ContainsAny(opts.AuthServID, "; \t\r\n") {
		return "", fmt.Errorf("%w: authserv-id %q", ErrSealOptions, opts.AuthServID)
	}
	for _, r := range opts.AuthResults {
		if strings.ContainsAny(r, "\r\n") {
			return "", fmt.Errorf("%w: a result holds a line break", ErrSealOptions)
		}
	}
	switch k := opts.Key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < MinRSABits {
			return "", fmt.Errorf("%w: a %d-bit RSA key; verifiers require %d", ErrSealOptions, k.N.BitLen(), MinRSABits)
		}
		return "rsa-sha256", nil
	case ed25519.PrivateKey:
		return "ed25519-sha256", nil
	}
	return "", fmt.Errorf("%w: the key is neither RSA nor Ed25519", ErrSealOptions)
}

func sign(key crypto.Signer, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	var (
		sig []byte
		err error
	)
	if k, ok := key.(ed25519.PrivateKey); ok {
		sig = ed25519.Sign(k, sum[:])
	} else {
		sig, err = key.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		return "", fmt.Errorf("arc: signing: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// priorSets returns the message's ARC sets, instance 1 first, and their
// number, refusing a chain whose structure is broken (seal it with
// cv=fail only after Verify says so).
func priorSets(msg *mailcanon.Message) ([]*arcSet, int, error) {
	v := &verifier{msg: msg}
	sets, f := v.collect()
	if f != nil {
		return nil, 0, fmt.Errorf("%w: the chain is malformed (%s)", ErrChainEnded, f.Detail)
	}
	return sets, len(sets), nil
}

// authResultsOf returns the results of the message's
// Authentication-Results header fields whose authserv-id is id, in order.
func authResultsOf(msg *mailcanon.Message, id string) []string {
	var out []string
	for _, f := range msg.Fields {
		if !f.Is("Authentication-Results") {
			continue
		}
		parts := strings.Split(f.Value(), ";")
		if fields := strings.Fields(parts[0]); len(fields) == 0 || !strings.EqualFold(fields[0], id) {
			continue
		}
		for _, p := range parts[1:] {
			if r := strings.Join(strings.Fields(p), " "); r != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// fold breaks a header field at its "; " separators so that lines stay
// short; relaxed canonicalisation reads the folded field as the unfolded
// one.
func fold(field string) string {
	field = strings.TrimSuffix(field, "\r\n")
	var b strings.Builder
	line := 0
	for i, part := range strings.Split(field, "; ") {
		if i > 0 {
			if line+2+len(part) > 78 {
				b.WriteString(";\r\n\t")
				line = 1
			} else {
				b.WriteString("; ")
				line += 2
			}
		}
		b.WriteString(part)
		line += len(part)
	}
	b.WriteString("\r\n")
	return b.String()
}
