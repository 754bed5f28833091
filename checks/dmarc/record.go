package dmarc

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	msgdmarc "github.com/emersion/go-msgauth/dmarc"
	"github.com/mxray/mxray/checks/tagval"
)

// Policy is a DMARC policy value.
type Policy string

// The policies, from weakest to strongest.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// strength orders policies: none < quarantine < reject; unknown is -1.
func (p Policy) strength() int {
	switch p {
	case PolicyNone:
		return 0
	case PolicyQuarantine:
		return 1
	case PolicyReject:
		return 2
	}
	return -1
}

// URI is one reporting URI of rua= or ruf=.
type URI struct {
	// Raw is the URI as written.
	Raw string `json:"uri"`
	// Scheme is the URI scheme, e.g. mailto.
	Scheme string `json:"scheme"`
	// Address is the mailbox of a mailto: URI, Domain its domain (lower case).
	Address string `json:"address,omitempty"`
	// Domain is the domain of a mailto: address, lower case.
	Domain string `json:"domain,omitempty"`
	Size   string `json:"size,omitempty"` // the obsolete "!size" suffix
}

// Record is a parsed DMARC record (RFC 7489 §6.3, RFC 9989 §4.7). Absent
// optional tags take their defaults; the Has* fields say what was written.
type Record struct {
	// Raw is the record as published.
	Raw  string            `json:"raw"`
	Tags map[string]string `json:"tags"` // every known tag as written (name lower-cased)
	// P is the p= policy; absent when missing.
	P     Policy `json:"p,omitempty"`
	SP    Policy `json:"sp,omitempty"` // defaults to P
	NP    Policy `json:"np,omitempty"` // defaults to SP
	Pct   int    `json:"pct"`          // defaults to 100
	ADKIM string `json:"adkim"`        // "r" or "s"
	ASPF  string `json:"aspf"`         // "r" or "s"
	// Testing is present (true) with t=y (RFC 9989): receivers apply the next weaker policy.
	Testing bool   `json:"testing,omitempty"`
	PSD     string `json:"psd,omitempty"` // "y", "n" or "u" (RFC 9989)
	// RUA are the aggregate report URIs (rua=); absent when none.
	RUA []URI `json:"rua,omitempty"`
	// RUF are the failure report URIs (ruf=); absent when none.
	RUF []URI `json:"ruf,omitempty"`
	// Unknown are tags DMARC does not define; absent when none.
	Unknown []string `json:"unknown_tags,omitempty"`
	HasP    bool     `json:"-"`
	HasSP   bool     `json:"-"`
	HasNP   bool     `json:"-"`
	HasPct  bool     `json:"-"`
	// Problems are the record's defects; absent when none.
	Problems []Problem `json:"problems,omitempty"`
	// MsgAuthErr is why github.com/emersion/go-msgauth (a strict RFC 7489
	// reader) rejects the record, "" when it accepts it.
	MsgAuthErr string `json:"rfc7489_reader_error,omitempty"`
}

// Problem is one syntax problem, naming the tag concerned.
type Problem struct {
	// Tag is the tag the problem is about; absent for the record as a whole.
	Tag string `json:"tag,omitempty"`
	// Text describes the problem in plain words.
	Text string `json:"text"`
	// Fatal problems make receivers ignore the record altogether.
	Fatal bool `json:"fatal,omitempty"`
	// Duplicate is set for a tag that appears more than once.
	Duplicate bool `json:"duplicate,omitempty"`
}

// IsDMARC reports whether a TXT record is a DMARC record candidate: its
// first tag is v (any case, white space allowed around "=") with exactly the
// value DMARC1 (RFC 9989 §4.7: the version value is case-sensitive).
func IsDMARC(txt string) bool {
	first, _, _ := strings.Cut(txt, ";")
	name, value, ok := strings.Cut(first, "=")
	return ok && strings.EqualFold(strings.Trim(name, " \t\r\n"), "v") && strings.Trim(value, " \t\r\n") == "DMARC1"
}

// LooksLikeDMARC reports whether a TXT record was probably meant as a DMARC
// record but fails IsDMARC (v=dmarc1, "DMARC1" not first, leading junk).
func LooksLikeDMARC(txt string) bool {
	return !IsDMARC(txt) && strings.Contains(strings.ToUpper(txt), "DMARC1")
}

var knownTags = map[string]bool{"v": true, "p": true, "sp": true, "np": true, "psd": true, "t": true,
	"adkim": true, "aspf": true, "fo": true, "rua": true, "ruf": true, "rf": true, "ri": true, "pct": true}

// Parse parses a DMARC record leniently, the way RFC 9989 receivers read
// it, recording every deviation from the grammar as a Problem. It never
// fails: a record with no usable policy has P == "".
func Parse(txt string) *Record {
	r := &Record{Raw: txt, Tags: map[string]string{}, Pct: 100, ADKIM: "r", ASPF: "r"}
	if _, err := msgdmarc.Parse(txt); err != nil {
		r.MsgAuthErr = msgAuthWords(err)
	}
	l := tagval.Parse(txt, true)
	var invalidP *string
	for _, p := range l.Problems {
		switch p.Kind {
		case tagval.KindEmptyEntry:
			continue // allowed: "v=DMARC1;;p=none" and a trailing ";" are fine
		}
		r.Problems = append(r.Problems, Problem{Tag: p.Tag, Text: p.Text, Duplicate: p.Kind == tagval.KindDuplicate})
	}
	if len(l.Tags) == 0 || !strings.EqualFold(l.Tags[0].Name, "v") || l.Tags[0].Value != "DMARC1" {
		r.Problems = append(r.Problems, Problem{Tag: "v", Fatal: true,
			Text: "the record must start with v=DMARC1 (exactly, in upper case)"})
	}
	for _, t := range l.Tags {
		name := strings.ToLower(t.Name)
		v := t.Value
		if !knownTags[name] {
			r.Unknown = append(r.Unknown, tagval.Clean(t.Name))
			continue
		}
		r.Tags[name] = v
		bad := func(format string, args ...any) {
			r.Problems = append(r.Problems, Problem{Tag: name, Text: fmt.Sprintf(format, args...)})
		}
		lv := strings.ToLower(v)
		switch name {
		case "p", "sp", "np":
			pol := Policy(lv)
			if pol.strength() < 0 {
				if name == "p" && invalidP == nil {
					invalidP = &v // reported below, with what receivers do about it
					continue
				}
				bad("%s=%s is not a policy (none, quarantine or reject)", name, tagval.Clean(v))
				continue
			}
			switch name {
			case "p":
				r.P, r.HasP = pol, true
			case "sp":
				r.SP, r.HasSP = pol, true
			case "np":
				r.NP, r.HasNP = pol, true
			}
		case "pct":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				bad("pct=%s is not an integer from 0 to 100", tagval.Clean(v))
				continue
			}
			r.Pct, r.HasPct = n, true
		case "adkim", "aspf":
			if lv != "r" && lv != "s" {
				bad("%s=%s must be r (relaxed) or s (strict)", name, tagval.Clean(v))
				continue
			}
			if name == "adkim" {
				r.ADKIM = lv
			} else {
				r.ASPF = lv
			}
		case "t":
			if lv != "y" && lv != "n" {
				bad("t=%s must be y or n", tagval.Clean(v))
				continue
			}
			r.Testing = lv == "y"
		case "psd":
			if lv != "y" && lv != "n" && lv != "u" {
				bad("psd=%s must be y, n or u", tagval.Clean(v))
				continue
			}
			r.PSD = lv
		case "fo":
			for _, o := range strings.Split(v, ":") {
				switch strings.TrimSpace(o) {
				case "0", "1", "d", "s":
				default:
					bad("fo=%s: %q is not a failure option (0, 1, d or s)", tagval.Clean(v), tagval.Clean(o))
				}
			}
		case "rf":
			for _, f := range strings.Split(v, ":") {
				if !strings.EqualFold(strings.TrimSpace(f), "afrf") {
					bad("rf=%s: %q is not a report format (afrf)", tagval.Clean(v), tagval.Clean(f))
				}
			}
		case "ri":
			if n, err := strconv.ParseUint(v, 10, 32); err != nil || n == 0 {
				bad("ri=%s is not a positive number of seconds", tagval.Clean(v))
			}
		case "rua", "ruf":
			uris, probs := parseURIs(v)
			for _, p := range probs {
				bad("in %s=, %s", name, p)
			}
			if name == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		}
	}
	if !r.HasP {
		// RFC 7489 §6.6.3 step 6 (and RFC 9989 §4.7): without a valid p=,
		// a record whose rua= holds a valid reporting URI is read as
		// p=none; without one, the record is ignored.
		what := "the record has no p= tag"
		if invalidP != nil {
			what = fmt.Sprintf("p=%s is not a policy (none, quarantine or reject)", tagval.Clean(*invalidP))
		}
		text := what + ", but rua= holds a valid reporting URI, so receivers treat the record as p=none (RFC 7489 §6.6.3)"
		if len(r.RUA) == 0 {
			text = what + " and rua= holds no valid reporting URI, so receivers ignore the record altogether (RFC 7489 §6.6.3)"
		}
		r.Problems = append(r.Problems, Problem{Tag: "p", Fatal: len(r.RUA) == 0, Text: text})
	}
	if !r.HasSP {
		r.SP = r.P
	}
	if !r.HasNP {
		r.NP = r.SP
	}
	if r.P == "" && len(r.RUA) > 0 {
		r.P, r.SP, r.NP = PolicyNone, orPolicy(r.SP, PolicyNone), orPolicy(r.NP, PolicyNone)
	}
	return r
}

// msgAuthWords turns go-msgauth's parse error into plain words: no
// "dmarc:" prefix and no strconv text after the parameter's name.
func msgAuthWords(err error) string {
	msg := strings.TrimPrefix(err.Error(), "dmarc: ")
	if i := strings.Index(msg, ": strconv."); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// Render writes the record in canonical form: v=DMARC1 first, then p=, the
// other tags with lower-case values, keeping only the valid tags DMARC
// defines (rf= and ri=, dropped by RFC 9989, are left out; so is pct=100).
func (r *Record) Render() string {
	parts := []string{"v=DMARC1"}
	if r.P != "" {
		parts = append(parts, "p="+string(r.P))
	}
	if r.HasSP {
		parts = append(parts, "sp="+string(r.SP))
	}
	if r.HasNP {
		parts = append(parts, "np="+string(r.NP))
	}
	if r.PSD != "" {
		parts = append(parts, "psd="+r.PSD)
	}
	if r.ADKIM == "s" {
		parts = append(parts, "adkim=s")
	}
	if r.ASPF == "s" {
		parts = append(parts, "aspf=s")
	}
	if r.HasPct && r.Pct < 100 {
		parts = append(parts, fmt.Sprintf("pct=%d", r.Pct))
	}
	if r.Testing {
		parts = append(parts, "t=y")
	}
	for _, set := range []struct {
		tag  string
		uris []URI
	}{{"rua", r.RUA}, {"ruf", r.RUF}} {
		var keep []string
		for _, u := range set.uris {
			if u.Scheme != "mailto" || u.Address == "" {
				continue
			}
			uri := "mailto:" + u.Address
			if validSize(u.Size) {
				uri += "!" + strings.ToLower(u.Size)
			}
			// Keep only what reads back as the same one valid URI: printable
			// ASCII (a record's tag values are), no address that needs
			// quoting (e.g. with a space).
			if back, probs := parseURIs(uri); len(back) == 1 && len(probs) == 0 && back[0].Address == u.Address && printableASCII(uri) && !strings.ContainsAny(uri, ",;\"") {
				keep = append(keep, uri)
			}
		}
		if len(keep) > 0 {
			parts = append(parts, set.tag+"="+strings.Join(keep, ","))
		}
	}
	if fo, ok := r.Tags["fo"]; ok && len(r.RUF) > 0 && validFO(fo) {
		parts = append(parts, "fo="+strings.ReplaceAll(fo, " ", ""))
	}
	return strings.Join(parts, "; ")
}

func validFO(v string) bool {
	for _, o := range strings.Split(v, ":") {
		switch strings.TrimSpace(o) {
		case "0", "1", "d", "s":
		default:
			return false
		}
	}
	return true
}

func orPolicy(p, def Policy) Policy {
	if p == "" {
		return def
	}
	return p
}

// Fatal reports whether receivers ignore the record altogether.
func (r *Record) Fatal() bool {
	for _, p := range r.Problems {
		if p.Fatal {
			return true
		}
	}
	return false
}

// maxURIs bounds the reporting URIs read from one tag.
const maxURIs = 16

// parseURIs parses a comma-separated DMARC URI list (RFC 7489 §6.2):
// each URI optionally followed by "!" and a size.
func parseURIs(v string) ([]URI, []string) {
	var out []URI
	var probs []string
	for i, raw := range strings.Split(v, ",") {
		raw = strings.Trim(raw, " \t\r\n")
		if raw == "" {
			probs = append(probs, "empty URI in the list")
			continue
		}
		if i >= maxURIs {
			probs = append(probs, fmt.Sprintf("more than %d URIs; the rest are ignored", maxURIs))
			break
		}
		u := URI{Raw: tagval.Clean(raw)}
		body := raw
		if j := strings.LastIndexByte(raw, '!'); j >= 0 {
			body, u.Size = raw[:j], raw[j+1:]
			if !validSize(u.Size) {
				probs = append(probs, fmt.Sprintf("%q has an invalid size limit %q", tagval.Clean(raw), tagval.Clean(u.Size)))
			}
		}
		scheme, rest, ok := strings.Cut(body, ":")
		if !ok || scheme == "" {
			probs = append(probs, fmt.Sprintf("%q is not a URI (expected mailto:address@domain)", tagval.Clean(raw)))
			continue
		}
		u.Scheme = strings.ToLower(scheme)
		if u.Scheme != "mailto" {
			probs = append(probs, fmt.Sprintf("%q uses the scheme %q; receivers send reports only to mailto: URIs", tagval.Clean(raw), tagval.Clean(scheme)))
			out = append(out, u)
			continue
		}
		addr, _, _ := strings.Cut(rest, "?")
		a, err := mail.ParseAddress(addr)
		if err != nil || !strings.Contains(a.Address, "@") {
			probs = append(probs, fmt.Sprintf("%q is not a valid mailto: address", tagval.Clean(raw)))
			continue
		}
		u.Address = a.Address
		u.Domain = strings.TrimSuffix(strings.ToLower(a.Address[strings.LastIndexByte(a.Address, '@')+1:]), ".")
		out = append(out, u)
	}
	return out, probs
}

func validSize(s string) bool {
	if s == "" {
		return false
	}
	n := strings.TrimRight(s, "kKmMgGtT")
	if len(s)-len(n) > 1 || n == "" {
		return false
	}
	_, err := strconv.ParseUint(n, 10, 63)
	return err == nil
}

// printableASCII reports whether s is made of printable ASCII characters
// other than space only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
