package smtpwire

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mxray/mxray/checks/dnsq"
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
		return fmt.Sprintf("nothing to test: %s publishes a null MX (RFC 7505): it receives no mail, so there is no server to talk to", fact.Domain)
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

// LookupWords renders the error of checks.ResolveHost in plain words on
// one line: each failed lookup as dnsq prints it ("mx.example.com A: the
// resolver answered SERVFAIL"), sorted, joined by "; ".
func LookupWords(err error) string {
	if err == nil {
		return ""
	}
	var parts []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var le *dnsq.LookupError
		if errors.As(e, &le) {
			parts = append(parts, le.Error())
			return
		}
		parts = append(parts, strings.ReplaceAll(e.Error(), "\n", "; "))
	}
	walk(err)
	sort.Strings(parts) // the A and AAAA lookups run at once: a stable order
	return strings.Join(parts, "; ")
}
