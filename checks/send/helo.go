package send

import (
	"net"
	"net/netip"
	"strings"
)

// IsFQDN reports whether name is a fully qualified domain name fit for
// EHLO: at least two labels of letters, digits and hyphens (no leading or
// trailing hyphen), at most 253 characters, not a localhost name and not
// under a top-level domain meant never to resolve in public DNS (.local,
// .localdomain, .internal, .lan, .home.arpa, .invalid...). A trailing dot is
// allowed.
func IsFQDN(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if !isHostName(n) {
		return false
	}
	labels := strings.Split(n, ".")
	if len(labels) < 2 {
		return false
	}
	if labels[0] == "localhost" {
		return false
	}
	// An all-numeric last label is an IPv4 address, not a name.
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	switch labels[len(labels)-1] {
	case "local", "localdomain", "localhost", "internal", "lan", "home", "corp", "invalid":
		return false
	}
	return !strings.HasSuffix(n, ".home.arpa")
}

// AddressLiteral returns the EHLO address literal of an IP address (RFC
// 5321 §4.1.3): "[192.0.2.1]" or "[IPv6:2001:db8::1]"; "" when addr is
// not an IP address.
func AddressLiteral(addr net.Addr) string {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case nil:
		return ""
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return ""
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return ""
	case ip.Is4():
		return "[" + ip.String() + "]"
	}
	return "[IPv6:" + ip.String() + "]"
}

// ehloName picks the EHLO name of a connection whose local address is
// local: the user's, else the machine's FQDN, else the address literal.
func (r *run) ehloName(local net.Addr) (string, EHLONameSource, string) {
	switch {
	case r.o.HELO != "":
		return r.o.HELO, EHLOFromOption, "EHLO name " + r.o.HELO + ": given by --helo"
	case r.o.FQDN != "":
		return r.o.FQDN, EHLOFromFQDN, "EHLO name " + r.o.FQDN + ": this machine's fully qualified name"
	}
	if lit := AddressLiteral(local); lit != "" {
		return lit, EHLOFromAddress, "EHLO name " + lit + ": the local address of this connection, as RFC 5321 §4.1.4 asks of a machine without a fully qualified name (--helo sets one)"
	}
	// A dialer whose connections have no IP address (not a real network):
	// still never a bare host name.
	return "[127.0.0.1]", EHLOFromAddress, "EHLO name [127.0.0.1]: the connection has no local IP address to name (--helo sets one)"
}

// isHostName reports whether name (lower case, no trailing dot) is a host
// name: labels of letters, digits and hyphens, no leading or trailing
// hyphen, at most 63 characters each and 253 in all.
func isHostName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
