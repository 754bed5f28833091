package spf

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mailtest"
)

// txtRR builds a TXT record from raw text split into 255-byte strings.
func txtRR(name, text string) *dns.TXT {
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: txtStrings([]string{text})}
}

// TestHostile feeds the check records built to hurt: each must finish
// quickly, without panic, with a clear finding.
func TestHostile(t *testing.T) {
	w := mailtest.New(t, "")
	var big strings.Builder
	big.WriteString("v=spf1")
	for i := 0; big.Len() < 60000; i++ {
		fmt.Fprintf(&big, " ip4:10.%d.%d.0/24", i/256%256, i%256)
	}
	big.WriteString(" -all")
	w.DNS.Add(txtRR("big.example", big.String()))

	junk := "v=spf1 " + strings.Repeat("a:\x00\xff\x01é ", 9000)
	w.DNS.Add(txtRR("junk.example", junk[:60000]))

	var many strings.Builder
	many.WriteString("v=spf1")
	for i := range 1000 {
		fmt.Fprintf(&many, " include:i%d.w.example", i)
	}
	many.WriteString(" -all")
	w.DNS.Add(txtRR("many.example", many.String()), txtRR("*.w.example", "v=spf1 a -all"))

	w.DNS.Add(txtRR("macro.example", "v=spf1 exists:"+strings.Repeat("%{s}%{l}%{d}%{ir}", 400)+".example -all"))

	for i := range 50 {
		w.DNS.Add(txtRR(fmt.Sprintf("d%d.deep.example", i), fmt.Sprintf("v=spf1 include:d%d.deep.example -all", i+1)))
	}

	cases := []struct {
		domain string
		want   []string
	}{
		{"big.example", []string{"spf.record-too-large"}},
		{"junk.example", []string{"spf.syntax", "spf.record-too-large"}},
		{"many.example", []string{"spf.lookup-limit", "spf.tree-truncated", "spf.record-too-large"}},
		{"macro.example", []string{"spf.ip-not-authorized"}},
		{"d0.deep.example", []string{"spf.lookup-limit", "spf.tree-truncated"}},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := runCheck(t, w, checks.Target{Domain: c.domain, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}})
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			for _, id := range c.want {
				if has(r.Findings, id) == nil {
					t.Errorf("no %s in %v", id, ids(r.Findings))
				}
			}
			for _, f := range r.Findings {
				if len(f.Message) > 4000 {
					t.Errorf("%s message is %d bytes", f.ID, len(f.Message))
				}
			}
			for _, e := range r.Data.(Data).Evaluations {
				if len(e.Reason) > 2*maxNote+8 || len(e.Mechanism) > maxTermText+8 || len(e.Trace) > maxTrace {
					t.Errorf("evaluation not bounded: reason %d, mechanism %d bytes, %d steps", len(e.Reason), len(e.Mechanism), len(e.Trace))
				}
			}
			d := r.Data.(Data)
			if c.domain == "many.example" && (d.Lookups < 1000 || !d.Truncated) {
				t.Errorf("lookups %d truncated %v", d.Lookups, d.Truncated)
			}
			if c.domain == "macro.example" {
				// 22 KiB of expansion, cut to the rightmost 253 octets:
				// the exists lookup finds nothing and -all decides.
				if e := d.Evaluations[0]; e.Result != Fail || e.Mechanism != "-all" {
					t.Errorf("evaluation %+v", e)
				}
			} else if len(d.Evaluations) == 1 && d.Evaluations[0].Result != PermError && c.domain != "big.example" {
				t.Errorf("evaluation %s (%s), want permerror", d.Evaluations[0].Result, d.Evaluations[0].Reason)
			}
			if f := has(r.Findings, "spf.syntax"); f != nil {
				t.Logf("%s", f.Message)
			}
		})
	}
}
