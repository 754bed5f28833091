package message

import (
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// AuthResults is one parsed Authentication-Results field (RFC 8601).
// Anyone on the path can write one: a check trusts only those whose
// AuthservID is a receiver the user named.
type AuthResults struct {
	// Raw is the field's value, unfolded.
	Raw string `json:"raw"`
	// AuthservID is the authentication service identifier, e.g.
	// "mx.google.com"; "" when the field cannot be read at all.
	AuthservID string `json:"authserv_id"`
	// Results are the method results read, in order.
	Results []MethodResult `json:"results,omitempty"`
	// Err says why (part of) the field could not be read; the results
	// before the unreadable one are kept.
	Err string `json:"error,omitempty"`
}

// MethodResult is one method's result of an Authentication-Results field.
type MethodResult struct {
	Method string `json:"method"`           // dkim, spf, dmarc, arc, iprev...
	Value  string `json:"value"`            // pass, fail, softfail, none, temperror...
	Reason string `json:"reason,omitempty"` // the reason property, when given
	// Domain is the domain the result is about: header.d (or the domain
	// of header.i) for dkim, smtp.mailfrom's domain (or smtp.helo) for
	// spf, header.from for dmarc; "" when not given. Lower-case A-label.
	Domain string `json:"domain,omitempty"`
	// Identifier is the raw identity property (header.i, smtp.mailfrom,
	// header.from), "" when not given.
	Identifier string `json:"identifier,omitempty"`
	// OldestPass is arc's header.oldest-pass, 0 when not given.
	OldestPass int `json:"oldest_pass,omitempty"`
}

// ParseAuthResults parses one Authentication-Results value with
// go-msgauth's authres, after removing comments (which authres does not
// read) and folding.
func ParseAuthResults(v string) AuthResults {
	v = Unfold(v)
	ar := AuthResults{Raw: v}
	id, results, err := authres.Parse(stripComments(v))
	ar.AuthservID = strings.ToLower(strings.TrimSuffix(id, "."))
	if err != nil {
		ar.Err = "the field is not a valid Authentication-Results value"
	}
	for _, r := range results {
		ar.Results = append(ar.Results, methodResult(r))
	}
	return ar
}

func methodResult(r authres.Result) MethodResult {
	switch x := r.(type) {
	case *authres.DKIMResult:
		d := ALabel(x.Domain)
		if d == "" {
			d = DomainOf(x.Identifier)
		}
		return MethodResult{Method: "dkim", Value: string(x.Value), Reason: x.Reason, Domain: d, Identifier: x.Identifier}
	case *authres.SPFResult:
		d, id := DomainOf(x.From), x.From
		if x.From != "" && d == "" {
			d = ALabel(x.From) // smtp.mailfrom=example.com
		}
		if x.From == "" {
			d, id = ALabel(x.Helo), x.Helo
		}
		return MethodResult{Method: "spf", Value: string(x.Value), Reason: x.Reason, Domain: d, Identifier: id}
	case *authres.DMARCResult:
		return MethodResult{Method: "dmarc", Value: string(x.Value), Reason: x.Reason, Domain: ALabel(x.From), Identifier: x.From}
	case *authres.ARCResult:
		return MethodResult{Method: "arc", Value: string(x.Value), OldestPass: x.OldestPass}
	case *authres.AuthResult:
		return MethodResult{Method: "auth", Value: string(x.Value), Reason: x.Reason}
	case *authres.IPRevResult:
		return MethodResult{Method: "iprev", Value: string(x.Value), Reason: x.Reason}
	case *authres.DomainKeysResult:
		return MethodResult{Method: "domainkeys", Value: string(x.Value), Reason: x.Reason, Domain: ALabel(x.Domain)}
	case *authres.SenderIDResult:
		return MethodResult{Method: "sender-id", Value: string(x.Value), Reason: x.Reason}
	case *authres.GenericResult:
		return MethodResult{Method: strings.ToLower(x.Method), Value: string(x.Value), Reason: x.Params["reason"]}
	}
	return MethodResult{Method: "unknown"}
}

// stripComments removes RFC 5322 comments (nested, with quoted pairs)
// outside quoted strings, leaving a space in their place.
func stripComments(v string) string {
	if !strings.ContainsRune(v, '(') {
		return v
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			if depth == 0 && i+1 < len(v) {
				b.WriteByte(c)
				b.WriteByte(v[i+1])
			}
			i++
		case depth == 0 && c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case !quoted && c == '(':
			if depth == 0 {
				b.WriteByte(' ')
			}
			depth++
		case !quoted && depth > 0 && c == ')':
			depth--
		case depth > 0:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// String renders a result as "dkim=pass (example.com)" for displays.
func (r MethodResult) String() string {
	s := r.Method + "=" + r.Value
	if r.Domain != "" {
		s += " (" + r.Domain + ")"
	}
	if r.OldestPass > 0 {
		s += " oldest-pass=" + strconv.Itoa(r.OldestPass)
	}
	return s
}
