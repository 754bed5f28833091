package mailtest

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// DNSBL is a DNS blocklist zone (RFC 5782) served by a World's DNS server.
// Build one with World.AddDNSBL (healthy) or one of the misbehaving
// variants, then list addresses and domains on it with List.
type DNSBL struct {
	srv  *DNSServer
	Zone string // lower case, no trailing dot
}

// DNSBLName returns the name under which zone answers for target: the
// reversed octets of an IPv4 address, the 32 reversed nibbles of an IPv6
// address, or a domain as is.
func DNSBLName(target, zone string) string {
	zone = strings.TrimSuffix(strings.ToLower(zone), ".")
	a, err := netip.ParseAddr(target)
	if err != nil {
		return strings.TrimSuffix(strings.ToLower(target), ".") + "." + zone
	}
	a = a.Unmap()
	var labels []string
	if a.Is4() {
		b := a.As4()
		for i := 3; i >= 0; i-- {
			labels = append(labels, fmt.Sprint(b[i]))
		}
	} else {
		h := fmt.Sprintf("%x", a.As16())
		for i := len(h) - 1; i >= 0; i-- {
			labels = append(labels, h[i:i+1])
		}
	}
	return strings.Join(labels, ".") + "." + zone
}

func (w *World) newDNSBL(zone string) *DNSBL {
	zone = strings.TrimSuffix(strings.ToLower(zone), ".")
	b := &DNSBL{srv: w.DNS, Zone: zone}
	apex := zone + "."
	b.srv.Add(&dns.SOA{Hdr: dnsblHdr(apex, dns.TypeSOA), Ns: "ns." + apex, Mbox: "hostmaster." + apex,
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300})
	return b
}

// AddDNSBL adds a healthy blocklist zone: it lists its RFC 5782 test
// entries (127.0.0.2 and TEST, each 127.0.0.2 with a TXT
// record) and nothing else, so 127.0.0.1 and INVALID are not listed.
func (w *World) AddDNSBL(zone string) *DNSBL {
	b := w.newDNSBL(zone)
	b.List("127.0.0.2", "RFC 5782 test entry", "127.0.0.2")
	b.List("test", "RFC 5782 test entry", "127.0.0.2")
	return b
}

// AddRefusingDNSBL adds a zone that answers every query with code and a TXT
// explanation, as Spamhaus answers 127.255.255.254 to a public resolver and
// URIBL 127.0.0.1 to a blocked one.
func (w *World) AddRefusingDNSBL(zone, code, explanation string) *DNSBL {
	b := w.newDNSBL(zone)
	b.List("*", explanation, code)
	return b
}

// AddDeadDNSBL adds a zone that exists but lists nothing, not even its test
// entries: a shut-down list. It fails the RFC 5782 health probe.
func (w *World) AddDeadDNSBL(zone string) *DNSBL {
	return w.newDNSBL(zone)
}

// AddListAllDNSBL adds a zone that lists everything (127.0.0.1 included)
// with 127.0.0.2, as dead lists do once their domain is re-registered. It
// fails the RFC 5782 health probe.
func (w *World) AddListAllDNSBL(zone string) *DNSBL {
	b := w.newDNSBL(zone)
	b.List("*", "listed", "127.0.0.2")
	return b
}

// AddRewritingDNSBL adds a zone whose every name answers addr (outside
// 127.0.0.0/8), as a resolver that rewrites NXDOMAIN, or a parked domain
// with wildcard records, would.
func (w *World) AddRewritingDNSBL(zone, addr string) *DNSBL {
	b := w.newDNSBL(zone)
	b.List("*", "", addr)
	return b
}

// List lists target (an IPv4 or IPv6 address, a domain, or "*" for a
// wildcard) on the zone with the given return codes (127.0.0.2 when none)
// and, unless reason is empty, a TXT record giving the reason.
func (b *DNSBL) List(target, reason string, codes ...string) {
	name := dns.Fqdn(DNSBLName(target, b.Zone))
	if target == "*" {
		name = "*." + b.Zone + "."
	}
	if len(codes) == 0 {
		codes = []string{"127.0.0.2"}
	}
	var rrs []dns.RR
	for _, c := range codes {
		ip := net.ParseIP(c).To4()
		if ip == nil {
			panic(fmt.Sprintf("mailtest: DNSBL code %q is not an IPv4 address", c))
		}
		rrs = append(rrs, &dns.A{Hdr: dnsblHdr(name, dns.TypeA), A: ip})
	}
	if reason != "" {
		rrs = append(rrs, &dns.TXT{Hdr: dnsblHdr(name, dns.TypeTXT), Txt: dnsblChunks(reason)})
	}
	b.srv.Add(rrs...)
}

// Unlist removes target from the zone.
func (b *DNSBL) Unlist(target string) {
	b.srv.Remove(DNSBLName(target, b.Zone), 0)
}

// Name returns the query name for target on this zone.
func (b *DNSBL) Name(target string) string { return DNSBLName(target, b.Zone) }

func dnsblHdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 300}
}

// dnsblChunks splits s into TXT character-strings of at most 255 octets.
func dnsblChunks(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}
