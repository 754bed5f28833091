package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/mailtest"
)

// TestLimitCut checks the static account of which senders the lookup
// limit fails against check_host() itself: RFC 7208 §4.6.4 stops the
// evaluation with permerror only when it reaches the 11th DNS-querying
// term, so a sender matched before it still passes.
func TestLimitCut(t *testing.T) {
	var big strings.Builder
	big.WriteString("v=spf1")
	for i := range 10 {
		fmt.Fprintf(&big, " a:h%d.lim.example", i)
	}
	big.WriteString(" ip4:198.51.100.9 -all")
	zone := `
lim.example.        IN TXT "v=spf1 ip4:192.0.2.0/24 include:early.lim.example include:big.lim.example ip4:203.0.113.7 -all"
early.lim.example.  IN TXT "v=spf1 ip4:192.0.2.128/25 -ip4:198.51.100.1 ~all"
big.lim.example.    IN TXT "` + big.String() + `"
`
	for i := range 10 {
		zone += fmt.Sprintf("h%d.lim.example. IN A 198.51.100.%d\n", i, 100+i)
	}
	w := mailtest.New(t, zone)
	c := newClient(t, w, 2*time.Second)
	root, _ := Analyze(context.Background(), c, "lim.example")
	if root.SubtreeLookups != 12 {
		t.Fatalf("lookups %d, want 12", root.SubtreeLookups)
	}
	cut, ok := FindLimitCut(root)
	if !ok {
		t.Fatal("no cut")
	}
	want := LimitCut{Term: "a:h8.lim.example", Domain: "big.lim.example", AllPass: true,
		Before: []string{`"ip4:192.0.2.0/24"`, `"include:early.lim.example"`, `"a:h0.lim.example" in big.lim.example`, `"a:h1.lim.example" in big.lim.example`,
			`"a:h2.lim.example" in big.lim.example`, `"a:h3.lim.example" in big.lim.example`, `"a:h4.lim.example" in big.lim.example`,
			`"a:h5.lim.example" in big.lim.example`, `"a:h6.lim.example" in big.lim.example`, `"a:h7.lim.example" in big.lim.example`}}
	if fmt.Sprint(cut) != fmt.Sprint(want) {
		t.Errorf("cut\n%+v\nwant\n%+v", cut, want)
	}
	// check_host agrees: senders matched before the cut are decided as
	// usual, the others get permerror.
	for _, tc := range []struct {
		ip   string
		want Result
	}{
		{"192.0.2.1", Pass},      // ip4 in the record itself
		{"198.51.100.107", Pass}, // a:h7, the last term before the cut
		{"198.51.100.108", PermError},
		{"198.51.100.9", PermError}, // ip4 after the cut, in big
		{"203.0.113.7", PermError},  // ip4 after the include, in the root
		{"198.51.100.1", PermError}, // -ip4 in early does not end the evaluation
	} {
		o := CheckHost(context.Background(), c, Params{IP: netip.MustParseAddr(tc.ip), Domain: "lim.example"})
		if o.Result != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.ip, o.Result, o.Reason, tc.want)
		}
	}
	msg := whoFails(root)
	for _, s := range []string{`at the 11th DNS lookup, "a:h8.lim.example" in big.lim.example`, `by "ip4:192.0.2.0/24", "include:early.lim.example", "a:h0.lim.example" in big.lim.example`, "and 5 more, still pass"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q lacks %q", msg, s)
		}
	}
}

// TestLimitCutWords covers the other wordings: no term before the cut, a
// qualifier other than +, and branches that could not be expanded.
func TestLimitCutWords(t *testing.T) {
	many := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " %s%d.x.example", prefix, i)
		}
		return b.String()
	}
	w := mailtest.New(t, `
first.example.  IN TXT "v=spf1`+many("include:n", 11)+` -all"
*.x.example.    IN TXT "v=spf1 -ip4:192.0.2.1 ~all"
soft.example.   IN TXT "v=spf1 ~ip4:192.0.2.1`+many("a:h", 11)+` -all"
macro.example.  IN TXT "v=spf1 include:%{d}.x.example`+many("a:h", 11)+` -all"
*.x.example.    IN A 192.0.2.7
`)
	c := newClient(t, w, 2*time.Second)
	for domain, want := range map[string]string{
		"first.example": `"include:n10.x.example", and no term before it matches a sender: SPF gives permerror for every sender`,
		"soft.example":  `by "~ip4:192.0.2.1", "a:h0.x.example", "a:h1.x.example", "a:h2.x.example", "a:h3.x.example" and 6 more, still get the result of the term that matches them`,
		"macro.example": `"a:h9.x.example" at the latest`,
	} {
		root, _ := Analyze(context.Background(), c, domain)
		if msg := whoFails(root); !strings.Contains(msg, want) {
			t.Errorf("%s: %q lacks %q", domain, msg, want)
		}
	}
}
