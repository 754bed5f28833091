package arc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mxray/mxray/checks/internal/mailcanon"
)

// MaxSignedHeaders bounds the h= list of a message signature: real
// signers list a few dozen fields, and each name costs a scan of the
// header.
const MaxSignedHeaders = 256

// MaxInstances is the most ARC sets a chain may have (RFC 8617 §4.2.1).
const MaxInstances = 50

// Status is the chain validation result; its values are the words of
// RFC 8617 §4.4 and RFC 8601's arc= method, plus temperror and permerror.
type Status string

// The chain validation results.
const (
	// StatusNone: the message has no ARC header field.
	StatusNone Status = "none"
	// StatusPass: every seal and the newest message signature verify.
	StatusPass Status = "pass"
	// StatusFail: the chain is broken; Result.Failure says where and why.
	StatusFail Status = "fail"
	// StatusTempError: a key lookup failed in a way that may pass (a
	// timeout, SERVFAIL). The chain was neither passed nor failed.
	StatusTempError Status = "temperror"
	// StatusPermError: the message is over mxray's limits, so the chain
	// was not evaluated.
	StatusPermError Status = "permerror"
)

// ChainValue is the cv= tag of an ARC-Seal.
type ChainValue string

// The cv= values (RFC 8617 §4.1.3).
const (
	CVNone ChainValue = "none"
	CVPass ChainValue = "pass"
	CVFail ChainValue = "fail"
)

// Reason says why a chain failed, in a word.
type Reason string

// The reasons.
const (
	// ReasonStructure: the sets are not one of each header per instance,
	// numbered 1..N, at most 50.
	ReasonStructure Reason = "structure"
	// ReasonSyntax: a header field's tags are malformed or a required tag
	// is missing or invalid.
	ReasonSyntax Reason = "syntax"
	// ReasonChainFailed: a sealer already recorded cv=fail.
	ReasonChainFailed Reason = "chain-failed"
	// ReasonChainValue: an ARC-Seal's cv= is wrong for its instance
	// (instance 1 must say none, later ones pass).
	ReasonChainValue Reason = "cv"
	// ReasonBodyHash: the body no longer matches the message signature's
	// bh= (the body was changed after signing).
	ReasonBodyHash Reason = "body-hash"
	// ReasonSignature: the signature does not verify with the key.
	ReasonSignature Reason = "signature"
	// ReasonAlgorithm: the algorithm is not rsa-sha256 or ed25519-sha256.
	ReasonAlgorithm Reason = "algorithm"
	// ReasonKeyMissing: no key record at the selector (permerror).
	ReasonKeyMissing Reason = "key-missing"
	// ReasonKeyRevoked: the key record has an empty p=.
	ReasonKeyRevoked Reason = "key-revoked"
	// ReasonKeyInvalid: the key record cannot be used.
	ReasonKeyInvalid Reason = "key-invalid"
	// ReasonKeyTooSmall: an RSA key under 1024 bits.
	ReasonKeyTooSmall Reason = "key-too-small"
	// ReasonDNS: the key lookup failed temporarily (temperror).
	ReasonDNS Reason = "dns-temporary"
	// ReasonLimit: the message is over mxray's limits (permerror).
	ReasonLimit Reason = "limit"
)

// Header names the ARC header fields.
type Header string

// The ARC header fields.
const (
	HeaderSeal       Header = "ARC-Seal"
	HeaderSignature  Header = "ARC-Message-Signature"
	HeaderAuthResult Header = "ARC-Authentication-Results"
)

// Failure says where and why a chain failed.
type Failure struct {
	// Instance is the ARC set's i=, 0 when the failure is not one set's.
	Instance int `json:"instance,omitempty"`
	// Header is the header field that failed, "" for the whole chain.
	Header Header `json:"header,omitempty"`
	Reason Reason `json:"reason"`
	// Detail says it in plain words for people; it may quote message text,
	// which callers escape before display.
	Detail string `json:"detail"`
}

// SigStatus is the verification result of one signature.
type SigStatus string

// The signature results.
const (
	SigPass       SigStatus = "pass"
	SigFail       SigStatus = "fail"
	SigTempError  SigStatus = "temperror"
	SigNotChecked SigStatus = "not-checked"
)

// Set is what Verify read and found about one ARC set.
type Set struct {
	Instance int `json:"instance"`
	// Signer is the ARC-Message-Signature's d= and s=.
	SignerDomain   string `json:"signer_domain,omitempty"`
	SignerSelector string `json:"signer_selector,omitempty"`
	// Sealer is the ARC-Seal's d= and s=.
	SealerDomain   string     `json:"sealer_domain,omitempty"`
	SealerSelector string     `json:"sealer_selector,omitempty"`
	ChainValue     ChainValue `json:"cv,omitempty"`
	// AuthResults is the ARC-Authentication-Results text after "i=N;":
	// the authserv-id and the results that hop saw. Message text.
	AuthResults string    `json:"auth_results,omitempty"`
	Signature   SigStatus `json:"signature"`
	Seal        SigStatus `json:"seal"`
}

// Result is the outcome of Verify. Status is always set.
type Result struct {
	Status Status `json:"status"`
	// Instances is the number of ARC sets (the highest i=).
	Instances int `json:"instances,omitempty"`
	// Failure is set when Status is fail, temperror or permerror.
	Failure *Failure `json:"failure,omitempty"`
	// OldestPass is the oldest instance whose ARC-Message-Signature still
	// verifies (RFC 8617 §5.2 step 5, "oldest-pass"), 0 when none does or
	// the chain did not pass.
	OldestPass int `json:"oldest_pass,omitempty"`
	// Sets are the ARC sets, instance 1 first, when the structure is
	// sound.
	Sets []Set `json:"sets,omitempty"`
}

// ErrInterrupted is returned when ctx ends before the chain is decided.
var ErrInterrupted = errors.New("arc: interrupted")

// Verify validates the ARC chain of the raw message (RFC 8617 §5.2),
// looking keys up with lookup. Bare LF line endings are read as CRLF. It
// returns an error only when ctx ends first; the Result's Status is
// always set.
func Verify(ctx context.Context, raw []byte, lookup LookupTXT) (*Result, error) {
	res := &Result{Status: StatusNone}
	msg, err := mailcanon.Split(mailcanon.NormalizeNewlines(raw), mailcanon.DefaultLimits)
	if err != nil {
		res.Status = StatusPermError
		res.Failure = &Failure{Reason: ReasonLimit, Detail: "the message is too large to check: " + strings.TrimPrefix(err.Error(), mailcanon.ErrLimit.Error()+": ")}
		return res, nil
	}
	v := &verifier{ctx: ctx, msg: msg, lookup: lookup, keys: map[string]keyResult{}, bodies: map[bodyKey][]byte{}}
	v.run(res)
	if ctx.Err() != nil && res.Status != StatusPass && res.Status != StatusNone {
		return res, fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
	}
	return res, nil
}

type keyResult struct {
	k   *key
	err *keyError
}

type bodyKey struct {
	canon mailcanon.Canon
}

type verifier struct {
	ctx    context.Context
	msg    *mailcanon.Message
	lookup LookupTXT
	keys   map[string]keyResult
	bodies map[bodyKey][]byte
}

// arcSet holds the three header fields of one instance.
type arcSet struct {
	seal, sig, aar *mailcanon.Field
	sealTags       mailcanon.Tags
	sigTags        mailcanon.Tags
	aarText        string
}

func (v *verifier) run(res *Result) {
	sets, f := v.collect()
	if f != nil {
		if len(sets) > 0 {
			res.Instances = len(sets)
		}
		res.Status, res.Failure = StatusFail, f
		return
	}
	if len(sets) == 0 {
		return // none
	}
	n := len(sets)
	res.Instances = n
	res.Sets = make([]Set, n)
	for i, s := range sets {
		res.Sets[i] = Set{
			Instance:       i + 1,
			SignerDomain:   get(s.sigTags, "d"),
			SignerSelector: get(s.sigTags, "s"),
			SealerDomain:   get(s.sealTags, "d"),
			SealerSelector: get(s.sealTags, "s"),
			ChainValue:     ChainValue(get(s.sealTags, "cv")),
			AuthResults:    s.aarText,
			Signature:      SigNotChecked,
			Seal:           SigNotChecked,
		}
	}
	fail := func(f *Failure) {
		res.Status, res.Failure = StatusFail, f
		if f.Reason == ReasonDNS {
			res.Status = StatusTempError
		}
	}
	// RFC 8617 §5.2 step 2: a chain whose newest seal says cv=fail has
	// failed; so has one where any sealer recorded a failure.
	for i := n - 1; i >= 0; i-- {
		if ChainValue(get(sets[i].sealTags, "cv")) == CVFail {
			fail(&Failure{Instance: i + 1, Header: HeaderSeal, Reason: ReasonChainFailed, Detail: fmt.Sprintf("the sealer of instance %d recorded that the chain had already failed (cv=fail)", i+1)})
			return
		}
	}
	for i := range n {
		cv := ChainValue(get(sets[i].sealTags, "cv"))
		want := CVPass
		if i == 0 {
			want = CVNone
		}
		if cv != want {
			fail(&Failure{Instance: i + 1, Header: HeaderSeal, Reason: ReasonChainValue, Detail: fmt.Sprintf("the ARC-Seal of instance %d says cv=%s; instance %d must say cv=%s", i+1, cv, i+1, want)})
			return
		}
	}
	// Step 3: the newest message signature must verify.
	st, f := v.verifySig(n, sets[n-1])
	res.Sets[n-1].Signature = st
	if f != nil {
		fail(f)
		return
	}
	// Step 4: every seal, newest first.
	for i := n; i >= 1; i-- {
		st, f := v.verifySeal(i, sets)
		res.Sets[i-1].Seal = st
		if f != nil {
			fail(f)
			return
		}
	}
	res.Status = StatusPass
	res.OldestPass = n
	// Step 5 (informational): the oldest message signature that still
	// verifies.
	for i := n - 1; i >= 1; i-- {
		st, _ := v.verifySig(i, sets[i-1])
		res.Sets[i-1].Signature = st
		if st == SigPass {
			res.OldestPass = i
		}
		if st == SigTempError {
			break
		}
	}
}

func get(t mailcanon.Tags, name string) string {
	s, _ := t.Get(name)
	return s
}

// collect gathers the ARC header fields into sets by instance and checks
// their structure and syntax.
func (v *verifier) collect() ([]*arcSet, *Failure) {
	byInstance := map[int]*arcSet{}
	maxI := 0
	count := 0
	for idx := range v.msg.Fields {
		fld := &v.msg.Fields[idx]
		var h Header
		switch {
		case fld.Is(string(HeaderSeal)):
			h = HeaderSeal
		case fld.Is(string(HeaderSignature)):
			h = HeaderSignature
		case fld.Is(string(HeaderAuthResult)):
			h = HeaderAuthResult
		default:
			continue
		}
		count++
		if count > 3*MaxInstances {
			return nil, &Failure{Reason: ReasonStructure, Detail: fmt.Sprintf("the message has more than %d ARC header fields; a chain has at most %d sets", 3*MaxInstances, MaxInstances)}
		}
		var (
			inst int
			tags mailcanon.Tags
			text string
			err  error
		)
		if h == HeaderAuthResult {
			inst, text, err = parseAAR(fld.Value())
		} else {
			tags, err = mailcanon.ParseTags(fld.Value())
			if err == nil {
				inst, err = instanceOf(tags)
			}
		}
		if err != nil {
			return nil, &Failure{Header: h, Reason: ReasonSyntax, Detail: fmt.Sprintf("an %s header field is malformed: %v", h, err)}
		}
		if inst > MaxInstances {
			return nil, &Failure{Instance: inst, Header: h, Reason: ReasonStructure, Detail: fmt.Sprintf("an %s has i=%d; a chain has at most %d sets", h, inst, MaxInstances)}
		}
		s := byInstance[inst]
		if s == nil {
			s = &arcSet{}
			byInstance[inst] = s
		}
		maxI = max(maxI, inst)
		dup := false
		switch h {
		case HeaderSeal:
			dup = s.seal != nil
			s.seal, s.sealTags = fld, tags
		case HeaderSignature:
			dup = s.sig != nil
			s.sig, s.sigTags = fld, tags
		case HeaderAuthResult:
			dup = s.aar != nil
			s.aar, s.aarText = fld, text
		}
		if dup {
			return nil, &Failure{Instance: inst, Header: h, Reason: ReasonStructure, Detail: fmt.Sprintf("instance %d has two %s header fields", inst, h)}
		}
	}
	if count == 0 {
		return nil, nil
	}
	sets := make([]*arcSet, maxI)
	for i := 1; i <= maxI; i++ {
		s := byInstance[i]
		if s == nil {
			return nil, &Failure{Instance: i, Reason: ReasonStructure, Detail: fmt.Sprintf("the chain has instance %d but no ARC set %d", maxI, i)}
		}
		for _, m := range []struct {
			missing bool
			h       Header
		}{{s.seal == nil, HeaderSeal}, {s.sig == nil, HeaderSignature}, {s.aar == nil, HeaderAuthResult}} {
			if m.missing {
				return nil, &Failure{Instance: i, Header: m.h, Reason: ReasonStructure, Detail: fmt.Sprintf("ARC set %d has no %s", i, m.h)}
			}
		}
		if f := checkSealTags(i, s.sealTags); f != nil {
			return nil, f
		}
		if f := checkSigTags(i, s.sigTags); f != nil {
			return nil, f
		}
		sets[i-1] = s
	}
	return sets, nil
}

// instanceOf reads the i= tag: a number from 1 to MaxInstances, digits
// only.
func instanceOf(tags mailcanon.Tags) (int, error) {
	s, ok := tags.Get("i")
	if !ok {
		return 0, errors.New("no i= tag")
	}
	return parseInstance(s)
}

func parseInstance(s string) (int, error) {
	if s == "" || len(s) > 3 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("i=%s is not an instance number", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 {
		return 0, fmt.Errorf("i=%s is not an instance number", s)
	}
	return n, nil
}

// parseAAR reads "i=N; authserv-id; results" (RFC 8617 §4.1.1): the
// instance tag comes first and ends with a semicolon.
func parseAAR(v string) (int, string, error) {
	s := strings.TrimLeft(v, " \t\r\n")
	if !strings.HasPrefix(s, "i") {
		return 0, "", errors.New("it does not start with i=")
	}
	tag, rest, ok := strings.Cut(s, ";")
	if !ok {
		return 0, "", errors.New("its i= is not followed by a semicolon")
	}
	name, val, ok := strings.Cut(tag, "=")
	if !ok || strings.TrimRight(name, " \t\r\n") != "i" {
		return 0, "", errors.New("it does not start with i=")
	}
	n, err := parseInstance(strings.Trim(val, " \t\r\n"))
	if err != nil {
		return 0, "", err
	}
	return n, strings.Join(strings.Fields(rest), " "), nil
}

func syntaxFail(i int, h Header, format string, args ...any) *Failure {
	return &Failure{Instance: i, Header: h, Reason: ReasonSyntax, Detail: fmt.Sprintf("the %s of instance %d: ", h, i) + fmt.Sprintf(format, args...)}
}

// checkCommon checks the tags both signatures share: a=, b=, d=, s=, t=.
func checkCommon(i int, h Header, tags mailcanon.Tags) *Failure {
	for _, name := range []string{"a", "b", "d", "s"} {
		if val, ok := tags.Get(name); !ok || val == "" {
			return syntaxFail(i, h, "the %s= tag is missing or empty", name)
		}
	}
	if a := get(tags, "a"); a != "rsa-sha256" && a != "ed25519-sha256" {
		return &Failure{Instance: i, Header: h, Reason: ReasonAlgorithm, Detail: fmt.Sprintf("the %s of instance %d uses a=%s; verifiers accept rsa-sha256 and ed25519-sha256", h, i, get(tags, "a"))}
	}
	if _, err := base64.StdEncoding.DecodeString(mailcanon.StripWSP(get(tags, "b"))); err != nil {
		return syntaxFail(i, h, "b= is not base64")
	}
	if !validDomain(get(tags, "d")) {
		return syntaxFail(i, h, "d=%s is not a domain name", get(tags, "d"))
	}
	if !validSelector(get(tags, "s")) {
		return syntaxFail(i, h, "s=%s is not a selector", get(tags, "s"))
	}
	if t, ok := tags.Get("t"); ok && !isDigits(t, 12) {
		return syntaxFail(i, h, "t=%s is not a time stamp", t)
	}
	return nil
}

func checkSealTags(i int, tags mailcanon.Tags) *Failure {
	if f := checkCommon(i, HeaderSeal, tags); f != nil {
		return f
	}
	if _, ok := tags.Get("h"); ok {
		return syntaxFail(i, HeaderSeal, "an ARC-Seal must not have an h= tag")
	}
	switch ChainValue(get(tags, "cv")) {
	case CVNone, CVPass, CVFail:
	default:
		return syntaxFail(i, HeaderSeal, "cv=%s is not none, pass or fail", get(tags, "cv"))
	}
	return nil
}

func checkSigTags(i int, tags mailcanon.Tags) *Failure {
	if f := checkCommon(i, HeaderSignature, tags); f != nil {
		return f
	}
	bh, ok := tags.Get("bh")
	if !ok || bh == "" {
		return syntaxFail(i, HeaderSignature, "the bh= tag is missing or empty")
	}
	if _, err := base64.StdEncoding.DecodeString(mailcanon.StripWSP(bh)); err != nil {
		return syntaxFail(i, HeaderSignature, "bh= is not base64")
	}
	h, ok := tags.Get("h")
	if !ok {
		return syntaxFail(i, HeaderSignature, "the h= tag is missing")
	}
	names := splitH(h)
	if len(names) > MaxSignedHeaders {
		return syntaxFail(i, HeaderSignature, "h= lists %d header fields; mxray reads at most %d", len(names), MaxSignedHeaders)
	}
	for _, name := range names {
		if strings.EqualFold(name, string(HeaderSeal)) {
			return syntaxFail(i, HeaderSignature, "h= signs an ARC-Seal, which RFC 8617 forbids")
		}
	}
	if c, ok := tags.Get("c"); ok {
		if _, _, err := mailcanon.ParseCanon(c); err != nil || c == "" {
			return syntaxFail(i, HeaderSignature, "c=%s is not a canonicalization", c)
		}
	}
	if l, ok := tags.Get("l"); ok && !isDigits(l, 76) {
		return syntaxFail(i, HeaderSignature, "l=%s is not a length", l)
	}
	return nil
}

// splitH splits an h= list; names may be surrounded by folding whitespace.
func splitH(h string) []string {
	if strings.Trim(h, " \t\r\n") == "" {
		return nil
	}
	parts := strings.Split(h, ":")
	for i := range parts {
		parts[i] = strings.Trim(parts[i], " \t\r\n")
	}
	return parts
}

func isDigits(s string, maxLen int) bool {
	return s != "" && len(s) <= maxLen && strings.Trim(s, "0123456789") == ""
}

// validDomain reports whether s is a DNS domain name: dot-separated LDH
// labels (underscores allowed) of 1 to 63 bytes, 253 bytes at most.
func validDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !validLabel(l) {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validSelector: a selector is one or more labels (RFC 6376 §3.1).
func validSelector(s string) bool { return validDomain(s) && !strings.HasSuffix(s, ".") }

// keyFor fetches (once per Verify) the key for a signature's tags.
func (v *verifier) keyFor(tags mailcanon.Tags) (*key, *keyError) {
	kt := "rsa"
	if get(tags, "a") == "ed25519-sha256" {
		kt = "ed25519"
	}
	name := get(tags, "s") + "._domainkey." + get(tags, "d") + "/" + kt
	if r, ok := v.keys[strings.ToLower(name)]; ok {
		return r.k, r.err
	}
	k, err := fetchKey(v.ctx, v.lookup, get(tags, "s"), get(tags, "d"), kt)
	v.keys[strings.ToLower(name)] = keyResult{k, err}
	return k, err
}

// checkSignature verifies sig over data with the key for tags.
func (v *verifier) checkSignature(i int, h Header, tags mailcanon.Tags, data []byte) (SigStatus, *Failure) {
	k, kerr := v.keyFor(tags)
	if kerr != nil {
		st := SigFail
		if kerr.reason == ReasonDNS {
			st = SigTempError
		}
		return st, &Failure{Instance: i, Header: h, Reason: kerr.reason, Detail: fmt.Sprintf("the %s of instance %d cannot be checked: %s", h, i, kerr.detail)}
	}
	sig, _ := base64.StdEncoding.DecodeString(mailcanon.StripWSP(get(tags, "b")))
	sum := sha256.Sum256(data)
	ok := false
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
	case ed25519.PublicKey:
		ok = ed25519.Verify(pub, sum[:], sig)
	}
	if !ok {
		return SigFail, &Failure{Instance: i, Header: h, Reason: ReasonSignature, Detail: fmt.Sprintf("the signature of the %s of instance %d (d=%s, s=%s) does not verify: the signed header fields were changed, or signed with another key", h, i, get(tags, "d"), get(tags, "s"))}
	}
	return SigPass, nil
}

// verifySig verifies the ARC-Message-Signature of instance i like a DKIM
// signature (RFC 8617 §4.1.2).
func (v *verifier) verifySig(i int, s *arcSet) (SigStatus, *Failure) {
	tags := s.sigTags
	hc, bc, _ := mailcanon.ParseCanon(get(tags, "c"))
	body, ok := v.bodies[bodyKey{bc}]
	if !ok {
		body = bc.Body(v.msg.Body)
		v.bodies[bodyKey{bc}] = body
	}
	if l, ok := tags.Get("l"); ok {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n > int64(len(body)) {
			return SigFail, &Failure{Instance: i, Header: HeaderSignature, Reason: ReasonBodyHash, Detail: fmt.Sprintf("the ARC-Message-Signature of instance %d signs %s body bytes but the body has fewer", i, l)}
		}
		body = body[:n]
	}
	bh := sha256.Sum256(body)
	want, _ := base64.StdEncoding.DecodeString(mailcanon.StripWSP(get(tags, "bh")))
	if string(want) != string(bh[:]) {
		return SigFail, &Failure{Instance: i, Header: HeaderSignature, Reason: ReasonBodyHash, Detail: fmt.Sprintf("the body no longer matches the ARC-Message-Signature of instance %d (d=%s): it was changed after that hop signed it", i, get(tags, "d"))}
	}
	// The signed header fields, each name taking the next field of that
	// name from the bottom up; names with no field left add nothing.
	var data []byte
	used := map[string]int{}
	for _, name := range splitH(get(tags, "h")) {
		lname := strings.ToLower(name)
		skip := used[lname]
		used[lname]++
		seen := 0
		for j := len(v.msg.Fields) - 1; j >= 0; j-- {
			if !v.msg.Fields[j].Is(name) {
				continue
			}
			if seen == skip {
				data = append(data, hc.Header(v.msg.Fields[j].Raw)...)
				break
			}
			seen++
		}
	}
	data = append(data, trimCRLF(hc.Header(mailcanon.WithoutSignature(s.sig.Raw)))...)
	return v.checkSignature(i, HeaderSignature, tags, data)
}

// verifySeal verifies the ARC-Seal of instance i: it signs the ARC sets
// 1..i, each as ARC-Authentication-Results, ARC-Message-Signature,
// ARC-Seal, relaxed, with its own b= empty (RFC 8617 §5.1.1).
func (v *verifier) verifySeal(i int, sets []*arcSet) (SigStatus, *Failure) {
	var data []byte
	for j := 0; j < i; j++ {
		s := sets[j]
		data = append(data, mailcanon.Relaxed.Header(s.aar.Raw)...)
		data = append(data, mailcanon.Relaxed.Header(s.sig.Raw)...)
		if j == i-1 {
			data = append(data, trimCRLF(mailcanon.Relaxed.Header(mailcanon.WithoutSignature(s.seal.Raw)))...)
		} else {
			data = append(data, mailcanon.Relaxed.Header(s.seal.Raw)...)
		}
	}
	return v.checkSignature(i, HeaderSeal, sets[i-1].sealTags, data)
}

func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
