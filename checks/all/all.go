package all

import (
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tlscheck"
	"github.com/mxray/mxray/checks/tlsrpt"
)

// Checks returns every check in report order.
func Checks() []checks.Check {
	return []checks.Check{
		dnscheck.Check{},
		mx.Check{},
		spf.Check{},
		dkim.Check{},
		dmarc.Check{},
		mtasts.Check{},
		tlsrpt.Check{},
		bimi.Check{},
		smtp.Check{},
		tlscheck.Check{},
		dnsbl.Check{},
		ptr.Check{},
		profile.Check{}, // skipped unless --profile names a provider
	}
}

// Catalogue returns every finding definition of every check (domain checks,
// then message checks), in check order.
func Catalogue() []checks.Def {
	var out []checks.Def
	for _, c := range append(Checks(), MessageChecks()...) {
		out = append(out, c.Findings()...)
	}
	return out
}

// Lookup returns the definition of a finding ID.
func Lookup(id string) (checks.Def, bool) {
	for _, d := range Catalogue() {
		if d.ID == id {
			return d, true
		}
	}
	return checks.Def{}, false
}
