package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/mxray/mxray/checks/mailtest"
)

//go:embed zones/*.zone
var zones embed.FS

// Domain is one domain of the demo world.
type Domain struct {
	Name        string
	Description string
}

// Domains lists the demo world's domains, in the order the demo shows them.
var Domains = []Domain{
	{"good.example", "a healthy domain: two MX hosts, DNSSEC-signed"},
	{"broken.example", "a domain with many problems"},
	{"nomail.example", "a parked domain done right: no mail in (null MX) or out (SPF -all, DMARC reject)"},
	{"badtls.example", "mail servers with certificate and handshake problems"},
}

// setups are run in order after the zones are loaded, to start the world's
// servers (SMTP, HTTPS...). Each area adds one line.
var setups = []func(w *mailtest.World) error{
	signZones,
	serveBlocklists,
	servePolicies,
	serveSubmission,
	serveSMTP,
	serveBadTLS,
}

// Zones returns the demo world's zone text, all files concatenated in name
// order.
func Zones() (string, error) {
	names, err := fs.Glob(zones, "zones/*.zone")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		data, err := zones.ReadFile(n)
		if err != nil {
			return "", err
		}
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String(), nil
}

// Start starts the demo world. Close it when done.
func Start() (*mailtest.World, error) {
	z, err := Zones()
	if err != nil {
		return nil, err
	}
	w, err := mailtest.NewWorld(z)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, s := range setups {
		if err := s(w); err != nil {
			w.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return w, nil
}

// signZones marks the root and good.example as DNSSEC-signed, so the demo's
// resolver looks validating and good.example secure.
func signZones(w *mailtest.World) error {
	w.DNS.Sign(".")
	w.DNS.Sign("good.example")
	return nil
}
