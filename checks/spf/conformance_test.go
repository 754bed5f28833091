package spf

// The openspf conformance suites (RFC 7208, RFC 4408, pyspf's and blitiri's
// additions), run against a real mailtest DNS server that serves each
// scenario's zonedata. The YAML files stay in the shared conformance
// directory; they are never copied into the project.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/mailtest"
	"gopkg.in/yaml.v3"
)

// strList is a YAML scalar or list of scalars.
type strList []string

func (s *strList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = []string{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

type suiteTest struct {
	HELO        string  `yaml:"helo"`
	Host        string  `yaml:"host"`
	MailFrom    string  `yaml:"mailfrom"`
	Result      strList `yaml:"result"`
	Explanation *string `yaml:"explanation"`
	Skip        string  `yaml:"skip"`
	Receiver    string  `yaml:"receiver"`
}

type scenario struct {
	Description string               `yaml:"description"`
	Tests       map[string]suiteTest `yaml:"tests"`
	ZoneData    map[string]yaml.Node `yaml:"zonedata"`
}

// suite describes one file and the cases to skip, with the reason.
type suite struct {
	file string
	skip map[string]string // "scenario/test" or "test" -> why
	// must is the pass count required (0: report only).
	must int
	// noPrefetch evaluates without prefetching (proving that prefetching
	// changes nothing but latency).
	noPrefetch bool
	// qualify, when set, is appended to every single-label name of a
	// scenario (zonedata owners, record terms, MX/PTR/CNAME targets, the
	// sender's domain): blitiri's file uses names like "d00" and "at10",
	// which RFC 7208 rejects (§4.3: check_host() of a single-label domain
	// is none; §7.1: domain-end needs a dot), while what those cases test
	// (lookup, void, MX and PTR limits, NXDOMAIN handling) is unaffected.
	qualify string
}

var suites = []suite{
	{file: "rfc7208-tests.yml", must: 203},
	{file: "rfc7208-tests.yml", must: 203, noPrefetch: true},
	{file: "rfc4408-tests.yml", skip: map[string]string{}},
	{file: "pyspf/test.yml", skip: map[string]string{
		"default-modifier":       "pyspf's lax-mode default= modifier is not RFC 7208: an unknown modifier is ignored, so the result is neutral",
		"default-modifier-harsh": "pyspf-only strict=2 mode expecting the non-RFC result \"ambiguous\"",
	}},
	{file: "blitiri/blitirispf-tests.yml", skip: map[string]string{}, qualify: ".blitiri.test"},
}

func TestConformance(t *testing.T) {
	t.Parallel()
	dir := conformance.Dir(t, "spf")
	for _, s := range suites {
		name := strings.TrimSuffix(filepath.Base(s.file), ".yml")
		if s.noPrefetch {
			name += "-noprefetch"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runSuite(t, filepath.Join(dir, s.file), s)
		})
	}
}

// evaluated is one case's outcome, computed ahead of its subtest.
type evaluated struct {
	out Outcome
	err error // the case could not be run (a bad host address)
}

// evalSlots bounds the cases evaluated at once, across suites: enough for
// the lookups that time out to wait together, few enough that the others
// answer within the client's timeout on a loaded machine under -race.
var evalSlots = make(chan struct{}, 8)

// runSuite evaluates every case of a suite at once, each scenario against
// its own world, and then asserts each outcome in its own subtest: the
// cases whose lookups time out then wait together, not one test slot
// after another.
func runSuite(t *testing.T, path string, s suite) {
	f, err := os.Open(path)
	if err != nil {
		conformance.Missing(t, "%s: %v", path, err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var scenarios []scenario
	for i := 0; ; i++ {
		var sc scenario
		if err := dec.Decode(&sc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if s.qualify != "" && hasSingleLabel(sc.ZoneData) {
			qualifyScenario(&sc, s.qualify)
		}
		scenarios = append(scenarios, sc)
	}
	results := make([]map[string]*evaluated, len(scenarios))
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		w := mailtest.New(t, "")
		if err := loadZone(w.DNS, sc.ZoneData); err != nil {
			t.Fatalf("document %d zonedata: %v", i, err)
		}
		results[i] = make(map[string]*evaluated, len(sc.Tests))
		for tn, tc := range sc.Tests {
			e := new(evaluated)
			results[i][tn] = e
			wg.Go(func() {
				evalSlots <- struct{}{}
				defer func() { <-evalSlots }()
				e.out, e.err = evaluateCase(w, tc, s.noPrefetch)
			})
		}
	}
	wg.Wait()
	cases := 0
	for _, sc := range scenarios {
		cases += len(sc.Tests)
	}
	var total, passed, skipped int
	for i, sc := range scenarios {
		name := fmt.Sprintf("%02d-%s", i, slug(sc.Description))
		t.Run(name, func(t *testing.T) {
			names := make([]string, 0, len(sc.Tests))
			for n := range sc.Tests {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, tn := range names {
				t.Run(tn, func(t *testing.T) {
					total++
					if why := firstNonEmpty(s.skip[tn], s.skip[name+"/"+tn]); why != "" {
						skipped++
						t.Skip(why)
					}
					if assertCase(t, sc.Tests[tn], results[i][tn]) {
						passed++
					}
				})
			}
		})
	}
	t.Logf("%s: passed %d/%d (%d skipped)", filepath.Base(path), passed, total, skipped)
	mode := ""
	if s.noPrefetch {
		mode = " (without prefetch)"
	}
	fmt.Printf("SPF conformance %s%s: %d/%d passed, %d skipped\n", filepath.Base(path), mode, passed, total, skipped)
	// The required count holds for the whole suite, not for the cases a
	// -run pattern picks.
	if s.must > 0 && total == cases && passed < s.must && !t.Failed() {
		t.Errorf("%s: %d passed, want %d", path, passed, s.must)
	}
}

func hasSingleLabel(zd map[string]yaml.Node) bool {
	for name := range zd {
		if !strings.Contains(strings.TrimSuffix(name, "."), ".") {
			return true
		}
	}
	return false
}

// qualifyScenario rewrites the single-label names of a scenario by
// appending suffix (see suite.qualify).
func qualifyScenario(sc *scenario, suffix string) {
	q := func(name string) string {
		if name == "" || strings.ContainsAny(name, ".%") {
			return name
		}
		return name + suffix
	}
	zd := make(map[string]yaml.Node, len(sc.ZoneData))
	for name, node := range sc.ZoneData {
		for _, ent := range node.Content {
			if ent.Kind != yaml.MappingNode || len(ent.Content) != 2 {
				continue
			}
			typ, val := ent.Content[0].Value, ent.Content[1]
			var targets []*yaml.Node
			if val.Kind == yaml.ScalarNode {
				targets = []*yaml.Node{val}
			} else {
				targets = val.Content
			}
			switch typ {
			case "SPF", "TXT":
				for _, v := range targets {
					v.Value = qualifyRecord(v.Value, q)
				}
			case "PTR", "CNAME":
				for _, v := range targets {
					v.Value = q(v.Value)
				}
			case "MX":
				if len(targets) == 2 {
					targets[1].Value = q(targets[1].Value)
				}
			}
		}
		zd[q(name)] = node
	}
	sc.ZoneData = zd
	for name, tc := range sc.Tests {
		if at := strings.LastIndexByte(tc.MailFrom, '@'); at >= 0 {
			tc.MailFrom = tc.MailFrom[:at+1] + q(tc.MailFrom[at+1:])
		}
		if tc.MailFrom == "" {
			tc.HELO = q(tc.HELO)
		}
		sc.Tests[name] = tc
	}
}

// qualifyRecord applies q to the domain of every term of an SPF record.
func qualifyRecord(rec string, q func(string) string) string {
	if !IsSPF(rec) {
		return rec
	}
	terms := strings.Split(rec, " ")
	for i, t := range terms[1:] {
		sep := strings.IndexAny(t, ":=")
		if sep < 0 {
			continue
		}
		dom, cidr := t[sep+1:], ""
		if sl := strings.IndexByte(dom, '/'); sl >= 0 {
			dom, cidr = dom[:sl], dom[sl:]
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimLeft(t, "+-~?")), "ip") {
			continue
		}
		terms[i+1] = t[:sep+1] + q(dom) + cidr
	}
	return strings.Join(terms, " ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func slug(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// evaluateCase runs check_host() for one case against the scenario's world.
func evaluateCase(w *mailtest.World, tc suiteTest, noPrefetch bool) (Outcome, error) {
	c, err := dnsq.New(dnsq.Config{Servers: []string{w.DNS.Addr()}, Timeout: 300 * time.Millisecond})
	if err != nil {
		return Outcome{}, err
	}
	defer c.Close()
	ip, err := netip.ParseAddr(tc.Host)
	if err != nil {
		return Outcome{}, fmt.Errorf("host %q: %w", tc.Host, err)
	}
	p := Params{IP: ip, HELO: tc.HELO, Sender: tc.MailFrom, DefaultExplanation: "DEFAULT", Receiver: tc.Receiver, NoPrefetch: noPrefetch}
	if tc.MailFrom == "" {
		p.Domain = tc.HELO
		p.Sender = "postmaster@" + tc.HELO
	} else {
		at := strings.LastIndexByte(tc.MailFrom, '@')
		p.Domain = tc.MailFrom[at+1:]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return CheckHost(ctx, c, p), nil
}

// assertCase compares a case's outcome with the suite's expectation.
func assertCase(t *testing.T, tc suiteTest, e *evaluated) bool {
	t.Helper()
	if e.err != nil {
		t.Fatal(e.err)
	}
	out := e.out
	ok := false
	for _, r := range tc.Result {
		if string(out.Result) == r {
			ok = true
		}
	}
	if !ok {
		t.Errorf("result %s (mechanism %q, reason %q), want %v", out.Result, out.Mechanism, out.Reason, []string(tc.Result))
	}
	if tc.Explanation != nil && out.Result == Fail && out.Explanation != *tc.Explanation {
		t.Errorf("explanation %q, want %q", out.Explanation, *tc.Explanation)
		ok = false
	}
	if t.Failed() {
		for _, s := range out.Trace {
			t.Logf("%s%s %s: %s", strings.Repeat("  ", s.Depth), s.Domain, s.Term, s.Note)
		}
	}
	return ok
}

// loadZone turns a scenario's zonedata into records and scripts on the
// server: TIMEOUT and SERVFAIL become scripted behaviours, SPF records
// double as TXT unless the name has its own TXT, TXT "NONE" makes the name
// exist without TXT data.
func loadZone(srv *mailtest.DNSServer, zd map[string]yaml.Node) error {
	for name, node := range zd {
		fq := dns.Fqdn(strings.ToLower(dnsName(name)))
		hdr := func(t uint16) dns.RR_Header {
			return dns.RR_Header{Name: fq, Rrtype: t, Class: dns.ClassINET, Ttl: 300}
		}
		var rrs, spf []dns.RR
		hasTXT, timeout := false, false
		for _, ent := range node.Content {
			if ent.Kind == yaml.ScalarNode {
				switch ent.Value {
				case "TIMEOUT":
					timeout = true
				case "SERVFAIL":
					srv.Script(fq, 0, mailtest.ServFail)
				default:
					return fmt.Errorf("%s: unknown entry %q", name, ent.Value)
				}
				continue
			}
			if ent.Kind != yaml.MappingNode || len(ent.Content) != 2 {
				return fmt.Errorf("%s: unexpected entry", name)
			}
			typ, val := ent.Content[0].Value, ent.Content[1]
			var vals []string
			if val.Kind == yaml.ScalarNode {
				vals = []string{val.Value}
			} else if err := val.Decode(&vals); err != nil {
				return fmt.Errorf("%s %s: %v", name, typ, err)
			}
			switch typ {
			case "TIMEOUT":
				timeout = true
			case "SERVFAIL":
				srv.Script(fq, 0, mailtest.ServFail)
			case "A", "AAAA":
				for _, v := range vals {
					ip, err := netip.ParseAddr(v)
					if err != nil {
						return fmt.Errorf("%s %s: %v", name, typ, err)
					}
					if typ == "A" {
						rrs = append(rrs, &dns.A{Hdr: hdr(dns.TypeA), A: ip.AsSlice()})
					} else {
						rrs = append(rrs, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip.AsSlice()})
					}
				}
			case "TXT", "SPF":
				if typ == "TXT" {
					hasTXT = true
					if len(vals) == 1 && vals[0] == "NONE" {
						continue
					}
				}
				rr := &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: txtStrings(vals)}
				if typ == "TXT" {
					rrs = append(rrs, rr)
				} else {
					spf = append(spf, rr)
				}
			case "MX":
				if len(vals) != 2 {
					return fmt.Errorf("%s MX: want [prio, host]", name)
				}
				var prio uint16
				fmt.Sscan(vals[0], &prio)
				rrs = append(rrs, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: prio, Mx: dns.Fqdn(vals[1])})
			case "PTR":
				for _, v := range vals {
					rrs = append(rrs, &dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: dns.Fqdn(v)})
				}
			case "CNAME":
				rrs = append(rrs, &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: dns.Fqdn(vals[0])})
			default:
				return fmt.Errorf("%s: unknown type %q", name, typ)
			}
		}
		if !hasTXT {
			rrs = append(rrs, spf...)
		}
		if timeout {
			// TIMEOUT makes every question without data time out (the
			// suite's convention: "TXT present, SPF lookup times out").
			srv.Script(fq, 0, mailtest.Timeout)
			for _, rr := range rrs {
				srv.Script(fq, rr.Header().Rrtype, mailtest.Normal)
			}
		}
		if len(rrs) == 0 && !timeout {
			// The name exists without data: give it a record of a type SPF
			// never asks for.
			rrs = append(rrs, &dns.HINFO{Hdr: hdr(dns.TypeHINFO), Cpu: "mailtest", Os: "empty"})
		}
		srv.Add(rrs...)
	}
	return nil
}

// txtStrings converts raw strings to the DNS library's presentation form
// (backslash and quote escaped), split into 255-byte character-strings.
func txtStrings(vals []string) []string {
	var out []string
	for _, v := range vals {
		for len(v) > 255 {
			out = append(out, escapeTXT(v[:255]))
			v = v[255:]
		}
		out = append(out, escapeTXT(v))
	}
	return out
}

func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
