package spf

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// Bounds of the static analysis, so that hostile records (1000 includes,
// deep chains) stay cheap. Past them, check_host() would long have stopped.
const (
	maxTreeNodes = 100 // records fetched for one tree
	maxTreeDepth = 12  // include/redirect nesting expanded
	maxLintTerms = 5   // terms named in one finding message
	maxRecords   = 10  // records of the domain analysed one by one when it publishes several
)

// Node is one record of the include/redirect tree, shaped for a tree view:
// the record, the term that included it, the DNS-querying terms it costs
// itself and with everything below it, its void lookups, and its children
// in evaluation order.
type Node struct {
	// Domain is the domain whose TXT record this node is, lower case,
	// without the trailing dot (as written when it holds macros).
	Domain string `json:"domain"`
	// Record is the SPF record as published (clipped at 2048 bytes);
	// absent when none was read (no record, DNS failure, loop, not
	// expanded, several records).
	Record string `json:"record,omitempty"`
	// Mechanism is the include: or redirect= term of the parent that
	// leads here; absent for the root.
	Mechanism string `json:"mechanism,omitempty"`
	// OwnLookups counts the DNS-querying terms (include, a, mx, ptr,
	// exists, redirect) of this record that evaluation reaches.
	OwnLookups int `json:"own_lookups"`
	// SubtreeLookups is OwnLookups plus every descendant's.
	SubtreeLookups int `json:"subtree_lookups"`
	// VoidLookups counts this record's terms whose lookup finds nothing
	// (NXDOMAIN or no records), the worse of IPv4 and IPv6 senders.
	VoidLookups int `json:"void_lookups"`
	// Size is the record's length in bytes; 0 when no record was read.
	Size int `json:"size"`
	// LookupsBefore is the running count of DNS-querying terms, in
	// evaluation order for a sender no term matches, when evaluation
	// enters this record: it includes the include/redirect term that led
	// here. 0 for the root.
	LookupsBefore int `json:"lookups_before"`
	// CumulativeLookups is that running count when evaluation leaves this
	// record, everything below it included; the limit is 10 (RFC 7208
	// §4.6.4).
	CumulativeLookups int `json:"cumulative_lookups"`
	// LimitTerm is the term of this record whose DNS lookup is the 11th
	// in evaluation order: where receivers stop with permerror. Absent on
	// every other node, and on all nodes when the count stays within 10.
	LimitTerm string `json:"limit_term,omitempty"`
	// VoidLimitTerm is the term of this record whose void lookup is the
	// 3rd in evaluation order (for IPv4 or IPv6 senders): where receivers
	// stop with permerror (RFC 7208 §4.6.4). Absent elsewhere.
	VoidLimitTerm string `json:"void_limit_term,omitempty"`
	// Children are the records reached by this record's include: and
	// redirect= terms, in evaluation order; [] when none.
	Children []*Node `json:"children"`
	// Error says in plain words why the node could not be (fully)
	// evaluated; absent when it was.
	Error string `json:"error,omitempty"`

	rec           *Record
	void4, void6  int // own void lookups for an IPv4 / IPv6 client
	sub4, sub6    int // subtree void lookups per family
	voidTerms     []string
	noRecord      bool // the domain publishes no SPF record (or does not exist)
	dnsFailed     bool
	queries       []dnsq.Query // the node's TXT query and its terms' lookups
	redirectChild *Node
	childTerms    []int           // the index in rec.Terms of the term of each child
	voidAt        map[int][2]bool // per term index: void for an IPv4, an IPv6 sender

	// When the domain checked publishes several SPF records, its node has
	// none of its own (rec is nil) and records holds one node per record,
	// the of-th of total.
	records   []*Node
	of, total int
	top       *Node // the one of several records of the domain checked that n is reached from
}

// under is the one of several records of the domain checked that n is, or
// is reached from; nil when the domain has one record.
func (n *Node) under() *Node {
	if n.total > 1 {
		return n
	}
	return n.top
}

// from says which of several records of the domain checked n is reached
// from (" (reached from example.org's SPF record 2 of 3)"), if any.
func (n *Node) from() string {
	if n.top != nil {
		return " (reached from " + n.top.recOf() + ")"
	}
	return ""
}

// subject is the finding subject for n's record: the domain, with "record
// 2 of 3" when the domain publishes several.
func (n *Node) subject() string {
	if n.total > 1 {
		return fmt.Sprintf("%s (record %d of %d)", n.Domain, n.of, n.total)
	}
	return n.Domain
}

// recOf names n's record in a message: "the SPF record of example.org",
// or "example.org's SPF record 2 of 3" when the domain publishes several.
func (n *Node) recOf() string {
	if n.total > 1 {
		return fmt.Sprintf("%s's SPF record %d of %d", n.Domain, n.of, n.total)
	}
	return "the SPF record of " + n.Domain + n.from()
}

// recAt is recOf in the words of the size findings ("the SPF record at
// example.org").
func (n *Node) recAt() string {
	if n.total > 1 {
		return n.recOf()
	}
	return "the SPF record at " + n.Domain + n.from()
}

// shortOf names n's record in a fix: "the record of example.org", or
// "example.org's SPF record 2 of 3".
func (n *Node) shortOf() string {
	if n.total > 1 {
		return n.recOf()
	}
	return "the record of " + n.Domain + n.from()
}

// spfFor names the policy in the totals' messages: "SPF for example.org",
// or "example.org's SPF record 2 of 3".
func (n *Node) spfFor() string {
	if n.total > 1 {
		return n.recOf()
	}
	return "SPF for " + n.Domain
}

// in says which of several records a message is about (" (in
// example.org's SPF record 2 of 3)"), and nothing when there is one.
func (n *Node) in() string {
	if n.total > 1 {
		return " (in " + n.recOf() + ")"
	}
	return n.from()
}

// analyzer walks a domain's include/redirect tree concurrently, reporting
// findings as it goes.
type analyzer struct {
	c     *dnsq.Client
	nodes atomic.Int32

	mu        sync.Mutex
	findings  []checks.Finding
	truncated bool
}

func (a *analyzer) add(f checks.Finding) {
	a.mu.Lock()
	a.findings = append(a.findings, f)
	a.mu.Unlock()
}

func (a *analyzer) dnsError(ctx context.Context, subject, what string, err error) {
	if ctx.Err() != nil {
		return // cut short by the check's deadline: the Runner says so
	}
	a.add(checks.Finding{ID: "spf.dns-error", Severity: checks.SevError, Subject: subject,
		Message:  fmt.Sprintf("%s: %v; receivers return temperror and defer mail while this lasts", what, err),
		Evidence: checks.DNSEvidence(dnsq.QueriesOf(err)...)})
}

// Analyze builds the include/redirect tree of domain's SPF record and
// returns it with the findings about it (record lint, sizes, loops, targets
// without record, DNS errors). The totals are the root's subtree counts.
func Analyze(ctx context.Context, c *dnsq.Client, domain string) (*Node, []checks.Finding) {
	a := &analyzer{c: c}
	root := a.node(ctx, domain, "", []string{domain}, 0, nil)
	return root, a.findings
}

func (a *analyzer) node(ctx context.Context, domain, via string, path []string, depth int, top *Node) *Node {
	n := &Node{Domain: domain, Mechanism: via, Children: []*Node{}, top: top}
	if !a.take(n) {
		return n
	}
	ans, err := a.c.Lookup(ctx, dnsName(domain), dns.TypeTXT)
	if err != nil {
		n.dnsFailed = true
		n.Error = err.Error()
		a.dnsError(ctx, domain, "SPF (TXT) lookup failed", err)
		return n
	}
	n.queries = append(n.queries, ans.Query)
	spfRRs := records(ans)
	switch {
	case len(spfRRs) == 0:
		n.noRecord = true
		n.Error = "no SPF record"
		if ans.NXDomain() {
			n.Error = "the domain does not exist (NXDOMAIN)"
		}
		return n
	case len(spfRRs) > 1:
		a.several(ctx, n, ans, spfRRs, path, depth)
		return n
	}
	a.record(ctx, n, ans, spfRRs[0], path, depth)
	return n
}

// take counts n against the bound of the analysis; false when the tree
// already has maxTreeNodes records (n is then marked not expanded).
func (a *analyzer) take(n *Node) bool {
	if int(a.nodes.Add(1)) > maxTreeNodes {
		a.mu.Lock()
		a.truncated = true
		a.mu.Unlock()
		n.Error = fmt.Sprintf("not expanded: the tree has more than %d records", maxTreeNodes)
		return false
	}
	return true
}

// records returns the SPF records of a TXT answer, each as its strings, in
// the order of their text: the order of an RRset is the server's choice,
// and "record 2 of 2" must name the same record on every run.
func records(ans *dnsq.Answer) [][]string {
	var rrs [][]string
	for _, strs := range ans.TXT() {
		if IsSPF(JoinTXT(strs)) {
			rrs = append(rrs, strs)
		}
	}
	sort.SliceStable(rrs, func(i, j int) bool { return JoinTXT(rrs[i]) < JoinTXT(rrs[j]) })
	return rrs
}

// several reports a domain that publishes more than one SPF record
// (permerror), and analyses each record as if it were the only one, with
// its own findings: whichever record the owner keeps, its faults are known.
// Only the domain checked is opened up this way; an included domain with
// several records is one permerror.
func (a *analyzer) several(ctx context.Context, n *Node, ans *dnsq.Answer, rrs [][]string, path []string, depth int) {
	recs := make([]string, len(rrs))
	for i, s := range rrs {
		recs[i] = JoinTXT(s)
	}
	n.Error = fmt.Sprintf("%d SPF records: receivers return permerror", len(rrs))
	msg := fmt.Sprintf("%s publishes %d SPF records; receivers return permerror for every message", n.Domain, len(rrs))
	if depth == 0 {
		if len(rrs) > maxRecords {
			msg += fmt.Sprintf(". The first %d records are also checked one by one, as \"record 1 of %d\" and so on", maxRecords, len(rrs))
		} else {
			msg += fmt.Sprintf(". Each record is also checked on its own, as \"record 1 of %d\" and so on", len(rrs))
		}
	} else {
		msg += n.from()
	}
	fix := fmt.Sprintf("Merge them into one TXT record at %s that starts with v=spf1 and delete the others.", n.Domain)
	if depth == 0 {
		fix = fmt.Sprintf("Merge them into one TXT record at %s that starts with v=spf1 and delete the others; the problems reported for each record stay with whichever you keep.", n.Domain)
	}
	a.add(checks.Finding{ID: "spf.multiple", Subject: n.Domain, Evidence: withRecords(checks.DNSEvidence(ans.Query), recs...),
		Message: msg, Fix: fix})
	if depth > 0 {
		return
	}
	total := min(len(rrs), maxRecords)
	var wg sync.WaitGroup
	for i := range total {
		r := &Node{Domain: n.Domain, Children: []*Node{}, of: i + 1, total: len(rrs), queries: []dnsq.Query{ans.Query}}
		n.records = append(n.records, r)
		wg.Go(func() {
			if a.take(r) {
				a.record(ctx, r, ans, rrs[i], path, depth)
			}
		})
	}
	wg.Wait()
}

// record analyses n's one SPF record, made of the strings strs of the TXT
// answer ans: sizes, syntax, lint, and the include/redirect tree below it.
func (a *analyzer) record(ctx context.Context, n *Node, ans *dnsq.Answer, strs []string, path []string, depth int) {
	domain := n.Domain
	txt := JoinTXT(strs)
	n.Record, n.Size = clip(txt, 2048), len(txt)
	ev := withRecords(checks.DNSEvidence(ans.Query), n.Record)
	for i, s := range strs {
		if l := len(JoinTXT([]string{s})); l > 255 {
			a.add(checks.Finding{ID: "spf.string-too-long", Subject: n.subject(), Evidence: ev,
				Message: fmt.Sprintf("string %d of %s is %d bytes; a DNS character-string holds at most 255", i+1, n.recAt(), l)})
		}
	}
	if len(txt) > 450 {
		a.add(checks.Finding{ID: "spf.record-too-large", Subject: n.subject(), Evidence: ev,
			Message: fmt.Sprintf("%s is %d bytes; above 450 the answer may not fit a UDP response and some receivers fail it", n.recAt(), len(txt))})
	}
	rec, err := Parse(txt)
	if err != nil {
		n.Error = Words(err)
		msg := fmt.Sprintf("%s: %s; receivers return permerror", n.recOf(), Words(err))
		var se *SyntaxError
		if errors.As(err, &se) && se.Term != "" {
			msg = fmt.Sprintf("syntax error in %s at position %d (term %q): %s; receivers return permerror", n.recOf(), se.Pos+se.Offset, se.Term, se.Msg)
		}
		a.add(checks.Finding{ID: "spf.syntax", Subject: n.subject(), Evidence: ev, Message: msg,
			Fix: fmt.Sprintf("Correct %s at the position given (RFC 7208 §12 has the grammar): a single bad term makes receivers return permerror for every message.", n.recOf())})
		return
	}
	n.rec = rec
	a.lint(n, ev)

	// Evaluation stops at the first all: the terms after it (and redirect=
	// in a record with all) never cost a lookup, so they are not counted
	// and not expanded (spf.text-after-all reports them).
	allIdx := -1
	for i := range rec.Terms {
		if rec.Terms[i].Mech == MechAll {
			allIdx = i
			break
		}
	}
	live := func(i int) bool {
		if allIdx < 0 {
			return true
		}
		return i <= allIdx && !rec.Terms[i].IsRedirect()
	}
	for i := range rec.Terms {
		if live(i) && rec.Terms[i].CountsLookup() {
			n.OwnLookups++
		}
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if !live(i) {
			continue
		}
		switch {
		case t.Mech == MechInclude || t.IsRedirect():
			child := &Node{Domain: t.Domain, Mechanism: t.Text, Children: []*Node{}}
			mu.Lock() // earlier children's goroutines write into n.Children
			n.Children = append(n.Children, child)
			n.childTerms = append(n.childTerms, i)
			idx := len(n.Children) - 1
			if t.IsRedirect() {
				n.redirectChild = child
			}
			mu.Unlock()
			if strings.IndexByte(t.Domain, '%') >= 0 {
				child.Error = "the target uses macros; it is known only when a message is evaluated"
				continue
			}
			target := strings.ToLower(strings.TrimSuffix(t.Domain, "."))
			child.Domain = target
			if loop := indexOf(path, target); loop >= 0 {
				cycle := strings.Join(append(append([]string{}, path[loop:]...), target), " → ")
				child.Error = "loop: " + cycle
				a.add(checks.Finding{ID: "spf.loop", Subject: n.subject(), Evidence: ev,
					Message: fmt.Sprintf("SPF include/redirect loop: %s; receivers return permerror%s", cycle, n.in()),
					Fix:     fmt.Sprintf("Remove %q from %s.", t.Text, n.shortOf())})
				continue
			}
			if depth+1 > maxTreeDepth {
				child.Error = fmt.Sprintf("not expanded: nested deeper than %d levels", maxTreeDepth)
				a.mu.Lock()
				a.truncated = true
				a.mu.Unlock()
				continue
			}
			wg.Go(func() {
				c := a.node(ctx, target, t.Text, append(path[:len(path):len(path)], target), depth+1, n.under())
				mu.Lock()
				n.Children[idx] = c
				if n.redirectChild == child {
					n.redirectChild = c
				}
				mu.Unlock()
				if c.noRecord {
					id, what := "spf.include-no-record", "included"
					if t.IsRedirect() {
						id, what = "spf.redirect-no-record", "redirect target"
					}
					a.add(checks.Finding{ID: id, Subject: n.subject(), Evidence: ev,
						Message: fmt.Sprintf("%s in %s points at %s, which %s; receivers return permerror", t.Text, n.recOf(), target, missingWhy(c)),
						Fix:     fmt.Sprintf("Remove %q from %s, or publish an SPF record at %s (the %s domain).", t.Text, n.shortOf(), target, what)})
				}
			})
		case t.Mech == MechA || t.Mech == MechMX || t.Mech == MechExists:
			if strings.IndexByte(t.Domain, '%') >= 0 {
				continue
			}
			target := domain
			if t.Domain != "" {
				target = strings.TrimSuffix(t.Domain, ".")
			}
			wg.Go(func() {
				v4, v6, qs := a.voidCheck(ctx, n, t, target)
				mu.Lock()
				defer mu.Unlock()
				n.queries = append(n.queries, qs...)
				if n.voidAt == nil {
					n.voidAt = map[int][2]bool{}
				}
				n.voidAt[i] = [2]bool{v4, v6}
				if v4 {
					n.void4++
				}
				if v6 {
					n.void6++
				}
				if v4 || v6 {
					fam := ""
					switch {
					case !v4:
						fam = " for IPv6 senders"
					case !v6:
						fam = " for IPv4 senders"
					}
					n.voidTerms = append(n.voidTerms, fmt.Sprintf("%s in %s%s", t.Text, domain, fam))
				}
			})
		}
	}
	wg.Wait()
	sort.Strings(n.voidTerms)
	// The record's TXT query first, then its terms' lookups in a stable
	// order (they finish in any).
	if len(n.queries) > 1 {
		qs := n.queries[1:]
		sort.SliceStable(qs, func(i, j int) bool {
			if qs[i].Name != qs[j].Name {
				return qs[i].Name < qs[j].Name
			}
			return qs[i].Type < qs[j].Type
		})
	}
	n.VoidLookups = max(n.void4, n.void6)
	n.SubtreeLookups, n.sub4, n.sub6 = n.OwnLookups, n.void4, n.void6
	for _, c := range n.Children {
		n.SubtreeLookups += c.SubtreeLookups
		n.sub4 += c.sub4
		n.sub6 += c.sub6
	}
}

// voidCheck looks up a macro-free a/mx/exists target and reports whether
// the lookup is void for an IPv4 and for an IPv6 client.
func (a *analyzer) voidCheck(ctx context.Context, n *Node, t *Term, target string) (v4, v6 bool, qs []dnsq.Query) {
	var qmu sync.Mutex
	note := func(q ...dnsq.Query) {
		qmu.Lock()
		qs = append(qs, q...)
		qmu.Unlock()
	}
	if !ValidDomain(target) {
		return false, false, nil
	}
	empty := func(qt uint16) (bool, bool) {
		ans, err := a.c.Lookup(ctx, dnsName(target), qt)
		if err != nil {
			note(dnsq.QueriesOf(err)...)
			a.dnsError(ctx, target, fmt.Sprintf("the lookup for %q in %s failed", clip(t.Text, 80), n.recOf()), err)
			return false, false
		}
		note(ans.Query)
		return ans.Empty(), true
	}
	switch t.Mech {
	case MechA:
		var e4, e6 bool
		var wg sync.WaitGroup
		wg.Go(func() { e6, _ = empty(dns.TypeAAAA) })
		e4, _ = empty(dns.TypeA)
		wg.Wait()
		return e4, e6, qs
	case MechExists:
		e, _ := empty(dns.TypeA)
		return e, e, qs
	case MechMX:
		ans, err := a.c.Lookup(ctx, dnsName(target), dns.TypeMX)
		if err != nil {
			a.dnsError(ctx, target, fmt.Sprintf("the lookup for %q in %s failed", clip(t.Text, 80), n.recOf()), err)
			return false, false, dnsq.QueriesOf(err)
		}
		if hosts := len(ans.MX()); hosts > MaxNames {
			a.add(checks.Finding{ID: "spf.mx-too-many", Subject: n.subject(), Evidence: withRecords(checks.DNSEvidence(ans.Query), ans.Strings()...),
				Message: fmt.Sprintf("%q in %s finds %d MX hosts; receivers stop at %d and return permerror", t.Text, n.recOf(), hosts, MaxNames)})
		}
		return ans.Empty(), ans.Empty(), []dnsq.Query{ans.Query}
	}
	return false, false, nil
}

// lint reports the record-level findings of one node.
func (a *analyzer) lint(n *Node, ev *checks.Evidence) {
	rec, rof, sof := n.rec, n.recOf(), n.shortOf()
	allSeen := ""
	var after []string
	seen := map[string]bool{}
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.Mech == MechInclude {
			k := strings.ToLower(strings.TrimSuffix(t.Domain, "."))
			if seen[k] {
				a.add(checks.Finding{ID: "spf.duplicate-include", Subject: n.subject(), Evidence: ev,
					Message: fmt.Sprintf("%s includes %s more than once; each copy costs lookups again", rof, k),
					Fix:     fmt.Sprintf("Delete the repeated %q from %s.", t.Text, sof)})
			}
			seen[k] = true
		}
		if allSeen != "" && (!t.IsModifier() || t.IsRedirect()) {
			after = append(after, t.Text)
		}
		switch t.Mech {
		case MechAll:
			if t.Qual == QPass && allSeen == "" {
				a.add(checks.Finding{ID: "spf.all-pass", Subject: n.subject(), Evidence: ev,
					Message: fmt.Sprintf("%s ends in %q: every server on the internet passes SPF for it", rof, t.Text),
					Fix:     fmt.Sprintf("Replace %q with \"-all\" (or \"~all\" while you check your senders) in %s.", t.Text, sof)})
			}
			if allSeen == "" {
				allSeen = t.Text
			}
		case MechPTR:
			a.add(checks.Finding{ID: "spf.ptr", Subject: n.subject(), Evidence: ev,
				Message: fmt.Sprintf("%s uses %q, which RFC 7208 says not to use: it is slow, unreliable, and many receivers skip it", rof, t.Text),
				Fix:     fmt.Sprintf("Replace %q in %s with ip4:/ip6: terms (or a:) for the servers that send mail.", t.Text, sof)})
		}
	}
	if rt := rec.RedirectTerm(); rt != nil && allSeen != "" && rec.Redirect < allIndex(rec) {
		a.add(checks.Finding{ID: "spf.redirect-ignored", Subject: n.subject(), Evidence: ev,
			Message: fmt.Sprintf("%s has both %q and %q: evaluation ends at all and never follows the redirect", rof, allSeen, rt.Text),
			Fix:     fmt.Sprintf("In %s, remove %q to use the redirect target's policy, or remove %q.", sof, allSeen, rt.Text)})
	}
	if len(after) > 0 {
		// redirect= is never used in a record with all, wherever it is:
		// moving it before all would not help (spf.redirect-ignored).
		var mechs []string
		redirect := ""
		for _, t := range after {
			if strings.HasPrefix(strings.ToLower(t), "redirect=") {
				redirect = t
			} else {
				mechs = append(mechs, t)
			}
		}
		var fix string
		switch {
		case redirect == "":
			fix = fmt.Sprintf("Move %s before %q in %s, or delete it.", quoteList(mechs), allSeen, sof)
		case len(mechs) == 0:
			fix = fmt.Sprintf("In %s, remove %q to use the redirect target's policy, or remove %q.", sof, allSeen, clip(redirect, 80))
		default:
			fix = fmt.Sprintf("Move %s before %q in %s, or delete it; and remove either %q or %q (a record with all never follows redirect=).", quoteList(mechs), allSeen, sof, allSeen, clip(redirect, 80))
		}
		a.add(checks.Finding{ID: "spf.text-after-all", Subject: n.subject(), Evidence: ev,
			Message: fmt.Sprintf("%s has %s after %q; receivers never evaluate it", rof, quoteList(after), allSeen),
			Fix:     fix})
	}
}

func allIndex(rec *Record) int {
	for i := range rec.Terms {
		if rec.Terms[i].Mech == MechAll {
			return i
		}
	}
	return -1
}

// missingWhy says why a node without record has none.
func missingWhy(n *Node) string {
	if strings.Contains(n.Error, "NXDOMAIN") {
		return "does not exist (NXDOMAIN)"
	}
	return "publishes no SPF record"
}

// treeEvidence gathers the DNS queries of the whole tree (deduplicated)
// and the root's record.
func treeEvidence(root *Node) *checks.Evidence {
	ev := &checks.Evidence{}
	var walk func(n *Node)
	walk = func(n *Node) {
		ev.AddDNS(n.queries...)
		for _, c := range n.Children {
			walk(c)
		}
		for _, r := range n.records {
			walk(r)
		}
	}
	walk(root)
	// The tree's lookups finish in any order: name them in a stable one.
	sort.SliceStable(ev.DNS, func(i, j int) bool {
		a, b := ev.DNS[i], ev.DNS[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Type < b.Type
	})
	if root.Record != "" {
		ev.Records = []string{root.Record}
	}
	return ev
}

func withRecords(ev *checks.Evidence, recs ...string) *checks.Evidence {
	if ev == nil {
		ev = &checks.Evidence{}
	}
	out := *ev
	out.Records = append(append([]string(nil), ev.Records...), recs...)
	return &out
}

func quoteList(ts []string) string {
	q := make([]string, 0, maxLintTerms+1)
	for i, t := range ts {
		if i == maxLintTerms {
			q = append(q, fmt.Sprintf("and %d more", len(ts)-maxLintTerms))
			break
		}
		q = append(q, fmt.Sprintf("%q", clip(t, 80)))
	}
	return strings.Join(q, ", ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func indexOf(path []string, s string) int {
	for i, p := range path {
		if p == s {
			return i
		}
	}
	return -1
}

// LimitCut is where check_host() passes the limit of 10 DNS-querying terms
// (RFC 7208 §4.6.4) for a sender that no earlier term matches. Evaluation
// goes through a record's mechanisms in order, into each include as it
// reaches it, then to redirect=, and stops with permerror at the 11th
// DNS-querying term. A sender matched by a mechanism evaluated before that
// term gets that mechanism's result; every other sender gets permerror.
type LimitCut struct {
	Term   string // the term whose lookup is the 11th
	Domain string // the domain whose record holds it
	// Before are the mechanisms evaluated before Term, outermost first: an
	// include wholly before the cut is one entry; the includes the cut is
	// inside are opened ("ip4:192.0.2.0/24 in _spf.example").
	Before []string
	// AllPass is set when every mechanism in Before has the + qualifier.
	AllPass bool
	// Uncertain is set when a branch before the cut could not be expanded
	// (macros, DNS failure, no record, loop, truncation): its cost is
	// unknown, so evaluation may stop earlier.
	Uncertain bool
}

// FindLimitCut walks the tree in evaluation order and returns where the
// 11th DNS-querying term is, or false when evaluation never gets there.
func FindLimitCut(root *Node) (LimitCut, bool) {
	type item struct {
		text string
		pass bool // a sender it matches gets pass
	}
	var c LimitCut
	count := 0
	// walk evaluates n's record and returns the mechanisms that end the
	// evaluation for the senders they match, before the cut (when found)
	// or all of them. decides is set when n's result is the final result
	// (the root, or a redirect from it); inside an include only a pass
	// ends the evaluation (the include matches), with the qualifiers of
	// the includes on the way: pass is set when they are all +.
	var walk func(n *Node, top, decides, pass bool) (before []item, found bool)
	walk = func(n *Node, top, decides, pass bool) ([]item, bool) {
		if n.rec == nil {
			c.Uncertain = true
			return nil, false
		}
		child := map[int]*Node{}
		for k, i := range n.childTerms {
			if k < len(n.Children) {
				child[i] = n.Children[k]
			}
		}
		var before []item
		order := make([]int, 0, len(n.rec.Terms))
		for i := range n.rec.Terms {
			if !n.rec.Terms[i].IsModifier() {
				order = append(order, i)
			}
		}
		if n.rec.Redirect >= 0 && allIndex(n.rec) < 0 {
			order = append(order, n.rec.Redirect)
		}
		for _, i := range order {
			t := &n.rec.Terms[i]
			if t.Mech == MechAll {
				return before, false // evaluation of this record ends here
			}
			if t.CountsLookup() {
				count++
				if count > MaxDNSTerms {
					c.Term, c.Domain = t.Text, n.Domain
					return before, true
				}
			}
			if t.Mech == MechInclude || t.IsRedirect() {
				ch, ok := child[i]
				if !ok {
					c.Uncertain = true
					continue
				}
				var inner []item
				var found bool
				if t.IsRedirect() {
					inner, found = walk(ch, false, decides, pass)
				} else {
					inner, found = walk(ch, false, false, pass && t.Qual == QPass)
				}
				if found {
					return append(before, inner...), true
				}
				if t.IsRedirect() {
					continue
				}
				if len(inner) == 0 && ch.rec != nil {
					continue // the included record passes no sender
				}
			}
			if !decides && t.Qual != QPass {
				continue // no match inside an include: evaluation goes on
			}
			text := fmt.Sprintf("%q", clip(t.Text, 80))
			if !top {
				text += " in " + n.Domain
			}
			before = append(before, item{text, pass && t.Qual == QPass})
		}
		return before, false
	}
	before, found := walk(root, true, true, true)
	if !found {
		return LimitCut{}, false
	}
	c.AllPass = true
	for _, it := range before {
		c.Before = append(c.Before, it.text)
		c.AllPass = c.AllPass && it.pass
	}
	return c, true
}

// markLimits walks the tree in evaluation order (for a sender that no term
// matches) and sets every node's running lookup counts and, on the nodes
// that hold them, the term whose lookup is the 11th (LimitTerm) and the
// term whose void lookup is the 3rd for IPv4 or IPv6 senders
// (VoidLimitTerm), so that no reader has to recount.
func markLimits(root *Node) {
	var lookups, void4, void6 int
	voidDone := false
	var walk func(n *Node)
	walk = func(n *Node) {
		n.LookupsBefore = lookups
		defer func() { n.CumulativeLookups = lookups }()
		if n.rec == nil {
			return
		}
		child := map[int]*Node{}
		for k, i := range n.childTerms {
			if k < len(n.Children) {
				child[i] = n.Children[k]
			}
		}
		order := make([]int, 0, len(n.rec.Terms))
		for i := range n.rec.Terms {
			if !n.rec.Terms[i].IsModifier() {
				order = append(order, i)
			}
		}
		if n.rec.Redirect >= 0 && allIndex(n.rec) < 0 {
			order = append(order, n.rec.Redirect)
		}
		for _, i := range order {
			t := &n.rec.Terms[i]
			if t.Mech == MechAll {
				return // evaluation of this record ends here
			}
			if t.CountsLookup() {
				lookups++
				if lookups == MaxDNSTerms+1 {
					n.LimitTerm = clip(t.Text, 256)
				}
			}
			if v, ok := n.voidAt[i]; ok {
				if v[0] {
					void4++
				}
				if v[1] {
					void6++
				}
				if !voidDone && (void4 > MaxVoid || void6 > MaxVoid) {
					voidDone = true
					n.VoidLimitTerm = clip(t.Text, 256)
				}
			}
			if ch, ok := child[i]; ok {
				walk(ch)
			}
		}
	}
	walk(root)
}
