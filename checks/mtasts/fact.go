package mtasts

import (
	"strings"

	"github.com/mxray/mxray/checks"
)

// FactKey is the key of the fact the mtasts check publishes.
var FactKey = checks.NewFactKey[*Fact](ID)

// Fact is what the mtasts check publishes (check ID "mtasts") for dependent
// checks such as tls and tlsrpt. It is published once the outcome is known:
// when the domain has no usable MTA-STS policy, Mode is "" (no TXT record or
// the policy could not be fetched or parsed) and Enforced reports false.
// When mxray could not decide (the _mta-sts or policy host lookup failed, or
// the policy URL is not one mxray fetches) nothing is published, so that
// dependants report "not decided" rather than "no MTA-STS".
type Fact struct {
	Domain string
	// Mode is the policy mode: "enforce", "testing", "none", or "" when the
	// domain has no valid MTA-STS policy.
	Mode Mode
	// MX lists the policy's mx patterns in lower case, e.g. "mx1.example.com"
	// or "*.example.net".
	MX []string
	// MaxAge is the policy's max_age in seconds.
	MaxAge int
	// ID is the id= value of the _mta-sts TXT record ("" when absent).
	ID string
	// TXT reports whether a _mta-sts TXT record with v=STSv1 was found,
	// even when the policy itself could not be fetched.
	TXT bool
}

// Deployed reports whether the domain publishes an MTA-STS policy that
// senders apply (mode enforce or testing).
func (f *Fact) Deployed() bool {
	return f != nil && (f.Mode == ModeEnforce || f.Mode == ModeTesting)
}

// Enforced reports whether the policy is in enforce mode: senders must then
// refuse to deliver to an MX that fails TLS validation or the mx patterns.
func (f *Fact) Enforced() bool {
	return f != nil && f.Mode == ModeEnforce
}

// Covers reports whether host (an MX host name, with or without trailing
// dot, any case) matches one of the policy's mx patterns (RFC 8461 §4.1: a
// "*." wildcard matches exactly one leftmost label).
func (f *Fact) Covers(host string) bool {
	if f == nil {
		return false
	}
	for _, p := range f.MX {
		if MatchMX(p, host) {
			return true
		}
	}
	return false
}

// MatchMX reports whether host matches the mx pattern pattern per RFC 8461
// §4.1: exact match, or "*.suffix" matching exactly one extra leftmost label.
// Comparison is case-insensitive and ignores a trailing dot.
func MatchMX(pattern, host string) bool {
	p := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pattern)), ".")
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if p == "" || h == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		label, suffix, found := strings.Cut(h, ".")
		return found && label != "" && label != "*" && suffix == rest
	}
	return p == h
}
