package dnsbl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxZonesFile bounds the size of a zones file (it is read whole).
const maxZonesFile = 1 << 20

// LoadZonesFile reads a --dnsbl-zones file (see ParseZones).
func LoadZonesFile(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrZonesFile, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxZonesFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrZonesFile, path, err)
	}
	if len(data) > maxZonesFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrZonesFile, path, maxZonesFile)
	}
	return ParseZones(data, path)
}

// ParseZones parses the text of a zones file: one zone a line,
//
//	<zone> [ip|domain] [scoring|info]
//
// (defaults ip and scoring, or the built-in list's values for a zone it
// knows); "#" starts a comment; blank lines are ignored. A zone the built-in
// list knows — also a keyed one such as <key>.zen.dq.spamhaus.net — keeps
// its return-code meanings and removal page. name labels errors, which are
// *LineError for a malformed line.
func ParseZones(data []byte, name string) (*List, error) {
	b, err := loadBuiltin()
	if err != nil {
		return nil, err
	}
	l := &List{Source: name, Universal: b.list.Universal, retired: b.list.retired}
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxZonesFile+1)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &LineError{File: name, Line: lineNo, Msg: fmt.Sprintf(format, args...)}
		}
		if len(fields) > 3 {
			return nil, bad("too many words (want: <zone> [ip|domain] [scoring|info])")
		}
		zname, err := checkZoneName(fields[0])
		if err != nil {
			return nil, bad("%v", err)
		}
		if prev, dup := seen[zname]; dup {
			return nil, bad("zone %s is already listed on line %d", zname, prev)
		}
		seen[zname] = lineNo
		var kind Kind
		var weight Weight
		for _, w := range fields[1:] {
			switch lw := strings.ToLower(w); lw {
			case string(KindIP), string(KindDomain):
				if kind != "" {
					return nil, bad("type given twice (%s and %s)", kind, lw)
				}
				kind = Kind(lw)
			case string(WeightScoring), string(WeightInfo):
				if weight != "" {
					return nil, bad("weight given twice (%s and %s)", weight, lw)
				}
				weight = Weight(lw)
			default:
				return nil, bad("unknown word %q (want ip, domain, scoring or info)", w)
			}
		}
		z := b.known(zname)
		if kind != "" && kind != z.Kind {
			// The user knows better than our metadata: keep only the
			// removal page, and the default test entries for the kind.
			z = &Zone{Zone: zname, Name: z.Name, Removal: z.Removal, Kind: kind, Weight: z.Weight, IPv6: true}
			z.setTests()
		}
		if weight != "" {
			z.Weight = weight
		}
		z.Line = lineNo
		l.Zones = append(l.Zones, z)
		if note := l.retiredNote(zname); note != "" {
			l.RetiredUsed = append(l.RetiredUsed, RetiredUse{Zone: zname, Line: lineNo, Note: note})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &LineError{File: name, Line: lineNo + 1, Msg: err.Error()}
	}
	if len(l.Zones) == 0 {
		return nil, fmt.Errorf("%w: %s lists no zone", ErrZonesFile, name)
	}
	return l, nil
}

// known returns a copy of the built-in metadata for zone (exact, or a keyed
// zone under one of a list's suffixes), or a bare ip/scoring zone.
func (b *builtin) known(zone string) *Zone {
	best := ""
	for s := range b.suffixes {
		if (zone == s || strings.HasSuffix(zone, "."+s)) && len(s) > len(best) {
			best = s
		}
	}
	if best != "" {
		c := *b.suffixes[best]
		c.Zone = zone
		return &c
	}
	// An unknown list may or may not answer IPv6 queries: ask, since a
	// list that does not simply answers NXDOMAIN.
	z := &Zone{Zone: zone, Name: zone, Kind: KindIP, Weight: WeightScoring, IPv6: true}
	z.setTests()
	return z
}

// Load returns the list a run uses: the zones file named in opts, or the
// built-in list.
func Load(path string) (*List, error) {
	if path == "" {
		return Default()
	}
	return LoadZonesFile(path)
}
