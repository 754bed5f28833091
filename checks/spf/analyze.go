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
)

// Node is one record of the include/redirect tree, shaped for a tree view:
// the record, the term that included it, the DNS-querying terms it costs
// itself and with everything below it, its void lookups, and its children
// in evaluation order.
type Node struct {
	Domain         string  `json:"domain"`
	Record         string  `json:"record,omitempty"`
	Mechanism      string  `json:"mechanism,omitempty"` // the include/redirect term of the parent ("" for the root)
	OwnLookups     int     `json:"own_lookups"`         // include, a, mx, ptr, exists, redirect terms in this record
	SubtreeLookups int     `json:"subtree_lookups"`     // own plus every descendant's
	VoidLookups    int     `json:"void_lookups"`        // this record's terms whose lookup finds nothing
	Size           int     `json:"size"`                // record length in bytes
	Children       []*Node `json:"children"`
	Error          string  `json:"error,omitempty"` // why the node could not be (fully) evaluated

	rec           *Record
	void4, void6  int // own void lookups for an IPv4 / IPv6 client
	sub4, sub6    int // subtree void lookups per family
	voidTerms     []string
	noRecord      bool // the domain publishes no SPF record (or does not exist)
	dnsFailed     bool
	queries       []dnsq.Query // the node's TXT query and its terms' lookups
	redirectChild *Node
	childTerms    []int // the index in rec.Terms of the term of each child
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
	root := a.node(ctx, domain, "", []string{domain}, 0)
	return root, a.findings
}

func (a *analyzer) node(ctx context.Context, domain, via string, path []string, depth int) *Node {
	n := &Node{Domain: domain, Mechanism: via, Children: []*Node{}}
	if int(a.nodes.Add(1)) > maxTreeNodes {
		a.mu.Lock()
		a.truncated = true
		a.mu.Unlock()
		n.Error = fmt.Sprintf("not expanded: the tree has more than %d records", maxTreeNodes)
		return n
	}
	ans, err := a.c.Lookup(ctx, dnsName(domain), dns.TypeTXT)
	if err != nil {
		n.dnsFailed = true
		n.Error = err.Error()
		a.dnsError(ctx, domain, "SPF (TXT) lookup failed", err)
		return n
	}
	ev := checks.DNSEvidence(ans.Query)
	n.queries = append(n.queries, ans.Query)
	var spfRRs [][]string
	for _, strs := range ans.TXT() {
		if IsSPF(JoinTXT(strs)) {
			spfRRs = append(spfRRs, strs)
		}
	}
	switch {
	case len(spfRRs) == 0:
		n.noRecord = true
		n.Error = "no SPF record"
		if ans.NXDomain() {
			n.Error = "the domain does not exist (NXDOMAIN)"
		}
		return n
	case len(spfRRs) > 1:
		recs := make([]string, len(spfRRs))
		for i, s := range spfRRs {
			recs[i] = JoinTXT(s)
		}
		n.Error = fmt.Sprintf("%d SPF records: receivers return permerror", len(spfRRs))
		a.add(checks.Finding{ID: "spf.multiple", Subject: domain, Evidence: withRecords(ev, recs...),
			Message: fmt.Sprintf("%s publishes %d SPF records; receivers return permerror for every message", domain, len(spfRRs)),
			Fix:     fmt.Sprintf("Merge them into one TXT record at %s that starts with v=spf1 and delete the others.", domain)})
		return n
	}
	strs := spfRRs[0]
	txt := JoinTXT(strs)
	n.Record, n.Size = clip(txt, 2048), len(txt)
	ev = withRecords(ev, n.Record)
	for i, s := range strs {
		if l := len(JoinTXT([]string{s})); l > 255 {
			a.add(checks.Finding{ID: "spf.string-too-long", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("string %d of the SPF record at %s is %d bytes; a DNS character-string holds at most 255", i+1, domain, l)})
		}
	}
	if len(txt) > 450 {
		a.add(checks.Finding{ID: "spf.record-too-large", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("the SPF record at %s is %d bytes; above 450 the answer may not fit a UDP response and some receivers fail it", domain, len(txt))})
	}
	rec, err := Parse(txt)
	if err != nil {
		n.Error = Words(err)
		msg := fmt.Sprintf("the SPF record of %s: %s; receivers return permerror", domain, Words(err))
		var se *SyntaxError
		if errors.As(err, &se) && se.Term != "" {
			msg = fmt.Sprintf("syntax error in the SPF record of %s at position %d (term %q): %s; receivers return permerror", domain, se.Pos+se.Offset, se.Term, se.Msg)
		}
		a.add(checks.Finding{ID: "spf.syntax", Subject: domain, Evidence: ev, Message: msg,
			Fix: fmt.Sprintf("Correct the SPF record of %s at the position given (RFC 7208 §12 has the grammar): a single bad term makes receivers return permerror for every message.", domain)})
		return n
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
				a.add(checks.Finding{ID: "spf.loop", Subject: domain, Evidence: ev,
					Message: fmt.Sprintf("SPF include/redirect loop: %s; receivers return permerror", cycle),
					Fix:     fmt.Sprintf("Remove %q from the record of %s.", t.Text, domain)})
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
				c := a.node(ctx, target, t.Text, append(path[:len(path):len(path)], target), depth+1)
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
					a.add(checks.Finding{ID: id, Subject: domain, Evidence: ev,
						Message: fmt.Sprintf("%s in the SPF record of %s points at %s, which %s; receivers return permerror", t.Text, domain, target, missingWhy(c)),
						Fix:     fmt.Sprintf("Remove %q from the record of %s, or publish an SPF record at %s (the %s domain).", t.Text, domain, target, what)})
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
				v4, v6, qs := a.voidCheck(ctx, domain, t, target)
				mu.Lock()
				defer mu.Unlock()
				n.queries = append(n.queries, qs...)
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
	n.VoidLookups = max(n.void4, n.void6)
	n.SubtreeLookups, n.sub4, n.sub6 = n.OwnLookups, n.void4, n.void6
	for _, c := range n.Children {
		n.SubtreeLookups += c.SubtreeLookups
		n.sub4 += c.sub4
		n.sub6 += c.sub6
	}
	return n
}

// voidCheck looks up a macro-free a/mx/exists target and reports whether
// the lookup is void for an IPv4 and for an IPv6 client.
func (a *analyzer) voidCheck(ctx context.Context, domain string, t *Term, target string) (v4, v6 bool, qs []dnsq.Query) {
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
			a.dnsError(ctx, target, fmt.Sprintf("the lookup for %q in the SPF record of %s failed", clip(t.Text, 80), domain), err)
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
			a.dnsError(ctx, target, fmt.Sprintf("the lookup for %q in the SPF record of %s failed", clip(t.Text, 80), domain), err)
			return false, false, dnsq.QueriesOf(err)
		}
		if n := len(ans.MX()); n > MaxNames {
			a.add(checks.Finding{ID: "spf.mx-too-many", Subject: domain, Evidence: withRecords(checks.DNSEvidence(ans.Query), ans.Strings()...),
				Message: fmt.Sprintf("%q in the SPF record of %s finds %d MX hosts; receivers stop at %d and return permerror", t.Text, domain, n, MaxNames)})
		}
		return ans.Empty(), ans.Empty(), []dnsq.Query{ans.Query}
	}
	return false, false, nil
}

// lint reports the record-level findings of one node.
func (a *analyzer) lint(n *Node, ev *checks.Evidence) {
	rec, domain := n.rec, n.Domain
	allSeen := ""
	var after []string
	seen := map[string]bool{}
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.Mech == MechInclude {
			k := strings.ToLower(strings.TrimSuffix(t.Domain, "."))
			if seen[k] {
				a.add(checks.Finding{ID: "spf.duplicate-include", Subject: domain, Evidence: ev,
					Message: fmt.Sprintf("the SPF record of %s includes %s more than once; each copy costs lookups again", domain, k),
					Fix:     fmt.Sprintf("Delete the repeated %q from the record of %s.", t.Text, domain)})
			}
			seen[k] = true
		}
		if allSeen != "" && (!t.IsModifier() || t.IsRedirect()) {
			after = append(after, t.Text)
		}
		switch t.Mech {
		case MechAll:
			if t.Qual == QPass && allSeen == "" {
				a.add(checks.Finding{ID: "spf.all-pass", Subject: domain, Evidence: ev,
					Message: fmt.Sprintf("the SPF record of %s ends in %q: every server on the internet passes SPF for it", domain, t.Text),
					Fix:     fmt.Sprintf("Replace %q with \"-all\" (or \"~all\" while you check your senders) in the record of %s.", t.Text, domain)})
			}
			if allSeen == "" {
				allSeen = t.Text
			}
		case MechPTR:
			a.add(checks.Finding{ID: "spf.ptr", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("the SPF record of %s uses %q, which RFC 7208 says not to use: it is slow, unreliable, and many receivers skip it", domain, t.Text),
				Fix:     fmt.Sprintf("Replace %q in the record of %s with ip4:/ip6: terms (or a:) for the servers that send mail.", t.Text, domain)})
		}
	}
	if rt := rec.RedirectTerm(); rt != nil && allSeen != "" && rec.Redirect < allIndex(rec) {
		a.add(checks.Finding{ID: "spf.redirect-ignored", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("the SPF record of %s has both %q and %q: evaluation ends at all and never follows the redirect", domain, allSeen, rt.Text),
			Fix:     fmt.Sprintf("In the record of %s, remove %q to use the redirect target's policy, or remove %q.", domain, allSeen, rt.Text)})
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
			fix = fmt.Sprintf("Move %s before %q in the record of %s, or delete it.", quoteList(mechs), allSeen, domain)
		case len(mechs) == 0:
			fix = fmt.Sprintf("In the record of %s, remove %q to use the redirect target's policy, or remove %q.", domain, allSeen, clip(redirect, 80))
		default:
			fix = fmt.Sprintf("Move %s before %q in the record of %s, or delete it; and remove either %q or %q (a record with all never follows redirect=).", quoteList(mechs), allSeen, domain, allSeen, clip(redirect, 80))
		}
		a.add(checks.Finding{ID: "spf.text-after-all", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("the SPF record of %s has %s after %q; receivers never evaluate it", domain, quoteList(after), allSeen),
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
	}
	walk(root)
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
