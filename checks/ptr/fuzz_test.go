package ptr

import (
	"fmt"
	"net/netip"
	"testing"
)

// FuzzGeneric feeds Generic PTR names as they come from the network, with
// IPv4 and IPv6 addresses.
func FuzzGeneric(f *testing.F) {
	for _, s := range []struct {
		name string
		addr []byte
	}{
		{"203-0-113-7.dyn.broadband.example", []byte{203, 0, 113, 7}},
		{"dsl-203-0-113-7.pool.example.", []byte{203, 0, 113, 7}},
		{"host-113-7.cust.example", []byte{203, 0, 113, 7}},
		{"h203000113007.isp.example", []byte{203, 0, 113, 7}},
		{"ipcb007107.isp.example", []byte{203, 0, 113, 7}},
		{"ip-3405803783.isp.example", []byte{203, 0, 113, 7}},
		{"mail.good.example", []byte{203, 0, 113, 7}},
		{"dsl123.co.uk", nil},
		{"2001-db8--25.dyn.example", netip.MustParseAddr("2001:db8::25").AsSlice()},
		{"5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.example", netip.MustParseAddr("2001:db8::25").AsSlice()},
		{"a..b.-.\\046\\000.\xff\xfe", []byte{0, 0, 0, 0}},
		{"0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0", []byte{0, 0, 0, 0}},
	} {
		f.Add(s.name, s.addr)
	}
	f.Fuzz(func(t *testing.T, name string, ab []byte) {
		addr, _ := netip.AddrFromSlice(ab) // the zero Addr when ab is neither 4 nor 16 bytes
		g, why := Generic(name, addr)
		if g != (why != "") {
			t.Fatalf("Generic(%q, %s) = %v with reason %q", name, addr, g, why)
		}
		if g2, why2 := Generic(name, addr); g2 != g || why2 != why {
			t.Fatalf("Generic(%q, %s) is not deterministic", name, addr)
		}
		// Whatever the rest of the name, the address written into it with
		// dashes is found.
		if addr.Is4() && len(name) < 200 {
			o := addr.As4()
			n := fmt.Sprintf("x-%d-%d-%d-%d.%s", o[0], o[1], o[2], o[3], name)
			if g, _ := Generic(n, addr); !g {
				t.Fatalf("Generic(%q, %s) missed the address", n, addr)
			}
		}
	})
}
