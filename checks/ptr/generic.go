package ptr

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Generic reports whether name, a reverse DNS (PTR) name of addr, looks
// like one a network provider generates for every address of a range
// rather than one chosen for a mail server, and says why in plain words.
// Receivers take such names for consumer or dynamically assigned hosts.
//
// A name is generic when it
//   - contains the address: IPv4's four octets in either order, separated
//     by dots, dashes or underscores, with or without zero padding
//     (203-0-113-7, 7.113.0.203, 203-000-113-007), as twelve padded digits
//     (203000113007), in hex (cb007107, either byte order) or as one number
//     (3405803783); IPv6's groups separated by dashes or dots (compressed,
//     bare or zero-padded), its 32 hex digits, or its reversed nibbles;
//   - contains the last two octets of an IPv4 address (113-7, 7-113) and a
//     word such as host, ip, cust, client, static, dyn, pool, dsl or cable;
//   - has, left of its registered domain, a label that joins a word such as
//     dyn, dynamic, dhcp, dialup, ppp, pppoe, dsl, adsl, broadband, cpe,
//     cust or residential with a number (dsl123, dyn-42).
//
// addr may be the zero Addr: only the last rule applies then. Generic
// reads any string (it sees network data) in time linear in its length.
func Generic(name string, addr netip.Addr) (bool, string) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if n == "" || len(n) > maxName {
		return false, ""
	}
	addr = addr.WithZone("").Unmap()
	if addr.IsValid() {
		if s := embedded(n, addr); s != "" {
			return true, fmt.Sprintf("it contains the address as %q", s)
		}
		if addr.Is4() {
			if s := tail(n, addr.As4()); s != "" {
				if w := firstWord(n, anyWords); w != "" {
					return true, fmt.Sprintf("it contains the end of the address as %q and the word %q", s, w)
				}
			}
		}
	}
	if w, label := dynamicLabel(n); w != "" {
		return true, fmt.Sprintf("its label %q joins the word %q with a number", label, w)
	}
	return false, ""
}

// maxName bounds the names Generic reads: a DNS name in presentation form
// with every octet escaped (\DDD) is at most 4×253 bytes.
const maxName = 1024

// dynamicWords mark a name as generic when joined with a number in one
// label: they name a kind of consumer access or assignment.
var dynamicWords = map[string]bool{
	"dyn": true, "dynamic": true, "dynip": true, "dynamicip": true, "dhcp": true,
	"dial": true, "dialup": true, "dialin": true, "ppp": true, "pppoe": true,
	"dsl": true, "adsl": true, "vdsl": true, "xdsl": true, "sdsl": true,
	"broadband": true, "cpe": true, "residential": true, "resnet": true,
	"cust": true, "customer": true, "subscriber": true,
}

// anyWords mark a name as generic next to the end of the address: the
// dynamic words and the words providers put in the names they generate.
var anyWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range dynamicWords {
		m[w] = true
	}
	for _, w := range []string{"host", "ip", "ips", "customers", "client", "clients", "static",
		"pool", "cable", "node", "nat", "cgnat", "rev", "rdns", "ptr", "addr", "unassigned",
		"generic", "home", "user", "users", "res", "ftth", "fttx", "lte", "mobile", "wireless", "bb"} {
		m[w] = true
	}
	return m
}()

// digitRun is n[start:end], a maximal run of ASCII digits.
type digitRun struct{ start, end int }

func digitRuns(n string) []digitRun {
	var out []digitRun
	for i := 0; i < len(n); {
		if !isDigit(n[i]) {
			i++
			continue
		}
		j := i
		for j < len(n) && isDigit(n[j]) {
			j++
		}
		out = append(out, digitRun{i, j})
		i = j
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') }
func isSep(c byte) bool   { return c == '.' || c == '-' || c == '_' }

// octetRun reports whether the run is a decimal octet equal to v, with at
// most three digits (zero padding allowed).
func octetRun(n string, r digitRun, v byte) bool {
	if r.end-r.start > 3 {
		return false
	}
	x, err := strconv.Atoi(n[r.start:r.end])
	return err == nil && x == int(v)
}

// octets looks for len(want) consecutive runs, each one separator apart,
// equal to want, and returns the text they span.
func octets(n string, runs []digitRun, want []byte) string {
	for i := 0; i+len(want) <= len(runs); i++ {
		ok := true
		for k, v := range want {
			r := runs[i+k]
			if !octetRun(n, r, v) || (k > 0 && (runs[i+k-1].end+1 != r.start || !isSep(n[r.start-1]))) {
				ok = false
				break
			}
		}
		if ok {
			return n[runs[i].start:runs[i+len(want)-1].end]
		}
	}
	return ""
}

// containsBounded returns s when n contains it with no hex digit right
// before or after it (so that "cb007107" is not found inside a longer hex
// string).
func containsBounded(n, s string) string {
	for from := 0; from < len(n); {
		i := strings.Index(n[from:], s)
		if i < 0 {
			return ""
		}
		i += from
		j := i + len(s)
		if (i == 0 || !isHex(n[i-1])) && (j == len(n) || !isHex(n[j])) {
			return s
		}
		from = i + 1
	}
	return ""
}

// embedded returns the form in which n contains the whole of addr, or "".
func embedded(n string, addr netip.Addr) string {
	if addr.Is4() {
		o := addr.As4()
		runs := digitRuns(n)
		if s := octets(n, runs, o[:]); s != "" {
			return s
		}
		if s := octets(n, runs, []byte{o[3], o[2], o[1], o[0]}); s != "" {
			return s
		}
		padded := fmt.Sprintf("%03d%03d%03d%03d", o[0], o[1], o[2], o[3])
		rpadded := fmt.Sprintf("%03d%03d%03d%03d", o[3], o[2], o[1], o[0])
		num := strconv.FormatUint(uint64(binary.BigEndian.Uint32(o[:])), 10)
		for _, r := range runs {
			switch t := n[r.start:r.end]; {
			case t == padded, t == rpadded:
				return t
			case len(num) >= 8 && t == num: // 1.0.0.0 and up: never a small number
				return t
			}
		}
		for _, h := range []string{
			fmt.Sprintf("%02x%02x%02x%02x", o[0], o[1], o[2], o[3]),
			fmt.Sprintf("%02x%02x%02x%02x", o[3], o[2], o[1], o[0]),
		} {
			if s := containsBounded(n, h); s != "" {
				return s
			}
		}
		return ""
	}
	b := addr.As16()
	full := fmt.Sprintf("%x", b[:])
	var groups, padded, nibbles []string
	for i := 0; i < 16; i += 2 {
		g := binary.BigEndian.Uint16(b[i:])
		groups = append(groups, strconv.FormatUint(uint64(g), 16))
		padded = append(padded, fmt.Sprintf("%04x", g))
	}
	for i := len(full) - 1; i >= 0; i-- {
		nibbles = append(nibbles, full[i:i+1])
	}
	cands := []string{full, strings.Join(nibbles, ".")}
	for _, sep := range []string{"-", "."} {
		cands = append(cands,
			strings.ReplaceAll(addr.String(), ":", sep),
			strings.Join(groups, sep),
			strings.Join(padded, sep))
	}
	for _, c := range cands {
		if s := containsBounded(n, c); s != "" {
			return s
		}
	}
	return ""
}

// tail returns the form in which n contains the last two octets of an IPv4
// address, in either order, or "".
func tail(n string, o [4]byte) string {
	runs := digitRuns(n)
	if s := octets(n, runs, []byte{o[2], o[3]}); s != "" {
		return s
	}
	return octets(n, runs, []byte{o[3], o[2]})
}

// words splits s into its runs of letters.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < 'a' || r > 'z' })
}

// firstWord returns the first word of n in set, or "".
func firstWord(n string, set map[string]bool) string {
	for _, w := range words(n) {
		if set[w] {
			return w
		}
	}
	return ""
}

// dynamicLabel returns the first dynamic word that a label left of the
// registered domain joins with a number, and that label.
func dynamicLabel(n string) (string, string) {
	labels := strings.Split(n, ".")
	keep := len(labels) - 2 // without the public suffix list: the last two labels
	if reg, err := publicsuffix.EffectiveTLDPlusOne(n); err == nil {
		keep = len(labels) - (strings.Count(reg, ".") + 1)
	}
	for _, l := range labels[:max(keep, 0)] {
		if !strings.ContainsFunc(l, func(r rune) bool { return r >= '0' && r <= '9' }) {
			continue
		}
		if w := firstWord(l, dynamicWords); w != "" {
			return w, l
		}
	}
	return "", ""
}
