package profile

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/arc"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/spf"
)

// ID is the check ID.
const ID = "profile"

// Check is the profile check.
type Check struct{}

var (
	_ checks.Check     = Check{}
	_ checks.Skipper   = Check{}
	_ checks.Validator = Check{}
)

var (
	_ checks.Check     = Check{}
	_ checks.Skipper   = Check{}
	_ checks.Validator = Check{}
)

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Mailbox-provider rules" }

// Needs implements checks.Check: the facts the rules are decided from.
// The message checks (msg-spf, msg-dkim, msg-dmarc, msg-arc) publish theirs only for
// a message target; for a domain they have nothing to test.
func (Check) Needs() []string {
	return []string{mx.ID, spf.ID, dkim.ID, dmarc.ID, ptr.ID, msgspf.ID, msgdkim.ID, msgdmarc.ID, msgarc.ID}
}

// SkipReason implements checks.Skipper: the check runs only when a
// provider profile is asked for.
func (Check) SkipReason(opts checks.Options) string {
	if len(opts.Profiles) == 0 {
		return "no provider profile asked for (--profile)"
	}
	return ""
}

// Validate implements checks.Validator: every --profile value names a
// provider.
func (Check) Validate(opts checks.Options) error {
	_, err := ParseProviders(opts.Profiles)
	return err
}

// Findings implements checks.Check: one finding per provider rule,
// profile.<provider>-<rule>.
func (Check) Findings() []checks.Def { return defs }

var defs = buildDefs()

func buildDefs() []checks.Def {
	var out []checks.Def
	for _, r := range Rules() {
		if r.ID == RuleSpamRate {
			continue // only the provider's data decides it: never a finding
		}
		d := checks.Def{ID: r.FindingID(), Severity: checks.SevFail,
			Title: fmt.Sprintf("%s: %s — not met", r.Provider.Name(), lowerFirst(r.Title)),
			Fix:   ruleFix[r.ID], Ref: r.Sources[0].Page}
		who := "every sender"
		if r.Scope == ScopeBulk {
			who = "bulk senders (about 5,000 messages a day or more to it); graded only with --bulk"
		}
		verb := "requires it of"
		if r.Level == LevelRecommended {
			verb = "recommends it to"
			d.Severity = checks.SevWarn
		}
		answer := "It documents no reply code for it: mail that breaks it may be refused or go to spam."
		if len(r.Rejection) > 0 {
			answer = "It answers " + strings.Join(r.Rejection, ", ") + " to mail that breaks it."
		}
		d.Why = fmt.Sprintf("%s %s %s. %s %s", r.Provider.Name(), verb, who, answer, ruleWhy[r.ID])
		out = append(out, d)
	}
	return out
}

// lowerFirst lowers a title's first letter unless it starts an acronym
// (SPF, DKIM).
func lowerFirst(s string) string {
	if len(s) < 2 || (s[1] >= 'A' && s[1] <= 'Z') {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

var ruleWhy = map[RuleID]string{
	RuleSPFOrDKIM:      "Mail that neither SPF nor DKIM authenticates can be sent by anyone in the domain's name.",
	RuleSPFAndDKIM:     "SPF alone breaks when mail is forwarded and DKIM alone says nothing about the sending server: bulk senders must pass both.",
	RuleDMARCRecord:    "A DMARC record, even p=none, tells receivers that the domain watches its mail and where to send reports.",
	RuleAlignment:      "SPF and DKIM prove only the domains they check; DMARC alignment ties one of them to the From address people see.",
	RuleReverseDNS:     "A sending address without forward-confirmed reverse DNS looks like a hijacked or consumer host; Yahoo and Microsoft also distrust generated names that look dynamic or residential.",
	RuleTLS:            "Mail sent in clear can be read and changed on the way.",
	RuleMessageFormat:  "Messages with several From fields, no Message-ID or duplicate fields are a mark of spam tools and confuse what people see.",
	RuleDomainsResolve: "A sender domain that does not exist cannot receive replies or bounces and is a mark of forgery.",
	RuleNoNullMX:       "A null MX says the domain receives no mail: replies and bounces to the sender cannot be delivered (RFC 7505 §4.2).",
	RuleUnsubscribe:    "People who cannot leave a list easily report it as spam instead.",
	RuleSpamRate:       "Only the provider knows how many of its users report the mail as spam; above its threshold it slows down or refuses the mail.",
	RuleARC:            "Forwarding and mailing lists break SPF and often DKIM; ARC lets the final receiver see that the message authenticated on its way in.",
}

var ruleFix = map[RuleID]string{
	RuleSPFOrDKIM:      fixAuth,
	RuleSPFAndDKIM:     fixAuth,
	RuleDMARCRecord:    fixDMARC,
	RuleAlignment:      fixAlign,
	RuleReverseDNS:     fixPTR,
	RuleTLS:            fixTLS,
	RuleMessageFormat:  fixFormat,
	RuleDomainsResolve: "Make the MAIL FROM and From domains exist in DNS, each with an SOA (a zone of its own, or the parent's) and an A or MX record; check with `mxray check <domain>`.",
	RuleNoNullMX:       ruleFixNoNullMX,
	RuleUnsubscribe:    "Add `List-Unsubscribe: <https://...>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` to marketing and subscription mail, sign both with DKIM, and honour requests within two days (RFC 8058).",
	RuleSpamRate:       fixSpam,
	RuleARC:            "If the server forwards mail or runs mailing lists, have it add an ARC set (RFC 8617) to every message it passes on.",
}

// Status is the verdict on one rule. Its values are the wire words of the
// check's JSON data.
type Status string

// The statuses.
const (
	StatusPass          Status = "pass"           // the rule is met
	StatusFail          Status = "fail"           // the rule is broken: the provider would answer its code
	StatusUnknown       Status = "unknown"        // not decided: Note says what would decide it
	StatusNotApplicable Status = "not-applicable" // a bulk-sender rule, and --bulk was not given
)

// Outcome is how a rule's result reads to people: its Status, with a
// broken recommendation told from a broken requirement and a bulk-sender
// rule from one that does not apply. Every display (the report's table,
// the terminal's Profiles pane) draws from it.
type Outcome int

// The outcomes.
const (
	OutcomeUnknown       Outcome = iota // not decided (or a status this version does not know)
	OutcomePass                         // met
	OutcomeFail                         // a requirement broken: the provider would refuse
	OutcomeShort                        // a recommendation not met
	OutcomeBulk                         // applies to bulk senders, and --bulk was not given
	OutcomeNotApplicable                // does not apply
)

// Outcome says how the result reads (see Outcome).
func (r RuleResult) Outcome() Outcome {
	switch r.Status {
	case StatusPass:
		return OutcomePass
	case StatusFail:
		if r.Level == LevelRecommended {
			return OutcomeShort
		}
		return OutcomeFail
	case StatusNotApplicable:
		if r.Scope == ScopeBulk {
			return OutcomeBulk
		}
		return OutcomeNotApplicable
	}
	return OutcomeUnknown
}

// Data is the check's JSON data: per provider asked for, its rules.
type Data struct {
	// Bulk is true when the bulk-sender rules are graded (--bulk).
	Bulk bool `json:"bulk"`
	// Providers are the providers asked for, in report order.
	Providers []ProviderResult `json:"providers"`
}

// ProviderResult is one provider's rules.
type ProviderResult struct {
	// Provider is the provider's ID: gmail, yahoo, microsoft, apple or laposte.
	Provider Provider `json:"provider"`
	// Name is the provider's name for people.
	Name string `json:"name"`
	// Rules are the provider's rules, each with its verdict.
	Rules []RuleResult `json:"rules"`
}

// RuleResult is the verdict on one provider rule.
type RuleResult struct {
	// ID is the rule ID, e.g. spf-or-dkim.
	ID RuleID `json:"id"`
	// Provider is the provider whose rule it is.
	Provider Provider `json:"provider"`
	// Title says what the rule asks, in one line.
	Title string `json:"title"`
	// Scope is all (every sender) or bulk (bulk senders only).
	Scope Scope `json:"scope"`
	// Level is required or recommended.
	Level Level `json:"level"`
	// Status is pass, fail, unknown or not-applicable.
	Status Status `json:"status"`
	// DecidedBy is what decided the verdict (dns, ip, message, sending-path); absent when nothing did.
	DecidedBy Decider `json:"decided_by,omitempty"`
	// Note says why, in plain words: what passed or failed, or what would decide the rule.
	Note string `json:"note"`
	// Evidence is what the verdict was concluded from.
	Evidence Evidence `json:"evidence"`
	// Rejection are the replies the provider documents for the rule; absent when it documents none.
	Rejection []string `json:"rejection,omitempty"`
	// Source are the provider's pages the rule was read from, with the dates.
	Source []Source `json:"source"`
}

// Evidence is what a rule's verdict was concluded from.
type Evidence struct {
	// Findings are the IDs of the other checks' findings the verdict rests on; absent when none.
	Findings []string `json:"findings,omitempty"`
	// Data are the values read (records, results, addresses), one per line; absent when none.
	Data []string `json:"data,omitempty"`
}

// verdict is a rule decided from the inputs, before a provider's scope
// is applied.
type verdict struct {
	status   Status
	by       Decider
	note     string
	findings []string
	data     []string
	part     string // "spf" or "dkim": the part of spf-and-dkim that failed
}

func unknown(note string) verdict { return verdict{status: StatusUnknown, note: note} }

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	provs, err := ParseProviders(env.Opts.Profiles)
	if err != nil {
		return err
	}
	if len(provs) == 0 {
		return checks.NotApplicable("no provider profile asked for (--profile)")
	}
	in := gather(ctx, env, t, out)
	if err := ctx.Err(); err != nil {
		return err // cut short: the Runner says why
	}
	data := &Data{Bulk: env.Opts.Bulk, Providers: []ProviderResult{}}
	decided := 0
	bulkOnly := false // some rules were left to --bulk
	var why []string
	cache := map[string]verdict{}
	for _, p := range provs {
		pr := ProviderResult{Provider: p, Name: p.Name(), Rules: []RuleResult{}}
		for _, r := range RulesOf(p) {
			key := string(r.ID)
			if r.ID == RuleReverseDNS && (p == Yahoo || p == Microsoft) {
				key += "/strict" // these two also refuse generic (dynamic-looking) names
			}
			v, ok := cache[key]
			if !ok {
				v = in.decide(r.ID, strings.HasSuffix(key, "/strict"))
				cache[key] = v
			}
			if r.ID == RuleSpamRate {
				v.note = spamNote[p]
			}
			rr := RuleResult{ID: r.ID, Provider: p, Title: r.Title, Scope: r.Scope, Level: r.Level,
				Status: v.status, DecidedBy: v.by, Note: v.note,
				Evidence: Evidence{Findings: v.findings, Data: v.data}, Rejection: r.Rejection, Source: r.Sources}
			if r.Scope == ScopeBulk && !env.Opts.Bulk {
				bulkOnly = true
				rr.Status, rr.DecidedBy = StatusNotApplicable, ""
				rr.Note = fmt.Sprintf("applies to bulk senders (about 5,000 messages a day or more to %s): --bulk grades it; as a bulk sender it would be %s (%s)", p.Name(), v.status, v.note)
			}
			switch rr.Status {
			case StatusPass:
				decided++
			case StatusFail:
				decided++
				out.Add(finding(r, v, t))
			case StatusUnknown:
				if w := string(r.ID) + ": " + v.note; !slices.Contains(why, w) && len(why) < 5 && r.ID != RuleSpamRate {
					why = append(why, w)
				}
			}
			pr.Rules = append(pr.Rules, rr)
		}
		data.Providers = append(data.Providers, pr)
	}
	out.SetData(data)
	if decided == 0 {
		if bulkOnly {
			why = append(why, "the bulk-sender rules are graded only with --bulk")
		}
		if len(why) == 0 {
			why = append(why, "every rule that applies needs data only the provider has")
		}
		return fmt.Errorf("no rule could be decided: %s", strings.Join(why, "; "))
	}
	return nil
}

// spamNote says where each provider shows the data that decides its
// spam-rate rule.
var spamNote = map[Provider]string{
	Gmail:     "only Gmail's data decides it: watch the spam rate in Google Postmaster Tools (stay below 0.1%, never reach 0.3%)",
	Yahoo:     "only Yahoo's data decides it: join Yahoo's Complaint Feedback Loop and watch Yahoo Sender Hub",
	Microsoft: "only Microsoft's data decides it: watch the sending addresses in Microsoft SNDS and its junk mail reporting program",
	Apple:     "only Apple's data decides it (Apple offers no feedback loop)",
	LaPoste:   "only La Poste's data decides it",
}

// finding is the finding of a failing rule: it names the reply the
// provider would send.
func finding(r Rule, v verdict, t checks.Target) checks.Finding {
	answer := r.Answer
	switch v.part {
	case "spf":
		if r.AnswerSPF != "" {
			answer = r.AnswerSPF
		}
	case "dkim":
		if r.AnswerDKIM != "" {
			answer = r.AnswerDKIM
		}
	}
	name := r.Provider.Name()
	var msg string
	switch {
	case r.Level == LevelRecommended && answer != "":
		msg = fmt.Sprintf("%s recommends it and may answer %s: %s", name, answer, v.note)
	case r.Level == LevelRecommended:
		msg = fmt.Sprintf("%s recommends it: %s", name, v.note)
	case answer != "":
		msg = fmt.Sprintf("%s would answer %s: %s", name, answer, v.note)
	default:
		msg = fmt.Sprintf("%s may refuse the mail or file it as spam (it documents no reply code): %s", name, v.note)
	}
	subj := t.Domain
	if subj == "" {
		subj = "the message"
	}
	f := checks.Finding{ID: r.FindingID(), Subject: subj, Message: msg}
	if len(v.data) > 0 {
		f.Evidence = &checks.Evidence{Records: v.data}
	}
	return f
}

// inputs are the facts and data the rules are decided from.
type inputs struct {
	domain string
	target checks.Target

	spf    *spf.Fact
	spfErr error
	// spfPerm are the spf findings that make the record a permerror for
	// every sender; spfUndecided is set when the analysis hit a DNS error.
	spfPerm      []string
	spfUndecided bool
	evals        []ipEval

	dkim     *dkim.Data
	dkimErr  error
	dmarc    *dmarc.Fact
	dmarcErr error
	mx       *mx.Fact
	mxErr    error
	ptr      *ptr.Data
	ptrErr   error

	msg     *message.Message
	trusted []message.MethodResult // results of the trusted Authentication-Results fields
	// mxray's own verification of the message: SPF for its trusted hop,
	// its DKIM signatures, its ARC chain; nil when not decided.
	msgSPF   *msgspf.Fact
	msgDKIM  *msgdkim.Fact
	msgDMARC *msgdmarc.Fact
	// msgDMARCErr is why msg-dmarc published nothing (nil when it did).
	msgDMARCErr error
	msgARC      *msgarc.Fact
	// resolve is the SOA verdict of each sender domain.
	resolve []domainExists
}

type ipEval struct {
	ip     netip.Addr
	result spf.Result
	reason string
}

type domainExists struct {
	domain string
	exists bool
	err    error
}

// permerrorIDs are the spf findings that make every evaluation a
// permerror (RFC 7208 §4.6, §5.2, §6.1).
var permerrorIDs = []string{"spf.lookup-limit", "spf.void-limit", "spf.loop", "spf.include-no-record", "spf.redirect-no-record", "spf.mx-too-many", "spf.syntax", "spf.multiple"}

// gather awaits the facts and reads what the rules need.
func gather(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) *inputs {
	in := &inputs{domain: t.Domain, target: t, msg: t.Message}
	in.mx, in.mxErr = mx.FactKey.Await(ctx, out)
	in.spf, in.spfErr = spf.FactKey.Await(ctx, out)
	in.dkim, in.dkimErr = dkim.FactKey.Await(ctx, out)
	in.dmarc, in.dmarcErr = dmarc.FactKey.Await(ctx, out)
	in.ptr, in.ptrErr = ptr.FactKey.Await(ctx, out)
	if in.msg != nil {
		in.msgSPF, _ = msgspf.FactKey.Await(ctx, out)
		in.msgDKIM, _ = msgdkim.FactKey.Await(ctx, out)
		in.msgDMARC, in.msgDMARCErr = msgdmarc.FactKey.Await(ctx, out)
		in.msgARC, _ = msgarc.FactKey.Await(ctx, out)
	}
	if ctx.Err() != nil {
		return in
	}
	if in.spf != nil && in.spf.Status == spf.StatusFound && !in.spf.NoSenders {
		// The include tree, for the limits that make the record a
		// permerror; its lookups come from the run's cache.
		_, finds := spf.Analyze(ctx, env.DNS, in.domain)
		for _, f := range finds {
			switch {
			case f.ID == "spf.dns-error":
				in.spfUndecided = true
			case slices.Contains(permerrorIDs, f.ID) && !slices.Contains(in.spfPerm, f.ID):
				in.spfPerm = append(in.spfPerm, f.ID)
			}
		}
	}
	seen := map[netip.Addr]bool{}
	for _, ip := range t.IPs {
		ip = ip.WithZone("").Unmap()
		if !ip.IsValid() || seen[ip] || in.domain == "" || len(in.evals) >= 16 {
			continue
		}
		seen[ip] = true
		o := spf.CheckHost(ctx, env.DNS, spf.Params{IP: ip, Domain: in.domain, HELO: t.HELO, Now: env.Now})
		in.evals = append(in.evals, ipEval{ip: ip, result: o.Result, reason: o.Reason})
	}
	if in.msg != nil {
		for _, ar := range in.msg.AuthResults {
			if ar.AuthservID != "" && slices.Contains(t.AuthservIDs, ar.AuthservID) {
				in.trusted = append(in.trusted, ar.Results...)
			}
		}
	}
	domains := []string{in.domain}
	if in.msg != nil && in.msg.ReturnPath != "" {
		if d := message.DomainOf(in.msg.ReturnPath); d != "" && d != in.domain {
			domains = append(domains, d)
		}
	}
	for _, d := range domains {
		if d == "" {
			continue
		}
		ans, err := env.DNS.Lookup(ctx, d, dns.TypeSOA)
		if err != nil {
			in.resolve = append(in.resolve, domainExists{domain: d, err: err})
			continue
		}
		in.resolve = append(in.resolve, domainExists{domain: d, exists: !ans.NXDomain()})
	}
	return in
}

// decide decides rule id. strict: a generic PTR name fails reverse-dns.
func (in *inputs) decide(id RuleID, strict bool) verdict {
	switch id {
	case RuleSPFOrDKIM:
		return either(in.spfPart(), in.dkimPart())
	case RuleSPFAndDKIM:
		return both(in.spfPart(), in.dkimPart())
	case RuleDMARCRecord:
		return in.dmarcRecord()
	case RuleAlignment:
		return in.alignment()
	case RuleReverseDNS:
		return in.reverseDNS(strict)
	case RuleTLS:
		return in.tls()
	case RuleMessageFormat:
		return in.format()
	case RuleDomainsResolve:
		return in.domainsResolve()
	case RuleNoNullMX:
		return in.noNullMX()
	case RuleUnsubscribe:
		return in.unsubscribe()
	case RuleSpamRate:
		return verdict{status: StatusUnknown}
	case RuleARC:
		return in.arc()
	}
	return unknown("mxray does not grade this rule")
}

// depNote words why a needed check published nothing.
func depNote(what string, err error) string {
	var na *checks.NotApplicableError
	if errors.As(err, &na) {
		return fmt.Sprintf("%s is not known: %s", what, na.Reason)
	}
	var dep *checks.DependencyError
	if errors.As(err, &dep) {
		return fmt.Sprintf("%s is not known: the %s check decided nothing (%s)", what, dep.Check, dep.Reason)
	}
	return fmt.Sprintf("%s is not known", what)
}

// trustedResult returns the first trusted Authentication-Results result
// of method, and whether there is one.
func (in *inputs) trustedResult(method string) (message.MethodResult, bool) {
	var first message.MethodResult
	found := false
	for _, r := range in.trusted {
		if !strings.EqualFold(r.Method, method) {
			continue
		}
		if strings.EqualFold(r.Value, "pass") {
			return r, true
		}
		if !found {
			first, found = r, true
		}
	}
	return first, found
}

func (in *inputs) spfPart() verdict {
	if r, ok := in.trustedResult("spf"); ok {
		v := strings.ToLower(r.Value)
		line := "Authentication-Results: spf=" + v + " " + r.Domain
		switch v {
		case "pass":
			return verdict{status: StatusPass, by: ByMessage, note: "SPF passed for " + r.Domain + " at the receiver", data: []string{line}, part: "spf"}
		case "temperror":
		default:
			return verdict{status: StatusFail, by: ByMessage, note: fmt.Sprintf("SPF gave %s for %s at the receiver", v, r.Domain), data: []string{line}, part: "spf"}
		}
	}
	if f := in.msgSPF; f != nil && f.Result != spf.TempError {
		line := fmt.Sprintf("SPF %s for %s (%s): %s", f.Domain, f.IP, f.Identity, f.Result)
		if f.Result == spf.Pass {
			return verdict{status: StatusPass, by: ByMessage, note: fmt.Sprintf("SPF passes for the message's sending address %s (%s)", f.IP, f.Domain), data: []string{line}, part: "spf"}
		}
		return verdict{status: StatusFail, by: ByMessage, note: fmt.Sprintf("SPF gives %s for the message's sending address %s (%s)", f.Result, f.IP, f.Domain), data: []string{line}, part: "spf"}
	}
	if len(in.evals) > 0 {
		var data []string
		undecided := false
		for _, e := range in.evals {
			data = append(data, fmt.Sprintf("SPF %s for %s: %s", in.domain, e.ip, e.result))
			switch e.result {
			case spf.Pass:
			case spf.TempError:
				undecided = true
			default:
				note := fmt.Sprintf("SPF gives %s for %s (not pass)", e.result, e.ip)
				if e.reason != "" {
					note += ": " + e.reason
				}
				return verdict{status: StatusFail, by: ByIP, note: note, data: data, findings: []string{"spf.ip-not-authorized"}, part: "spf"}
			}
		}
		if !undecided {
			return verdict{status: StatusPass, by: ByIP, note: "SPF passes for every sending address given", data: data, findings: []string{"spf.ip-authorized"}, part: "spf"}
		}
	}
	if in.spf == nil {
		return unknown(depNote("the SPF record", in.spfErr))
	}
	rec := []string{}
	if in.spf.Record != "" {
		rec = append(rec, in.spf.Record)
	}
	switch {
	case in.spf.Status == spf.StatusMissing:
		return verdict{status: StatusFail, by: ByDNS, note: in.domain + " publishes no SPF record, so no server passes SPF", findings: []string{"spf.missing"}, part: "spf"}
	case in.spf.Status == spf.StatusMultiple:
		return verdict{status: StatusFail, by: ByDNS, note: in.domain + " publishes several SPF records: every check gives permerror", findings: []string{"spf.multiple"}, part: "spf"}
	case in.spf.Status == spf.StatusInvalid:
		return verdict{status: StatusFail, by: ByDNS, note: "the SPF record of " + in.domain + " does not parse: every check gives permerror", findings: []string{"spf.syntax"}, data: rec, part: "spf"}
	case in.spf.NoSenders:
		return verdict{status: StatusFail, by: ByDNS, note: "the SPF record of " + in.domain + " authorises no server", data: rec, part: "spf"}
	case len(in.spfPerm) > 0:
		return verdict{status: StatusFail, by: ByDNS, note: "the SPF record of " + in.domain + " breaks a limit of RFC 7208: every check gives permerror", findings: in.spfPerm, data: rec, part: "spf"}
	case in.spfUndecided:
		return verdict{status: StatusUnknown, note: "a lookup in the SPF include tree failed", findings: []string{"spf.dns-error"}, data: rec, part: "spf"}
	}
	return verdict{status: StatusPass, by: ByDNS, note: "a valid SPF record within the limits (whether a server passes needs its address: --ip)", data: rec, part: "spf"}
}

// msgDKIMPart is the DKIM part from mxray's verification of the
// message's signatures; false when it decides nothing (a key lookup
// failed).
func msgDKIMPart(f *msgdkim.Fact) (verdict, bool) {
	var data []string
	undecided := false
	for i, sg := range f.Signatures {
		if i < 8 {
			data = append(data, fmt.Sprintf("DKIM-Signature d=%s s=%s: %s", clip(sg.Domain), clip(sg.Selector), passWord(sg.Pass)))
		}
		if sg.Pass {
			return verdict{status: StatusPass, by: ByMessage, note: "a DKIM signature of " + sg.Domain + " verifies", data: data, part: "dkim"}, true
		}
		undecided = undecided || sg.Undecided()
	}
	switch {
	case undecided:
		return verdict{}, false
	case len(f.Signatures) == 0:
		return verdict{status: StatusFail, by: ByMessage, note: "the message has no DKIM signature", part: "dkim"}, true
	}
	return verdict{status: StatusFail, by: ByMessage, note: "no DKIM signature of the message verifies", data: data, part: "dkim"}, true
}

func passWord(pass bool) string {
	if pass {
		return "verifies"
	}
	return "does not verify"
}

// usable reports whether receivers can verify signatures with k.
func usable(k *dkim.Key) bool {
	if k == nil || k.Revoked {
		return false
	}
	for _, p := range k.Problems {
		if p.Fatal {
			return false
		}
	}
	if k.Hashes != nil && !slices.Contains(k.Hashes, "sha256") {
		return false
	}
	return strings.EqualFold(k.KeyType, "ed25519") || k.Bits >= 1024
}

func (in *inputs) dkimPart() verdict {
	if r, ok := in.trustedResult("dkim"); ok {
		v := strings.ToLower(r.Value)
		line := "Authentication-Results: dkim=" + v + " " + r.Domain
		switch v {
		case "pass":
			return verdict{status: StatusPass, by: ByMessage, note: "a DKIM signature of " + r.Domain + " passed at the receiver", data: []string{line}, part: "dkim"}
		case "temperror":
		default:
			return verdict{status: StatusFail, by: ByMessage, note: "no DKIM signature passed at the receiver (dkim=" + v + ")", data: []string{line}, part: "dkim"}
		}
	}
	if f := in.msgDKIM; f != nil {
		if v, ok := msgDKIMPart(f); ok {
			return v
		}
	}
	if in.dkim == nil {
		return unknown(depNote("the DKIM keys", in.dkimErr))
	}
	if in.dkim.DomainkeyNXDOMAIN {
		return verdict{status: StatusFail, by: ByDNS, note: "_domainkey." + in.domain + " does not exist, so no DKIM key can (RFC 8020)", findings: []string{"dkim.none-found"}, part: "dkim"}
	}
	var good, data []string
	failed := false
	flagged, flaggedBad := 0, 0
	for _, s := range in.dkim.Selectors {
		if s.Error != "" {
			failed = true
		}
		if s.Source == "flag" {
			flagged++
		}
		if !s.Found || s.Key == nil {
			if s.Source == "flag" && s.Error == "" {
				flaggedBad++
			}
			continue
		}
		if usable(s.Key) {
			good = append(good, s.Selector)
			desc := fmt.Sprintf("%s: %s key", s.Name, strings.ToLower(s.Key.KeyType))
			if s.Key.Bits > 0 {
				desc = fmt.Sprintf("%s: %s key, %d bits", s.Name, strings.ToLower(s.Key.KeyType), s.Key.Bits)
			}
			data = append(data, desc)
		} else if s.Source == "flag" {
			flaggedBad++
			data = append(data, s.Name+": a key receivers cannot use")
		}
	}
	if len(good) > 0 {
		return verdict{status: StatusPass, by: ByDNS, note: "a usable DKIM key is published (selector " + strings.Join(good, ", ") + "; whether messages are signed needs a message)", data: data, part: "dkim"}
	}
	if flagged > 0 && flaggedBad == flagged && !failed {
		return verdict{status: StatusFail, by: ByDNS, note: "the selectors given with --selector have no key receivers can use", data: data, findings: []string{"dkim.selector-missing"}, part: "dkim"}
	}
	if failed {
		return verdict{status: StatusUnknown, note: "DKIM key lookups failed", findings: []string{"dkim.dns-error"}, part: "dkim"}
	}
	return verdict{status: StatusUnknown, note: "no usable DKIM key among the selectors tried: give the selector you sign with (--selector), or a message", findings: []string{"dkim.none-found"}, part: "dkim"}
}

// either is "SPF or DKIM": one pass is enough.
func either(a, b verdict) verdict {
	for _, v := range []verdict{a, b} {
		if v.status == StatusPass {
			v.part = ""
			return v
		}
	}
	if a.status == StatusFail && b.status == StatusFail {
		return verdict{status: StatusFail, by: a.by, note: a.note + "; and " + b.note,
			findings: append(append([]string(nil), a.findings...), b.findings...), data: append(append([]string(nil), a.data...), b.data...)}
	}
	return undecided(a, b)
}

// undecided is the verdict of two parts of which neither decides: its
// note says what is known of each.
func undecided(a, b verdict) verdict {
	v := verdict{status: StatusUnknown, findings: append(append([]string(nil), a.findings...), b.findings...), data: append(append([]string(nil), a.data...), b.data...)}
	switch {
	case a.status == StatusUnknown && b.status != StatusUnknown:
		v.note = a.note + " (" + b.note + ")"
	case b.status == StatusUnknown && a.status != StatusUnknown:
		v.note = b.note + " (" + a.note + ")"
	default:
		v.note = a.note + "; " + b.note
	}
	return v
}

// both is "SPF and DKIM": both must pass.
func both(a, b verdict) verdict {
	for _, v := range []verdict{a, b} {
		if v.status == StatusFail {
			return v
		}
	}
	if a.status == StatusPass && b.status == StatusPass {
		by := a.by
		if b.by == ByDNS {
			by = ByDNS
		}
		return verdict{status: StatusPass, by: by, note: a.note + "; and " + b.note,
			findings: append(append([]string(nil), a.findings...), b.findings...), data: append(append([]string(nil), a.data...), b.data...)}
	}
	return undecided(a, b)
}

func (in *inputs) dmarcRecord() verdict {
	if in.dmarc == nil {
		return unknown(depNote("the DMARC record", in.dmarcErr))
	}
	switch in.dmarc.Status {
	case dmarc.StatusFound:
		return verdict{status: StatusPass, by: ByDNS, note: fmt.Sprintf("a DMARC record at _dmarc.%s with p=%s", in.dmarc.RecordDomain, in.dmarc.Policy)}
	case dmarc.StatusMissing:
		return verdict{status: StatusFail, by: ByDNS, note: in.domain + " has no DMARC record", findings: []string{"dmarc.missing"}}
	case dmarc.StatusMultiple:
		return verdict{status: StatusFail, by: ByDNS, note: in.domain + " has several DMARC records, which receivers ignore", findings: []string{"dmarc.multiple"}}
	case dmarc.StatusInvalid:
		return verdict{status: StatusFail, by: ByDNS, note: "the DMARC record of " + in.domain + " is invalid: receivers ignore it", findings: []string{"dmarc.syntax"}}
	}
	return verdict{status: StatusUnknown, note: "the DMARC lookup failed", findings: []string{"dmarc.dns-error"}}
}

func (in *inputs) alignment() verdict {
	if in.msg == nil {
		return unknown("a message decides it (mxray analyze): its From domain against the SPF and DKIM domains that passed")
	}
	r, ok := in.trustedResult("dmarc")
	if !ok {
		switch f := in.msgDMARC; {
		case f != nil && f.Result == msgdmarc.ResultPass:
			return verdict{status: StatusPass, by: ByMessage, note: "DMARC passes for " + f.FromDomain + ": an identifier that passed aligns with the From domain", data: alignData(f)}
		case f != nil && f.Result == msgdmarc.ResultFail:
			return verdict{status: StatusFail, by: ByMessage, note: "DMARC fails for " + f.FromDomain + ": no identifier that passed aligns with the From domain", data: alignData(f), findings: []string{"msg-dmarc.fail"}}
		}
		// mxray's own relaxed reading only when msg-dmarc did not run, or
		// found no record: when it ran and could not decide (a DNS
		// failure), the record may ask for strict alignment.
		undecidedDMARC := in.msgDMARC == nil && in.msgDMARCErr != nil && !errors.Is(in.msgDMARCErr, checks.ErrNotRun)
		if v, ok := in.ownAlignment(); ok && !undecidedDMARC {
			return v
		}
		return unknown("neither a DMARC result from a trusted receiver (--authserv-id names it) nor mxray's own SPF and DKIM verification of the message decides it")
	}
	v := strings.ToLower(r.Value)
	line := "Authentication-Results: dmarc=" + v + " " + r.Domain
	switch v {
	case "pass":
		return verdict{status: StatusPass, by: ByMessage, note: "DMARC passed at the receiver: the From domain aligns with SPF or DKIM", data: []string{line}}
	case "fail":
		return verdict{status: StatusFail, by: ByMessage, note: "DMARC failed at the receiver for " + r.Domain + ": the From domain aligns with no SPF or DKIM domain that passed", data: []string{line}}
	}
	return verdict{status: StatusUnknown, note: "the receiver's DMARC result is " + v, data: []string{line}}
}

// alignData lists msg-dmarc's identifiers, at most 8.
func alignData(f *msgdmarc.Fact) []string {
	var out []string
	for i, a := range f.Alignment {
		if i == 8 {
			break
		}
		w := "not aligned"
		if a.Aligned {
			w = "aligned"
		}
		out = append(out, fmt.Sprintf("%s %s: %s, %s", a.Identifier, clip(a.Domain), clip(a.Result), w))
	}
	return out
}

// ownAlignment decides DMARC alignment (relaxed, RFC 7489 §3.1) from
// mxray's own verification: the From domain's organisational domain
// against those of the SPF domain that passed and of the DKIM signatures
// that verify. False when the verifications leave it undecided.
func (in *inputs) ownAlignment() (verdict, bool) {
	from := in.msg.FromDomain
	if from == "" || (in.msgSPF == nil && in.msgDKIM == nil) {
		return verdict{}, false
	}
	org := dmarc.OrgDomain(from)
	var data []string
	decided := true
	if f := in.msgSPF; f != nil {
		data = append(data, fmt.Sprintf("SPF %s: %s", f.Domain, f.Result))
		if f.Result == spf.Pass && dmarc.OrgDomain(f.Domain) == org {
			return verdict{status: StatusPass, by: ByMessage, note: "the From domain " + from + " aligns with the SPF domain " + f.Domain + ", which passes", data: data}, true
		}
		decided = decided && f.Result != spf.TempError
	} else {
		decided = false
	}
	if f := in.msgDKIM; f != nil {
		for _, sg := range f.Signatures {
			if sg.Pass && dmarc.OrgDomain(sg.Domain) == org {
				return verdict{status: StatusPass, by: ByMessage, note: "the From domain " + from + " aligns with the DKIM signature of " + sg.Domain + ", which verifies", data: data}, true
			}
			decided = decided && !sg.Undecided()
		}
	} else {
		decided = false
	}
	if !decided {
		return verdict{}, false
	}
	return verdict{status: StatusFail, by: ByMessage, note: "the From domain " + from + " aligns with no SPF domain that passes and no DKIM signature that verifies", data: data}, true
}

func (in *inputs) reverseDNS(strict bool) verdict {
	if in.ptr == nil {
		var na *checks.NotApplicableError
		if errors.As(in.ptrErr, &na) {
			return unknown("the sending address decides it: give it with --ip")
		}
		return unknown(depNote("the reverse DNS of the sending addresses", in.ptrErr))
	}
	pass, undecided, partial := 0, 0, 0
	var data []string
	for _, a := range in.ptr.Addresses {
		line := a.Address + ": " + string(a.Status)
		if len(a.PTR) > 0 {
			line += " (" + strings.Join(a.PTR, ", ") + ")"
		}
		data = append(data, line)
		switch a.Status {
		case ptr.StatusOK:
			pass++
		case ptr.StatusGeneric:
			if strict {
				return verdict{status: StatusFail, by: ByIP, note: fmt.Sprintf("the PTR name of %s looks generic (%s)", a.Address, a.Generic), data: data, findings: []string{"ptr.generic"}}
			}
			pass++
		case ptr.StatusMissing:
			return verdict{status: StatusFail, by: ByIP, note: a.Address + " has no PTR record", data: data, findings: []string{"ptr.missing"}}
		case ptr.StatusMismatch:
			return verdict{status: StatusFail, by: ByIP, note: "the PTR name of " + a.Address + " does not resolve back to it", data: data, findings: []string{"ptr.fcrdns-mismatch"}}
		case ptr.StatusPartial:
			// Which name a receiver takes is up to it: some messages
			// may pass, others not.
			partial++
		case ptr.StatusUnknown:
			undecided++
		}
	}
	switch {
	case partial > 0:
		return verdict{status: StatusUnknown, note: "a sending address has several PTR names and only some resolve back to it: the provider's verdict depends on the name it picks", data: data, findings: []string{"ptr.fcrdns-mismatch"}}
	case undecided > 0:
		return verdict{status: StatusUnknown, note: "a reverse DNS lookup failed", data: data, findings: []string{"ptr.dns-error"}}
	case pass == 0:
		return verdict{status: StatusUnknown, note: "no public sending address given: give the address your mail leaves from with --ip", data: data, findings: []string{"ptr.not-public"}}
	}
	return verdict{status: StatusPass, by: ByIP, note: "every sending address has a PTR name that resolves back to it", data: data, findings: []string{"ptr.ok"}}
}

// tlsProtocols are the WITH protocol types of RFC 3848 and RFC 6531, and
// whether the hop used TLS.
var tlsProtocols = map[string]bool{
	"ESMTPS": true, "ESMTPSA": true, "UTF8SMTPS": true, "UTF8SMTPSA": true, "LMTPS": true, "LMTPSA": true,
	"SMTP": false, "ESMTP": false, "ESMTPA": false, "UTF8SMTP": false, "UTF8SMTPA": false, "LMTP": false, "LMTPA": false,
}

func (in *inputs) tls() verdict {
	if in.msg == nil {
		return unknown("the sending path decides it: the inbound hop of a received message (mxray analyze)")
	}
	hop := in.msg.Trusted()
	if hop == nil {
		return unknown("the message has no trusted Received hop to read the inbound protocol from")
	}
	with := strings.ToUpper(hop.With)
	used, known := tlsProtocols[with]
	line := fmt.Sprintf("Received: from %s by %s with %s", clip(hop.From), clip(hop.By), clip(hop.With))
	switch {
	case !known:
		return verdict{status: StatusUnknown, note: "the inbound hop does not say whether it used TLS", data: []string{line}}
	case used:
		return verdict{status: StatusPass, by: BySendingPath, note: "the inbound hop used TLS (" + with + ")", data: []string{line}}
	}
	return verdict{status: StatusFail, by: BySendingPath, note: "the inbound hop did not use TLS (" + with + ")", data: []string{line}}
}

// singleFields may appear at most once (RFC 5322 §3.6).
var singleFields = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject"}

func (in *inputs) format() verdict {
	m := in.msg
	if m == nil {
		return unknown("a message decides it (mxray analyze)")
	}
	var bad []string
	for _, name := range singleFields {
		if n := len(m.Header(name)); n > 1 {
			bad = append(bad, fmt.Sprintf("%d %s fields", n, name))
		}
	}
	if len(m.Header("From")) == 1 && len(m.From) != 1 {
		bad = append(bad, "the From field does not hold exactly one address")
	}
	complete := m.Limit == "" && !m.Truncated
	if complete {
		if len(m.Header("From")) == 0 {
			bad = append(bad, "no From field")
		}
		if m.MessageID == "" {
			bad = append(bad, "no Message-ID")
		}
		if len(m.Header("Date")) == 0 {
			bad = append(bad, "no Date field")
		}
	}
	if len(bad) > 0 {
		return verdict{status: StatusFail, by: ByMessage, note: "the message breaks RFC 5322: " + strings.Join(bad, ", "), data: bad}
	}
	if !complete {
		return unknown("the message's header was not read completely (" + m.Limit + ")")
	}
	return verdict{status: StatusPass, by: ByMessage, note: "one From with one address, a Message-ID, a Date and no duplicate single-instance field"}
}

func (in *inputs) domainsResolve() verdict {
	if len(in.resolve) == 0 {
		return unknown("no sender domain to look up")
	}
	var data []string
	undecided := false
	for _, d := range in.resolve {
		switch {
		case d.err != nil:
			undecided = true
			data = append(data, d.domain+" SOA: lookup failed")
		case !d.exists:
			return verdict{status: StatusFail, by: ByDNS, note: d.domain + " does not exist (NXDOMAIN)", data: append(data, d.domain+" SOA: NXDOMAIN")}
		default:
			data = append(data, d.domain+" SOA: exists")
		}
	}
	if undecided {
		return verdict{status: StatusUnknown, note: "a lookup of a sender domain failed", data: data}
	}
	return verdict{status: StatusPass, by: ByDNS, note: "the sender domains exist", data: data}
}

func (in *inputs) noNullMX() verdict {
	if in.mx == nil {
		return unknown(depNote("the MX records", in.mxErr))
	}
	if in.mx.Null {
		return verdict{status: StatusFail, by: ByDNS, note: in.mx.Domain + " publishes a null MX (MX 0 .): it says it receives no mail, so it cannot receive replies or bounces", findings: []string{"mx.null"}}
	}
	return verdict{status: StatusPass, by: ByDNS, note: in.mx.Domain + " publishes no null MX"}
}

func (in *inputs) unsubscribe() verdict {
	m := in.msg
	if m == nil {
		return unknown("a marketing or subscription message decides it (mxray analyze)")
	}
	lu := m.Get("List-Unsubscribe")
	post := strings.TrimSpace(m.Get("List-Unsubscribe-Post"))
	if lu == "" && post == "" {
		return unknown("the message has no List-Unsubscribe field: the rule applies to marketing and subscription mail only, which mxray cannot tell from other mail")
	}
	https := strings.Contains(strings.ToLower(lu), "<https://")
	data := []string{"List-Unsubscribe: " + clip(lu), "List-Unsubscribe-Post: " + clip(post)}
	switch {
	case !https:
		return verdict{status: StatusFail, by: ByMessage, note: "List-Unsubscribe has no https URI, which one-click unsubscribe needs (RFC 8058)", data: data}
	case !strings.EqualFold(post, "List-Unsubscribe=One-Click"):
		return verdict{status: StatusFail, by: ByMessage, note: "List-Unsubscribe-Post: List-Unsubscribe=One-Click is missing (RFC 8058)", data: data}
	}
	return verdict{status: StatusPass, by: ByMessage, note: "one-click unsubscribe (RFC 8058): an https List-Unsubscribe with List-Unsubscribe-Post", data: data}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func (in *inputs) arc() verdict {
	if in.msg == nil {
		return unknown("applies to forwarders and mailing lists: a forwarded message decides it (mxray analyze)")
	}
	r, ok := in.trustedResult("arc")
	if !ok {
		switch f := in.msgARC; {
		case f != nil && f.Status == arc.StatusPass:
			return verdict{status: StatusPass, by: ByMessage, note: "the message's ARC chain validates", data: []string{"ARC: pass"}}
		case f != nil && f.Status == arc.StatusFail:
			return verdict{status: StatusFail, by: ByMessage, note: "the message's ARC chain does not validate", data: []string{"ARC: fail"}, findings: []string{"msg-arc.fail"}}
		}
		return unknown("the message carries no ARC chain that decides it; the rule applies to forwarded mail only")
	}
	v := strings.ToLower(r.Value)
	switch v {
	case "pass":
		return verdict{status: StatusPass, by: ByMessage, note: "the ARC chain validated at the receiver", data: []string{"Authentication-Results: arc=pass"}}
	case "fail":
		return verdict{status: StatusFail, by: ByMessage, note: "the ARC chain failed at the receiver", data: []string{"Authentication-Results: arc=fail"}}
	}
	return verdict{status: StatusUnknown, note: "the receiver's ARC result is " + v + ": the rule applies to forwarded mail only"}
}
