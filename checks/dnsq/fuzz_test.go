package dnsq

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// fuzzSeedMsgs are real answer shapes: a CNAME chain, a loop, TXT with
// presentation escapes, a truncated answer, NXDOMAIN with an SOA.
func fuzzSeedMsgs(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	add := func(q string, qt uint16, rcode int, tc bool, rrs ...string) {
		m := new(dns.Msg)
		m.SetQuestion(q, qt)
		m.Response, m.Rcode, m.Truncated = true, rcode, tc
		for _, r := range rrs {
			rr, err := dns.NewRR(r)
			if err != nil {
				tb.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		b, err := m.Pack()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	add("a.example.", dns.TypeA, dns.RcodeSuccess, false, "a.example. CNAME b.example.", "b.example. CNAME c.example.", "c.example. A 192.0.2.1")
	add("l1.example.", dns.TypeA, dns.RcodeSuccess, false, "l1.example. CNAME l2.example.", "l2.example. CNAME l1.example.")
	add("t.example.", dns.TypeTXT, dns.RcodeSuccess, false, `t.example. TXT "v=spf1 \"quoted\" \\ \255 -all" "second"`)
	add("big.example.", dns.TypeTXT, dns.RcodeSuccess, true)
	add("m.example.", dns.TypeMX, dns.RcodeSuccess, false, "m.example. MX 10 mx.example.", "m.example. MX 0 .")
	add("six.example.", dns.TypeAAAA, dns.RcodeSuccess, false, "six.example. AAAA 2001:db8::1")
	add("nx.example.", dns.TypeA, dns.RcodeNameError, false)
	return out
}

// FuzzAnswer feeds arbitrary wire messages, as a hostile resolver may send,
// through answer validation, CNAME following and TXT unescaping: no panic,
// a bounded chain, and records only of the asked type.
func FuzzAnswer(f *testing.F) {
	for _, b := range fuzzSeedMsgs(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		resp := new(dns.Msg)
		if err := resp.Unpack(data); err != nil || len(resp.Question) != 1 {
			return
		}
		q := resp.Question[0]
		n, err := CheckName(q.Name)
		if err != nil {
			return
		}
		req := new(dns.Msg)
		req.SetQuestion(n, q.Qtype)
		if validate(req, resp) != nil {
			return
		}
		k := key{name: n, qtype: q.Qtype}
		if err := checkChain(k, resp); err != nil {
			return
		}
		a := newAnswer(k, resp, Query{})
		_, chain := a.Target()
		if len(chain) > maxChain {
			t.Fatalf("chain of %d followed, bound is %d", len(chain), maxChain)
		}
		for _, rr := range a.Records() {
			if rr.Header().Rrtype != q.Qtype {
				t.Fatalf("record of type %d for a question of type %d", rr.Header().Rrtype, q.Qtype)
			}
		}
		_ = a.TXT()
		_ = a.Addrs()
		_ = a.MX()
		_ = a.Strings()
	})
}

// FuzzUnescape: decoding presentation escapes never panics, never grows the
// text, and leaves text without a backslash as it is.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`v=spf1 -all`, `a\"b`, `\\`, `\255\000`, `\25`, `\`, `x\y`, `\999`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := unescape(s)
		if len(u) > len(s) {
			t.Fatalf("unescape(%q) = %q grew", s, u)
		}
		if !strings.Contains(s, `\`) && u != s {
			t.Fatalf("unescape(%q) = %q changed text without escapes", s, u)
		}
	})
}
