package msgdmarc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tagval"
)

// ID is the check ID.
const ID = "msg-dmarc"

// Check is the msg-dmarc check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "DMARC of the message" }

// Needs implements checks.Check: the SPF and DKIM results it aligns.
func (Check) Needs() []string { return []string{msgspf.ID, msgdkim.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-dmarc.fail", Severity: checks.SevFail, Title: "The message fails DMARC",
		SeverityNote: "warn when the policy that applies is none (p=none, or sp=/np=none): receivers deliver the message as if DMARC did not exist, but it is not authenticated",
		Why:          "Neither SPF nor a DKIM signature passed for a domain aligned with the From address people see: receivers apply the From domain's DMARC policy (quarantine puts the message in spam, reject refuses it), and Gmail, Yahoo and Outlook require bulk mail to pass DMARC.",
		Fix:          "Sign the message with DKIM for the From domain (d= the From domain, or under it with relaxed alignment), or send it with a Return-Path in the From domain's organisation from a server its SPF record lists.",
		Ref:          "RFC 9989 §4.4, RFC 7489 §3.1"},
	{ID: "msg-dmarc.unaligned", Severity: checks.SevWarn, Title: "SPF or DKIM passed for a domain that does not align with the From domain",
		SeverityNote: "info when another identifier aligns and DMARC passes",
		Why:          "DMARC counts SPF and DKIM only for a domain aligned with the From domain: the same domain (strict) or the same organisational domain (relaxed). A pass for a provider's domain (its bounce address, its own DKIM signature) authenticates the provider, not the author.",
		Fix:          "Configure the sending service to sign with DKIM for your domain (publish the key it gives you at <selector>._domainkey.<your domain>), or to use a Return-Path (bounce domain) under your domain; with strict alignment (adkim=s or aspf=s) the domains must be equal.",
		Ref:          "RFC 9989 §4.4, RFC 7489 §3.1"},
	{ID: "msg-dmarc.none", Severity: checks.SevWarn, Title: "The From domain publishes no DMARC policy",
		Why: "Without a DMARC record (or with one that receivers ignore) nothing ties SPF and DKIM to the From address: receivers apply no policy, anyone can send mail in the domain's name, and Gmail, Yahoo and Outlook refuse or junk bulk mail from domains without DMARC. The message itself is not refused for it: warn, not fail.",
		Fix: "Publish a TXT record at _dmarc.<From domain>, e.g. `v=DMARC1; p=none; rua=mailto:dmarc-reports@<From domain>`, read the reports, then tighten to p=quarantine and p=reject.",
		Ref: "RFC 9989 §4.10, RFC 7489 §6.1"},
}

// Result is the DMARC result of the message, in RFC 8601 words.
type Result string

// The results. A result that is not decided is the check's error status.
const (
	ResultPass Result = "pass" // an aligned identifier passed
	ResultFail Result = "fail" // a policy applies and no aligned identifier passed
	ResultNone Result = "none" // no DMARC policy applies to the From domain
)

// Identifier names an authenticated identifier DMARC aligns.
type Identifier string

// The identifiers.
const (
	IdentifierSPF  Identifier = "spf"
	IdentifierDKIM Identifier = "dkim"
)

// Mode is an alignment mode (aspf=, adkim=).
type Mode string

// The alignment modes.
const (
	ModeRelaxed Mode = "relaxed"
	ModeStrict  Mode = "strict"
)

// Alignment is one authenticated identifier against the From domain.
type Alignment struct {
	// Identifier is spf or dkim.
	Identifier Identifier `json:"identifier"`
	// Domain is the SPF domain evaluated, or the signature's d=.
	Domain string `json:"domain"`
	// Selector is the signature's s=; absent for SPF.
	Selector string `json:"selector,omitempty"`
	// Result is SPF's result or the signature's: pass, fail, ... ("not
	// decided" for a signature whose key lookup failed).
	Result string `json:"result"`
	// Pass is set when SPF passed or the signature verifies.
	Pass bool `json:"pass"`
	// Mode is the alignment mode of the record (relaxed by default).
	Mode Mode `json:"mode"`
	// Aligned is set when the identifier passed and aligns with the From domain.
	Aligned bool `json:"aligned"`
	// Helo is set when SPF checked the HELO name because the Return-Path
	// is null: RFC 7208 §2.4 makes postmaster@<HELO name> the MAIL FROM
	// identity, which RFC 7489 §4.1 aligns like any other.
	Helo bool `json:"helo,omitempty"`
	// Note says why a passing identifier does not count; absent when it does.
	Note string `json:"note,omitempty"`
}

// Data is the check's data.
type Data struct {
	// FromDomain is the RFC5322.From domain.
	FromDomain string `json:"from_domain"`
	// OrgDomain is its organisational domain (public suffix list).
	OrgDomain string `json:"org_domain"`
	// Status is what discovery found: found, missing, multiple or invalid
	// (error when a lookup failed).
	Status dmarc.Status `json:"status"`
	// Record is the record that applies, parsed; absent when none.
	Record *dmarc.Record `json:"record,omitempty"`
	// RecordDomain is where it was found (_dmarc.<RecordDomain>).
	RecordDomain string `json:"record_domain,omitempty"`
	// Rule is how it was found: exact, rfc9989-tree-walk (or
	// rfc7489-org-domain); absent when none was.
	Rule dmarc.Rule `json:"rule,omitempty"`
	// TreeWalk is RFC 9989 discovery, which decides, with every name asked.
	TreeWalk *dmarc.Discovery `json:"rfc9989_discovery,omitempty"`
	// RFC7489 is RFC 7489 discovery (the domain, then its organisational domain).
	RFC7489 *dmarc.Discovery `json:"rfc7489_discovery,omitempty"`
	// Policy is the policy receivers apply to the message when it fails:
	// PolicyTag's value; absent without a record.
	Policy dmarc.Policy `json:"policy,omitempty"`
	// PolicyTag says which tag gives it: p (the record is the From
	// domain's own), sp (inherited by a subdomain) or np (a subdomain that
	// does not exist).
	PolicyTag string `json:"policy_tag,omitempty"`
	// NonExistent is set when the From domain was found not to exist
	// (NXDOMAIN, or no A, AAAA and MX): asked only when the message fails,
	// the policy is inherited and the record's np= differs from sp=.
	NonExistent bool `json:"non_existent,omitempty"`
	// Alignment lists SPF's identifier and every DKIM signature's.
	Alignment []Alignment `json:"alignment,omitempty"`
	// Undecided says which result was not decided (SPF, a DKIM key
	// lookup); absent when none.
	Undecided []string `json:"undecided,omitempty"`
	// Result is pass, fail or none; absent when not decided.
	Result Result `json:"result,omitempty"`
}

// Fact is what msg-dmarc publishes once the result is decided.
type Fact struct {
	Result       Result       // pass, fail or none
	FromDomain   string       // the RFC5322.From domain
	RecordDomain string       // where the record is, "" without one
	Policy       dmarc.Policy // the policy applied on failure, "" without a record
	Alignment    []Alignment  // every identifier, as in Data
}

// Aligned returns the identifiers that passed in alignment.
func (f *Fact) Aligned() []Alignment {
	if f == nil {
		return nil
	}
	var out []Alignment
	for _, a := range f.Alignment {
		if a.Aligned {
			out = append(out, a)
		}
	}
	return out
}

// FactKey is the key of msg-dmarc's fact.
var FactKey = checks.NewFactKey[*Fact](ID)

// Aligns reports whether domain aligns with the From domain from in mode
// (RFC 9989 §4.4): equal domains, or under relaxed alignment the same
// organisational domain.
func Aligns(from, domain string, mode Mode) bool {
	from, domain = norm(from), norm(domain)
	if from == "" || domain == "" {
		return false
	}
	if from == domain {
		return true
	}
	return mode != ModeStrict && dmarc.OrgDomain(from) == dmarc.OrgDomain(domain)
}

func norm(d string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".") }

func mode(tag string) Mode {
	if tag == "s" {
		return ModeStrict
	}
	return ModeRelaxed
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	from := m.FromDomain
	if from == "" {
		switch {
		case len(m.From) > 1:
			return checks.NotApplicable(fmt.Sprintf("the message has %d From addresses: DMARC needs exactly one author domain", len(m.From)))
		case m.FromErr != "":
			return checks.NotApplicable(m.FromErr + ": there is no author domain for DMARC")
		case len(m.From) == 0:
			return checks.NotApplicable("the message has no From address: there is no author domain for DMARC")
		}
		return checks.NotApplicable("the From address has no valid domain: there is no author domain for DMARC")
	}
	if env.DNS == nil {
		return errors.New("no DNS client")
	}
	d := &Data{FromDomain: from, OrgDomain: dmarc.OrgDomain(from)}
	out.SetData(d)

	var walk, legacy *dmarc.Discovery
	var wg sync.WaitGroup
	wg.Go(func() { walk = dmarc.DiscoverTreeWalk(ctx, env.DNS, from) })
	wg.Go(func() { legacy = dmarc.DiscoverRFC7489(ctx, env.DNS, from) })
	spfF, spfErr := msgspf.FactKey.Await(ctx, out)
	dkimF, dkimErr := msgdkim.FactKey.Await(ctx, out)
	wg.Wait()
	d.TreeWalk, d.RFC7489 = walk, legacy
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ev := levelsEvidence(walk.Levels)

	var rec *dmarc.Record
	switch {
	case walk.Err != nil && !walk.Found && !walk.Multiple:
		d.Status = dmarc.StatusError
		return fmt.Errorf("the DMARC record of %s cannot be looked up now: %w", from, walk.Err)
	case walk.Multiple:
		d.Status, d.RecordDomain, d.Rule = dmarc.StatusMultiple, walk.RecordDomain, walk.Rule
	case !walk.Found:
		d.Status = dmarc.StatusMissing
	default:
		rec = dmarc.Parse(walk.Record)
		d.Status, d.Record, d.RecordDomain, d.Rule = dmarc.StatusFound, rec, walk.RecordDomain, walk.Rule
		if rec.Fatal() {
			d.Status = dmarc.StatusInvalid
		}
	}

	aspf, adkim := ModeRelaxed, ModeRelaxed
	if rec != nil {
		aspf, adkim = mode(rec.ASPF), mode(rec.ADKIM)
	}
	d.Alignment, d.Undecided = align(from, m.Trusted() != nil, spfF, spfErr, dkimF, dkimErr, aspf, adkim)
	aligned := false
	for _, a := range d.Alignment {
		aligned = aligned || a.Aligned
	}

	if d.Status != dmarc.StatusFound {
		d.Result = ResultNone
		FactKey.Publish(out, &Fact{Result: ResultNone, FromDomain: from, RecordDomain: d.RecordDomain, Alignment: d.Alignment})
		out.Add(checks.Finding{ID: "msg-dmarc.none", Subject: from, Evidence: withRecords(ev, walk.Levels),
			Message: noneText(d, walk), Fix: noneFix(d, aligned)})
		return nil
	}

	recName := "_dmarc." + d.RecordDomain
	recEv := withRecords(ev, nil)
	recEv.Records = append(recEv.Records, tagval.Sanitize(walk.Record))
	d.Policy, d.PolicyTag = rec.P, "p"
	if d.RecordDomain != from {
		d.Policy, d.PolicyTag = rec.SP, "sp"
	}

	switch {
	case aligned:
		d.Result = ResultPass
	case len(d.Undecided) > 0:
		// An identifier that might align is not decided: neither is DMARC.
		var de *checks.DependencyError
		var na *checks.NotApplicableError
		for _, err := range []error{spfErr, dkimErr} {
			if errors.As(err, &de) && !errors.As(err, &na) {
				return err // the dependency reports the root cause once
			}
		}
		return fmt.Errorf("not decided: %s, and nothing else passes in alignment with %s", strings.Join(d.Undecided, "; "), from)
	default:
		d.Result = ResultFail
		if d.PolicyTag == "sp" && rec.HasNP && rec.NP != rec.SP {
			gone, err := nonExistent(ctx, env.DNS, from)
			if err != nil {
				return fmt.Errorf("not decided: whether %s exists, which chooses between sp=%s and np=%s, cannot be looked up now: %w", from, rec.SP, rec.NP, err)
			}
			if gone {
				d.NonExistent, d.Policy, d.PolicyTag = true, rec.NP, "np"
			}
		}
	}
	FactKey.Publish(out, &Fact{Result: d.Result, FromDomain: from, RecordDomain: d.RecordDomain, Policy: d.Policy, Alignment: d.Alignment})

	for _, a := range d.Alignment {
		if !a.Pass || a.Aligned {
			continue
		}
		f := checks.Finding{ID: "msg-dmarc.unaligned", Subject: from, Evidence: recEv, Message: unalignedText(from, a)}
		if d.Result == ResultPass {
			f.Severity = checks.SevInfo
		}
		out.Add(f)
	}
	if d.Result == ResultFail {
		f := checks.Finding{ID: "msg-dmarc.fail", Subject: from, Evidence: recEv, Message: failText(d, rec, recName, legacy), Fix: failFix(d)}
		if d.Policy == dmarc.PolicyNone {
			f.Severity = checks.SevWarn
		}
		out.Add(f)
	}
	return nil
}

// align lists the identifiers against from, and what is not decided.
// hop says whether the message names its client's address: when it does
// and msg-spf had nothing to test, there was no SPF identity (a null
// Return-Path and a HELO address literal), which no SPF pass can align.
func align(from string, hop bool, spfF *msgspf.Fact, spfErr error, dkimF *msgdkim.Fact, dkimErr error, aspf, adkim Mode) ([]Alignment, []string) {
	var al []Alignment
	var undecided []string
	var na *checks.NotApplicableError
	switch {
	case spfF != nil:
		a := Alignment{Identifier: IdentifierSPF, Domain: spfF.Domain, Result: string(spfF.Result), Pass: spfF.Result == spf.Pass, Mode: aspf}
		if spfF.Identity == msgspf.IdentityHELO {
			// A null Return-Path: the MAIL FROM identity is
			// postmaster@<HELO name> (RFC 7208 §2.4, RFC 7489 §4.1).
			a.Helo = true
		}
		if a.Pass {
			if Aligns(from, a.Domain, aspf) {
				a.Aligned = true
			} else {
				a.Note = notAligned(from, a.Domain, aspf, "aspf")
			}
		}
		al = append(al, a)
	case errors.As(spfErr, &na) && hop:
		// No domain to check: SPF cannot pass.
	case errors.As(spfErr, &na):
		undecided = append(undecided, "SPF was not evaluated ("+na.Reason+")")
	case spfErr != nil:
		undecided = append(undecided, "SPF is not decided")
	}
	switch {
	case dkimF != nil:
		for _, s := range dkimF.Signatures {
			a := Alignment{Identifier: IdentifierDKIM, Domain: s.Domain, Selector: s.Selector, Result: "fail", Pass: s.Pass, Mode: adkim}
			switch {
			case s.Pass:
				a.Result = "pass"
				if Aligns(from, s.Domain, adkim) {
					a.Aligned = true
				} else {
					a.Note = notAligned(from, s.Domain, adkim, "adkim")
				}
			case s.Undecided():
				a.Result = "not decided"
				if Aligns(from, s.Domain, adkim) {
					undecided = append(undecided, fmt.Sprintf("the DKIM signature d=%s s=%s is not decided", s.Domain, s.Selector))
				}
			}
			al = append(al, a)
		}
	case errors.As(dkimErr, &na):
		// msg-dkim had nothing to examine: no signature to align.
	case dkimErr != nil:
		undecided = append(undecided, "DKIM is not decided")
	}
	return al, undecided
}

func notAligned(from, domain string, m Mode, tag string) string {
	if m == ModeStrict {
		return fmt.Sprintf("strict alignment (%s=s) needs exactly %s", tag, from)
	}
	org := dmarc.OrgDomain(from)
	if o := dmarc.OrgDomain(domain); o != domain {
		return fmt.Sprintf("relaxed alignment needs %s or a domain under it; %s is under %s", org, domain, o)
	}
	return fmt.Sprintf("relaxed alignment needs %s or a domain under it", org)
}

// nonExistent reports whether domain does not exist for DMARC's np=
// (RFC 9989 §4.7, after RFC 9091): NXDOMAIN, or no A, AAAA and MX.
func nonExistent(ctx context.Context, c *dnsq.Client, domain string) (bool, error) {
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX} {
		ans, err := c.Lookup(ctx, domain, qt)
		if err != nil {
			return false, err
		}
		if ans.NXDomain() {
			return true, nil
		}
		if !ans.Empty() {
			return false, nil
		}
	}
	return true, nil
}

func noneText(d *Data, walk *dmarc.Discovery) string {
	switch d.Status {
	case dmarc.StatusMultiple:
		return fmt.Sprintf("_dmarc.%s publishes %d DMARC records: receivers discard them all and apply no DMARC policy to mail from %s", d.RecordDomain, len(walk.Levels[len(walk.Levels)-1].DMARC), d.FromDomain)
	case dmarc.StatusInvalid:
		why := "receivers ignore it"
		if d.Record != nil {
			for _, p := range d.Record.Problems {
				if p.Fatal {
					why = p.Text
					break
				}
			}
		}
		return fmt.Sprintf("The DMARC record at _dmarc.%s does not count: %s; no DMARC policy applies to mail from %s", d.RecordDomain, why, d.FromDomain)
	}
	names := make([]string, len(walk.Levels))
	for i, lv := range walk.Levels {
		names[i] = lv.Name
	}
	return fmt.Sprintf("%s has no DMARC record (looked at %s): receivers apply no DMARC policy to the message", d.FromDomain, strings.Join(names, ", "))
}

func noneFix(d *Data, aligned bool) string {
	switch d.Status {
	case dmarc.StatusMultiple:
		return fmt.Sprintf("Keep exactly one TXT record starting with v=DMARC1 at _dmarc.%s: merge the tags you need into it and delete the others.", d.RecordDomain)
	case dmarc.StatusInvalid:
		return fmt.Sprintf("Correct the record at _dmarc.%s: `mxray check %s` names each problem and the record to publish.", d.RecordDomain, d.RecordDomain)
	}
	from := d.FromDomain
	fix := fmt.Sprintf("Publish `_dmarc.%s. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\"`, read the aggregate reports for a few weeks, then tighten to p=quarantine and p=reject.", from, from)
	if aligned {
		return fix + " This message already passes in alignment, so a stricter policy would not hurt it."
	}
	return fix + " This message passes no aligned SPF or DKIM: fix that first (sign with DKIM for " + from + "), or a stricter policy would refuse it."
}

func unalignedText(from string, a Alignment) string {
	what := "SPF passed for " + a.Domain
	if a.Helo {
		what += " (the HELO name: the Return-Path is null)"
	}
	if a.Identifier == IdentifierDKIM {
		what = fmt.Sprintf("The DKIM signature d=%s s=%s verifies", a.Domain, a.Selector)
	}
	return fmt.Sprintf("%s, which is not aligned with the From domain %s: %s", what, from, a.Note)
}

func failText(d *Data, rec *dmarc.Record, recName string, legacy *dmarc.Discovery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The message fails DMARC for %s: no SPF or DKIM pass is aligned with it", d.FromDomain)
	fmt.Fprintf(&b, "; receivers apply %s=%s from %s", d.PolicyTag, d.Policy, recName)
	switch d.PolicyTag {
	case "sp":
		fmt.Fprintf(&b, " (%s inherits the subdomain policy)", d.FromDomain)
	case "np":
		fmt.Fprintf(&b, " (%s does not exist)", d.FromDomain)
	}
	switch d.Policy {
	case dmarc.PolicyReject:
		b.WriteString(": they refuse it")
	case dmarc.PolicyQuarantine:
		b.WriteString(": they put it in spam")
	case dmarc.PolicyNone:
		b.WriteString(": they deliver it as if DMARC did not exist")
	}
	if rec.HasPct && rec.Pct < 100 && d.Policy != dmarc.PolicyNone {
		fmt.Fprintf(&b, "; with pct=%d, RFC 7489 receivers do so for %d%% of failing mail and apply %s to the rest", rec.Pct, rec.Pct, weaker(d.Policy))
	}
	if rec.Testing && d.Policy != dmarc.PolicyNone {
		fmt.Fprintf(&b, "; with t=y, RFC 9989 receivers apply %s instead", weaker(d.Policy))
	}
	if legacy != nil && legacy.Err == nil && legacy.RecordDomain != d.RecordDomain {
		if legacy.Found {
			fmt.Fprintf(&b, " (RFC 7489 receivers use the record at _dmarc.%s instead)", legacy.RecordDomain)
		} else {
			b.WriteString(" (RFC 7489 receivers find no record and apply no policy)")
		}
	}
	return b.String()
}

// weaker is the policy one step below p (RFC 7489 §6.6.4, RFC 9989 t=y).
func weaker(p dmarc.Policy) dmarc.Policy {
	if p == dmarc.PolicyReject {
		return dmarc.PolicyQuarantine
	}
	return dmarc.PolicyNone
}

func failFix(d *Data) string {
	for _, a := range d.Alignment {
		if a.Pass && a.Identifier == IdentifierDKIM {
			under := fmt.Sprintf(" (or any domain under %s)", d.OrgDomain)
			if a.Mode == ModeStrict {
				under = " exactly (the record asks for strict alignment, adkim=s)"
			}
			return fmt.Sprintf("The message is signed by %s, not by %s: have the sender sign with d=%s%s, publishing its key at <selector>._domainkey.%s.", a.Domain, d.FromDomain, d.FromDomain, under, d.FromDomain)
		}
	}
	for _, a := range d.Alignment {
		if a.Pass && a.Identifier == IdentifierSPF {
			under := "under " + d.OrgDomain
			if a.Mode == ModeStrict {
				under = "at " + d.FromDomain + " exactly (aspf=s)"
			}
			return fmt.Sprintf("SPF passed for %s, not for %s: sign the message with DKIM for %s (it survives forwarding), or use a Return-Path %s whose SPF record lists the sending server.", a.Domain, d.FromDomain, d.FromDomain, under)
		}
	}
	return fmt.Sprintf("Nothing authenticated the message: sign it with DKIM for %s (publish the key at <selector>._domainkey.%s) and send it from a server listed in the SPF record of its Return-Path domain, under %s.", d.FromDomain, d.FromDomain, d.OrgDomain)
}

func levelsEvidence(lvs []dmarc.Level) *checks.Evidence {
	var qs []dnsq.Query
	for _, lv := range lvs {
		qs = append(qs, lv.Queries...)
	}
	if ev := checks.DNSEvidence(qs...); ev != nil {
		return ev
	}
	return &checks.Evidence{}
}

// withRecords copies ev and adds the DMARC records of the levels.
func withRecords(ev *checks.Evidence, lvs []dmarc.Level) *checks.Evidence {
	c := *ev
	c.Records = append([]string(nil), ev.Records...)
	for _, lv := range lvs {
		for _, r := range lv.DMARC {
			c.Records = append(c.Records, tagval.Sanitize(r))
		}
	}
	return &c
}
