package dnsbl

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/mailtest"
)

func TestBuiltinList(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	reviewed, err := time.Parse("2006-01-02", l.Reviewed)
	if err != nil {
		t.Fatalf("reviewed %q: %v", l.Reviewed, err)
	}
	if reviewed.Before(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the built-in list was last reviewed %s", l.Reviewed)
	}
	seen := map[string]bool{}
	kinds := map[Kind]int{}
	for _, z := range l.Zones {
		t.Run(z.Zone, func(t *testing.T) {
			if seen[z.Zone] {
				t.Error("zone listed twice")
			}
			seen[z.Zone] = true
			kinds[z.Kind]++
			if note := l.retiredNote(z.Zone); note != "" {
				t.Errorf("a retired list is in the default list: %s", note)
			}
			if z.Name == "" || !strings.HasPrefix(z.Removal, "https://") {
				t.Errorf("name %q, removal %q: every list needs a name and an https removal page", z.Name, z.Removal)
			}
			if z.Weight == WeightScoring && len(z.Codes) == 0 && len(z.Bits) == 0 {
				t.Error("a scoring list must document its return codes")
			}
			if z.Weight == WeightInfo && z.WhyInfo == "" && !strings.Contains(z.Name, "S5H") && !strings.Contains(z.Name, "SpamRats") && !strings.Contains(z.Name, "0spam") {
				t.Logf("informational list without why_info")
			}
			for _, c := range z.Codes {
				if !loopback.Contains(c.Addr) {
					t.Errorf("code %s outside 127.0.0.0/8", c.Addr)
				}
				if _, ok := l.refusal(z, c.Addr); ok {
					t.Errorf("listing code %s is also a refusal code", c.Addr)
				}
			}
			if _, err := QueryName(z, z.TestListed); err != nil {
				t.Error(err)
			}
		})
	}
	if kinds[KindIP] < 10 || kinds[KindDomain] < 3 {
		t.Errorf("kinds %v: the default list should cover the major IP and domain lists", kinds)
	}
	for _, want := range []string{"zen.spamhaus.org", "dbl.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net", "bl.mailspike.net",
		"psbl.surriel.com", "dnsbl-1.uceprotect.net", "dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net", "multi.surbl.org", "multi.uribl.com", "all.s5h.net"} {
		if !seen[want] {
			t.Errorf("%s missing from the default list", want)
		}
	}
	for _, dead := range []string{"dnsbl.sorbs.net", "spam.dnsbl.sorbs.net", "ix.dnsbl.manitu.net", "bl.spamcannibal.org", "db.wpbl.info"} {
		if seen[dead] || l.retiredNote(dead) == "" {
			t.Errorf("%s: dead list in the default list, or not known as retired", dead)
		}
	}
	for _, z := range []string{"dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net", "dnsbl-1.uceprotect.net"} {
		if find(l, z).Weight != WeightInfo {
			t.Errorf("%s must be informational", z)
		}
	}
}

func find(l *List, zone string) *Zone {
	for _, z := range l.Zones {
		if z.Zone == zone {
			return z
		}
	}
	return nil
}

func TestReverseName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "7.2.0.192"},
		{"127.0.0.2", "2.0.0.127"},
		{"::ffff:192.0.2.7", "7.2.0.192"},
		{"2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"},
		{"2001:DB8:1234:5678:9abc:def0:1:ff", "f.f.0.0.1.0.0.0.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2"},
	} {
		got := ReverseName(netip.MustParseAddr(tc.in))
		if got != tc.want {
			t.Errorf("ReverseName(%s) = %s, want %s", tc.in, got, tc.want)
		}
		// mailtest has its own implementation: the two must agree.
		if mt := mailtest.DNSBLName(tc.in, "z.test"); mt != got+".z.test" {
			t.Errorf("mailtest.DNSBLName(%s) = %s, want %s.z.test", tc.in, mt, got)
		}
	}
}

func TestDecode(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	zen, dbl, uribl, surbl := find(l, "zen.spamhaus.org"), find(l, "dbl.spamhaus.org"), find(l, "multi.uribl.com"), find(l, "multi.surbl.org")
	custom := &Zone{Zone: "bl.example", Kind: KindIP, Weight: WeightInfo}
	for _, tc := range []struct {
		name    string
		z       *Zone
		answers []string
		status  Status
		weight  Weight
		rewrite bool
		meaning string
	}{
		{"nxdomain", zen, nil, StatusClean, "", false, ""},
		{"sbl", zen, []string{"127.0.0.2"}, StatusListed, WeightScoring, false, "SBL"},
		{"xbl and pbl", zen, []string{"127.0.0.11", "127.0.0.4"}, StatusListed, WeightScoring, false, "XBL"},
		{"public resolver", zen, []string{"127.255.255.254"}, StatusRefused, "", false, "public or open resolver"},
		{"typo", zen, []string{"127.255.255.252"}, StatusRefused, "", false, "misspelt"},
		{"volume", zen, []string{"127.255.255.255"}, StatusRefused, "", false, "too many queries"},
		{"other error code", zen, []string{"127.255.255.253"}, StatusRefused, "", false, "error range"},
		{"refusal beats listing", zen, []string{"127.0.0.2", "127.255.255.254"}, StatusRefused, "", false, "resolver"},
		{"dbl ip query", dbl, []string{"127.0.1.255"}, StatusRefused, "", false, "domains only"},
		{"dbl phish", dbl, []string{"127.0.1.4"}, StatusListed, WeightScoring, false, "phishing"},
		{"uribl refused", uribl, []string{"127.0.0.1"}, StatusRefused, "", false, "127.0.0.1"},
		{"uribl black", uribl, []string{"127.0.0.2"}, StatusListed, WeightScoring, false, "black"},
		{"uribl grey is info", uribl, []string{"127.0.0.4"}, StatusListed, WeightInfo, false, "grey"},
		{"uribl black+grey", uribl, []string{"127.0.0.6"}, StatusListed, WeightScoring, false, "black"},
		{"surbl bits", surbl, []string{"127.0.0.24"}, StatusListed, WeightScoring, false, "PH: phishing; MW: malware"},
		{"undocumented code", zen, []string{"127.0.0.77"}, StatusListed, WeightScoring, false, "does not document"},
		{"custom list", custom, []string{"127.0.0.5"}, StatusListed, WeightInfo, false, "127.0.0.5"},
		{"rewrite", zen, []string{"198.51.100.7"}, StatusError, "", true, "outside 127.0.0.0/8"},
		{"rewrite mixed", zen, []string{"127.0.0.2", "198.51.100.7"}, StatusError, "", true, "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var as []netip.Addr
			for _, a := range tc.answers {
				as = append(as, netip.MustParseAddr(a))
			}
			v := l.decode(tc.z, as)
			if v.Status != tc.status || v.Weight != tc.weight || v.Rewrite != tc.rewrite {
				t.Errorf("got %+v, want status %s weight %q rewrite %v", v, tc.status, tc.weight, tc.rewrite)
			}
			if tc.meaning != "" && !strings.Contains(strings.Join(v.Meanings, "; "), tc.meaning) {
				t.Errorf("meanings %q lack %q", v.Meanings, tc.meaning)
			}
		})
	}
}

func TestParseZones(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		errLine    int    // 0: no error expected (unless errText)
		errText    string // substring of the error
		check      func(t *testing.T, l *List)
	}{
		{name: "defaults", text: "bl.example\n", check: func(t *testing.T, l *List) {
			z := l.Zones[0]
			if z.Kind != KindIP || z.Weight != WeightScoring || z.TestListed != "127.0.0.2" || z.TestClean != "127.0.0.1" || z.Line != 1 {
				t.Errorf("%+v", z)
			}
		}},
		{name: "comments and blanks", text: "# my lists\n\n   \nbl.example ip info # aggressive\n\tDBL.Example. Domain\n", check: func(t *testing.T, l *List) {
			if len(l.Zones) != 2 {
				t.Fatalf("%d zones", len(l.Zones))
			}
			if z := l.Zones[0]; z.Weight != WeightInfo || z.Line != 4 {
				t.Errorf("%+v", z)
			}
			if z := l.Zones[1]; z.Zone != "dbl.example" || z.Kind != KindDomain || z.TestListed != "test" || z.TestClean != "invalid" {
				t.Errorf("%+v", z)
			}
		}},
		{name: "weight before type", text: "bl.example info domain\n", check: func(t *testing.T, l *List) {
			if z := l.Zones[0]; z.Kind != KindDomain || z.Weight != WeightInfo {
				t.Errorf("%+v", z)
			}
		}},
		{name: "known list keeps its metadata", text: "dbl.spamhaus.org\nzen.spamhaus.org info\n", check: func(t *testing.T, l *List) {
			if z := l.Zones[0]; z.Kind != KindDomain || z.TestListed != "dbltest.com" || len(z.Codes) == 0 || z.Removal == "" {
				t.Errorf("%+v", z)
			}
			if z := l.Zones[1]; z.Weight != WeightInfo || z.Name != "Spamhaus ZEN" {
				t.Errorf("%+v", z)
			}
		}},
		{name: "DQS key zone", text: "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net\n", check: func(t *testing.T, l *List) {
			if z := l.Zones[0]; z.Name != "Spamhaus ZEN" || z.Zone != "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net" || len(z.Codes) == 0 {
				t.Errorf("%+v", z)
			}
		}},
		{name: "retired zone", text: "dnsbl.sorbs.net\n", check: func(t *testing.T, l *List) {
			if len(l.RetiredUsed) != 1 || l.RetiredUsed[0].Line != 1 {
				t.Errorf("%+v", l.RetiredUsed)
			}
		}},
		{name: "unknown word", text: "bl.example\nbl2.example ipv4\n", errLine: 2, errText: `"ipv4"`},
		{name: "too many words", text: "bl.example ip scoring extra\n", errLine: 1, errText: "too many"},
		{name: "type twice", text: "bl.example ip domain\n", errLine: 1, errText: "twice"},
		{name: "weight twice", text: "\n\nbl.example info scoring\n", errLine: 3, errText: "twice"},
		{name: "duplicate", text: "bl.example\n# again\nBL.example.\n", errLine: 3, errText: "line 1"},
		{name: "ip address", text: "192.0.2.1\n", errLine: 1, errText: "IP address"},
		{name: "wildcard", text: "*.bl.example\n", errLine: 1, errText: "not a DNS zone"},
		{name: "url", text: "https://bl.example/\n", errLine: 1, errText: "not a DNS zone"},
		{name: "long label", text: strings.Repeat("a", 64) + ".example\n", errLine: 1, errText: "longer than 63"},
		{name: "too long to query", text: strings.Repeat("abcdefghi.", 20) + "example\n", errLine: 1, errText: "too long"},
		{name: "empty", text: "# nothing\n\n", errText: "lists no zone"},
		// Issue 12.8: bytes that are no part of a host name.
		{name: "nul", text: "ok.example\nbl\x00.example\n", errLine: 2, errText: `"bl\x00.example" contains a control character`},
		{name: "esc", text: "bl\x1b[31m.example ip\n", errLine: 1, errText: `"bl\x1b[31m.example" contains a control character`},
		{name: "del", text: "bl\x7f.example\n", errLine: 1, errText: "control character"},
		{name: "zero width space", text: "bl\u200b.example\n", errLine: 1, errText: "non-ASCII"},
		{name: "unicode", text: "bücher.example\n", errLine: 1, errText: "A-labels"},
		{name: "invalid utf-8", text: "bl\xff.example\n", errLine: 1, errText: `"bl\xff.example" contains a non-ASCII`},
		{name: "underscore", text: "bl_x.example\n", errLine: 1, errText: "letters, digits and hyphens"},
		{name: "at sign", text: "bl@example.com\n", errLine: 1, errText: "letters, digits and hyphens"},
		{name: "leading hyphen", text: "-bl.example\n", errLine: 1, errText: "hyphen"},
		{name: "trailing hyphen", text: "bl-.example\n", errLine: 1, errText: "hyphen"},
		{name: "empty label", text: "bl..example\n", errLine: 1, errText: "empty label"},
		{name: "leading dot", text: ".bl.example\n", errLine: 1, errText: "empty label"},
		{name: "only a dot", text: ".\n", errLine: 1, errText: "not a DNS zone"},
		{name: "too long", text: strings.Repeat("abcdefghi.", 26) + "example\n", errLine: 1, errText: "longer than 253"},
		{name: "control in a word", text: "bl.example ip\x00\n", errLine: 1, errText: `"ip\x00"`},
		{name: "byte order mark and CRLF", text: "\ufeffbl.example ip\r\nbl2.example\r\n", check: func(t *testing.T, l *List) {
			if len(l.Zones) != 2 || l.Zones[0].Zone != "bl.example" || l.Zones[1].Zone != "bl2.example" || l.Zones[1].Line != 2 {
				t.Errorf("%+v", l.Zones)
			}
		}},
		{name: "digits and hyphens", text: "0spam-killlist.fusionzero.com\n2.bl.example.\n", check: func(t *testing.T, l *List) {
			if len(l.Zones) != 2 || l.Zones[1].Zone != "2.bl.example" {
				t.Errorf("%+v", l.Zones)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseZones([]byte(tc.text), "zones.txt")
			if tc.errLine == 0 && tc.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, l)
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.errText)
			}
			if !errors.Is(err, ErrZonesFile) || !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %v, want ErrZonesFile with %q", err, tc.errText)
			}
			plainLine(t, err)
			prefix := "--dnsbl-zones zones.txt: "
			if tc.errLine > 0 {
				prefix = fmt.Sprintf("--dnsbl-zones zones.txt, line %d: ", tc.errLine)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != tc.errLine || !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q, want it to start %q", err, prefix)
			}
		})
	}
}

// plainLine fails the test unless err's text is one printable line: no
// control characters, no package prefix.
// quoted matches a Go-quoted string in a message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

func plainLine(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	for _, r := range msg {
		if r < 0x20 || r == 0x7f {
			t.Errorf("error %q holds a control character", msg)
			break
		}
	}
	// The file's own text, quoted, may say anything: look outside quotes.
	own := quoted.ReplaceAllString(msg, `""`)
	if strings.Contains(own, "dnsbl:") || strings.Contains(own, "bufio") {
		t.Errorf("error %q holds Go error text", msg)
	}
}

func TestZonesFileName(t *testing.T) {
	_, err := ParseZones([]byte("bl\x1b.example\n"), "my zones\x1b.txt")
	if err == nil || !strings.HasPrefix(err.Error(), `--dnsbl-zones "my zones\x1b.txt", line 1: `) {
		t.Errorf("error %q", err)
	}
	plainLine(t, err)
}

func FuzzParseZones(f *testing.F) {
	for _, s := range []string{
		"bl.example\n",
		"# c\n\nbl.example ip info # x\ndbl.example domain scoring\n",
		"zen.spamhaus.org\nkey.zen.dq.spamhaus.net info\n",
		"bl.example ipv4\n",
		"192.0.2.1\n",
		"a..b\n",
		"\xff\xfe\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseZones(data, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrZonesFile) {
				t.Fatalf("error %v does not wrap ErrZonesFile", err)
			}
			plainLine(t, err)
			return
		}
		if len(l.Zones) == 0 {
			t.Fatal("no error and no zone")
		}
		for _, z := range l.Zones {
			if z.Kind != KindIP && z.Kind != KindDomain || z.Weight != WeightScoring && z.Weight != WeightInfo {
				t.Fatalf("zone %+v", z)
			}
			for _, label := range strings.Split(z.Zone, ".") {
				if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || label[0] == '-' || label[len(label)-1] == '-' {
					t.Fatalf("zone %q accepted: label %q is no LDH label", z.Zone, label)
				}
			}
			for _, probe := range []string{z.TestListed, z.TestClean} {
				if _, err := QueryName(z, probe); err != nil {
					t.Fatalf("zone %s: probe %s: %v", z.Zone, probe, err)
				}
			}
			name, err := QueryName(z, map[Kind]string{KindIP: "2001:db8::1", KindDomain: "example.com"}[z.Kind])
			if err != nil || len(name) > 253 {
				t.Fatalf("zone %s: query name %q %v", z.Zone, name, err)
			}
		}
	})
}

// FuzzDecode feeds arbitrary answers (4-byte IPv4 or, after a 0xff marker,
// 16-byte IPv6 records) to the return-code decoder of each kind of zone.
func FuzzDecode(f *testing.F) {
	l, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	zones := append([]*Zone{{Zone: "bl.example", Kind: KindIP, Weight: WeightInfo}}, l.Zones...)
	f.Fuzz(func(t *testing.T, pick uint8, data []byte) {
		z := zones[int(pick)%len(zones)]
		var addrs []netip.Addr
		for len(data) >= 4 && len(addrs) < 64 {
			if data[0] == 0xff && len(data) >= 17 {
				addrs = append(addrs, netip.AddrFrom16([16]byte(data[1:17])))
				data = data[17:]
				continue
			}
			addrs = append(addrs, netip.AddrFrom4([4]byte(data[:4])))
			data = data[4:]
		}
		v := l.decode(z, addrs)
		outside := false
		for _, a := range addrs {
			if !a.Is4() || !loopback.Contains(a) {
				outside = true
			}
		}
		switch {
		case len(addrs) == 0:
			if v.Status != StatusClean || v.Rewrite || len(v.Codes) != 0 {
				t.Fatalf("no answer: %+v", v)
			}
		case outside:
			if v.Status != StatusError || !v.Rewrite {
				t.Fatalf("%v decoded as %+v, want a rewrite", addrs, v)
			}
		case v.Status == StatusListed:
			if v.Weight != WeightScoring && v.Weight != WeightInfo || len(v.Meanings) != len(addrs) {
				t.Fatalf("%v decoded as %+v", addrs, v)
			}
			for _, a := range addrs {
				if _, ok := l.refusal(z, a); ok {
					t.Fatalf("%v: refusal code %s counted as a listing", addrs, a)
				}
			}
		case v.Status == StatusRefused:
			if len(v.Meanings) == 0 || v.Weight != "" {
				t.Fatalf("%v decoded as %+v", addrs, v)
			}
		default:
			t.Fatalf("%v decoded as %+v", addrs, v)
		}
		if len(addrs) > 0 && len(v.Codes) != len(addrs) {
			t.Fatalf("codes %v for %v", v.Codes, addrs)
		}
		for _, m := range v.Meanings {
			if strings.ContainsAny(m, "\x00\n") {
				t.Fatalf("meaning %q", m)
			}
		}
	})
}
