package dnsbl

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mxray/mxray/checks/tagval"
)

// Status is the outcome of asking one zone about one target. Its values are
// the words of the JSON data.
type Status string

// The statuses of a (zone, target) pair.
const (
	StatusListed    Status = "listed"    // a listing code in 127.0.0.0/8
	StatusClean     Status = "clean"     // NXDOMAIN (or NODATA) from a healthy zone
	StatusRefused   Status = "refused"   // the list refused the query (127.255.255.x, 127.0.0.1...)
	StatusError     Status = "error"     // unknown: timeout, SERVFAIL, REFUSED, rewritten answer, failed probe
	StatusUnhealthy Status = "unhealthy" // the zone failed its RFC 5782 health probe; its answer is ignored
)

// ReverseName returns the label sequence a DNSBL is queried with for a:
// the reversed octets of an IPv4 address ("2.0.0.127"), or the 32 reversed
// nibbles of an IPv6 address (RFC 5782 §2.4). IPv4-mapped IPv6 addresses are
// queried as IPv4.
func ReverseName(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%d.%d.%d.%d", b[3], b[2], b[1], b[0])
	}
	b := a.As16()
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 63)
	for i := 15; i >= 0; i-- {
		if len(out) > 0 {
			out = append(out, '.')
		}
		out = append(out, hex[b[i]&0xf], '.', hex[b[i]>>4])
	}
	return string(out)
}

// QueryName returns the name to look up for target in z: the reversed
// address under an IP list, the domain under a domain list.
func QueryName(z *Zone, target string) (string, error) {
	if z.Kind == KindIP {
		a, err := netip.ParseAddr(target)
		if err != nil {
			return "", fmt.Errorf("%s is not an IP address", tagval.Clean(target))
		}
		return ReverseName(a) + "." + z.Zone, nil
	}
	d := strings.TrimSuffix(strings.ToLower(target), ".")
	if d == "" {
		return "", fmt.Errorf("the domain is empty")
	}
	return d + "." + z.Zone, nil
}

// verdict is the decoded answer of one zone for one name.
type verdict struct {
	Status   Status
	Codes    []string // the A records, sorted
	Meanings []string // what the codes mean, in code order
	Weight   Weight   // for listings: the heaviest weight of the codes
	Rewrite  bool     // an answer outside 127.0.0.0/8: the resolver (or a parked zone) rewrote it
}

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// decode interprets the A records a zone answered. No record is clean; any
// record outside 127.0.0.0/8 is a rewrite (RFC 5782 §2.1 puts every answer in
// 127/8); any refusal code makes the whole answer a refusal, never a listing.
func (l *List) decode(z *Zone, addrs []netip.Addr) verdict {
	if len(addrs) == 0 {
		return verdict{Status: StatusClean}
	}
	addrs = append([]netip.Addr(nil), addrs...)
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	v := verdict{}
	for _, a := range addrs {
		v.Codes = append(v.Codes, a.String())
	}
	for _, a := range addrs {
		if !a.Is4() || !loopback.Contains(a) {
			v.Status, v.Rewrite = StatusError, true
			v.Meanings = []string{fmt.Sprintf("%s is outside 127.0.0.0/8, so it is no blocklist answer", a)}
			return v
		}
	}
	var refused []string
	for _, a := range addrs {
		if m, ok := l.refusal(z, a); ok {
			refused = append(refused, fmt.Sprintf("%s [%s]", m, a))
		}
	}
	if len(refused) > 0 {
		v.Status, v.Meanings = StatusRefused, refused
		return v
	}
	v.Status = StatusListed
	v.Weight = ""
	for _, a := range addrs {
		m, w := z.meaning(a)
		v.Meanings = append(v.Meanings, m)
		if v.Weight == "" || w == WeightScoring {
			v.Weight = w
		}
	}
	return v
}

// refusal reports whether a is a refusal code for z, and its meaning. A
// zone's own codes come first, then the universal ones.
func (l *List) refusal(z *Zone, a netip.Addr) (string, bool) {
	for _, c := range z.Refusals {
		if c.matches(a) {
			return c.Meaning, true
		}
	}
	// Exact universal codes before ranges, so that 127.255.255.254 gets its
	// own explanation rather than the range's.
	for _, exact := range []bool{true, false} {
		for _, c := range l.Universal {
			if c.Range.IsValid() != exact && c.matches(a) {
				return c.Meaning, true
			}
		}
	}
	return "", false
}

// meaning returns what listing code a means on z, and its weight.
func (z *Zone) meaning(a netip.Addr) (string, Weight) {
	for _, c := range z.Codes {
		if c.matches(a) {
			return fmt.Sprintf("%s [%s]", c.Meaning, a), or(c.Weight, z.Weight)
		}
	}
	if len(z.Bits) > 0 {
		last := a.As4()[3]
		var parts []string
		w := Weight("")
		for _, b := range z.Bits {
			if last&b.Mask != 0 {
				parts = append(parts, b.Meaning)
				if bw := or(b.Weight, z.Weight); w == "" || bw == WeightScoring {
					w = bw
				}
			}
		}
		if len(parts) > 0 {
			return fmt.Sprintf("%s [%s]", strings.Join(parts, "; "), a), w
		}
	}
	if len(z.Codes) == 0 && len(z.Bits) == 0 {
		return fmt.Sprintf("listed [%s]", a), z.Weight
	}
	return fmt.Sprintf("a code the list does not document [%s]", a), z.Weight
}

func or(w, def Weight) Weight {
	if w == "" {
		return def
	}
	return w
}
