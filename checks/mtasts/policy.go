package mtasts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mxray/mxray/checks/tagval"
)

// TXT is a parsed _mta-sts TXT record (RFC 8461 §3.1).
type TXT struct {
	// Raw is the record as published.
	Raw string `json:"raw"`
	// ID is the id= value; absent when missing.
	ID string `json:"id,omitempty"`
	// Problems are the record's defects; absent when none.
	Problems []string `json:"problems,omitempty"`
	// Fatal is set when senders ignore the record (wrong version, no id).
	Fatal bool `json:"fatal,omitempty"`
}

// IsSTSRecord reports whether a TXT record is an MTA-STS record candidate:
// it starts with "v=STSv1" (RFC 8461 §3.1: records that do not are
// ignored).
func IsSTSRecord(txt string) bool {
	l := tagval.Parse(txt, false)
	return len(l.Tags) > 0 && l.Tags[0].Name == "v" && l.Tags[0].Value == "STSv1"
}

// LooksLikeSTS reports whether a TXT record was probably meant as MTA-STS
// but fails IsSTSRecord.
func LooksLikeSTS(txt string) bool {
	return !IsSTSRecord(txt) && strings.Contains(strings.ToLower(txt), "stsv1")
}

// ParseTXT parses an MTA-STS TXT record.
func ParseTXT(raw string) *TXT {
	r := &TXT{Raw: raw}
	bad := func(fatal bool, format string, args ...any) {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		r.Fatal = r.Fatal || fatal
	}
	l := tagval.Parse(raw, false)
	for _, p := range l.Problems {
		if p.Kind != tagval.KindEmptyEntry {
			bad(p.Kind == tagval.KindDuplicate || p.Kind == tagval.KindNoEquals, "%s", p.Text)
		}
	}
	if len(l.Tags) == 0 || l.Tags[0].Name != "v" || l.Tags[0].Value != "STSv1" {
		bad(true, "the record must start with v=STSv1")
	}
	id, ok := l.Get("id")
	switch {
	case !ok:
		bad(true, "the record has no id= tag")
	case id == "" || len(id) > 32 || !alnum(id):
		bad(true, "id=%s must be 1 to 32 letters and digits", tagval.Clean(id))
	default:
		r.ID = id
	}
	// RFC 8461 §3.1 allows extension tags; they are ignored.
	return r
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Mode is an MTA-STS policy mode (RFC 8461 §5). Its values are the words
// of the policy file and of the JSON data.
type Mode string

// The policy modes.
const (
	ModeEnforce Mode = "enforce" // senders refuse an MX that fails TLS validation or the mx patterns
	ModeTesting Mode = "testing" // senders deliver anyway and report the failure
	ModeNone    Mode = "none"    // the policy is withdrawn
)

// Policy is a parsed MTA-STS policy (RFC 8461 §3.2).
type Policy struct {
	// Version is the version: line (STSv1); absent when missing.
	Version string `json:"version,omitempty"`
	// Mode is the mode: line (enforce, testing, none); absent when missing.
	Mode Mode `json:"mode,omitempty"`
	// MX are the mx: lines, in order; [] when none.
	MX []string `json:"mx"`
	// MaxAge is max_age in seconds; 0 when missing.
	MaxAge int `json:"max_age"`
	// Problems are the policy's defects; absent when none.
	Problems []string `json:"problems,omitempty"`
	// Fatal is set when senders reject the policy.
	Fatal bool `json:"fatal,omitempty"`
}

// MaxMaxAge is the largest max_age RFC 8461 §3.2 allows (about a year).
const MaxMaxAge = 31557600

// maxPolicyLines bounds the lines read from a policy.
const maxPolicyLines = 1000

// ParsePolicy parses a policy body. Lines end in CRLF or LF; fields are
// "key: value"; unknown keys are extensions and ignored.
func ParsePolicy(body string) *Policy {
	p := &Policy{MX: []string{}}
	bad := func(fatal bool, format string, args ...any) {
		if len(p.Problems) < 16 {
			p.Problems = append(p.Problems, fmt.Sprintf(format, args...))
		}
		p.Fatal = p.Fatal || fatal
	}
	seen := map[string]bool{}
	lines := strings.Split(body, "\n")
	if len(lines) > maxPolicyLines {
		bad(true, "the policy has %d lines; mxray reads at most %d", len(lines), maxPolicyLines)
		lines = lines[:maxPolicyLines]
	}
	hasMaxAge := false
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			bad(true, "line %d is not a key: value pair: %q", i+1, tagval.Clean(line))
			continue
		}
		key, value = strings.TrimSpace(key), strings.Trim(value, " \t")
		if seen[key] && key != "mx" {
			bad(true, "line %d: the key %s appears more than once", i+1, tagval.Clean(key))
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			p.Version = value
			if value != "STSv1" {
				bad(true, "line %d: version %q must be STSv1", i+1, tagval.Clean(value))
			}
		case "mode":
			p.Mode = Mode(value)
			if p.Mode != ModeEnforce && p.Mode != ModeTesting && p.Mode != ModeNone {
				bad(true, "line %d: mode %q must be enforce, testing or none", i+1, tagval.Clean(value))
				p.Mode = ""
			}
		case "max_age":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || n > MaxMaxAge || value == "" || value[0] < '0' || value[0] > '9' || len(value) > 10 {
				bad(true, "line %d: max_age %q must be a whole number of seconds from 0 to %d", i+1, tagval.Clean(value), MaxMaxAge)
				continue
			}
			p.MaxAge, hasMaxAge = n, true
		case "mx":
			if !validMXPattern(value) {
				bad(true, "line %d: mx %q is not a host name or *.domain pattern", i+1, tagval.Clean(value))
				continue
			}
			if len(p.MX) < 100 {
				p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(value, ".")))
			}
		default:
			if !validKey(key) {
				bad(true, "line %d: %q is not a valid key", i+1, tagval.Clean(key))
			}
		}
	}
	if p.Version == "" && !seen["version"] {
		bad(true, "the policy has no version field (version: STSv1)")
	}
	if p.Mode == "" && !seen["mode"] {
		bad(true, "the policy has no mode field")
	}
	if !hasMaxAge && !seen["max_age"] {
		bad(true, "the policy has no max_age field")
	}
	if (p.Mode == ModeEnforce || p.Mode == ModeTesting) && len(p.MX) == 0 {
		bad(true, "mode %s requires at least one mx field", p.Mode)
	}
	return p
}

func validKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validMXPattern reports whether s is a host name, optionally with a
// leading "*." wildcard label.
func validMXPattern(s string) bool {
	s = strings.TrimSuffix(s, ".")
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
