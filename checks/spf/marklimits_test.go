package spf

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/mailtest"
)

// TestMarkLimits checks that the tree itself says where the 11th lookup and
// the 3rd void lookup happen, with running counts per node, so that JSON,
// text and TUI readers never recount.
func TestMarkLimits(t *testing.T) {
	var big strings.Builder
	big.WriteString("v=spf1")
	for i := range 10 {
		fmt.Fprintf(&big, " a:h%d.lim.example", i)
	}
	big.WriteString(" -all")
	zone := `
lim.example.        IN TXT "v=spf1 ip4:192.0.2.0/24 include:early.lim.example include:big.lim.example -all"
early.lim.example.  IN TXT "v=spf1 ip4:192.0.2.128/25 ~all"
big.lim.example.    IN TXT "` + big.String() + `"
void.example.       IN TXT "v=spf1 a:nx1.void.example include:v2.void.example -all"
v2.void.example.    IN TXT "v=spf1 a:nx2.void.example mx:nx3.void.example a:nx4.void.example ?all"
`
	for i := range 10 {
		zone += fmt.Sprintf("h%d.lim.example. IN A 198.51.100.%d\n", i, 100+i)
	}
	w := mailtest.New(t, zone)
	c := newClient(t, w, 2*time.Second)

	root, _ := Analyze(context.Background(), c, "lim.example")
	markLimits(root)
	early, bigN := root.Children[0], root.Children[1]
	for _, tc := range []struct {
		name                  string
		n                     *Node
		before, cumul         int
		limitTerm, voidLimitT string
	}{
		{"root", root, 0, 12, "", ""},
		{"early", early, 1, 1, "", ""},
		{"big", bigN, 2, 12, "a:h8.lim.example", "a:h2.lim.example"}, // h* have no AAAA: void for IPv6 senders
	} {
		if tc.n.LookupsBefore != tc.before || tc.n.CumulativeLookups != tc.cumul || tc.n.LimitTerm != tc.limitTerm || tc.n.VoidLimitTerm != tc.voidLimitT {
			t.Errorf("%s: before %d cumulative %d limit %q void %q; want %d %d %q %q", tc.name,
				tc.n.LookupsBefore, tc.n.CumulativeLookups, tc.n.LimitTerm, tc.n.VoidLimitTerm, tc.before, tc.cumul, tc.limitTerm, tc.voidLimitT)
		}
	}

	root, _ = Analyze(context.Background(), c, "void.example")
	markLimits(root)
	v2 := root.Children[0]
	if root.VoidLimitTerm != "" || v2.VoidLimitTerm != "mx:nx3.void.example" {
		t.Errorf("void limit on root %q, on v2 %q; want \"\" and mx:nx3.void.example", root.VoidLimitTerm, v2.VoidLimitTerm)
	}
	if root.LimitTerm != "" || v2.LimitTerm != "" || root.CumulativeLookups != 5 || v2.LookupsBefore != 2 {
		t.Errorf("lookups: root %+v v2 %+v", root, v2)
	}
}
