package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// ID is the check ID.
const ID = "spf"

// Check is the spf check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "SPF" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "spf.missing", Severity: checks.SevWarn, Title: "The domain publishes no SPF record",
		Why: "Without SPF, receivers cannot tell your servers from forgers; Gmail and Yahoo require SPF or DKIM from every sender, and DMARC has one less way to pass.",
		Fix: "Publish one TXT record such as `example.com. IN TXT \"v=spf1 mx -all\"`, listing every server and provider that sends your mail.",
		Ref: "RFC 7208 §3, §4.5"},
	{ID: "spf.multiple", Severity: checks.SevFail, Title: "The domain publishes more than one SPF record",
		Why: "With two or more v=spf1 records, check_host() returns permerror: SPF fails for every message.",
		Fix: "Merge the records into one TXT record that starts with v=spf1, and delete the others.",
		Ref: "RFC 7208 §4.5"},
	{ID: "spf.syntax", Severity: checks.SevFail, Title: "The SPF record has a syntax error",
		Why: "A record that does not parse gives permerror: receivers treat SPF as failed for every message.",
		Fix: "Correct the term at the reported position; see RFC 7208 §12 for the grammar.",
		Ref: "RFC 7208 §4.6, §12"},
	{ID: "spf.lookup-limit", Severity: checks.SevFail, Title: "The SPF record needs more than 10 DNS lookups",
		Why: "Receivers evaluate at most 10 include, a, mx, ptr, exists and redirect terms: evaluation stops with permerror when it reaches the 11th, so senders matched only by terms from there on fail SPF (senders matched earlier are unaffected).",
		Fix: "Remove includes you no longer use, replace a/mx terms with ip4:/ip6: ranges, or move a provider to a subdomain used as its envelope sender.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.lookup-near-limit", Severity: checks.SevInfo, Title: "The SPF record needs 8 to 10 DNS lookups",
		Why: "The record works, but one more include from a provider (which can change its own record at any time) puts it over the limit of 10.",
		Fix: "Keep headroom: drop unused includes and prefer ip4:/ip6: for your own servers.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.void-limit", Severity: checks.SevFail, Title: "The SPF record has more than 2 void lookups",
		Why: "Lookups that find nothing (NXDOMAIN or no records) are limited to 2; past that receivers return permerror.",
		Fix: "Remove a, mx and exists terms (and includes) that point at names without records.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.include-no-record", Severity: checks.SevFail, Title: "An included domain has no SPF record",
		Why: "include: of a domain without SPF record is a permerror (not a non-match): SPF fails for every message that reaches that term.",
		Fix: "Remove the include or correct its domain (providers document the exact include to use).",
		Ref: "RFC 7208 §5.2"},
	{ID: "spf.redirect-no-record", Severity: checks.SevFail, Title: "The redirect= target has no SPF record",
		Why: "A redirect to a domain without SPF record is a permerror.",
		Fix: "Point redirect= at a domain that publishes SPF, or replace it with the record itself.",
		Ref: "RFC 7208 §6.1"},
	{ID: "spf.loop", Severity: checks.SevFail, Title: "The include/redirect chain loops",
		Why: "A record that includes itself (directly or through others) exhausts the lookup limit: receivers return permerror.",
		Fix: "Remove the include or redirect that points back up the chain.",
		Ref: "RFC 7208 §5.2, §6.1"},
	{ID: "spf.duplicate-include", Severity: checks.SevWarn, Title: "The same domain is included twice",
		Why: "Every include costs DNS lookups against the limit of 10; a repeated one adds cost and nothing else.",
		Fix: "Delete the repeated include.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.all-pass", Severity: checks.SevFail, Title: "The SPF record ends in +all",
		Why: "+all (or a bare all) authorizes every server on the internet to send as the domain: SPF protects nothing.",
		Fix: "End the record with -all (or ~all while you check that every legitimate sender is listed).",
		Ref: "RFC 7208 §5.1"},
	{ID: "spf.all-neutral", Severity: checks.SevWarn, Title: "The SPF record ends in ?all or has no all",
		Why: "A neutral default tells receivers nothing about unlisted servers; forged mail is not penalised.",
		Fix: "End the record with -all (or ~all).",
		Ref: "RFC 7208 §4.7, §5.1"},
	{ID: "spf.ptr", Severity: checks.SevWarn, Title: "The SPF record uses the ptr mechanism",
		Why: "RFC 7208 says ptr SHOULD NOT be used: it is slow, depends on reverse DNS you may not control, and some receivers ignore it.",
		Fix: "Replace ptr with ip4:/ip6: ranges or a: terms for the sending servers.",
		Ref: "RFC 7208 §5.5"},
	{ID: "spf.text-after-all", Severity: checks.SevWarn, Title: "Terms follow the all mechanism",
		Why: "Evaluation stops at all: mechanisms and redirect= after it are never used, which usually means an intended sender is not authorized.",
		Fix: "Move the terms before all, or delete them.",
		Ref: "RFC 7208 §5.1"},
	{ID: "spf.redirect-ignored", Severity: checks.SevWarn, Title: "redirect= is ignored because the record has an all term",
		Why: "A record with all never reaches its redirect= modifier, so the redirect target's policy is not used.",
		Fix: "Remove either the all term or the redirect= modifier.",
		Ref: "RFC 7208 §6.1"},
	{ID: "spf.string-too-long", Severity: checks.SevWarn, Title: "A TXT string of the SPF record is longer than 255 bytes",
		Why: "A DNS character-string holds at most 255 bytes; longer records must be split into several strings in one TXT record, or DNS software truncates or rejects them.",
		Fix: "Split the record into quoted strings of at most 255 bytes in the same TXT record: \"v=spf1 ... \" \"... -all\".",
		Ref: "RFC 7208 §3.3"},
	{ID: "spf.record-too-large", Severity: checks.SevWarn, Title: "The SPF record is larger than 450 bytes",
		Why: "Large answers may not fit a UDP response; receivers that cannot retry over TCP get temperror.",
		Fix: "Shorten the record: merge ip4 ranges, drop unused includes.",
		Ref: "RFC 7208 §3.4"},
	{ID: "spf.mx-too-many", Severity: checks.SevFail, Title: "An mx term finds more than 10 MX hosts",
		Why: "Receivers look up at most 10 MX hosts for one mx term and return permerror beyond that.",
		Fix: "Replace the mx term with ip4:/ip6: ranges for the hosts that send mail.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.ip-not-authorized", Severity: checks.SevFail, Title: "A sending IP does not get SPF pass",
		SeverityNote: "warn for the HELO identity when the HELO name has no SPF record",
		Why:          "Mail from this address fails (or does not pass) SPF; with DMARC and without aligned DKIM it is rejected or sent to spam.",
		Fix:          "Add the address (ip4:/ip6:) or its provider's include: to the SPF record, before the all term.",
		Ref:          "RFC 7208 §2.6, §4"},
	{ID: "spf.ip-authorized", Severity: checks.SevInfo, Title: "A sending IP gets SPF pass",
		Why: "The address is authorized by the domain's SPF policy.",
		Fix: "Nothing to do.",
		Ref: "RFC 7208 §2.6.3"},
	{ID: "spf.tree-truncated", Severity: checks.SevWarn, Title: "The include tree is too large or too deep to expand completely",
		Why: "mxray stops expanding after 100 records or 12 levels; receivers stop much earlier, with permerror at the 11th DNS lookup, so every sender not matched before that lookup fails SPF.",
		Fix: "Reduce the number of includes drastically.",
		Ref: "RFC 7208 §4.6.4"},
	{ID: "spf.dns-error", Severity: checks.SevError, Title: "An SPF lookup failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the record exists; receivers get temperror and defer or reject mail while the failure lasts.",
		Fix: "Check that the name servers answer TXT (and A/MX) queries for the names involved, over UDP and TCP.",
		Ref: "RFC 7208 §2.6.6"},
	{ID: "spf.helo-no-address", Severity: checks.SevWarn, Title: "The HELO name given with --helo has no address",
		Why: "Without --ip, mxray evaluates SPF for the HELO name's addresses, and it has none: nothing was evaluated. Receivers also check that the name a server introduces itself with resolves (e.g. Postfix's reject_unknown_helo_hostname) and defer or refuse mail from one that does not.",
		Fix: "Give the sending address with --ip, and give the sending server a HELO name with an A (and AAAA) record of its own address.",
		Ref: "RFC 5321 §4.1.1.1, RFC 7208 §2.3"},
}

// Data is the check's JSON data: the tree, the totals and the evaluations.
type Data struct {
	// Domain is the domain checked, lower case without the trailing dot.
	Domain string `json:"domain"`
	// Record is the domain's SPF record; absent when it has none or publishes several (see Records).
	Record string `json:"record,omitempty"`
	// RecordSize is Record's length in bytes; 0 without a record.
	RecordSize int `json:"record_size"`
	Lookups    int `json:"lookups"` // worst case: every DNS-querying term in the tree
	// LookupLimit is the RFC 7208 §4.6.4 limit of DNS-querying terms, 10.
	LookupLimit int `json:"lookup_limit"`
	VoidLookups int `json:"void_lookups"` // worst case over IPv4 and IPv6 senders
	// VoidLimit is the RFC 7208 §4.6.4 limit of void lookups, 2.
	VoidLimit int  `json:"void_limit"`
	Truncated bool `json:"truncated,omitempty"` // the tree was not expanded completely (counts are lower bounds)
	// Tree is the include/redirect tree rooted at the domain's record (always set by the check; a node with an error when there is no record).
	Tree *Node `json:"tree"`
	// Evaluations are check_host() for each --ip, for the MAIL FROM identity and, with --helo, the HELO identity; absent without --ip.
	Evaluations []Evaluation `json:"evaluations,omitempty"`
	// Records is set when the domain publishes several SPF records
	// (spf.multiple; Record is then empty and the counts above are 0):
	// each record analysed as if it were the only one, in the order of
	// their text, at most 10.
	Records []RecordAnalysis `json:"records,omitempty"`
}

// RecordAnalysis is one of several SPF records of the domain, analysed on
// its own: what receivers would find if it were the only one.
type RecordAnalysis struct {
	Index int `json:"index"` // 1-based: "record 2 of 3" in findings' subjects
	// Record is this SPF record as published.
	Record string `json:"record"`
	// RecordSize is its length in bytes.
	RecordSize int `json:"record_size"`
	// Lookups counts its DNS-querying terms, includes expanded (worst case).
	Lookups int `json:"lookups"`
	// VoidLookups counts its void lookups, includes expanded (the worse of IPv4 and IPv6 senders).
	VoidLookups int `json:"void_lookups"`
	// Truncated is present (true) when its tree was not expanded completely (counts are lower bounds).
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"` // why it could not be analysed (a syntax error), in plain words
	// Tree is its include/redirect tree.
	Tree *Node `json:"tree"`
}

// Evaluation is check_host() for one sending IP and one identity.
type Evaluation struct {
	// IP is the sending address evaluated (--ip).
	IP       netip.Addr `json:"ip"`
	Identity string     `json:"identity"` // "mailfrom" or "helo"
	// Domain is the domain whose policy was evaluated (the MAIL FROM domain, or the HELO name).
	Domain string `json:"domain"`
	Outcome
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := strings.TrimSuffix(strings.ToLower(t.Domain), ".")
	var wg sync.WaitGroup
	var evals []Evaluation
	var evalFinds []checks.Finding
	wg.Go(func() {
		evals, evalFinds = evaluate(ctx, env, t, domain)
	})
	wg.Go(func() {
		// The fact needs the domain's record (and its redirect chain) only:
		// it is published as soon as those are in, long before the tree
		// is. Its lookups are the analysis's own (the run's cache).
		if f, ok := lockdown(ctx, env.DNS, domain); ok {
			FactKey.Publish(out, f)
		}
	})
	root, finds := Analyze(ctx, env.DNS, domain)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// The check's deadline (or an interruption) cut lookups short:
		// nothing can be concluded, and the Runner says why.
		return err
	}

	markLimits(root)
	for _, r := range root.records {
		markLimits(r)
	}
	data := Data{Domain: domain, Record: root.Record, RecordSize: root.Size, Tree: root,
		LookupLimit: MaxDNSTerms, VoidLimit: MaxVoid, Evaluations: evals}
	for _, f := range finds {
		out.Add(f)
	}
	data.Truncated = treeTruncated(root)
	if data.Truncated {
		out.Add(checks.Finding{ID: "spf.tree-truncated", Subject: domain, Evidence: treeEvidence(root),
			Message: fmt.Sprintf("the SPF include tree of %s has more than %d records or is nested deeper than %d levels; counts below are lower bounds", domain, maxTreeNodes, maxTreeDepth)})
	}
	switch {
	case root.dnsFailed:
		// reported as spf.dns-error by the analysis; never "missing".
	case root.noRecord:
		out.Add(checks.Finding{ID: "spf.missing", Subject: domain, Evidence: checks.DNSEvidence(root.queries...),
			Message: fmt.Sprintf("%s publishes no SPF record (%s)", domain, root.Error),
			Fix:     fmt.Sprintf("Publish one TXT record at %s, e.g. `%s. IN TXT \"v=spf1 mx -all\"`, listing every server and provider that sends its mail.", domain, domain)})
	case root.rec != nil:
		data.Lookups = root.SubtreeLookups
		data.VoidLookups = max(root.sub4, root.sub6)
		totals(out, root, data.Truncated)
	}
	for _, r := range root.records {
		ra := RecordAnalysis{Index: r.of, Record: r.Record, RecordSize: r.Size, Truncated: treeTruncated(r), Tree: r}
		if r.rec != nil {
			ra.Lookups, ra.VoidLookups = r.SubtreeLookups, max(r.sub4, r.sub6)
			totals(out, r, ra.Truncated)
		} else {
			ra.Error = r.Error
		}
		data.Records = append(data.Records, ra)
	}
	for _, f := range evalFinds {
		out.Add(f)
	}
	out.SetData(data)
	return nil
}

func treeTruncated(n *Node) bool {
	if strings.HasPrefix(n.Error, "not expanded") {
		return true
	}
	for _, c := range n.Children {
		if treeTruncated(c) {
			return true
		}
	}
	for _, r := range n.records {
		if treeTruncated(r) {
			return true
		}
	}
	return false
}

// totals reports the findings about the whole tree: lookup and void
// counts, and the policy's default.
func totals(out *checks.Out, root *Node, truncated bool) {
	subject, spfFor := root.subject(), root.spfFor()
	ev := treeEvidence(root)
	atLeast := ""
	if truncated {
		atLeast = "at least "
	}
	switch n := root.SubtreeLookups; {
	case n > MaxDNSTerms:
		out.Add(checks.Finding{ID: "spf.lookup-limit", Subject: subject, Evidence: ev,
			Message: fmt.Sprintf("%s needs %s%d DNS lookups; %s. Cost by term: %s", spfFor, atLeast, n, whoFails(root), costly(root)),
			Fix:     fmt.Sprintf("Cut %d lookups from %s: remove unused includes (the most expensive are listed), replace a/mx with ip4:/ip6:, or move a provider to a subdomain.", n-MaxDNSTerms, root.shortOf())})
	case n >= 8:
		out.Add(checks.Finding{ID: "spf.lookup-near-limit", Subject: subject, Evidence: ev,
			Message: fmt.Sprintf("%s needs %d of the %d allowed DNS lookups (%s)", spfFor, n, MaxDNSTerms, costly(root))})
	}
	if v := max(root.sub4, root.sub6); v > MaxVoid {
		var terms []string
		collectVoid(root, &terms)
		out.Add(checks.Finding{ID: "spf.void-limit", Subject: subject, Evidence: ev,
			Message: fmt.Sprintf("%s has %s that find nothing (%s); receivers allow %d and return permerror", spfFor, voidCount(root.sub4, root.sub6), quoteList(terms), MaxVoid),
			Fix:     "Remove the terms that point at names without records: " + quoteList(terms) + "."})
	}
	// The policy's default: follow redirects to the record that decides.
	n := root
	for n.redirectChild != nil && n.redirectChild.rec != nil {
		n = n.redirectChild
	}
	if n.rec != nil && n.redirectChild == nil {
		var all *Term
		for i := range n.rec.Terms {
			if n.rec.Terms[i].Mech == MechAll {
				all = &n.rec.Terms[i]
				break
			}
		}
		switch {
		case all == nil:
			out.Add(checks.Finding{ID: "spf.all-neutral", Subject: subject, Evidence: withRecords(checks.DNSEvidence(n.queries...), n.Record),
				Message: fmt.Sprintf("%s has no all term and no redirect: unlisted servers get neutral", n.recOf()),
				Fix:     fmt.Sprintf("Append \"-all\" (or \"~all\") to %s.", n.shortOf())})
		case all.Qual == QNeutral:
			out.Add(checks.Finding{ID: "spf.all-neutral", Subject: subject, Evidence: withRecords(checks.DNSEvidence(n.queries...), n.Record),
				Message: fmt.Sprintf("%s ends in %q: unlisted servers get neutral", n.recOf(), all.Text),
				Fix:     fmt.Sprintf("Replace %q with \"-all\" (or \"~all\") in %s.", all.Text, n.shortOf())})
		}
	}
}

// whoFails says which senders the lookup limit fails (RFC 7208 §4.6.4):
// evaluation stops with permerror only when it reaches the 11th
// DNS-querying term, so senders matched before it are decided as usual.
func whoFails(root *Node) string {
	c, ok := FindLimitCut(root)
	if !ok {
		return fmt.Sprintf("receivers stop at the %dth DNS lookup and return permerror for senders not matched before it", MaxDNSTerms+1)
	}
	where := fmt.Sprintf("%q in %s", clip(c.Term, 80), c.Domain)
	if c.Domain == root.Domain {
		where = fmt.Sprintf("%q", clip(c.Term, 80))
	}
	if c.Uncertain {
		where += " at the latest (some branches before it could not be expanded)"
	}
	if len(c.Before) == 0 {
		return fmt.Sprintf("receivers stop with permerror at the %dth DNS lookup, %s, and no term before it matches a sender: SPF gives permerror for every sender", MaxDNSTerms+1, where)
	}
	result := "still pass"
	if !c.AllPass {
		result = "still get the result of the term that matches them"
	}
	return fmt.Sprintf("receivers stop with permerror at the %dth DNS lookup, %s: senders matched only from there on get permerror, while senders matched earlier, by %s, %s",
		MaxDNSTerms+1, where, quoteListed(c.Before), result)
}

// quoteListed joins already quoted items, at most maxLintTerms of them.
func quoteListed(items []string) string {
	if len(items) > maxLintTerms {
		return strings.Join(items[:maxLintTerms], ", ") + fmt.Sprintf(" and %d more", len(items)-maxLintTerms)
	}
	return strings.Join(items, ", ")
}

// costly names the most expensive include/redirect branches and the
// record's own terms.
func costly(root *Node) string {
	type cost struct {
		what string
		n    int
	}
	var cs []cost
	for _, c := range root.Children {
		cs = append(cs, cost{c.Mechanism, c.SubtreeLookups + 1})
	}
	own := root.OwnLookups - len(root.Children)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].n > cs[j].n })
	var parts []string
	for i, c := range cs {
		if i == maxLintTerms {
			parts = append(parts, fmt.Sprintf("%d more includes", len(cs)-maxLintTerms))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.what, c.n))
	}
	if own > 0 {
		parts = append(parts, fmt.Sprintf("other terms of %s %d", root.Domain, own))
	}
	return strings.Join(parts, ", ")
}

func voidCount(v4, v6 int) string {
	switch {
	case v4 == v6:
		return fmt.Sprintf("%d lookups", v4)
	case v4 > MaxVoid && v6 > MaxVoid:
		return fmt.Sprintf("%d lookups for IPv4 senders and %d for IPv6 senders", v4, v6)
	case v4 > MaxVoid:
		return fmt.Sprintf("%d lookups for IPv4 senders", v4)
	}
	return fmt.Sprintf("%d lookups for IPv6 senders", v6)
}

func collectVoid(n *Node, out *[]string) {
	*out = append(*out, n.voidTerms...)
	for _, c := range n.Children {
		collectVoid(c, out)
	}
}

// evaluate runs check_host() for every sending IP (--ip, or the HELO
// name's addresses) for the MAIL FROM domain and, with --helo, the HELO
// identity.
func evaluate(ctx context.Context, env *checks.Env, t checks.Target, domain string) ([]Evaluation, []checks.Finding) {
	ips := t.IPs
	helo := strings.TrimSuffix(strings.ToLower(t.HELO), ".")
	var finds []checks.Finding
	fromHELO := false
	if len(ips) == 0 && helo != "" {
		addrs, err := checks.ResolveHost(ctx, env.DNS, helo)
		switch {
		case errors.Is(err, checks.ErrNoAddress):
			// A definite answer: the name has no address. Not a DNS failure.
			var qs []dnsq.Query // the two answers, from the run's cache
			for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
				if ans, err := env.DNS.Lookup(ctx, helo, qt); err == nil {
					qs = append(qs, ans.Query)
				}
			}
			finds = append(finds, checks.Finding{ID: "spf.helo-no-address", Severity: checks.SevWarn, Subject: helo, Host: helo,
				Evidence: checks.DNSEvidence(qs...),
				Message:  fmt.Sprintf("no --ip given, and the HELO name %s has no A or AAAA record: SPF was evaluated for no sending address", helo),
				Fix:      "Give the sending address with --ip; and give the server a HELO name that resolves to its address."})
		case err != nil && ctx.Err() == nil:
			finds = append(finds, checks.Finding{ID: "spf.dns-error", Severity: checks.SevError, Subject: helo, Evidence: checks.DNSEvidence(dnsq.QueriesOf(err)...),
				Message: fmt.Sprintf("no --ip given, and the addresses of the HELO name could not be resolved to evaluate SPF with: %s", joinedWords(err))})
		}
		ips, fromHELO = addrs, true
	}
	type job struct {
		ip       netip.Addr
		identity string
		domain   string
	}
	var jobs []job
	for _, ip := range ips {
		jobs = append(jobs, job{ip, "mailfrom", domain})
		if helo != "" {
			jobs = append(jobs, job{ip, "helo", helo})
		}
	}
	evals := make([]Evaluation, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			o := CheckHost(ctx, env.DNS, Params{IP: j.ip, Domain: j.domain, Sender: "postmaster@" + j.domain, HELO: t.HELO, Now: env.Now})
			evals[i] = Evaluation{IP: j.ip, Identity: j.identity, Domain: j.domain, Outcome: o}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return evals, finds // cut short: the Runner says so, evaluations decided nothing
	}
	for _, e := range evals {
		finds = append(finds, evalFinding(e, fromHELO))
	}
	return evals, finds
}

// joinedWords words an error that may join several (as checks.ResolveHost
// returns for its A and AAAA lookups) on one line.
func joinedWords(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var parts []string
		for _, e := range j.Unwrap() {
			parts = append(parts, joinedWords(e))
		}
		return strings.Join(parts, "; ")
	}
	return Words(err)
}

func evalFinding(e Evaluation, fromHELO bool) checks.Finding {
	ev := checks.DNSEvidence(e.Queries...)
	src := ""
	if fromHELO {
		src = " (an address of the HELO name)"
	}
	who := fmt.Sprintf("%s%s sending as %s", e.IP, src, e.Domain)
	if e.Identity == "helo" {
		who = fmt.Sprintf("%s%s with HELO %s", e.IP, src, e.Domain)
	}
	decided := ""
	switch {
	case e.Mechanism == "default":
		decided = fmt.Sprintf(" (no term matched in %s)", e.Outcome.Domain)
	case e.Mechanism != "" && (e.Result == PermError || e.Result == TempError):
		decided = fmt.Sprintf(" (stopped at %q in %s)", e.Mechanism, e.Outcome.Domain)
	case e.Mechanism != "":
		decided = fmt.Sprintf(" (decided by %q in %s)", e.Mechanism, e.Outcome.Domain)
	}
	switch e.Result {
	case Pass:
		return checks.Finding{ID: "spf.ip-authorized", Subject: e.IP.String(), Evidence: ev,
			Message: fmt.Sprintf("%s gets SPF pass%s", who, decided)}
	case TempError:
		return checks.Finding{ID: "spf.dns-error", Severity: checks.SevError, Subject: e.IP.String(), Evidence: ev,
			Message: fmt.Sprintf("%s: SPF evaluation ended in temperror: %s", who, e.Reason)}
	}
	msg := fmt.Sprintf("%s gets SPF %s%s", who, e.Result, decided)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Explanation != "" {
		msg += fmt.Sprintf("; explanation: %q", e.Explanation)
	}
	f := checks.Finding{ID: "spf.ip-not-authorized", Subject: e.IP.String(), Evidence: ev, Message: msg}
	kind := "ip4"
	if e.IP.Is6() {
		kind = "ip6"
	}
	switch {
	case e.Identity == "helo" && e.Result == None:
		f.Severity = checks.SevWarn
		f.Fix = fmt.Sprintf("Publish `%s. IN TXT \"v=spf1 a -all\"` so that receivers checking the HELO identity get pass.", e.Domain)
	case e.Result == None:
		f.Fix = fmt.Sprintf("Publish an SPF record at %s that includes %s:%s.", e.Domain, kind, e.IP)
	case e.Result == PermError:
		f.Fix = fmt.Sprintf("Fix the permanent error in the SPF policy of %s first (see the other findings), then make sure it lists %s:%s.", e.Domain, kind, e.IP)
	default:
		f.Fix = fmt.Sprintf("If %s is a legitimate sender, add \"%s:%s\" (or its provider's include:) to the SPF record of %s before the all term.", e.IP, kind, e.IP, e.Domain)
	}
	return f
}
