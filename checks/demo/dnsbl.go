package demo

import (
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/mailtest"
)

// serveBlocklists makes every zone of mxray's built-in blocklist a healthy
// RFC 5782 list in the demo world (its test entries listed, nothing else),
// so that the demo's dnsbl check, which uses the built-in list, gets real
// answers. The listings themselves are in zones/60-dnsbl.zone.
func serveBlocklists(w *mailtest.World) error {
	l, err := dnsbl.Default()
	if err != nil {
		return err
	}
	ServeHealthy(w, l)
	return nil
}

// ServeHealthy adds every zone of l to w as a healthy blocklist that lists
// only its RFC 5782 test entries (and a list's own documented test entry,
// such as dbltest.com on the Spamhaus DBL). Tests of the dnsbl check use it
// to run the built-in list inside a closed world.
func ServeHealthy(w *mailtest.World, l *dnsbl.List) map[string]*mailtest.DNSBL {
	out := map[string]*mailtest.DNSBL{}
	for _, z := range l.Zones {
		b := w.AddDNSBL(z.Zone)
		if z.TestListed != "127.0.0.2" && z.TestListed != "test" {
			b.List(z.TestListed, "test entry", testCode(z))
		}
		out[z.Zone] = b
	}
	return out
}

// testCode is a listing code the zone documents, for its test entry.
func testCode(z *dnsbl.Zone) string {
	if len(z.Codes) > 0 && z.Codes[0].Addr.IsValid() {
		return z.Codes[0].Addr.String()
	}
	return "127.0.0.2"
}
