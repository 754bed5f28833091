package dmarc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tagval"
)

// ID is the check ID.
const ID = "dmarc"

// Check is the dmarc check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "DMARC policy" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID, spf.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

const ref7489, ref9989 = "RFC 7489", "RFC 9989"

var defs = []checks.Def{
	{ID: "dmarc.missing", Severity: checks.SevFail, Title: "No DMARC record for the domain or its parents",
		Why: "Without DMARC anyone can send mail as the domain and receivers have no policy to apply; Gmail, Yahoo and Outlook require DMARC from bulk senders and reject or junk their mail without it.",
		Fix: "Publish a TXT record at _dmarc.<domain>, e.g. `_dmarc.example.com. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com\"`. If you do not yet know every service that sends as the domain, publish it with p=none for a few weeks first and read the aggregate reports; then tighten to p=quarantine and p=reject.",
		Ref: "RFC 7489 §6.1, RFC 9989 §4.10"},
	{ID: "dmarc.multiple", Severity: checks.SevFail, Title: "More than one DMARC record at the same name",
		Why: "When a _dmarc name holds several DMARC records, receivers discard them all: the domain has no DMARC policy at all.",
		Fix: "Merge the records into one TXT record at the _dmarc name and delete the others.",
		Ref: "RFC 7489 §6.6.3, RFC 9989 §4.10"},
	{ID: "dmarc.syntax", Severity: checks.SevFail, Title: "The DMARC record has a syntax error",
		Why: "Receivers ignore invalid tags, so the policy you meant is not the policy applied. A record whose v= is wrong is ignored altogether; one whose p= is missing or invalid is read as p=none when rua= holds a valid reporting address, and ignored otherwise.",
		Fix: "Correct the named tag; a minimal valid record is `v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com`.",
		Ref: "RFC 7489 §6.4, RFC 9989 §4.7"},
	{ID: "dmarc.unknown-tag", Severity: checks.SevWarn, Title: "The DMARC record has tags that DMARC does not define",
		Why: "Receivers ignore unknown tags; usually they are typos (e.g. `rau=` for `rua=`) and the intended setting is missing.",
		Fix: "Remove the unknown tags or correct their spelling.",
		Ref: "RFC 9989 §4.7"},
	{ID: "dmarc.compat", Severity: checks.SevWarn, Title: "Strict RFC 7489 receivers reject this DMARC record",
		Why: "The record is valid under RFC 9989's lenient reading, but older receivers (e.g. those built on go-msgauth) reject it and apply no policy.",
		Fix: "Write the record in its canonical form: `v=DMARC1` first in upper case, then `p=`, with lower-case values.",
		Ref: "RFC 7489 §6.4"},
	{ID: "dmarc.policy-none", Severity: checks.SevWarn, Title: "The DMARC policy is p=none (monitoring only)",
		Why: "With p=none receivers take no action on mail that fails DMARC: spoofed mail is still delivered. It is the right first step, not a destination.",
		Fix: "Once the aggregate reports show all your legitimate mail passing DMARC (aligned SPF or DKIM), move to `p=quarantine` for all mail (no pct=, no t=y), then to `p=reject`.",
		Ref: "RFC 7489 §6.3"},
	{ID: "dmarc.pct-partial", Severity: checks.SevWarn, Title: "The DMARC policy applies to only part of the failing mail (pct < 100)",
		Why: "With pct below 100 receivers apply the policy to a sample only; the rest of the spoofed mail is treated as p=none (RFC 9989 drops pct; receivers then apply the policy fully).",
		Fix: "Remove the pct tag (or set pct=100) once you are confident in the policy.",
		Ref: "RFC 7489 §6.3, RFC 9989 §A.6"},
	{ID: "dmarc.sp-weaker", Severity: checks.SevWarn, Title: "The subdomain policy is weaker than the domain's policy",
		Why: "Attackers can spoof any subdomain (e.g. billing.example.com) when sp= or np= is weaker than p=.",
		Fix: "Remove sp= and np= (they then default to p=) or set them to the same value as p=.",
		Ref: "RFC 7489 §6.3, RFC 9989 §4.7"},
	{ID: "dmarc.no-rua", Severity: checks.SevWarn, Title: "The DMARC record asks for no aggregate reports (no rua=)",
		Why: "Without aggregate reports you cannot see who sends mail as your domain, so you cannot safely tighten the policy.",
		Fix: "Add `rua=mailto:dmarc-reports@<domain>` (or your DMARC report service's address) to the record.",
		Ref: "RFC 7489 §6.3, RFC 9989 §4.7"},
	{ID: "dmarc.rua-unauthorized", Severity: checks.SevFail, Title: "An external report destination has not authorised the domain's reports",
		Why: "Receivers send reports to a destination outside the domain's organisation only when that destination publishes <domain>._report._dmarc.<destination>; without it the reports are silently dropped.",
		Fix: "Ask the report destination to publish `<domain>._report._dmarc.<destination>. IN TXT \"v=DMARC1\"`, or use an address in your own domain.",
		Ref: "RFC 7489 §7.1, RFC 9990 §3"},
	{ID: "dmarc.inherited", Severity: checks.SevInfo, Title: "The DMARC record comes from a parent domain",
		Why: "The domain publishes no record of its own; receivers apply the parent's subdomain policy (sp=, or p= when sp= is absent).",
		Fix: "Nothing to do if the parent's policy suits this domain; otherwise publish a record at _dmarc.<domain>.",
		Ref: "RFC 7489 §6.6.3, RFC 9989 §4.10"},
	{ID: "dmarc.testing", Severity: checks.SevInfo, Title: "The DMARC record is in test mode (t=y)",
		Why: "With t=y receivers apply one step less than the policy (reject becomes quarantine, quarantine becomes none).",
		Fix: "Remove `t=y` once you are ready for the full policy.",
		Ref: "RFC 9989 §4.7"},
	{ID: "dmarc.discovery-differs", Severity: checks.SevInfo, Title: "RFC 7489 and RFC 9989 receivers find different DMARC records",
		Why: "RFC 7489 receivers look only at the domain and its organisational domain; RFC 9989 receivers walk every parent. During the transition both kinds of receiver exist.",
		Fix: "Publish a record at _dmarc.<domain> itself so every receiver applies the same policy.",
		Ref: "RFC 9989 §4.10, RFC 7489 §6.6.3"},
	{ID: "dmarc.parked", Severity: checks.SevInfo, Title: "The domain sends and receives no mail; SPF, DMARC and null MX say so",
		Why: "A domain that sends and receives no mail is locked down when it says so three times: a null MX (senders do not try to deliver to it), SPF -all (no server may send as it) and DMARC p=reject (receivers refuse mail in its name). Forgers then have nothing to use. Aggregate reports are optional for such a domain.",
		Fix: "Nothing to do. If the domain is to send or receive mail one day, replace these records first.",
		Ref: refParked},
	{ID: "dmarc.parked-incomplete", Severity: checks.SevWarn, Title: "The domain receives no mail (null MX) but does not say, with SPF and DMARC, that it sends none",
		Why: "A null MX says that the domain receives no mail, but only SPF -all and DMARC p=reject make receivers refuse mail forged in its name, and a forgotten domain is an easy one to forge. A domain that does send mail, on the other hand, should not publish a null MX: nobody can reply to it or return its bounces, and receivers may refuse its mail (RFC 7505 §4.2).",
		Fix: "If the domain sends no mail, publish `v=spf1 -all` as its SPF record and `v=DMARC1; p=reject` at _dmarc.<domain>. If it does send mail, replace the null MX with MX records for a host that receives its replies and bounces.",
		Ref: refParked},
	{ID: "dmarc.dns-error", Severity: checks.SevError, Title: "A DMARC lookup failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether a record exists; receivers that hit the same failure treat DMARC as a temporary error.",
		Fix: "Check that the domain's name servers answer TXT queries for _dmarc names over UDP and TCP, and that DNSSEC validates."},
}

// FactKey is the key of the fact the dmarc check publishes.
var FactKey = checks.NewFactKey[*Fact](ID)

// Status says what the DMARC lookup found. Its values are the wire words
// of data.status.
type Status string

// The DMARC statuses.
const (
	StatusFound    Status = "found"    // one valid record applies
	StatusMissing  Status = "missing"  // no record at the domain or its organisational domain
	StatusMultiple Status = "multiple" // several records: receivers ignore them all
	StatusInvalid  Status = "invalid"  // the record is ignored by receivers
	StatusError    Status = "error"    // a DNS failure: not decided
)

// Fact is what the dmarc check publishes for dependent checks (bimi).
type Fact struct {
	Domain       string
	Status       Status
	RecordDomain string
	// Policy is the policy receivers apply to mail from Domain: p= when the
	// record is the domain's own, sp= when it is inherited.
	Policy  Policy
	Pct     int
	Testing bool
}

// Enforced reports whether receivers quarantine or reject all failing mail
// (policy quarantine or reject, pct=100, not in test mode), as BIMI requires.
func (f *Fact) Enforced() bool {
	return f != nil && f.Status == StatusFound && (f.Policy == PolicyQuarantine || f.Policy == PolicyReject) && f.Pct == 100 && !f.Testing
}

// Data is the check's JSON data.
type Data struct {
	// Domain is the domain checked.
	Domain string `json:"domain"`
	// OrgDomain is its organisational domain (public suffix list, RFC 7489).
	OrgDomain string `json:"org_domain"`
	// Status is found, missing, multiple, invalid or error.
	Status Status `json:"status"`
	// Rule is how the record applying to Domain was found: exact, rfc7489-org-domain or rfc9989-tree-walk; absent when none was.
	Rule Rule `json:"rule,omitempty"`
	// RecordDomain is the domain the applying record is at (_dmarc.<RecordDomain>); absent when none.
	RecordDomain string `json:"record_domain,omitempty"`
	Policy       Policy `json:"policy,omitempty"` // the policy applied to mail from Domain
	// Record is the applying record, parsed; absent when none.
	Record *Record `json:"record,omitempty"`
	// TreeWalk is RFC 9989 discovery (the DNS tree walk), with every name asked.
	TreeWalk *Discovery `json:"rfc9989_discovery"`
	// RFC7489 is RFC 7489 discovery (the domain, then its organisational domain), with every name asked.
	RFC7489 *Discovery `json:"rfc7489_discovery"`
	// Reports are the external-destination authorisations of the rua= and ruf= addresses outside the domain; absent when none.
	Reports []ReportAuth `json:"report_authorizations,omitempty"`
}

// ReportAuth is the external-destination authorisation of one report URI.
type ReportAuth struct {
	Tag string `json:"tag"` // rua or ruf
	// URI is the report URI as written.
	URI string `json:"uri"`
	// Domain is the destination domain of the URI.
	Domain string `json:"domain"`
	Name   string `json:"name"` // <domain>._report._dmarc.<destination>
	// Authorized is true when the destination publishes the authorisation record at Name.
	Authorized bool `json:"authorized"`
	// Error says in plain words why the authorisation lookup failed; absent when it did not.
	Error string `json:"error,omitempty"`
}

// Run implements checks.Check. The DMARC lookups start at once; only the
// last judgements (is the domain parked? does the missing rua= matter?)
// wait for the mx and spf facts, which are in by then as a rule.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	v, err := assess(ctx, env, t.Domain, out)
	if err != nil || v == nil {
		return err
	}
	p := judgeParked(ctx, out, t.Domain, v)
	if v.rec != nil && len(v.rec.RUA) == 0 && !p.judged {
		c := *v.rec
		c.RUA = []URI{defaultRUA(v.recDomain)}
		fix := fmt.Sprintf("Publish `%s. IN TXT \"%s\"` (or use your DMARC report service's address).", v.recName, c.Render())
		if p.null && !v.inherited {
			// The domain receives no mail: an address in it, the usual
			// proposal, would receive no reports either.
			fix = fmt.Sprintf("Add a rua= tag with a report address at a domain that receives mail, e.g. your main domain: %s publishes a null MX, so no address at %s receives anything. A domain outside %s's organisation must authorise the reports with a TXT record \"v=DMARC1\" at %s._report._dmarc.<that domain>.", t.Domain, t.Domain, t.Domain, t.Domain)
		}
		out.Add(checks.Finding{ID: "dmarc.no-rua", Subject: v.recName, Evidence: v.recEv,
			Message: fmt.Sprintf("%s has no rua= tag: nobody receives aggregate reports about mail sent as %s", v.recName, v.recDomain),
			Fix:     fix})
	}
	return nil
}

// verdict is what assess decided about the DMARC record that applies.
type verdict struct {
	status    Status
	rec       *Record // the record that applies (status found), else nil
	recDomain string  // where it was found
	recName   string  // _dmarc.<recDomain>
	recEv     *checks.Evidence
	inherited bool
	policy    Policy // the policy receivers apply to mail from the domain
}

// assess discovers and judges the domain's DMARC record and publishes the
// fact. It returns nil when the lookups decided nothing (reported as
// dmarc.dns-error, or cut short: then with ctx's error).
func assess(ctx context.Context, env *checks.Env, domain string, out *checks.Out) (*verdict, error) {
	fact := &Fact{Domain: domain}
	defer FactKey.Publish(out, fact)

	var walk, legacy *Discovery
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); walk = DiscoverTreeWalk(ctx, env.DNS, domain) }()
	go func() { defer wg.Done(); legacy = DiscoverRFC7489(ctx, env.DNS, domain) }()
	wg.Wait()

	data := Data{Domain: domain, OrgDomain: OrgDomain(domain), TreeWalk: walk, RFC7489: legacy}
	defer func() {
		if ctx.Err() == nil { // lookups cut short tell nothing about the domain
			out.SetData(data)
		}
	}()

	ev := levelsEvidence(walk.Levels)
	subject := "_dmarc." + domain

	// Records that look like DMARC but are not (v=dmarc1...), at any level
	// that was queried: receivers ignore them.
	for _, lv := range walk.Levels {
		for _, txt := range lv.TXT {
			if LooksLikeDMARC(txt) {
				out.Add(checks.Finding{ID: "dmarc.syntax", Subject: lv.Name, Evidence: withRecords(levelsEvidence([]Level{lv}), txt),
					Message: fmt.Sprintf("%s has a TXT record that looks like DMARC but does not start with exactly v=DMARC1 (tag v), so receivers ignore it: %q", lv.Name, tagval.Clean(txt)),
					Fix:     fmt.Sprintf("Start the record with `v=DMARC1;` exactly (upper case, first): `%s. IN TXT \"%s\"`.", lv.Name, repaired(Parse(txt), lv.Domain).Render())})
			}
		}
	}

	switch {
	case walk.Err != nil && !walk.Found && !walk.Multiple:
		fact.Status, data.Status = StatusError, StatusError
		var le *levelError
		name := subject
		if errors.As(walk.Err, &le) {
			name = le.lv.Name
		}
		if ctx.Err() != nil {
			return nil, ctx.Err() // cut short by the check's deadline: the Runner says so
		}
		out.Add(checks.Finding{ID: "dmarc.dns-error", Subject: name, Evidence: ev,
			Message: fmt.Sprintf("DMARC lookup failed: %v", walk.Err)})
		return nil, nil
	case walk.Multiple:
		fact.Status, data.Status = StatusMultiple, StatusMultiple
		data.RecordDomain, data.Rule = walk.RecordDomain, walk.Rule
		lv := walk.Levels[len(walk.Levels)-1]
		out.Add(checks.Finding{ID: "dmarc.multiple", Subject: lv.Name, Evidence: withRecords(ev, lv.DMARC...),
			Message: fmt.Sprintf("%s publishes %d DMARC records; receivers discard them all and apply no DMARC policy to %s", lv.Name, len(lv.DMARC), domain),
			Fix:     fmt.Sprintf("Keep exactly one TXT record starting with v=DMARC1 at %s: merge the tags you need into it and delete the others.", lv.Name)})
		return &verdict{status: StatusMultiple, recDomain: walk.RecordDomain, recName: lv.Name, recEv: withRecords(levelsEvidence(walk.Levels), lv.DMARC...)}, nil
	case !walk.Found:
		fact.Status, data.Status = StatusMissing, StatusMissing
		names := make([]string, len(walk.Levels))
		for i, lv := range walk.Levels {
			names[i] = lv.Name
		}
		out.Add(checks.Finding{ID: "dmarc.missing", Subject: subject, Evidence: ev,
			Message: fmt.Sprintf("no DMARC record for %s (looked at %s)", domain, strings.Join(names, ", ")),
			Fix:     fmt.Sprintf("Publish `_dmarc.%s. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@%s\"`. If you do not yet know every service that sends as %s, publish it with p=none for a few weeks first and read the aggregate reports; then tighten to p=quarantine and p=reject.", domain, domain, domain)})
		return &verdict{status: StatusMissing, recEv: levelsEvidence(walk.Levels)}, nil
	}

	rec := Parse(walk.Record)
	recName := "_dmarc." + walk.RecordDomain
	recEv := withRecords(levelsEvidence(walk.Levels), walk.Record)
	data.Record, data.RecordDomain, data.Rule = rec, walk.RecordDomain, walk.Rule
	inherited := walk.RecordDomain != domain
	policy := rec.P
	if inherited {
		policy = rec.SP
	}
	data.Policy = policy
	*fact = Fact{Domain: domain, Status: StatusFound, RecordDomain: walk.RecordDomain, Policy: policy, Pct: rec.Pct, Testing: rec.Testing}
	data.Status = StatusFound
	if rec.Fatal() {
		fact.Status, data.Status = StatusInvalid, StatusInvalid
	}

	for _, p := range rec.Problems {
		// Every problem's text names its tag itself.
		msg := fmt.Sprintf("%s: %s", recName, p.Text)
		if p.Fatal && !strings.Contains(p.Text, "ignore") {
			msg += "; receivers ignore this record"
		}
		fix := fixFor(p.Tag, recName, rec, walk.RecordDomain)
		if p.Duplicate {
			fix = fmt.Sprintf("Keep a single %s= tag in %s and delete the repeats (receivers read only the first, or reject the record).", p.Tag, recName)
		}
		out.Add(checks.Finding{ID: "dmarc.syntax", Subject: recName, Evidence: recEv, Message: msg, Fix: fix})
	}
	if len(rec.Unknown) > 0 {
		out.Add(checks.Finding{ID: "dmarc.unknown-tag", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("%s has tags DMARC does not define, which receivers ignore: %s", recName, listN(rec.Unknown, 10))})
	}
	if rec.MsgAuthErr != "" && len(rec.Problems) == 0 {
		out.Add(checks.Finding{ID: "dmarc.compat", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("a strict RFC 7489 parser (go-msgauth) rejects %s: %s", recName, rec.MsgAuthErr),
			Fix:     fmt.Sprintf("Write the record in its canonical form: `%s. IN TXT \"%s\"`.", recName, rec.Render())})
	}
	v := &verdict{status: fact.Status, recDomain: walk.RecordDomain, recName: recName, recEv: recEv, inherited: inherited, policy: policy}
	if fact.Status == StatusInvalid {
		return v, nil
	}
	v.rec = rec

	if inherited {
		out.Add(checks.Finding{ID: "dmarc.inherited", Subject: subject, Evidence: recEv,
			Message: fmt.Sprintf("%s has no DMARC record of its own; the record at %s applies (found by %s), so its policy is %s", domain, recName, ruleText(walk.Rule), policyText(rec, true)),
			Fix:     fmt.Sprintf("Nothing to do if %s's subdomain policy suits %s; otherwise publish `_dmarc.%s. IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc-reports@%s\"`.", walk.RecordDomain, domain, domain, walk.RecordDomain)})
	}
	if legacy.Err == nil && (legacy.Found != walk.Found || legacy.RecordDomain != walk.RecordDomain) {
		what := "no record"
		if legacy.Found {
			what = "the record at _dmarc." + legacy.RecordDomain
		}
		out.Add(checks.Finding{ID: "dmarc.discovery-differs", Subject: subject, Evidence: recEv,
			Message: fmt.Sprintf("RFC 9989 receivers use the record at %s, but RFC 7489 receivers (organisational domain %s) find %s", recName, OrgDomain(domain), what),
			Fix:     fmt.Sprintf("Publish a record at _dmarc.%s so that every receiver applies the same policy.", domain)})
	}

	if policy == PolicyNone {
		next := enforced(rec, walk.RecordDomain)
		then := ""
		if (inherited && next.SP == PolicyQuarantine) || (!inherited && next.P == PolicyQuarantine) {
			then = "; when quarantine causes no losses, move to p=reject the same way"
		}
		out.Add(checks.Finding{ID: "dmarc.policy-none", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("the DMARC policy for %s is %s: receivers deliver mail that fails DMARC", domain, policyText(rec, inherited)),
			Fix: fmt.Sprintf("Once the aggregate reports show all legitimate mail from %s passing DMARC (aligned SPF or DKIM), publish `%s. IN TXT \"%s\"`%s.",
				domain, recName, next.Render(), then)})
	}
	if rec.HasPct && rec.Pct < 100 && policy != PolicyNone {
		c := *rec
		c.HasPct, c.Pct = false, 100
		out.Add(checks.Finding{ID: "dmarc.pct-partial", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("pct=%d: RFC 7489 receivers apply p=%s to only %d%% of failing mail", rec.Pct, policy, rec.Pct),
			Fix:     fmt.Sprintf("Remove pct= from the record so that the policy applies to all failing mail: `%s. IN TXT \"%s\"`.", recName, c.Render())})
	}
	if rec.HasSP && rec.SP.strength() < rec.P.strength() {
		c := *rec
		c.HasSP, c.SP = false, rec.P
		if c.HasNP && c.NP.strength() < c.SP.strength() {
			c.HasNP, c.NP = false, c.SP
		}
		out.Add(checks.Finding{ID: "dmarc.sp-weaker", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("sp=%s is weaker than p=%s: subdomains of %s can be spoofed more easily than the domain itself", rec.SP, rec.P, walk.RecordDomain),
			Fix:     fmt.Sprintf("Remove sp= (it then defaults to p=%s): `%s. IN TXT \"%s\"`.", rec.P, recName, c.Render())})
	}
	if rec.HasNP && rec.NP.strength() < rec.SP.strength() {
		c := *rec
		c.HasNP, c.NP = false, rec.SP
		out.Add(checks.Finding{ID: "dmarc.sp-weaker", Subject: recName, Evidence: recEv,
			Message: fmt.Sprintf("np=%s is weaker than sp=%s: non-existent subdomains of %s can be spoofed", rec.NP, rec.SP, walk.RecordDomain),
			Fix:     fmt.Sprintf("Remove np= (it then defaults to sp=%s): `%s. IN TXT \"%s\"`.", rec.SP, recName, c.Render())})
	}
	if rec.Testing {
		out.Add(checks.Finding{ID: "dmarc.testing", Subject: recName, Evidence: recEv,
			Message: testingText(rec),
			Fix:     fmt.Sprintf("Remove t=y from the record at %s once you are ready for the full policy.", recName)})
	}
	// The fact is final: the checks waiting on it (bimi) need not wait
	// for the report authorisations.
	FactKey.Publish(out, fact)
	data.Reports = authorize(ctx, env, out, walk.RecordDomain, recName, rec)
	return v, nil
}

// authorize checks every external rua/ruf destination (RFC 7489 §7.1).
func authorize(ctx context.Context, env *checks.Env, out *checks.Out, recDomain, recName string, rec *Record) []ReportAuth {
	org := OrgDomain(recDomain)
	var auths []ReportAuth
	seen := map[string]bool{}
	for _, set := range []struct {
		tag  string
		uris []URI
	}{{"rua", rec.RUA}, {"ruf", rec.RUF}} {
		for _, u := range set.uris {
			if u.Domain == "" || OrgDomain(u.Domain) == org {
				continue
			}
			name := recDomain + "._report._dmarc." + u.Domain
			if seen[set.tag+" "+name] {
				continue
			}
			seen[set.tag+" "+name] = true
			auths = append(auths, ReportAuth{Tag: set.tag, URI: u.Raw, Domain: u.Domain, Name: name})
		}
	}
	var wg sync.WaitGroup
	for i := range auths {
		wg.Go(func() {
			a := &auths[i]
			if _, err := dnsq.CheckName(a.Name); err != nil {
				a.Error = a.Name + ": " + dnsq.Describe(err)
				return
			}
			ans, err := env.DNS.Lookup(ctx, a.Name, dns.TypeTXT)
			if err != nil {
				a.Error = err.Error()
				if ctx.Err() != nil {
					return
				}
				out.Add(checks.Finding{ID: "dmarc.dns-error", Subject: a.Name, Evidence: checks.DNSEvidence(dnsq.QueriesOf(err)...),
					Message: fmt.Sprintf("could not check whether %s accepts %s reports for %s: %v", a.Domain, a.Tag, recDomain, err)})
				return
			}
			ev := checks.DNSEvidence(ans.Query)
			for _, chunks := range ans.TXT() {
				if strings.HasPrefix(strings.TrimSpace(tagval.Join(chunks)), "v=DMARC1") {
					a.Authorized = true
				}
			}
			if !a.Authorized {
				if ev != nil {
					ev.Records = ans.Strings()
				}
				out.Add(checks.Finding{ID: "dmarc.rua-unauthorized", Subject: a.Name, Evidence: ev,
					Message: fmt.Sprintf("%s=%s sends reports to %s, which has not authorised reports about %s (no v=DMARC1 TXT record at %s): receivers drop these reports", a.Tag, a.URI, a.Domain, recDomain, a.Name),
					Fix:     fmt.Sprintf("Ask %s to publish `%s. IN TXT \"v=DMARC1\"` (or `*._report._dmarc.%s` for all customers), or send %s reports to an address under %s.", a.Domain, a.Name, a.Domain, a.Tag, recDomain)})
			}
		})
	}
	wg.Wait()
	sort.Slice(auths, func(i, j int) bool { return auths[i].Tag+auths[i].Name < auths[j].Tag+auths[j].Name })
	return auths
}

func testingText(rec *Record) string {
	if rec.P == PolicyNone {
		return "t=y: with p=none it changes nothing yet, but once p= is raised RFC 9989 receivers will apply one step less than it"
	}
	return fmt.Sprintf("t=y: RFC 9989 receivers apply one step less than p=%s", rec.P)
}

func ruleText(r Rule) string {
	switch r {
	case RuleTreeWalk:
		return "the RFC 9989 tree walk"
	case RuleOrgDomain:
		return "the RFC 7489 organisational-domain fallback"
	}
	return "an exact lookup"
}

func policyText(r *Record, inherited bool) string {
	if inherited && r.HasSP {
		return "sp=" + string(r.SP)
	}
	return "p=" + string(r.P)
}

// fixFor returns a specific fix for a problem with a tag of rec, the
// record at recName for recDomain. A record it proposes is the record
// repaired: valid tags kept, invalid ones dropped, never a setting that
// another finding flags.
func fixFor(tag, recName string, rec *Record, recDomain string) string {
	switch tag {
	case "v":
		return fmt.Sprintf("Start the record with `v=DMARC1;` exactly: `%s. IN TXT \"%s\"`.", recName, repaired(rec, recDomain).Render())
	case "p":
		return fmt.Sprintf("Set p= to quarantine or reject: `%s. IN TXT \"%s\"`.", recName, repaired(rec, recDomain).Render())
	case "sp", "np":
		return fmt.Sprintf("Set %s= to quarantine or reject, or remove it (it then defaults to %s): `%s. IN TXT \"%s\"`.", tag, map[string]string{"sp": "p=", "np": "sp="}[tag], recName, repaired(rec, recDomain).Render())
	case "pct":
		return fmt.Sprintf("Remove pct= (RFC 9989 drops it; without it the policy applies to all failing mail): `%s. IN TXT \"%s\"`.", recName, repaired(rec, recDomain).Render())
	case "rua", "ruf":
		return fmt.Sprintf("Write %s= as a comma-separated list of mailto: URIs, e.g. `%s=mailto:dmarc-reports@%s`.", tag, tag, recDomain)
	case "adkim", "aspf":
		return fmt.Sprintf("Set %s=r (relaxed, the default) or %s=s (strict), or remove the tag.", tag, tag)
	case "":
		return fmt.Sprintf("Rewrite the record as tag=value pairs separated by semicolons, e.g. `%s. IN TXT \"%s\"`.", recName, repaired(rec, recDomain).Render())
	}
	return fmt.Sprintf("Correct or remove the %s= tag in the record at %s.", tag, recName)
}

// defaultRUA is the report address proposed when a record has none.
func defaultRUA(recDomain string) URI {
	addr := "dmarc-reports@" + recDomain
	return URI{Raw: "mailto:" + addr, Scheme: "mailto", Address: addr, Domain: recDomain}
}

// repaired returns rec with its syntax problems fixed: an invalid p= (or no
// p=) becomes quarantine, invalid sp=/np= and pct= are dropped (Render
// keeps only valid tags), and a record without rua= gets one. The owner's
// valid choices are kept.
func repaired(rec *Record, recDomain string) *Record {
	c := *rec
	if !c.HasP {
		c.P, c.HasP = PolicyQuarantine, true
		if !c.HasSP {
			c.SP = c.P
		}
		if !c.HasNP {
			c.NP = c.SP
		}
	}
	if c.HasPct && c.Pct < 100 && c.P != PolicyNone {
		c.HasPct, c.Pct = false, 100 // pct-partial would flag it
	}
	if c.HasSP && c.SP.strength() < c.P.strength() {
		c.HasSP, c.SP = false, c.P
	}
	if c.HasNP && c.NP.strength() < c.SP.strength() {
		c.HasNP, c.NP = false, c.SP
	}
	if len(c.RUA) == 0 {
		c.RUA = []URI{defaultRUA(recDomain)}
	}
	return &c
}

// enforced returns the record that moves rec's applied policy from none to
// quarantine for all failing mail: p= (or the sp= that applies) raised, no
// pct=, no t=y, no weaker sp=/np=, and reports requested.
func enforced(rec *Record, recDomain string) *Record {
	c := repaired(rec, recDomain)
	if c.P == PolicyNone {
		c.P = PolicyQuarantine
	}
	c.HasPct, c.Pct, c.Testing = false, 100, false
	if c.SP.strength() < c.P.strength() {
		c.HasSP, c.SP = false, c.P
	}
	if c.NP.strength() < c.SP.strength() {
		c.HasNP, c.NP = false, c.SP
	}
	return c
}

func levelsEvidence(lvs []Level) *checks.Evidence {
	var qs []dnsq.Query
	for _, lv := range lvs {
		qs = append(qs, lv.Queries...)
	}
	return checks.DNSEvidence(qs...)
}

func withRecords(ev *checks.Evidence, recs ...string) *checks.Evidence {
	if ev == nil {
		ev = &checks.Evidence{}
	}
	for _, r := range recs {
		ev.Records = append(ev.Records, tagval.Sanitize(r))
	}
	return ev
}

// listN joins at most n items, saying how many more there are.
func listN(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
