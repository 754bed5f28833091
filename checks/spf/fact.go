package spf

import (
	"context"
	"strings"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// Status says what SPF policy the domain publishes. Its values are plain
// words, stable like the finding IDs.
type Status string

// The SPF statuses.
const (
	StatusFound    Status = "found"    // one record, which parses
	StatusMissing  Status = "missing"  // no SPF record, or the domain does not exist
	StatusMultiple Status = "multiple" // several records: receivers return permerror
	StatusInvalid  Status = "invalid"  // the record does not parse: receivers return permerror
)

// Fact is what the spf check publishes for the checks that judge the
// domain as a whole (dmarc's parked-domain verdict, dkim), as soon as the
// domain's record and its redirect= chain are in: long before the include
// tree is. A check whose lookups failed publishes none.
type Fact struct {
	Domain string
	Status Status
	Record string // the domain's own record (Status found or invalid)
	// NoSenders is set when the policy authorises no sender and says so:
	// the record that decides (the domain's own, or the end of its
	// redirect= chain) is exactly or effectively "v=spf1 -all": it ends in
	// -all, and every mechanism before it has the - qualifier, so no
	// sender can get pass and every other sender gets fail.
	NoSenders bool
}

// FactKey is the key of the fact the spf check publishes.
var FactKey = checks.NewFactKey[*Fact](ID)

// lockdown reads domain's SPF policy as far as Fact needs it: the domain's
// record and, when it ends in redirect=, the records of the chain. It
// returns false when a lookup failed: nothing is decided then.
func lockdown(ctx context.Context, c *dnsq.Client, domain string) (*Fact, bool) {
	f := &Fact{Domain: domain}
	name := domain
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		ans, err := c.Lookup(ctx, dnsName(name), dns.TypeTXT)
		if err != nil {
			return nil, false
		}
		rrs := records(ans)
		st, txt := StatusFound, ""
		switch len(rrs) {
		case 0:
			st = StatusMissing
		case 1:
			txt = JoinTXT(rrs[0])
		default:
			st = StatusMultiple
		}
		rec, perr := (*Record)(nil), error(nil)
		if st == StatusFound {
			if rec, perr = Parse(txt); perr != nil {
				st = StatusInvalid
			}
		}
		if hop == 0 {
			f.Status, f.Record = st, clip(txt, 2048)
		}
		if st != StatusFound {
			// A redirect to a domain without a (valid) record is a
			// permerror: not "no sender passes" in words receivers act on.
			return f, true
		}
		locked, next := lockStep(rec)
		if next == "" {
			f.NoSenders = locked
			return f, true
		}
		seen[name] = true
		if seen[next] || hop+1 >= MaxDNSTerms {
			return f, true // a redirect loop, or past the lookup limit: permerror
		}
		name = next
	}
}

// lockStep judges one record of a redirect chain. It returns the redirect
// target to read next when the record leaves the verdict to it, and
// otherwise whether the record authorises no sender: every mechanism up to
// the first all has the - qualifier, and that all is -all.
func lockStep(rec *Record) (locked bool, next string) {
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.IsModifier() {
			continue
		}
		if t.Qual != QFail {
			return false, "" // a sender matching it passes, or gets softfail or neutral
		}
		if t.Mech == MechAll {
			return true, ""
		}
	}
	rt := rec.RedirectTerm()
	if rt == nil || strings.IndexByte(rt.Domain, '%') >= 0 {
		// No all and no redirect: unlisted senders get neutral. A target
		// with macros is known only when a message is evaluated.
		return false, ""
	}
	return false, strings.ToLower(strings.TrimSuffix(rt.Domain, "."))
}
