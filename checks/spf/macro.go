package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxExpansion bounds the memory of one macro expansion, so that deep or
// repeated macros stay cheap: a domain keeps only its rightmost labels
// (which is all RFC 7208 §7.3 keeps anyway), an explanation is cut.
const maxExpansion = 4096

// expand expands the macros of a macro-string (RFC 7208 §7) for the current
// domain. exp allows the explanation-only letters c, r, t and spaces.
func (e *evaluation) expand(ctx context.Context, s, domain string, exp bool) (string, error) {
	if err := checkMacroString(s, exp, exp); err != nil {
		return "", &SyntaxError{Pos: err.off, Term: s, Msg: err.msg}
	}
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() > 2*maxExpansion {
			if exp {
				break // explanations are cut, not failed
			}
			// Only the rightmost 253 octets of a domain survive (RFC 7208
			// §7.3): dropping leading labels now gives the same result.
			cur := b.String()
			tail := cur[len(cur)-maxExpansion:]
			if dot := strings.IndexByte(tail, '.'); dot >= 0 {
				tail = tail[dot+1:]
			}
			b.Reset()
			b.WriteString(tail)
		}
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '%':
			b.WriteByte('%')
			i += 2
			continue
		case '_':
			b.WriteByte(' ')
			i += 2
			continue
		case '-':
			b.WriteString("%20")
			i += 2
			continue
		}
		end := i + strings.IndexByte(s[i:], '}')
		body := s[i+2 : end]
		i = end + 1
		letter := body[0]
		j := 1
		digits := 0
		hasDigits := false
		for j < len(body) && isDigit(body[j]) {
			hasDigits = true
			if digits < 1000 {
				digits = digits*10 + int(body[j]-'0')
			}
			j++
		}
		reverse := false
		if j < len(body) && body[j]|0x20 == 'r' {
			reverse = true
			j++
		}
		delims := body[j:]
		if delims == "" {
			delims = "."
		}
		val := e.macroValue(ctx, letter|0x20, domain)
		val = transform(val, delims, hasDigits, digits, reverse)
		if letter >= 'A' && letter <= 'Z' {
			val = urlEscape(val)
		}
		b.WriteString(val)
	}
	out := b.String()
	if exp && len(out) > maxExpansion {
		out = out[:maxExpansion]
	}
	return out, nil
}

// transform splits v on any of delims, optionally reverses the parts, keeps
// the rightmost n and joins them with dots.
func transform(v, delims string, hasDigits bool, n int, reverse bool) string {
	if delims == "." && !reverse && !hasDigits {
		return v
	}
	parts := make([]string, 0, 8)
	start := 0
	for k := 0; k < len(v); k++ {
		if strings.IndexByte(delims, v[k]) >= 0 {
			parts = append(parts, v[start:k])
			start = k + 1
		}
	}
	parts = append(parts, v[start:])
	if reverse {
		for a, z := 0, len(parts)-1; a < z; a, z = a+1, z-1 {
			parts[a], parts[z] = parts[z], parts[a]
		}
	}
	if hasDigits && n < len(parts) {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, ".")
}

// urlEscape escapes every byte outside the URI unreserved set (RFC 3986).
func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// macroValue returns the value of a macro letter (lower case).
func (e *evaluation) macroValue(ctx context.Context, letter byte, domain string) string {
	p := &e.p
	switch letter {
	case 's':
		return e.sender
	case 'l':
		return e.local
	case 'o':
		return e.senderDomain
	case 'd':
		return domain
	case 'i':
		return dottedIP(p.IP)
	case 'c':
		return p.IP.String()
	case 'v':
		if p.IP.Is4() {
			return "in-addr"
		}
		return "ip6"
	case 'h':
		if p.HELO == "" {
			return "unknown"
		}
		return p.HELO
	case 'r':
		if p.Receiver == "" {
			return "unknown"
		}
		return p.Receiver
	case 't':
		return strconv.FormatInt(p.now().Unix(), 10)
	case 'p':
		if e.c == nil {
			return "unknown"
		}
		return e.validatedName(ctx, domain)
	}
	return ""
}

// dottedIP is the %{i} form: dotted quad, or 32 dot-separated nibbles.
// RFC 7208 does not fix the case of the nibbles; the openspf suite (and
// pyspf) expect upper case, and DNS names compare case-insensitively.
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789ABCDEF"
	a := ip.As16()
	b := make([]byte, 0, 63)
	for _, x := range a {
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, hex[x>>4], '.', hex[x&0xf])
	}
	return string(b)
}

// reverseName is the in-addr.arpa / ip6.arpa name of ip.
func reverseName(ip netip.Addr) string {
	if ip.Is4() {
		a := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", a[3], a[2], a[1], a[0])
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	b := make([]byte, 0, 73)
	for i := 15; i >= 0; i-- {
		b = append(b, hex[a[i]&0xf], '.', hex[a[i]>>4], '.')
	}
	return string(b) + "ip6.arpa."
}

// dnsName converts a name made of raw bytes (as macro expansion produces
// them) to the DNS library's presentation form, escaping the bytes that
// have a special meaning there, so that the name goes on the wire as is.
func dnsName(s string) string {
	special := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`'@;()"\\$`, c) >= 0 {
			special = true
			break
		}
	}
	if !special {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		case c == ' ' || strings.IndexByte(`'@;()"\\$`, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
