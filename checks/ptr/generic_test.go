package ptr_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/ptr"
)

func TestGeneric(t *testing.T) {
	v4 := netip.MustParseAddr("203.0.113.7")
	v6 := netip.MustParseAddr("2001:db8::25")
	for _, tc := range []struct {
		name string
		addr netip.Addr
		want bool
		why  string // a fragment of the reason
	}{
		// The address, whole.
		{"203-0-113-7.dyn.broadband.example", v4, true, `"203-0-113-7"`},
		{"dsl-203-0-113-7.pool.example", v4, true, `"203-0-113-7"`},
		{"host-203-0-113-7.cust.example", v4, true, `"203-0-113-7"`},
		{"7.113.0.203.static.isp.example", v4, true, `"7.113.0.203"`},
		{"7-113-0-203.isp.example", v4, true, `"7-113-0-203"`},
		{"ip203_0_113_7.isp.example", v4, true, `"203_0_113_7"`},
		{"203-000-113-007.isp.example", v4, true, `"203-000-113-007"`},
		{"c-203-0-113-7.hsd1.ca.isp.example", v4, true, ""},
		{"h203000113007.isp.example", v4, true, `"203000113007"`},
		{"h007113000203.isp.example", v4, true, `"007113000203"`},
		{"ipcb007107.isp.example", v4, true, `"cb007107"`},
		{"x-077100cb.isp.example", v4, true, `"077100cb"`},
		{"ip-3405803783.isp.example", v4, true, `"3405803783"`},
		{"203.0.113.7", v4, true, ""},
		{"ec2-203-0-113-7.compute-1.cloud.example", v4, true, ""},
		{"2001-db8--25.dyn.example", v6, true, `"2001-db8--25"`},
		{"2001-db8-0-0-0-0-0-25.isp.example", v6, true, ""},
		{"2001-0db8-0000-0000-0000-0000-0000-0025.isp.example", v6, true, ""},
		{"host-20010db8000000000000000000000025.isp.example", v6, true, ""},
		{"5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.rev.isp.example", v6, true, ""},
		{"203-0-113-7.dyn.broadband.example", netip.MustParseAddr("::ffff:203.0.113.7"), true, ""},
		// The end of the address next to a provider's word.
		{"host-113-7.cust.example", v4, true, `"113-7" and the word "host"`},
		{"7-113.static.isp.example", v4, true, `"7-113"`},
		{"pool-113-7.isp.example", v4, true, `"pool"`},
		// A dynamic word joined with a number.
		{"dsl123.isp.example", v4, true, `"dsl123"`},
		{"dyn-42.isp.example", v4, true, `"dyn"`},
		{"ppp-9-21.access.isp.example", v4, true, `"ppp"`},
		{"adsl42.isp.example", netip.Addr{}, true, `"adsl"`},
		// Names chosen for mail servers.
		{"mail.good.example", v4, false, ""},
		{"mx1.good.example.", v4, false, ""},
		{"mail-sor-f41.google.com", netip.MustParseAddr("209.85.220.41"), false, ""},
		{"a8-30.smtp-out.amazonses.com", netip.MustParseAddr("54.240.8.30"), false, ""},
		{"m228-12.mailgun.net", netip.MustParseAddr("159.135.228.12"), false, ""},
		{"o1.ptr1234.sendgrid.net", netip.MustParseAddr("167.89.0.1"), false, ""},
		{"mta-113-7.good.example", v4, false, ""},             // the end, but no provider's word
		{"outbound-203-0-113-70.good.example", v4, false, ""}, // another address
		{"1203-0-113-7.isp.example", v4, false, ""},           // 1203 is no octet
		{"203-0-113-71.isp.example", v4, false, ""},
		{"xcb0071070.isp.example", v4, false, ""}, // hex inside a longer hex run
		{"dsl.example", v4, false, ""},            // the registered domain's own name
		{"mail.dsl4you.example", v4, false, ""},   // the word is in the registered domain
		{"dynamic.isp.example", v4, false, ""},    // no number: one name, not a range
		{"mail6.good.example", v6, false, ""},
		{"", v4, false, ""},
		{".", v4, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := ptr.Generic(tc.name, tc.addr)
			if got != tc.want {
				t.Fatalf("Generic(%q, %s) = %v (%s), want %v", tc.name, tc.addr, got, why, tc.want)
			}
			if got != (why != "") {
				t.Errorf("generic %v with reason %q", got, why)
			}
			if !strings.Contains(why, tc.why) {
				t.Errorf("reason %q, want it to contain %s", why, tc.why)
			}
		})
	}
}
