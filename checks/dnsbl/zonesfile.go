package dnsbl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/mxray/mxray/checks/tagval"
)

// maxZonesFile bounds the size of a zones file (it is read whole).
const maxZonesFile = 1 << 20

// LoadZonesFile reads a --dnsbl-zones file (see ParseZones). Every error is
// a *LineError: one line for people, naming the file.
func LoadZonesFile(path string) (*List, error) {
	fileErr := func(msg string) error { return &LineError{File: path, Msg: msg} }
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fileErr("no such file")
	case errors.Is(err, fs.ErrPermission):
		return nil, fileErr("permission denied")
	case err != nil:
		return nil, fileErr("cannot be opened")
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fileErr("is a directory, not a file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxZonesFile+1))
	if err != nil {
		return nil, fileErr("cannot be read")
	}
	if len(data) > maxZonesFile {
		return nil, fileErr(fmt.Sprintf("is larger than %d bytes", maxZonesFile))
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
// its return-code meanings and removal page. A zone name must be a host name
// (letters, digits and hyphens; see checkZoneName). name labels errors,
// which are *LineError.
func ParseZones(data []byte, name string) (*List, error) {
	b, err := loadBuiltin()
	if err != nil {
		return nil, err
	}
	l := &List{Source: name, Universal: b.list.Universal, retired: b.list.retired}
	seen := map[string]int{}
	text := strings.TrimPrefix(string(data), "\ufeff") // a byte order mark some editors write
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
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
				return nil, bad("unknown word \"%s\" (want ip, domain, scoring or info)", tagval.Clean(w))
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
	if len(l.Zones) == 0 {
		return nil, &LineError{File: name, Msg: "lists no zone"}
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
