package all

import (
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgauthres"
	"github.com/mxray/mxray/checks/msgbounce"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgheaders"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/msgunsub"
)

// MessageChecks returns every message check (mxray analyze, mxray
// receive) in report order. They examine checks.Target.Message and are
// skipped (not applicable) without one; adding a message check means one
// package under checks/ and one line here.
func MessageChecks() []checks.Check {
	return []checks.Check{
		msgheaders.Check{},
		msgdkim.Check{},
		msgspf.Check{},
		msgdmarc.Check{},
		msgarc.Check{},
		msgauthres.Check{},
		msgunsub.Check{},
		msgbounce.Check{},
	}
}
