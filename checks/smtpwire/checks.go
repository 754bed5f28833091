package smtpwire

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks/mx"
)

// NothingTested is the message of the smtp.nothing-tested and
// tls.nothing-tested findings: why, in plain words, no MX address could be
// tested. The domain
// has no MX host (null MX, no MX and no address, NXDOMAIN), or none of its
// hosts has an address that could be found. hostErrors are the hosts'
// reasons (LookupWords), one per host of fact.
func NothingTested(fact *mx.Fact, hostErrors []string) string {
	switch {
	case fact.Null && len(fact.Hosts) == 0:
		return fmt.Sprintf("%s publishes a null MX (RFC 7505): it receives no mail, so there is no server to talk to", fact.Domain)
	case len(fact.Hosts) == 0:
		return fmt.Sprintf("nothing to test: %s has no MX host to connect to (see the mx check)", fact.Domain)
	}
	var parts []string
	for i, e := range hostErrors {
		if e == "" && i < len(fact.Hosts) {
			e = fact.Hosts[i].Name + " has no address"
		}
		if e != "" {
			parts = append(parts, e)
		}
	}
	if len(fact.Hosts) == 1 {
		return "could not test: the MX host has no address to connect to (" + strings.Join(parts, "; ") + ")"
	}
	return fmt.Sprintf("could not test: none of the %d MX hosts has an address to connect to (%s)", len(fact.Hosts), strings.Join(parts, "; "))
}

// LookupWords renders the error of checks.ResolveHost (or of one lookup)
// in plain words on one line, as dnsq and checks word it ("mx.example.com
// A, AAAA: the resolver answered SERVFAIL"): the question is named once,
// never prefixed again.
func LookupWords(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
