package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

// FuzzParse checks that Parse never panics, that every term it returns is
// the slice of the record at its position, and that a syntax error points
// inside the record. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all",
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24//64 mx:mail.example.com ptr ~all",
		"v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} redirect=x.example exp=e.%{d}",
		"v=spf1 a:%{d}%{d}%{d}%{d}",
		"v=spf1 a:ex\x00ample.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if p := se.Pos + se.Offset; p < 0 || p > len(s) {
				t.Fatalf("position %d outside the record (%d bytes)", p, len(s))
			}
			return
		}
		for _, term := range r.Terms {
			if term.Pos < 0 || term.Pos+len(term.Text) > len(s) || s[term.Pos:term.Pos+len(term.Text)] != term.Text {
				t.Fatalf("term %q is not at %d", term.Text, term.Pos)
			}
		}
		// Expanding every domain-spec must not panic and stays bounded.
		e := &evaluation{p: Params{IP: netip.MustParseAddr("2001:db8::1"), HELO: "h.example"}, sender: "a-b@c.example", local: "a-b", senderDomain: "c.example"}
		for _, term := range r.Terms {
			if term.Domain == "" {
				continue
			}
			out, err := e.expand(context.Background(), term.Domain, "c.example", term.IsExp())
			if err == nil && len(out) > 2*maxExpansion+1024 {
				t.Fatalf("expansion of %q is %d bytes", term.Domain, len(out))
			}
		}
	})
}

// FuzzExplanation expands arbitrary explain-strings.
func FuzzExplanation(f *testing.F) {
	f.Add("%{c} is not one of %{d}'s designated mail servers (%{r} at %{t})")
	f.Add("%{ir}.%{v}.arpa %{S} %{L9r-+,/_=}")
	f.Fuzz(func(t *testing.T, s string) {
		e := &evaluation{p: Params{IP: netip.MustParseAddr("192.0.2.1")}, sender: "x@y.example", local: "x", senderDomain: "y.example"}
		out, err := e.expand(context.Background(), s, "y.example", true)
		if err == nil && len(out) > 2*maxExpansion+1024 {
			t.Fatalf("%d bytes", len(out))
		}
		if err == nil && strings.IndexByte(s, '%') < 0 && out != s {
			t.Fatalf("literal %q changed to %q", s, out)
		}
	})
}

// fuzzZone is the static part of FuzzCheckHost's world: names the fuzzed
// records can reach with addresses, eleven MX hosts, eleven PTR names, and
// wildcards that answer any name below them (what macro expansion makes).
const fuzzZone = `
$ORIGIN fz.example.
h            IN A     192.0.2.1
h            IN AAAA  2001:db8::1
host         IN A     192.0.2.1
mx           IN MX    10 host
many         IN MX    1 m1
many         IN MX    2 m2
many         IN MX    3 m3
many         IN MX    4 m4
many         IN MX    5 m5
many         IN MX    6 m6
many         IN MX    7 m7
many         IN MX    8 m8
many         IN MX    9 m9
many         IN MX    10 m10
many         IN MX    11 m11
*.a          IN A     192.0.2.1
*.loop       IN CNAME x.loop
x.loop       IN CNAME y.loop
y.loop       IN CNAME x.loop
exp          IN TXT   "%{i} %{s} %{p} is not allowed for %{d}"
$ORIGIN 2.0.192.in-addr.arpa.
1 IN PTR h.fz.example.
1 IN PTR host.fz.example.
1 IN PTR p1.fz.example.
1 IN PTR p2.fz.example.
1 IN PTR p3.fz.example.
1 IN PTR p4.fz.example.
1 IN PTR p5.fz.example.
1 IN PTR p6.fz.example.
1 IN PTR p7.fz.example.
1 IN PTR p8.fz.example.
1 IN PTR p9.fz.example.
1 IN PTR p10.fz.example.
`

// Bounds FuzzCheckHost holds an evaluation to. The evaluation asks at most
// 11 DNS-querying terms, each at most 1 + 10 lookups (mx), plus the first
// record, exp= and the validated PTR names; prefetching adds at most
// prefetchBudget targets of 1 + 10 lookups each; a truncated answer costs a
// second query over TCP.
const (
	fuzzMaxEvidence = 1 + (MaxDNSTerms+1)*(1+MaxNames) + 1 + (1 + MaxNames)
	fuzzMaxWire     = 2 * (fuzzMaxEvidence + prefetchBudget*(1+MaxNames))
)

// FuzzCheckHost evaluates hostile records with check_host() through a real
// DNS server on loopback: root is the record of a.fz.example, other the
// record of b.fz.example and of every name under w.fz.example (so macro
// expansions reach it). Records that include each other, macro bombs,
// huge records, redirect chains and CNAME loops must end with a valid
// result within the RFC 7208 limits, a bounded number of DNS queries and
// bounded output. The seed corpus is in testdata/fuzz/FuzzCheckHost.
func FuzzCheckHost(f *testing.F) {
	srv, err := mailtest.NewDNSServer(fuzzZone)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	f.Add("v=spf1 include:b.fz.example -all", "v=spf1 include:a.fz.example -all", "joe@a.fz.example", []byte{192, 0, 2, 1})
	f.Fuzz(func(t *testing.T, root, other, sender string, ip []byte) {
		// DNS carries at most 64 KiB; keep the fuzzer fast.
		if len(root) > 16<<10 || len(other) > 16<<10 || len(sender) > 1024 {
			return
		}
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			addr = netip.MustParseAddr("192.0.2.1")
		}
		for name, rec := range map[string]string{"a.fz.example": root, "b.fz.example": other, "*.w.fz.example": other} {
			srv.Remove(name, dns.TypeTXT)
			srv.Add(fuzzTXT(name, rec))
		}
		c, err := dnsq.New(dnsq.Config{Servers: []string{srv.Addr()}, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := srv.Queries()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		o := CheckHost(ctx, c, Params{IP: addr, Domain: "a.fz.example", Sender: sender, HELO: "h.fz.example",
			Receiver: "mx.fz.example", DefaultExplanation: "%{i} is not allowed (%{p})",
			Now: func() time.Time { return time.Unix(1767225600, 0) }})
		// Every name answers at once here: only a lookup storm is slow.
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("evaluation took %v (%s: %s)", d, o.Result, o.Reason)
		}
		wire := srv.Queries() - before
		switch o.Result {
		case None, Neutral, Pass, Fail, SoftFail, PermError:
		case TempError:
			// Only a CNAME loop or an unusable answer may fail a lookup here.
		default:
			t.Fatalf("result %q", o.Result)
		}
		if o.Lookups > MaxDNSTerms+1 || o.VoidLookups > MaxVoid+1 {
			t.Fatalf("%d DNS-querying terms, %d void lookups: past the limits", o.Lookups, o.VoidLookups)
		}
		if len(o.Queries) > fuzzMaxEvidence || wire > fuzzMaxWire {
			t.Fatalf("%d lookups used, %d queries on the wire", len(o.Queries), wire)
		}
		if len(o.Trace) > maxTrace || len(o.Reason) > 2*maxNote+8 || len(o.Mechanism) > maxTermText+8 || len(o.Explanation) > maxExpansion {
			t.Fatalf("output not bounded: %d steps, reason %d, mechanism %d, explanation %d bytes", len(o.Trace), len(o.Reason), len(o.Mechanism), len(o.Explanation))
		}
		for _, s := range o.Trace {
			if len(s.Note) > maxNote+8 || len(s.Term) > maxTermText+8 || len(s.Domain) > maxTermText+8 {
				t.Fatalf("trace step not bounded: %d/%d/%d bytes", len(s.Note), len(s.Term), len(s.Domain))
			}
		}
		if (o.Result == PermError || o.Result == TempError) && o.Reason == "" {
			t.Fatalf("%s without a reason", o.Result)
		}
		// No Go error text or package prefix, unless the record wrote it.
		for _, bad := range []string{"dnsq:", "checks:", "spf: ", "context deadline", "context canceled", "%!"} {
			if strings.Contains(o.Reason, bad) && !strings.Contains(root+other+sender, bad) {
				t.Fatalf("reason %q contains %q", o.Reason, bad)
			}
		}
	})
}

// fuzzTXT builds a TXT record holding text as is, cut into 255-byte strings.
func fuzzTXT(name, text string) *dns.TXT {
	var strs []string
	for len(text) > 255 {
		strs = append(strs, escapeTXT(text[:255]))
		text = text[255:]
	}
	strs = append(strs, escapeTXT(text))
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: strs}
}

// FuzzExpandDomain expands macro-strings as domain-specs (RFC 7208 §7) for
// arbitrary senders, domains and client addresses. The expansion is bounded
// (a domain keeps only its rightmost labels while it grows) and must give
// the same target, after the RFC's 253-octet shortening, as an unbounded
// expansion. The seed corpus is in testdata/fuzz/FuzzExpandDomain.
func FuzzExpandDomain(f *testing.F) {
	f.Add("%{s}%{s}%{s}.%{l}.%{o}.%{d}.%{i}.%{h}", "a.b@c.example", "d.example", []byte{192, 0, 2, 1}, "h.example")
	f.Fuzz(func(t *testing.T, s, sender, domain string, ip []byte, helo string) {
		if len(s) > 4096 || len(sender) > 1024 || len(domain) > 300 || len(helo) > 300 {
			return
		}
		addr, ok := netip.AddrFromSlice(ip)
		if !ok {
			addr = netip.MustParseAddr("2001:db8::1")
		}
		e := &evaluation{p: Params{IP: addr.Unmap(), HELO: helo, Now: func() time.Time { return time.Unix(1767225600, 0) }}}
		e.local, e.senderDomain = "postmaster", sender
		if at := strings.LastIndexByte(sender, '@'); at >= 0 {
			e.local, e.senderDomain = sender[:at], sender[at+1:]
			if e.local == "" {
				e.local = "postmaster"
			}
		}
		e.sender = e.local + "@" + e.senderDomain
		out, err := e.expand(context.Background(), s, domain, false)
		ref, refErr := expandUnbounded(e, s, domain)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("error %v, unbounded expansion error %v", err, refErr)
		}
		if err != nil {
			return
		}
		longest := max(len(e.sender), len(domain), len(helo), 64)
		if len(out) > 2*maxExpansion+3*longest+2 {
			t.Fatalf("expansion is %d bytes", len(out))
		}
		if got, want := truncateName(out), truncateName(ref); got != want {
			t.Fatalf("target %q, unbounded expansion gives %q", got, want)
		}
		if len(truncateName(out)) > 253 {
			t.Fatalf("target of %d bytes", len(truncateName(out)))
		}
	})
}

// expandUnbounded is expand without its memory bound: the reference the
// bounded expansion must agree with.
func expandUnbounded(e *evaluation, s, domain string) (string, error) {
	if err := checkMacroString(s, false, false); err != nil {
		return "", &SyntaxError{Pos: err.off, Term: s, Msg: err.msg}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '%':
			b.WriteByte('%')
			i += 2
			continue
		case '_':
			b.WriteByte(' ')
			i += 2
			continue
		case '-':
			b.WriteString("%20")
			i += 2
			continue
		}
		end := i + strings.IndexByte(s[i:], '}')
		body := s[i+2 : end]
		i = end + 1
		letter := body[0]
		j, digits, hasDigits := 1, 0, false
		for j < len(body) && isDigit(body[j]) {
			hasDigits = true
			if digits < 1000 {
				digits = digits*10 + int(body[j]-'0')
			}
			j++
		}
		reverse := false
		if j < len(body) && body[j]|0x20 == 'r' {
			reverse = true
			j++
		}
		delims := body[j:]
		if delims == "" {
			delims = "."
		}
		val := transform(e.macroValue(context.Background(), letter|0x20, domain), delims, hasDigits, digits, reverse)
		if letter >= 'A' && letter <= 'Z' {
			val = urlEscape(val)
		}
		b.WriteString(val)
	}
	return b.String(), nil
}
