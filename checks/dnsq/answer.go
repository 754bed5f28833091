package dnsq

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Answer is a resolver's NOERROR or NXDOMAIN response to one question.
// The message is shared by every caller: treat it as read-only.
type Answer struct {
	Name  string   // the question name (FQDN, lower case)
	Type  uint16   // the question type
	Rcode int      // dns.RcodeSuccess or dns.RcodeNameError
	AD    bool     // the resolver validated the answer with DNSSEC
	Msg   *dns.Msg // the full response
	Query Query    // the log entry of the exchange that produced it
}

func newAnswer(k key, resp *dns.Msg, q Query) *Answer {
	return &Answer{Name: k.name, Type: k.qtype, Rcode: resp.Rcode, AD: resp.AuthenticatedData, Msg: resp, Query: q}
}

// NXDomain reports whether the name does not exist.
func (a *Answer) NXDomain() bool { return a.Rcode == dns.RcodeNameError }

// NoData reports whether the name exists but has no records of the type
// (after following any CNAME chain).
func (a *Answer) NoData() bool { return a.Rcode == dns.RcodeSuccess && len(a.Records()) == 0 }

// Empty reports whether the answer holds no records of the asked type, for
// either reason (NXDOMAIN or NODATA).
func (a *Answer) Empty() bool { return len(a.Records()) == 0 }

// maxChain bounds how many CNAMEs are followed inside one answer.
const maxChain = 16

// Target returns the name the answer's records are owned by, after
// following the CNAME chain from the question name, and the chain's names.
func (a *Answer) Target() (string, []string) {
	name := a.Name
	var chain []string
	for range maxChain {
		next := ""
		for _, rr := range a.Msg.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next = strings.ToLower(c.Target)
				break
			}
		}
		if next == "" || a.Type == dns.TypeCNAME {
			break
		}
		chain = append(chain, next)
		name = next
	}
	return name, chain
}

// CNAMEs returns the CNAME chain followed from the question name (targets in
// order), empty when the name is not an alias.
func (a *Answer) CNAMEs() []string {
	_, chain := a.Target()
	return chain
}

// Records returns the answer-section records of the asked type owned by the
// question name or, through CNAMEs, by its canonical name.
func (a *Answer) Records() []dns.RR {
	if a == nil || a.Msg == nil {
		return nil
	}
	owner, _ := a.Target()
	var out []dns.RR
	for _, rr := range a.Msg.Answer {
		h := rr.Header()
		if h.Rrtype == a.Type && strings.EqualFold(h.Name, owner) {
			out = append(out, rr)
		}
	}
	return out
}

// TXT returns the TXT records, each as its list of character-strings with
// their real bytes: the presentation-format escapes that miekg/dns keeps in
// TXT data (\" \\ \DDD) are decoded here, once, so parsers never see them.
func (a *Answer) TXT() [][]string {
	var out [][]string
	for _, rr := range a.Records() {
		if t, ok := rr.(*dns.TXT); ok {
			strs := make([]string, len(t.Txt))
			for i, s := range t.Txt {
				strs[i] = unescape(s)
			}
			out = append(out, strs)
		}
	}
	return out
}

// unescape decodes RFC 1035 §5.1 presentation escapes: \DDD (a decimal
// byte) and \X (the character X).
func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); n <= 255 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Addrs returns the addresses of A or AAAA records.
func (a *Answer) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, rr := range a.Records() {
		switch r := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
				out = append(out, ip)
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
				out = append(out, ip)
			}
		}
	}
	return out
}

// MX returns the MX records.
func (a *Answer) MX() []*dns.MX {
	var out []*dns.MX
	for _, rr := range a.Records() {
		if m, ok := rr.(*dns.MX); ok {
			out = append(out, m)
		}
	}
	return out
}

// Strings returns the records in presentation format, for evidence.
func (a *Answer) Strings() []string {
	var out []string
	for _, rr := range a.Records() {
		out = append(out, rr.String())
	}
	return out
}
