package msgdkim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/mailcanon"
	"github.com/mxray/mxray/checks/message"
)

// ID is the check ID.
const ID = "msg-dkim"

// MaxSignatures is the most DKIM-Signature fields verified; the others
// are reported (msg-dkim.too-many) and ignored, as receivers do.
const MaxSignatures = 10

// Check is the msg-dkim check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "DKIM signatures" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-dkim.fail", Severity: checks.SevFail, Title: "A DKIM signature does not verify",
		SeverityNote: "info when another signature of the message verifies: one passing signature is enough; warn when the only reason is a body length (l=), which mxray refuses but some receivers accept",
		Why:          "Receivers ignore a signature that does not verify: the message then has no DKIM authentication from that domain, DMARC can only pass through SPF, and Gmail, Yahoo and Outlook require DKIM from bulk senders.",
		Fix:          "Follow the reason given: a body hash mismatch means the body changed after signing (a footer added by a list or gateway, or signing before the last change); a signature mismatch means a signed header changed; a missing or revoked key means DNS no longer publishes the selector the signer uses.",
		Ref:          "RFC 6376 §6.1"},
	{ID: "msg-dkim.none", Severity: checks.SevWarn, Title: "The message has no DKIM signature",
		Why: "Without DKIM the message is authenticated only by SPF, which forwarding breaks; Gmail, Yahoo and Outlook require DKIM from bulk senders and DMARC needs an aligned signature or aligned SPF.",
		Fix: "Turn on DKIM signing in your mail server or provider for the domain in From, with a 2048-bit RSA key published at <selector>._domainkey.<domain>.",
		Ref: "RFC 6376"},
	{ID: "msg-dkim.body-length", Severity: checks.SevWarn, Title: "A DKIM signature limits the signed body length (l=)",
		Why: "With l= anyone can append content (a link, an attachment) after the signed part and the signature still verifies; many verifiers, mxray's included, refuse such signatures.",
		Fix: "Remove the body length option from the signer's configuration so the whole body is signed.",
		Ref: "RFC 6376 §8.2"},
	{ID: "msg-dkim.from-not-signed", Severity: checks.SevFail, Title: "A DKIM signature does not cover the From field",
		SeverityNote: "warn when another signature of the message verifies",
		Why:          "RFC 6376 requires From in h=; a signature that does not cover it says nothing about the author and verifiers reject it.",
		Fix:          "Add From to the signed header fields (h=) in the signer's configuration.",
		Ref:          "RFC 6376 §5.4"},
	{ID: "msg-dkim.key-too-small", Severity: checks.SevFail, Title: "A DKIM signature's key is shorter than 1024 bits",
		SeverityNote: "warn when another signature of the message verifies",
		Why:          "RFC 8301 forbids verifying with RSA keys under 1024 bits: receivers treat the signature as failed.",
		Fix:          "Generate a 2048-bit RSA key, publish it under a new selector and switch signing to it.",
		Ref:          "RFC 8301 §3.2"},
	{ID: "msg-dkim.rsa-sha1", Severity: checks.SevFail, Title: "A DKIM signature uses rsa-sha1",
		SeverityNote: "warn when another signature of the message verifies",
		Why:          "RFC 8301 forbids rsa-sha1 for signing and verifying: receivers treat the signature as failed.",
		Fix:          "Configure the signer for rsa-sha256 (or ed25519-sha256 beside an RSA signature).",
		Ref:          "RFC 8301 §3.1"},
	{ID: "msg-dkim.too-many", Severity: checks.SevWarn, Title: "The message has more DKIM signatures than are verified",
		Why: "Verifiers bound the signatures they check to limit the cost of hostile messages; signatures past the bound are ignored.",
		Fix: "Sign once per domain; remove signatures added by systems that do not need to sign.",
		Ref: "RFC 6376 §8.4"},
}

// Reason says why a signature does not verify.
type Reason string

// The reasons. ReasonNone is a passing signature.
const (
	ReasonNone        Reason = ""
	ReasonBodyHash    Reason = "body-hash"     // the body changed after signing
	ReasonSignature   Reason = "signature"     // a signed header changed, or the wrong key
	ReasonKeyMissing  Reason = "key-missing"   // no key record at the selector
	ReasonKeyRevoked  Reason = "key-revoked"   // empty p=
	ReasonKeyInvalid  Reason = "key-invalid"   // the key record cannot be used
	ReasonKeyTooSmall Reason = "key-too-small" // RSA under 1024 bits
	ReasonExpired     Reason = "expired"       // x= is past, and was when the message arrived
	// ReasonExpiredSince: x= is past but was not when the message was
	// received: the signature can no longer be verified (undecided).
	ReasonExpiredSince  Reason = "expired-since-receipt"
	ReasonBodyLength    Reason = "body-length" // l= (refused)
	ReasonFromNotSigned Reason = "from-not-signed"
	ReasonSHA1          Reason = "rsa-sha1"
	ReasonMalformed     Reason = "malformed" // the signature's tags cannot be read
	ReasonDNS           Reason = "dns"       // the key lookup failed for a reason that may pass: undecided
)

// Signature is one DKIM-Signature and its verification.
type Signature struct {
	Index int `json:"index"` // 1 = the topmost DKIM-Signature
	// Domain is the signing domain (d=), lower case.
	Domain string `json:"domain"`
	// Selector is s=.
	Selector string `json:"selector"`
	// Algorithm is a= (rsa-sha256, ed25519-sha256...).
	Algorithm string `json:"algorithm"`
	// Canon is c=, absent for the default simple/simple.
	Canon string `json:"canonicalization,omitempty"`
	// Headers are the signed header field names (h=), lower case.
	Headers []string `json:"headers,omitempty"`
	// BodyLength is the l= value, "" when absent.
	BodyLength string `json:"body_length,omitempty"`
	// Expires is x=, absent when the signature does not expire.
	Expires time.Time `json:"expires,omitzero"`
	// Pass: the signature verifies.
	Pass bool `json:"pass"`
	// Reason says in a word why it does not verify; absent when it does.
	Reason Reason `json:"reason,omitempty"`
	// Detail says why the signature fails, in plain words.
	Detail string `json:"detail,omitempty"`
	// KeyName is the DNS name of the key record.
	KeyName string `json:"key_name,omitempty"`
	// KeyRecord is the key record found, when there is exactly one.
	KeyRecord string `json:"key_record,omitempty"`
	// KeyType is the record's k= (rsa when absent).
	KeyType string `json:"key_type,omitempty"`
	// KeyBits is the RSA key size, absent for Ed25519 or an unreadable key.
	KeyBits int `json:"key_bits,omitempty"`
	// DNS is the key lookup.
	DNS *dnsq.Query `json:"dns,omitempty"`
}

// Undecided reports whether the signature could not be verified for a
// reason that may pass (a failed key lookup), or can no longer be (it
// expired after the message arrived).
func (s Signature) Undecided() bool { return s.Reason == ReasonDNS || s.Reason == ReasonExpiredSince }

// Data is the check's data.
type Data struct {
	// Signatures are the DKIM-Signature fields verified, topmost first.
	Signatures []Signature `json:"signatures"`
	// Ignored counts signatures past MaxSignatures, not verified.
	Ignored int `json:"ignored,omitempty"`
}

// Fact is what msg-dkim publishes for the checks that judge its results.
type Fact struct {
	Signatures []Signature // every signature verified, topmost first
}

// FactKey is the key of msg-dkim's fact.
var FactKey = checks.NewFactKey[*Fact](ID)

// Passing returns the signatures that verify.
func (f *Fact) Passing() []Signature {
	if f == nil {
		return nil
	}
	var out []Signature
	for _, s := range f.Signatures {
		if s.Pass {
			out = append(out, s)
		}
	}
	return out
}

// PassDomain reports whether a signature with d=domain verifies.
func (f *Fact) PassDomain(domain string) bool {
	for _, s := range f.Passing() {
		if strings.EqualFold(s.Domain, domain) {
			return true
		}
	}
	return false
}

// Covers reports whether one passing signature covers every named header
// field (h=).
func (f *Fact) Covers(names ...string) bool {
	for _, s := range f.Passing() {
		all := true
		for _, n := range names {
			if !slices.Contains(s.Headers, strings.ToLower(n)) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	if m.Truncated {
		return errors.New("the message is over the size limit: its signatures cannot be verified")
	}
	wire := m.Wire()
	split, _ := mailcanon.Split(wire, mailcanon.Limits{MaxBodyBytes: len(wire) + 1})
	var sigs []Signature
	ignored := 0
	if split != nil {
		for _, f := range split.Fields {
			if !f.Is("DKIM-Signature") {
				continue
			}
			if len(sigs) >= MaxSignatures {
				ignored++
				continue
			}
			sigs = append(sigs, readTags(len(sigs)+1, f.Value()))
		}
	}
	data := &Data{Signatures: sigs, Ignored: ignored}
	out.SetData(data)
	if len(sigs) == 0 {
		FactKey.Publish(out, &Fact{})
		out.Add(checks.Finding{ID: "msg-dkim.none", Subject: subject(t)})
		return nil
	}

	rec := &recorder{ctx: ctx, env: env, got: map[string]lookup{}}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(wire), &dkim.VerifyOptions{LookupTXT: rec.lookupTXT, MaxVerifications: MaxSignatures})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return errors.New("the message header cannot be read for DKIM verification")
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// go-msgauth reads the header itself: its signatures must be mxray's,
	// in the same order, or no verdict is given (a malformed header could
	// otherwise pair one signature's result with another's tags).
	if len(verifs) != len(sigs) {
		return errors.New("the message header is too malformed to match its DKIM signatures")
	}
	for i, v := range verifs {
		if v != nil && v.Domain != "" && sigs[i].Domain != "" && !strings.EqualFold(strings.TrimSuffix(v.Domain, "."), sigs[i].Domain) {
			return errors.New("the message header is too malformed to match its DKIM signatures")
		}
	}
	for i := range sigs {
		s := &sigs[i]
		var verr error = errors.New("not verified")
		if i < len(verifs) && verifs[i] != nil {
			verr = verifs[i].Err
		}
		l, looked := rec.get(s.KeyName)
		if looked {
			s.DNS = l.query
			if len(l.records) == 1 {
				s.KeyRecord = l.records[0]
				s.KeyType, s.KeyBits = keyInfo(l.records[0])
			}
		}
		s.Pass = verr == nil
		if !s.Pass {
			s.Reason, s.Detail = classify(*s, verr, l, looked, received(m))
		}
	}
	anyPass, undecided := false, false
	for _, s := range sigs {
		anyPass = anyPass || s.Pass
		undecided = undecided || s.Undecided()
	}
	if anyPass || !undecided {
		// Undecided with nothing passing: no fact, so the checks that
		// judge the signatures decide nothing either.
		FactKey.Publish(out, &Fact{Signatures: sigs})
	}
	// Failures a lint finding explains on its own.
	linted := map[Reason]bool{ReasonFromNotSigned: true, ReasonKeyTooSmall: true, ReasonSHA1: true}
	for _, s := range sigs {
		sub := fmt.Sprintf("d=%s s=%s", s.Domain, s.Selector)
		ev := evidence(s)
		// A lint about a signature that fails while another passes is
		// the signer's to fix, but the message is authenticated: warn.
		lintSev := checks.Severity("")
		if anyPass && !s.Pass {
			lintSev = checks.SevWarn
		}
		if s.BodyLength != "" {
			out.Add(checks.Finding{ID: "msg-dkim.body-length", Subject: sub, Evidence: ev,
				Message: fmt.Sprintf("The DKIM signature %s signs only the first %s bytes of the body (l=)", sub, s.BodyLength)})
		}
		if len(s.Headers) > 0 && !slices.Contains(s.Headers, "from") {
			out.Add(checks.Finding{ID: "msg-dkim.from-not-signed", Severity: lintSev, Subject: sub, Evidence: ev,
				Message: fmt.Sprintf("The DKIM signature %s does not cover the From field (h=%s)", sub, strings.Join(s.Headers, ":"))})
		}
		if s.KeyType == "rsa" && s.KeyBits > 0 && s.KeyBits < 1024 {
			out.Add(checks.Finding{ID: "msg-dkim.key-too-small", Severity: lintSev, Subject: sub, Evidence: ev,
				Message: fmt.Sprintf("The key of the DKIM signature %s is a %d-bit RSA key", sub, s.KeyBits)})
		}
		if strings.EqualFold(s.Algorithm, "rsa-sha1") {
			out.Add(checks.Finding{ID: "msg-dkim.rsa-sha1", Severity: lintSev, Subject: sub, Evidence: ev,
				Message: fmt.Sprintf("The DKIM signature %s uses rsa-sha1", sub)})
		}
		if s.Pass || s.Undecided() || linted[s.Reason] {
			continue // a lint above already says why it fails
		}
		f := checks.Finding{ID: "msg-dkim.fail", Subject: sub, Evidence: ev,
			Message: fmt.Sprintf("The DKIM signature %s does not verify: %s", sub, s.Detail), Fix: fixFor(s)}
		switch {
		case anyPass:
			f.Severity = checks.SevInfo
		case s.Reason == ReasonBodyLength:
			f.Severity = checks.SevWarn
		}
		out.Add(f)
	}
	if ignored > 0 {
		out.Add(checks.Finding{ID: "msg-dkim.too-many", Subject: subject(t),
			Message: fmt.Sprintf("The message has %d DKIM signatures; the first %d were verified", len(sigs)+ignored, MaxSignatures)})
	}
	if !anyPass && undecided {
		for _, s := range sigs {
			if s.Undecided() {
				return fmt.Errorf("the DKIM signature d=%s s=%s is not decided: %s", s.Domain, s.Selector, s.Detail)
			}
		}
	}
	return nil
}

// received is when the message arrived: the trusted hop's date, else
// the topmost dated Received field's, else its Date (when it was sent);
// zero when unknown.
func received(m *message.Message) time.Time {
	if h := m.Trusted(); h != nil && !h.Time.IsZero() {
		return h.Time
	}
	for _, r := range m.Received {
		if !r.Time.IsZero() {
			return r.Time
		}
	}
	return m.DateTime
}

func subject(t checks.Target) string {
	if t.Domain != "" {
		return t.Domain
	}
	return "message"
}

func evidence(s Signature) *checks.Evidence {
	ev := &checks.Evidence{}
	if s.DNS != nil {
		ev.AddDNS(*s.DNS)
	}
	if s.KeyRecord != "" {
		ev.Records = []string{s.KeyRecord}
	}
	if len(ev.DNS) == 0 && len(ev.Records) == 0 {
		return nil
	}
	return ev
}

// readTags reads what the lints and the report need from a signature's
// value; verification itself is go-msgauth's.
func readTags(index int, v string) Signature {
	s := Signature{Index: index}
	tags, err := mailcanon.ParseTags(v)
	if err != nil {
		s.Reason, s.Detail = ReasonMalformed, "its tags cannot be read ("+err.Error()+")"
		return s
	}
	get := func(n string) string { x, _ := tags.Get(n); return mailcanon.StripWSP(x) }
	s.Domain = strings.ToLower(strings.TrimSuffix(get("d"), "."))
	s.Selector = get("s")
	s.Algorithm = strings.ToLower(get("a"))
	s.Canon = get("c")
	s.BodyLength = get("l")
	if h := get("h"); h != "" {
		for _, n := range strings.Split(h, ":") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" && len(s.Headers) < 256 {
				s.Headers = append(s.Headers, n)
			}
		}
	}
	if x := get("x"); x != "" {
		var sec int64
		if _, err := fmt.Sscan(x, &sec); err == nil && sec > 0 && sec < 1<<40 {
			s.Expires = time.Unix(sec, 0).UTC()
		}
	}
	if s.Selector != "" && s.Domain != "" {
		s.KeyName = s.Selector + "._domainkey." + s.Domain
	}
	return s
}

// lookup is one key lookup as go-msgauth made it.
type lookup struct {
	records []string
	err     error // nil, errNoRecord or a temporary failure
	query   *dnsq.Query
}

var errNoRecord = errors.New("no key record")

// recorder is the LookupTXT given to go-msgauth: it asks the run's DNS
// client (bounded by its per-query timeout and the check's context) and
// keeps each answer for the report. go-msgauth verifies signatures
// concurrently, hence the lock.
type recorder struct {
	ctx context.Context
	env *checks.Env
	mu  sync.Mutex
	got map[string]lookup
}

func (r *recorder) get(name string) (lookup, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.got[strings.ToLower(name)]
	return l, ok
}

func (r *recorder) lookupTXT(name string) ([]string, error) {
	l := r.do(name)
	r.mu.Lock()
	r.got[strings.ToLower(name)] = l
	r.mu.Unlock()
	switch {
	case l.err == nil:
		return l.records, nil
	case errors.Is(l.err, errNoRecord):
		return nil, l.err
	default:
		// go-msgauth treats only a temporary net.Error as temperror.
		return nil, &net.DNSError{Err: l.err.Error(), Name: name, IsTemporary: true}
	}
}

func (r *recorder) do(name string) lookup {
	if r.env == nil || r.env.DNS == nil {
		return lookup{err: errors.New("no DNS client")}
	}
	a, err := r.env.DNS.Lookup(r.ctx, name, dns.TypeTXT)
	if err != nil {
		var q *dnsq.Query
		if qs := dnsq.QueriesOf(err); len(qs) > 0 {
			q = &qs[len(qs)-1]
		}
		if errors.Is(err, dnsq.ErrInvalidName) {
			return lookup{err: errNoRecord, query: q}
		}
		return lookup{err: err, query: q}
	}
	q := a.Query
	var recs []string
	for _, strs := range a.TXT() {
		recs = append(recs, strings.Join(strs, ""))
	}
	if len(recs) == 0 {
		return lookup{err: errNoRecord, query: &q}
	}
	return lookup{records: recs, query: &q}
}

// classify says why a signature fails: go-msgauth's error names the first
// check that failed, in RFC 6376's order; what mxray read from the tags
// and the key lookup fills in when the error is not one it knows.
// received is when the message arrived (zero when unknown): a signature
// that expired after it cannot be verified any more, which is undecided.
func classify(s Signature, err error, l lookup, looked bool, received time.Time) (Reason, string) {
	if s.Reason == ReasonMalformed {
		return s.Reason, s.Detail
	}
	msg := err.Error()
	has := func(sub string) bool { return strings.Contains(msg, sub) }
	switch {
	case dkim.IsTempFail(err) || looked && l.err != nil && !errors.Is(l.err, errNoRecord):
		why := "the resolver gave no usable answer"
		if l.err != nil {
			why = plainDNS(l.err)
		}
		return ReasonDNS, "the key lookup at " + s.KeyName + " failed (" + why + "); the signature cannot be verified now"
	case has("hash algorithm too weak"):
		return ReasonSHA1, "it uses rsa-sha1, which verifiers refuse (RFC 8301)"
	case has("From field not signed"):
		return ReasonFromNotSigned, "it does not cover the From field"
	case has("signature has expired"):
		exp := s.Expires.Format("2 Jan 2006 15:04 UTC")
		if !received.IsZero() && !s.Expires.IsZero() && received.Before(s.Expires) {
			return ReasonExpiredSince, "it expired on " + exp + " (x=), after the message was sent and received (" +
				received.UTC().Format("2 Jan 2006 15:04 UTC") + "): it can no longer be verified"
		}
		return ReasonExpired, "it expired on " + exp + " (x=)"
	case has("no key for signature") || looked && errors.Is(l.err, errNoRecord):
		return ReasonKeyMissing, "there is no key record at " + s.KeyName
	case has("key revoked"):
		return ReasonKeyRevoked, "the key at " + s.KeyName + " is revoked (empty p=)"
	case has("key is too short"):
		return ReasonKeyTooSmall, "the key at " + s.KeyName + " is shorter than 1024 bits"
	case has("multiple TXT records"):
		return ReasonKeyInvalid, "there are several key records at " + s.KeyName
	case has("key syntax error") || has("key record error") || has("public key version") || has("unsupported key algorithm") ||
		has("inappropriate") || has("Ed25519 public key") || has("no valid key found"):
		return ReasonKeyInvalid, "the key record at " + s.KeyName + " cannot be used with this signature"
	case has("insecure body length tag"):
		return ReasonBodyLength, "it signs only part of the body (l=), which mxray and some receivers refuse"
	case has("body hash did not verify"):
		return ReasonBodyHash, "the body hash does not match: the body changed after signing"
	case has("signature did not verify"):
		return ReasonSignature, "the signature does not match the signed header fields: a signed field changed after signing, or the key is not the signer's"
	case has("incompatible signature version") || has("missing required tag") || has("domain mismatch") ||
		has("malformed") || has("unsupported"):
		return ReasonMalformed, "the signature is malformed or uses a method verifiers do not support"
	case s.Algorithm == "rsa-sha1":
		return ReasonSHA1, "it uses rsa-sha1, which verifiers refuse (RFC 8301)"
	case len(s.Headers) > 0 && !slices.Contains(s.Headers, "from"):
		return ReasonFromNotSigned, "it does not cover the From field"
	}
	return ReasonMalformed, "the signature is malformed or uses a method verifiers do not support"
}

func plainDNS(err error) string {
	var le *dnsq.LookupError
	if errors.As(err, &le) {
		return dnsq.Describe(le.Err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "no answer in time"
	}
	return "the resolver gave no usable answer"
}

// fixFor is the fix for a failing signature, by reason.
func fixFor(s Signature) string {
	switch s.Reason {
	case ReasonBodyHash:
		return "Find what changes the body after signing (a disclaimer or footer added by a gateway or list, a re-encoding) and sign after it, or stop the change."
	case ReasonSignature:
		return "Find what changes the signed header fields after signing (a gateway rewriting Subject or From), or check that the key published at " + s.KeyName + " is the one the signer uses."
	case ReasonKeyMissing:
		return "Publish the signer's public key at " + s.KeyName + " (TXT \"v=DKIM1; k=rsa; p=...\"), or configure the signer with a selector whose key is published."
	case ReasonKeyRevoked:
		return "The selector " + s.Selector + " is retired: configure the signer with a current selector."
	case ReasonKeyInvalid:
		return "Republish one key record at " + s.KeyName + " as `v=DKIM1; k=<rsa|ed25519>; p=<base64 key>` matching the signature's algorithm."
	case ReasonKeyTooSmall:
		return "Generate a 2048-bit RSA key, publish it under a new selector and switch signing to it."
	case ReasonExpired:
		return "Raise or remove the signature expiry (x=) in the signer's configuration; a signature should outlive delivery retries of several days."
	case ReasonBodyLength:
		return "Remove the body length option (l=) from the signer's configuration."
	case ReasonFromNotSigned:
		return "Add From to the signed header fields (h=)."
	case ReasonSHA1:
		return "Configure the signer for rsa-sha256."
	}
	return "Check the signer's configuration: the DKIM-Signature field must hold v=1, a=, b=, bh=, d=, h= (with from) and s=."
}

// keyInfo returns the key type and RSA size of a key record, "" and 0
// when it cannot be read.
func keyInfo(rec string) (string, int) {
	tags, err := mailcanon.ParseTags(rec)
	if err != nil {
		return "", 0
	}
	k, _ := tags.Get("k")
	if k == "" {
		k = "rsa"
	}
	p, _ := tags.Get("p")
	der, err := base64.StdEncoding.DecodeString(mailcanon.StripWSP(p))
	if err != nil || len(der) == 0 {
		return k, 0
	}
	switch k {
	case "ed25519":
		if len(der) == ed25519.PublicKeySize {
			return k, 0
		}
	case "rsa":
		if pk, err := x509.ParsePKIXPublicKey(der); err == nil {
			if r, ok := pk.(*rsa.PublicKey); ok {
				return k, r.N.BitLen()
			}
		} else if r, err := x509.ParsePKCS1PublicKey(der); err == nil {
			return k, r.N.BitLen()
		}
	}
	return k, 0
}
