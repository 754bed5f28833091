package dnsbl

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mxray/mxray/checks/tagval"
)

// Kind is what a list holds: IP addresses or domain names.
type Kind string

// The list kinds (the words of the zones file and of the JSON data).
const (
	KindIP     Kind = "ip"     // queried with reversed IPv4 octets or IPv6 nibbles
	KindDomain Kind = "domain" // queried with the domain name (DBL, SURBL, URIBL style)
)

// Weight says how much a listing matters.
type Weight string

// The weights (the words of the zones file and of the JSON data).
const (
	// WeightScoring lists are used by large receivers to reject or score
	// mail: a listing fails the check.
	WeightScoring Weight = "scoring"
	// WeightInfo lists are narrow or aggressive (UCEPROTECT Level 2/3,
	// DroneBL...): a listing is a warning.
	WeightInfo Weight = "info"
)

// Code is the meaning of one return code (an A record in 127.0.0.0/8), or
// of a range of them.
type Code struct {
	Addr    netip.Addr   // the code; invalid when Range is set
	Range   netip.Prefix // a range of codes, e.g. 127.255.255.0/24
	Meaning string
	Weight  Weight // overrides the zone's weight for this code ("" = the zone's)
}

func (c Code) matches(a netip.Addr) bool {
	if c.Range.IsValid() {
		return c.Range.Contains(a)
	}
	return c.Addr == a
}

// Bit is the meaning of one bit of the last octet, for bitmask lists such as
// SURBL and URIBL multi.
type Bit struct {
	Mask    uint8
	Meaning string
	Weight  Weight
}

// Zone is one blocklist.
type Zone struct {
	Zone    string // the DNS zone queried, lower case, no trailing dot
	Name    string // a human name ("Spamhaus ZEN"); the zone when unknown
	Kind    Kind
	Weight  Weight
	IPv6    bool   // the list answers IPv6 (nibble) queries
	Removal string // the list's lookup and removal page
	WhyInfo string // why the list is informational
	// RefusedFix says what to do when the list refuses queries.
	RefusedFix string
	Codes      []Code // listing codes with their meaning
	Bits       []Bit  // bitmask meanings, for multi lists
	Refusals   []Code // codes that mean the query was refused, besides the universal ones
	// TestListed and TestClean are the RFC 5782 health probe entries:
	// 127.0.0.2 and 127.0.0.1 for IP lists, TEST and INVALID for domain
	// lists, unless the list documents others.
	TestListed, TestClean string
	// Line is the zones-file line the zone came from (0 for the built-in list).
	Line int
}

// Retired is a list that shut down or went rogue.
type Retired struct {
	Zone string // the zone or a parent domain of its zones
	Note string
}

// List is a set of zones to query.
type List struct {
	Source   string // "built-in" or the zones file's path
	Reviewed string // the built-in list's review date (YYYY-MM-DD)
	Zones    []*Zone
	// Universal are refusal codes that apply to every zone.
	Universal []Code
	// RetiredUsed are retired zones that a zones file lists anyway.
	RetiredUsed []RetiredUse
	retired     []Retired
}

// RetiredUse is a retired zone found in a zones file.
type RetiredUse struct {
	Zone string
	Line int
	Note string
}

// SourceBuiltin is List.Source for the built-in list.
const SourceBuiltin = "built-in"

//go:embed lists.json
var listsJSON []byte

type jsonCode struct {
	Code    string `json:"code"`
	Range   string `json:"range"`
	Meaning string `json:"meaning"`
	Weight  Weight `json:"weight"`
}

type jsonBit struct {
	Bit     int    `json:"bit"`
	Meaning string `json:"meaning"`
	Weight  Weight `json:"weight"`
}

type jsonZone struct {
	Zone          string     `json:"zone"`
	Name          string     `json:"name"`
	Type          Kind       `json:"type"`
	Weight        Weight     `json:"weight"`
	IPv6          bool       `json:"ipv6"`
	Removal       string     `json:"removal"`
	WhyInfo       string     `json:"why_info"`
	RefusedFix    string     `json:"refused_fix"`
	MatchSuffixes []string   `json:"match_suffixes"`
	TestListed    string     `json:"test_listed"`
	TestClean     string     `json:"test_clean"`
	Codes         []jsonCode `json:"codes"`
	Bits          []jsonBit  `json:"bits"`
	Refusals      []jsonCode `json:"refusals"`
}

type jsonFile struct {
	Reviewed  string     `json:"reviewed"`
	Note      string     `json:"note"`
	Universal []jsonCode `json:"universal_refusals"`
	Lists     []jsonZone `json:"lists"`
	Retired   []Retired  `json:"retired"`
}

// builtin holds the parsed built-in list with the suffixes that map keyed
// zones (Spamhaus DQS) to a known list's metadata.
type builtin struct {
	list     *List
	suffixes map[string]*Zone // suffix -> zone, for <key>.zen.dq.spamhaus.net
}

var loadBuiltin = sync.OnceValues(func() (*builtin, error) { return parseBuiltin(listsJSON) })

// Default returns the built-in list. Callers must not modify it.
func Default() (*List, error) {
	b, err := loadBuiltin()
	if err != nil {
		return nil, err
	}
	return b.list, nil
}

func parseCode(c jsonCode) (Code, error) {
	out := Code{Meaning: c.Meaning, Weight: c.Weight}
	switch {
	case c.Range != "":
		p, err := netip.ParsePrefix(c.Range)
		if err != nil {
			return out, err
		}
		out.Range = p.Masked()
	default:
		a, err := netip.ParseAddr(c.Code)
		if err != nil {
			return out, err
		}
		out.Addr = a
	}
	if out.Weight != "" && out.Weight != WeightScoring && out.Weight != WeightInfo {
		return out, fmt.Errorf("weight %q", out.Weight)
	}
	return out, nil
}

func parseCodes(cs []jsonCode) ([]Code, error) {
	var out []Code
	for _, c := range cs {
		pc, err := parseCode(c)
		if err != nil {
			return nil, fmt.Errorf("code %q: %w", c.Code+c.Range, err)
		}
		out = append(out, pc)
	}
	return out, nil
}

func parseBuiltin(data []byte) (*builtin, error) {
	var f jsonFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("the built-in blocklist list is damaged: %w", err)
	}
	uni, err := parseCodes(f.Universal)
	if err != nil {
		return nil, fmt.Errorf("the built-in blocklist list is damaged: universal refusals: %w", err)
	}
	b := &builtin{list: &List{Source: SourceBuiltin, Reviewed: f.Reviewed, Universal: uni, retired: f.Retired}, suffixes: map[string]*Zone{}}
	for _, jz := range f.Lists {
		z, err := fromJSON(jz)
		if err != nil {
			return nil, fmt.Errorf("the built-in blocklist list is damaged: zone %s: %w", jz.Zone, err)
		}
		b.list.Zones = append(b.list.Zones, z)
		b.suffixes[z.Zone] = z
		for _, s := range jz.MatchSuffixes {
			b.suffixes[strings.ToLower(s)] = z
		}
	}
	return b, nil
}

func fromJSON(jz jsonZone) (*Zone, error) {
	name, err := checkZoneName(jz.Zone)
	if err != nil {
		return nil, err
	}
	z := &Zone{Zone: name, Name: jz.Name, Kind: jz.Type, Weight: jz.Weight, IPv6: jz.IPv6,
		Removal: jz.Removal, WhyInfo: jz.WhyInfo, RefusedFix: jz.RefusedFix,
		TestListed: jz.TestListed, TestClean: jz.TestClean}
	if z.Kind != KindIP && z.Kind != KindDomain {
		return nil, fmt.Errorf("type %q", jz.Type)
	}
	if z.Weight != WeightScoring && z.Weight != WeightInfo {
		return nil, fmt.Errorf("weight %q", jz.Weight)
	}
	if z.Codes, err = parseCodes(jz.Codes); err != nil {
		return nil, err
	}
	if z.Refusals, err = parseCodes(jz.Refusals); err != nil {
		return nil, err
	}
	for _, b := range jz.Bits {
		if b.Bit <= 0 || b.Bit > 255 || b.Bit&(b.Bit-1) != 0 {
			return nil, fmt.Errorf("bit %d is not a single bit of the last octet", b.Bit)
		}
		z.Bits = append(z.Bits, Bit{Mask: uint8(b.Bit), Meaning: b.Meaning, Weight: b.Weight})
	}
	z.setTests()
	return z, nil
}

// setTests fills in the RFC 5782 test entries.
func (z *Zone) setTests() {
	if z.TestListed == "" {
		if z.Kind == KindDomain {
			z.TestListed = "test"
		} else {
			z.TestListed = "127.0.0.2"
		}
	}
	if z.TestClean == "" {
		if z.Kind == KindDomain {
			z.TestClean = "invalid"
		} else {
			z.TestClean = "127.0.0.1"
		}
	}
}

// retiredNote returns why zone is retired, or "".
func (l *List) retiredNote(zone string) string {
	for _, r := range l.retired {
		if zone == r.Zone || strings.HasSuffix(zone, "."+r.Zone) {
			return r.Note
		}
	}
	return ""
}

// ErrZonesFile is wrapped by every problem of a --dnsbl-zones file.
var ErrZonesFile = errors.New("dnsbl: zones file")

// LineError is a problem of a zones file: a malformed line, or (Line 0) the
// whole file. Its text is one line for people, control characters escaped.
type LineError struct {
	File string
	Line int // 0 when the problem is the file itself
	Msg  string
}

// Error returns e.g. "--dnsbl-zones zones.txt, line 4: ...".
func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("--dnsbl-zones %s: %s", showFile(e.File), e.Msg)
	}
	return fmt.Sprintf("--dnsbl-zones %s, line %d: %s", showFile(e.File), e.Line, e.Msg)
}

// Unwrap makes errors.Is(err, ErrZonesFile) true.
func (e *LineError) Unwrap() error { return ErrZonesFile }

// showFile prints a file name as is, or quoted with escapes when it holds
// spaces, control characters or bytes that are not printable ASCII.
func showFile(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == '"' {
			return `"` + tagval.Clean(strings.ReplaceAll(name, `"`, `\"`)) + `"`
		}
	}
	return name
}

// checkZoneName validates a zone name and returns it lower case without the
// trailing dot. A zone name is a host name: dot-separated labels of letters,
// digits and hyphens (1 to 63 octets, no hyphen first or last), at most 253
// octets in all, and short enough to leave room for the longest query under
// it. The error names the problem, with the name quoted and escaped.
func checkZoneName(s string) (string, error) {
	q := `"` + tagval.Clean(s) + `"`
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return "", fmt.Errorf("the zone name %s contains a control character", q)
		case c >= 0x80:
			return "", fmt.Errorf("the zone name %s contains a non-ASCII character; write internationalised names as A-labels (xn--...)", q)
		}
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", fmt.Errorf("%s is an IP address, not a DNS zone name", q)
	}
	n := strings.ToLower(strings.TrimSuffix(s, "."))
	if n == "" {
		return "", fmt.Errorf("%s is not a DNS zone name", q)
	}
	if len(n) > 253 {
		return "", fmt.Errorf("the zone name %s is longer than 253 characters", q)
	}
	for _, l := range strings.Split(n, ".") {
		switch {
		case l == "":
			return "", fmt.Errorf("the zone name %s has an empty label", q)
		case len(l) > 63:
			return "", fmt.Errorf("the zone name %s has a label longer than 63 characters", q)
		case strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
			return "", fmt.Errorf("the zone name %s is not a DNS zone name: labels hold only letters, digits and hyphens", q)
		case l[0] == '-' || l[len(l)-1] == '-':
			return "", fmt.Errorf("the zone name %s has a label that starts or ends with a hyphen", q)
		}
	}
	// Leave room under the zone for the longest query (an IPv6 nibble name
	// is 64 octets).
	if len(n) > 253-64 {
		return "", fmt.Errorf("the zone name %s is too long to be queried (at most %d characters)", q, 253-64)
	}
	return n, nil
}
