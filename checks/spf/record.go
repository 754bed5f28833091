package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// MaxRecordLen bounds the record text Parse accepts. Real records are far
// smaller (a DNS message carries at most 64 KiB); the bound keeps hostile
// input cheap.
const MaxRecordLen = 64 << 10

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("spf: syntax error")

// SyntaxError is a grammar error in a record (RFC 7208 §12). Pos is the byte
// offset in the record where the offending term starts (Offset inside the
// term, when known), Term the term as written.
type SyntaxError struct {
	Pos    int    // byte offset of the term in the record
	Offset int    // byte offset of the error inside the term
	Term   string // the offending term (truncated to 80 bytes)
	Msg    string // what is wrong
}

// Error describes the error with its position (a 0-based byte offset).
func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return fmt.Sprintf("spf: syntax error at position %d: %s", e.Pos+e.Offset, e.Msg)
	}
	return fmt.Sprintf("spf: syntax error at position %d in %q: %s", e.Pos+e.Offset, e.Term, e.Msg)
}

// Words says what is wrong in plain words for people, without the package
// prefix of Error: "syntax error at position 12 in "foo:bar": ...".
func (e *SyntaxError) Words() string {
	return strings.TrimPrefix(e.Error(), "spf: ")
}

// Words returns an error's text for people: a *SyntaxError's plain words, a
// lookup's own text, never a package prefix.
func Words(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Words()
	}
	return err.Error()
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Qualifier is a mechanism's prefix (RFC 7208 §4.6.2).
type Qualifier byte

// The qualifiers.
const (
	QPass     Qualifier = '+'
	QFail     Qualifier = '-'
	QSoftFail Qualifier = '~'
	QNeutral  Qualifier = '?'
)

// Result returns the check_host() result a matching mechanism with this
// qualifier produces.
func (q Qualifier) Result() Result {
	switch q {
	case QFail:
		return Fail
	case QSoftFail:
		return SoftFail
	case QNeutral:
		return Neutral
	}
	return Pass
}

// Mech is a mechanism kind.
type Mech uint8

// The mechanisms of RFC 7208 §5. MechNone marks a modifier.
const (
	MechNone Mech = iota
	MechAll
	MechInclude
	MechA
	MechMX
	MechPTR
	MechIP4
	MechIP6
	MechExists
)

var mechNames = [...]string{"", "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}

// String returns the mechanism's name as written in records.
func (m Mech) String() string {
	if int(m) < len(mechNames) {
		return mechNames[m]
	}
	return "?"
}

// Term is one mechanism or modifier of a record. Its strings are slices of
// the record text (parsing copies nothing).
type Term struct {
	Pos    int       // byte offset of the term in the record
	Text   string    // the term as written
	Mech   Mech      // MechNone for a modifier
	Qual   Qualifier // mechanisms only; '+' when not written
	Mod    string    // modifier name as written ("redirect", "exp", or unknown)
	Domain string    // domain-spec (mechanisms), or the modifier's value; "" when absent
	Net    netip.Prefix
	CIDR4  int // a/mx IPv4 prefix length (32 when not written)
	CIDR6  int // a/mx IPv6 prefix length (128 when not written)
}

// IsModifier reports whether the term is a modifier.
func (t *Term) IsModifier() bool { return t.Mech == MechNone }

// IsRedirect reports whether the term is the redirect modifier.
func (t *Term) IsRedirect() bool { return t.Mech == MechNone && strings.EqualFold(t.Mod, "redirect") }

// IsExp reports whether the term is the exp modifier.
func (t *Term) IsExp() bool { return t.Mech == MechNone && strings.EqualFold(t.Mod, "exp") }

// CountsLookup reports whether evaluating the term costs one of the 10
// DNS-querying terms (RFC 7208 §4.6.4): include, a, mx, ptr, exists, redirect.
func (t *Term) CountsLookup() bool {
	switch t.Mech {
	case MechInclude, MechA, MechMX, MechPTR, MechExists:
		return true
	}
	return t.IsRedirect()
}

// Record is a parsed SPF record.
type Record struct {
	Raw      string
	Terms    []Term // mechanisms and modifiers in order
	Redirect int    // index in Terms of the redirect modifier, or -1
	Exp      int    // index in Terms of the exp modifier, or -1
}

// RedirectTerm returns the redirect modifier or nil.
func (r *Record) RedirectTerm() *Term {
	if r.Redirect < 0 {
		return nil
	}
	return &r.Terms[r.Redirect]
}

// ExpTerm returns the exp modifier or nil.
func (r *Record) ExpTerm() *Term {
	if r.Exp < 0 {
		return nil
	}
	return &r.Terms[r.Exp]
}

// IsSPF reports whether a TXT record's text is an SPF version 1 record:
// "v=spf1" (any case) followed by a space or the end (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

// Parse parses an SPF record per the ABNF of RFC 7208 §12. It allocates
// the term slice and nothing per character: terms refer into s.
func Parse(s string) (*Record, error) {
	if len(s) > MaxRecordLen {
		return nil, &SyntaxError{Pos: MaxRecordLen, Msg: fmt.Sprintf("record is %d bytes; refusing more than %d", len(s), MaxRecordLen)}
	}
	if !IsSPF(s) {
		return nil, &SyntaxError{Msg: `record does not start with "v=spf1" followed by a space`}
	}
	n := 0
	for i := 6; i < len(s); i++ {
		if s[i] == ' ' && i+1 < len(s) && s[i+1] != ' ' {
			n++
		}
	}
	r := &Record{Raw: s, Terms: make([]Term, 0, n), Redirect: -1, Exp: -1}
	i := 6
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		t, err := parseTerm(s[i:j], i)
		if err != nil {
			return nil, err
		}
		if t.IsRedirect() || t.IsExp() {
			idx := &r.Redirect
			if t.IsExp() {
				idx = &r.Exp
			}
			if *idx >= 0 {
				return nil, termErr(t.Text, i, 0, fmt.Sprintf("%s= may appear only once", t.Mod))
			}
			*idx = len(r.Terms)
		}
		r.Terms = append(r.Terms, t)
		i = j
	}
	return r, nil
}

func termErr(text string, pos, off int, msg string) *SyntaxError {
	if len(text) > 80 {
		text = text[:80] + "…"
	}
	return &SyntaxError{Pos: pos, Offset: off, Term: text, Msg: msg}
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func parseTerm(text string, pos int) (Term, error) {
	t := Term{Pos: pos, Text: text, Qual: QPass, CIDR4: 32, CIDR6: 128}
	for k := 0; k < len(text); k++ {
		if c := text[k]; c < 0x21 || c > 0x7e {
			msg := "control character"
			switch {
			case c >= 0x80:
				msg = "non-ASCII byte; SPF records are 7-bit ASCII"
			case c == 0:
				msg = "NUL byte"
			case c == '\t':
				msg = "tab; terms are separated by spaces only"
			}
			return t, termErr(text, pos, k, fmt.Sprintf("%s (0x%02x)", msg, c))
		}
	}
	// A modifier: name "=" value, where name = ALPHA *(ALPHA / DIGIT / "-" / "_" / ".").
	if isAlpha(text[0]) {
		k := 1
		for k < len(text) && (isAlpha(text[k]) || isDigit(text[k]) || text[k] == '-' || text[k] == '_' || text[k] == '.') {
			k++
		}
		if k < len(text) && text[k] == '=' {
			t.Mod = text[:k]
			t.Domain = text[k+1:]
			if t.IsRedirect() || t.IsExp() {
				if err := checkDomainSpec(t.Domain); err != nil {
					return t, termErr(text, pos, k+1+err.off, err.msg)
				}
				return t, nil
			}
			if err := checkMacroString(t.Domain, false, false); err != nil {
				return t, termErr(text, pos, k+1+err.off, err.msg)
			}
			return t, nil
		}
	}
	rest := text
	switch rest[0] {
	case '+', '-', '~', '?':
		t.Qual = Qualifier(rest[0])
		rest = rest[1:]
	}
	off := len(text) - len(rest)
	k := 0
	for k < len(rest) && isAlpha(rest[k]) || k < len(rest) && k > 0 && isDigit(rest[k]) {
		k++
	}
	name := rest[:k]
	arg := rest[k:]
	for m := MechAll; m <= MechExists; m++ {
		if strings.EqualFold(name, mechNames[m]) {
			t.Mech = m
			break
		}
	}
	if t.Mech == MechNone {
		if k < len(rest) && rest[k] == '=' {
			return t, termErr(text, pos, 0, "a modifier cannot have a qualifier")
		}
		if name == "" {
			return t, termErr(text, pos, off, "expected a mechanism or modifier")
		}
		return t, termErr(text, pos, off, fmt.Sprintf("unknown mechanism %q", name))
	}
	off += k
	switch t.Mech {
	case MechAll:
		if arg != "" {
			return t, termErr(text, pos, off, `"all" takes no argument`)
		}
	case MechInclude, MechExists:
		if len(arg) < 2 || arg[0] != ':' {
			return t, termErr(text, pos, off, fmt.Sprintf("%q needs \":domain\"", t.Mech))
		}
		t.Domain = arg[1:]
		if err := checkDomainSpec(t.Domain); err != nil {
			return t, termErr(text, pos, off+1+err.off, err.msg)
		}
	case MechA, MechMX, MechPTR:
		dom := arg
		if t.Mech != MechPTR {
			var cerr *posErr
			dom, cerr = t.dualCIDR(arg)
			if cerr != nil {
				return t, termErr(text, pos, off+cerr.off, cerr.msg)
			}
		}
		if dom != "" {
			if dom[0] != ':' || len(dom) == 1 {
				return t, termErr(text, pos, off, fmt.Sprintf("unexpected %q after %q", dom, t.Mech))
			}
			t.Domain = dom[1:]
			if err := checkDomainSpec(t.Domain); err != nil {
				return t, termErr(text, pos, off+1+err.off, err.msg)
			}
		}
	case MechIP4, MechIP6:
		if len(arg) < 2 || arg[0] != ':' {
			return t, termErr(text, pos, off, fmt.Sprintf("%q needs \":address\"", t.Mech))
		}
		addr := arg[1:]
		bits := 32
		if t.Mech == MechIP6 {
			bits = 128
		}
		if sl := strings.IndexByte(addr, '/'); sl >= 0 {
			n, err := parseCIDR(addr[sl+1:], bits)
			if err != nil {
				return t, termErr(text, pos, off+1+sl, err.msg)
			}
			bits = n
			addr = addr[:sl]
		}
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" {
			return t, termErr(text, pos, off+1, fmt.Sprintf("%q is not an IP address", addr))
		}
		if t.Mech == MechIP4 && !ip.Is4() {
			return t, termErr(text, pos, off+1, fmt.Sprintf("%q is not an IPv4 address", addr))
		}
		if t.Mech == MechIP6 && !ip.Is6() {
			return t, termErr(text, pos, off+1, fmt.Sprintf("%q is not an IPv6 address", addr))
		}
		t.Net = netip.PrefixFrom(ip, bits)
	}
	return t, nil
}

// dualCIDR strips a trailing dual-cidr-length ("/n", "//m", "/n//m") from
// arg and records it.
func (t *Term) dualCIDR(arg string) (string, *posErr) {
	if i := strings.LastIndex(arg, "//"); i >= 0 && allDigits(arg[i+2:]) {
		n, err := parseCIDR(arg[i+2:], 128)
		if err != nil {
			return "", &posErr{i + 1, err.msg}
		}
		t.CIDR6 = n
		arg = arg[:i]
	}
	if i := strings.LastIndexByte(arg, '/'); i >= 0 && allDigits(arg[i+1:]) {
		n, err := parseCIDR(arg[i+1:], 32)
		if err != nil {
			return "", &posErr{i, err.msg}
		}
		t.CIDR4 = n
		arg = arg[:i]
	}
	return arg, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// posErr is an error at an offset inside a string being validated.
type posErr struct {
	off int
	msg string
}

// parseCIDR parses a prefix length: "0" or a number without leading zero,
// at most max.
func parseCIDR(s string, max int) (int, *posErr) {
	if s == "" || !allDigits(s) {
		return 0, &posErr{0, fmt.Sprintf("bad prefix length %q", s)}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, &posErr{0, fmt.Sprintf("prefix length %q has a leading zero", s)}
	}
	if len(s) > 3 {
		return 0, &posErr{0, fmt.Sprintf("prefix length %s is longer than %d", s, max)}
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	if n > max {
		return 0, &posErr{0, fmt.Sprintf("prefix length %d is longer than %d", n, max)}
	}
	return n, nil
}

// macroLetter reports whether c is a macro letter; exp reports whether it is
// one of the letters allowed only in explanation strings (c, r, t).
func macroLetter(c byte) (ok, exp bool) {
	switch c | 0x20 {
	case 's', 'l', 'o', 'd', 'i', 'p', 'h', 'v':
		return true, false
	case 'c', 'r', 't':
		return true, true
	}
	return false, false
}

func isDelimiter(c byte) bool {
	switch c {
	case '.', '-', '+', ',', '/', '_', '=':
		return true
	}
	return false
}

// checkMacroString validates a macro-string (or, with space, an
// explain-string); exp allows the c, r and t letters. It reports the offset
// of the first error.
func checkMacroString(s string, exp, space bool) *posErr {
	_, err := scanMacroString(s, exp, space)
	return err
}

// scanMacroString validates s and reports whether it ends with a
// macro-expand.
func scanMacroString(s string, exp, space bool) (endsWithMacro bool, _ *posErr) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%':
			if i+1 >= len(s) {
				return false, &posErr{i, `"%" at the end; write "%%" for a literal percent sign`}
			}
			switch s[i+1] {
			case '%', '_', '-':
				i += 2
				endsWithMacro = true
				continue
			case '{':
			default:
				return false, &posErr{i, fmt.Sprintf(`"%%%c" is not a macro; write "%%%%" for a literal percent sign`, s[i+1])}
			}
			j := i + 2
			if j >= len(s) {
				return false, &posErr{i, "unterminated macro"}
			}
			ok, expOnly := macroLetter(s[j])
			if !ok {
				return false, &posErr{j, fmt.Sprintf("unknown macro letter %q", s[j])}
			}
			if expOnly && !exp {
				return false, &posErr{j, fmt.Sprintf("macro letter %q is allowed only in exp= explanations", s[j])}
			}
			j++
			d := j
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j > d {
				zero := true
				for k := d; k < j; k++ {
					if s[k] != '0' {
						zero = false
					}
				}
				if zero {
					return false, &posErr{d, "macro transformer digit must be non-zero"}
				}
			}
			if j < len(s) && s[j]|0x20 == 'r' {
				j++
			}
			for j < len(s) && isDelimiter(s[j]) {
				j++
			}
			if j >= len(s) || s[j] != '}' {
				return false, &posErr{i, "malformed macro: expected \"}\""}
			}
			i = j + 1
			endsWithMacro = true
		case c == ' ' && space:
			i++
			endsWithMacro = false
		case c >= 0x21 && c <= 0x7e:
			i++
			endsWithMacro = false
		default:
			return false, &posErr{i, fmt.Sprintf("invalid character 0x%02x", c)}
		}
	}
	return endsWithMacro, nil
}

// checkDomainSpec validates a domain-spec: a macro-string ending in a
// macro-expand or in "." toplabel with an optional trailing dot.
func checkDomainSpec(s string) *posErr {
	if s == "" {
		return &posErr{0, "empty domain"}
	}
	endsMacro, err := scanMacroString(s, false, false)
	if err != nil {
		return err
	}
	if endsMacro {
		return nil
	}
	t := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(t, '.')
	if dot < 0 {
		return &posErr{0, fmt.Sprintf("%q is not a fully qualified domain name", s)}
	}
	if !isTopLabel(t[dot+1:]) {
		return &posErr{dot + 1, fmt.Sprintf("%q is not a valid top-level label", t[dot+1:])}
	}
	return nil
}

// isTopLabel implements the toplabel rule: alphanumeric with at least one
// letter, or alphanumeric with inner hyphens.
func isTopLabel(l string) bool {
	if l == "" {
		return false
	}
	alpha, hyphen := false, false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			if i == 0 || i == len(l)-1 {
				return false
			}
			hyphen = true
		default:
			return false
		}
	}
	return alpha || hyphen
}
