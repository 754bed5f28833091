package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
)

// Result is a check_host() result (RFC 7208 §2.6). Its values are the wire
// words used in Received-SPF and in mxray's JSON.
type Result string

// The results.
const (
	None      Result = "none"
	Neutral   Result = "neutral"
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// The processing limits of RFC 7208 §4.6.4.
const (
	MaxDNSTerms = 10 // include, a, mx, ptr, exists and redirect terms per evaluation
	MaxVoid     = 2  // lookups answering NXDOMAIN or no records
	MaxNames    = 10 // MX hosts per mx term; PTR names per ptr term or %{p}
)

// Params are the inputs of check_host() (RFC 7208 §4.1).
type Params struct {
	IP     netip.Addr // the SMTP client's address
	Domain string     // the domain whose policy is evaluated (MAIL FROM domain or HELO)
	// Sender is the MAIL FROM address; "" means postmaster@Domain, and a
	// sender without local-part gets "postmaster".
	Sender   string
	HELO     string           // the HELO/EHLO name, for %{h}
	Receiver string           // the receiving host's name, for %{r} ("unknown" when empty)
	Now      func() time.Time // the clock, for %{t}
	// DefaultExplanation is the explanation of a fail result when the
	// record has no usable exp= (a macro-string; "" means none).
	DefaultExplanation string
	// NoPrefetch disables the concurrent prefetching of include, redirect
	// and mechanism targets (evaluation order and limits are the same
	// either way; only latency differs).
	NoPrefetch bool
}

func (p *Params) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Step is one line of an evaluation trace.
type Step struct {
	// Depth is the include/redirect nesting of the step, 0 for the domain's own record.
	Depth int `json:"depth"`
	// Domain is the domain whose record the step is in.
	Domain string `json:"domain"`
	// Term is the term evaluated; absent for a step about the record as a whole.
	Term string `json:"term,omitempty"`
	// Note says what happened, in plain words.
	Note string `json:"note"`
}

// Outcome is what check_host() returns: the result (always set), the term
// that decided it, the explanation of a fail, the reason of an error, the
// counts of limited lookups, and the trace.
type Outcome struct {
	// Result is the RFC 7208 result: none, neutral, pass, fail, softfail, temperror or permerror.
	Result    Result `json:"result"`
	Mechanism string `json:"mechanism,omitempty"`     // the deciding term, "default" when nothing matched
	Domain    string `json:"record_domain,omitempty"` // the domain whose record decided
	// Explanation is the exp= text of a fail; absent otherwise.
	Explanation string `json:"explanation,omitempty"`
	Reason      string `json:"reason,omitempty"` // why a temperror or permerror happened
	Lookups     int    `json:"lookups"`          // DNS-querying terms evaluated
	// VoidLookups counts the evaluated lookups that found nothing.
	VoidLookups int `json:"void_lookups"`
	// Trace is the evaluation step by step; absent when empty.
	Trace []Step `json:"trace,omitempty"`
	// Queries are the DNS exchanges the evaluation used, for evidence.
	Queries []dnsq.Query `json:"-"`
}

// prefetchBudget bounds how many include/redirect/mechanism targets one
// evaluation fetches ahead of need. Twice the term limit covers every record
// the evaluation can reach in breadth-first order.
const prefetchBudget = 2 * MaxDNSTerms

type evaluation struct {
	c                           *dnsq.Client
	p                           Params
	sender, local, senderDomain string

	lookups, voids int
	trace          []Step
	queries        []dnsq.Query

	ptrDone  bool // validatedNames has run: its result is below
	ptrNames []string
	ptrVoid  bool

	pfCtx    context.Context
	pfWG     sync.WaitGroup
	pfBudget atomic.Int32
}

// outcome is an internal result with its context.
type outcome struct {
	r      Result
	mech   string
	domain string
	exp    string
	reason string
}

// evalErr aborts an evaluation with temperror or permerror.
type evalErr struct {
	r   Result
	msg string
}

func (e *evalErr) Error() string { return string(e.r) + ": " + e.msg }

func temp(format string, a ...any) *evalErr {
	return &evalErr{TempError, fmt.Sprintf(format, a...)}
}
func perm(format string, a ...any) *evalErr {
	return &evalErr{PermError, fmt.Sprintf(format, a...)}
}

// CheckHost evaluates the SPF policy of p.Domain for p.IP per RFC 7208 §4–§7.
// Lookups go through c (cached per run). Targets of include, redirect and
// DNS mechanisms are fetched concurrently ahead of need; the evaluation
// itself is sequential, so term order and limits are exactly the RFC's.
func CheckHost(ctx context.Context, c *dnsq.Client, p Params) Outcome {
	p.IP = p.IP.Unmap()
	e := &evaluation{c: c, p: p}
	sender := p.Sender
	if sender == "" {
		sender = "postmaster@" + p.Domain
	}
	if at := strings.LastIndexByte(sender, '@'); at < 0 {
		e.local, e.senderDomain = "postmaster", sender
	} else {
		e.local, e.senderDomain = sender[:at], sender[at+1:]
		if e.local == "" {
			e.local = "postmaster"
		}
	}
	e.sender = e.local + "@" + e.senderDomain
	if !p.NoPrefetch {
		var cancel context.CancelFunc
		e.pfCtx, cancel = context.WithCancel(ctx)
		e.pfBudget.Store(prefetchBudget)
		defer func() {
			cancel()
			e.pfWG.Wait()
		}()
	}
	o := e.checkHost(ctx, strings.TrimSuffix(p.Domain, "."), 0, "")
	return Outcome{Result: o.r, Mechanism: clip(o.mech, maxTermText), Domain: o.domain, Explanation: o.exp, Reason: clip(o.reason, 2*maxNote),
		Lookups: e.lookups, VoidLookups: e.voids, Trace: e.trace, Queries: e.queries}
}

// Bounds of what one evaluation reports, so that hostile records (64 KiB
// terms, hundreds of terms) keep the trace and the messages small.
const (
	maxTrace    = 500 // steps kept
	maxNote     = 600 // bytes of one step's note
	maxTermText = 200 // bytes of a term quoted in a step, mechanism or reason
)

func (e *evaluation) step(depth int, domain, term, format string, a ...any) {
	if len(e.trace) >= maxTrace {
		return
	}
	e.trace = append(e.trace, Step{Depth: depth, Domain: clip(domain, maxTermText), Term: clip(term, maxTermText), Note: clip(fmt.Sprintf(format, a...), maxNote)})
}

// ValidDomain reports whether d is a usable <domain> for check_host()
// (RFC 7208 §4.3): a multi-label name of at most 253 octets whose labels are
// 1–63 octets, not a domain literal.
func ValidDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || d[0] == '[' {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(d); i++ {
		if i == len(d) || d[i] == '.' {
			if i-start < 1 || i-start > 63 {
				return false
			}
			labels++
			start = i + 1
			continue
		}
		if c := d[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return labels >= 2
}

func (e *evaluation) lookup(ctx context.Context, name string, qt uint16) (*dnsq.Answer, error) {
	a, err := e.c.Lookup(ctx, dnsName(name), qt)
	if err != nil {
		e.queries = append(e.queries, dnsq.QueriesOf(err)...)
		return nil, err
	}
	e.queries = append(e.queries, a.Query)
	return a, nil
}

// FetchRecord looks up the TXT records of domain and selects the SPF record
// (RFC 7208 §4.4–§4.5). It returns the record text (strings concatenated),
// the number of SPF records found (0: none; more than 1: permerror), and
// the answer; a DNS failure is an error.
func FetchRecord(ctx context.Context, c *dnsq.Client, domain string) (string, int, *dnsq.Answer, error) {
	a, err := c.Lookup(ctx, domain, dns.TypeTXT)
	if err != nil {
		return "", 0, nil, err
	}
	rec, n := SelectRecord(a.TXT())
	return rec, n, a, nil
}

// SelectRecord picks the SPF record among TXT records given as their
// character-strings in presentation form (as dnsq returns them), and
// reports how many SPF records there were.
func SelectRecord(txts [][]string) (string, int) {
	var rec string
	n := 0
	for _, strs := range txts {
		s := JoinTXT(strs)
		if IsSPF(s) {
			n++
			if n == 1 {
				rec = s
			}
		}
	}
	return rec, n
}

// JoinTXT concatenates a TXT record's character-strings (RFC 7208 §3.3).
// They hold real bytes: dnsq.Answer.TXT decodes presentation escapes.
func JoinTXT(strs []string) string { return strings.Join(strs, "") }

// checkHost is check_host() for one domain; depth is the include/redirect
// nesting, via the term that led here.
func (e *evaluation) checkHost(ctx context.Context, domain string, depth int, via string) outcome {
	if !ValidDomain(domain) {
		e.step(depth, domain, via, "not a valid multi-label domain name: none")
		return outcome{r: None, domain: domain, reason: fmt.Sprintf("%q is not a valid domain name", domain)}
	}
	a, err := e.lookup(ctx, domain, dns.TypeTXT)
	if err != nil {
		if errors.Is(err, dnsq.ErrInvalidName) {
			return outcome{r: None, domain: domain, reason: err.Error()}
		}
		// The lookup's text names the question and says why, in plain
		// words (a timeout, SERVFAIL, a CNAME loop...).
		e.step(depth, domain, via, "%v: temperror", err)
		return outcome{r: TempError, domain: domain, reason: err.Error()}
	}
	txt, n := SelectRecord(a.TXT())
	switch {
	case n == 0:
		why := "no SPF record"
		if a.NXDomain() {
			why = "domain does not exist"
		}
		e.step(depth, domain, via, "%s: none", why)
		return outcome{r: None, domain: domain, reason: fmt.Sprintf("%s: %s", domain, why)}
	case n > 1:
		e.step(depth, domain, via, "%d SPF records: permerror", n)
		return outcome{r: PermError, domain: domain, reason: fmt.Sprintf("%s publishes %d SPF records", domain, n)}
	}
	rec, err := Parse(txt)
	if err != nil {
		e.step(depth, domain, via, "%s: permerror", Words(err))
		return outcome{r: PermError, domain: domain, reason: fmt.Sprintf("the SPF record of %s: %s", domain, Words(err))}
	}
	e.step(depth, domain, via, "record %q", clip(txt, maxNote-20))
	e.prefetch(rec, domain)

	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.IsModifier() {
			continue
		}
		if t.CountsLookup() {
			e.lookups++
			if e.lookups > MaxDNSTerms {
				e.step(depth, domain, t.Text, "DNS-querying term number %d: permerror", e.lookups)
				return outcome{r: PermError, domain: domain, mech: t.Text,
					reason: fmt.Sprintf("more than %d DNS-querying terms (include, a, mx, ptr, exists, redirect); the limit was passed at %s in %s", MaxDNSTerms, clip(t.Text, maxTermText), domain)}
			}
		}
		ok, err := e.match(ctx, t, domain, depth)
		if err != nil {
			var ee *evalErr
			if !errors.As(err, &ee) {
				ee = perm("%s", Words(err))
			}
			e.step(depth, domain, t.Text, "%s", ee.Error())
			return outcome{r: ee.r, domain: domain, mech: t.Text, reason: ee.msg}
		}
		if !ok {
			e.step(depth, domain, t.Text, "no match")
			continue
		}
		r := t.Qual.Result()
		e.step(depth, domain, t.Text, "match: %s", r)
		o := outcome{r: r, mech: t.Text, domain: domain}
		if r == Fail {
			o.exp = e.explanation(ctx, rec, domain)
		}
		return o
	}
	if t := rec.RedirectTerm(); t != nil {
		e.lookups++
		if e.lookups > MaxDNSTerms {
			e.step(depth, domain, t.Text, "DNS-querying term number %d: permerror", e.lookups)
			return outcome{r: PermError, domain: domain, mech: t.Text,
				reason: fmt.Sprintf("more than %d DNS-querying terms; the limit was passed at %s in %s", MaxDNSTerms, clip(t.Text, maxTermText), domain)}
		}
		target, err := e.target(ctx, t, domain)
		if err != nil {
			return outcome{r: PermError, domain: domain, mech: t.Text, reason: Words(err)}
		}
		o := e.checkHost(ctx, target, depth+1, t.Text)
		if o.r == None {
			return outcome{r: PermError, domain: domain, mech: t.Text, reason: fmt.Sprintf("redirect target %s has no SPF record", target)}
		}
		return o
	}
	e.step(depth, domain, "", "no term matched: neutral")
	return outcome{r: Neutral, domain: domain, mech: "default"}
}

// target expands a term's domain-spec (or returns the current domain) and
// shortens it to 253 octets by dropping leading labels (RFC 7208 §7.3).
func (e *evaluation) target(ctx context.Context, t *Term, domain string) (string, error) {
	if t.Domain == "" {
		return domain, nil
	}
	s, err := e.expand(ctx, t.Domain, domain, false)
	if err != nil {
		return "", err
	}
	return truncateName(s), nil
}

func truncateName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s[len(s)-253:]
		}
		s = s[i+1:]
	}
	return s
}

func (e *evaluation) void(name string) error {
	e.voids++
	if e.voids > MaxVoid {
		return perm("more than %d void lookups (the last for %s)", MaxVoid, name)
	}
	return nil
}

func addrType(ip netip.Addr) uint16 {
	if ip.Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

// lookupTerm performs a mechanism's lookup; DNS failures are temperror.
func (e *evaluation) lookupTerm(ctx context.Context, name string, qt uint16) (*dnsq.Answer, error) {
	a, err := e.lookup(ctx, name, qt)
	if err != nil {
		if errors.Is(err, dnsq.ErrInvalidName) {
			return nil, nil
		}
		return nil, temp("%v", err) // names the question and says why
	}
	return a, nil
}

func (e *evaluation) match(ctx context.Context, t *Term, domain string, depth int) (bool, error) {
	ip := e.p.IP
	switch t.Mech {
	case MechAll:
		return true, nil
	case MechIP4, MechIP6:
		return t.Net.Contains(ip), nil
	}
	target, err := e.target(ctx, t, domain)
	if err != nil {
		return false, perm("%s", Words(err))
	}
	switch t.Mech {
	case MechInclude:
		o := e.checkHost(ctx, target, depth+1, t.Text)
		switch o.r {
		case Pass:
			return true, nil
		case Fail, SoftFail, Neutral:
			return false, nil
		case TempError:
			return false, &evalErr{TempError, o.reason}
		case None:
			return false, perm("include target %s has no SPF record", target)
		default:
			return false, &evalErr{PermError, o.reason}
		}
	case MechA:
		a, err := e.lookupTerm(ctx, target, addrType(ip))
		if err != nil {
			return false, err
		}
		if a == nil || a.Empty() {
			return false, e.void(target)
		}
		return matchAddrs(a.Addrs(), ip, t), nil
	case MechMX:
		a, err := e.lookupTerm(ctx, target, dns.TypeMX)
		if err != nil {
			return false, err
		}
		if a == nil || a.Empty() {
			return false, e.void(target)
		}
		mxs := a.MX()
		if len(mxs) > MaxNames {
			return false, perm("%s has %d MX records; at most %d may be looked up", target, len(mxs), MaxNames)
		}
		for _, mx := range mxs {
			h, err := e.lookupTerm(ctx, mx.Mx, addrType(ip))
			if err != nil {
				return false, err
			}
			if h != nil && matchAddrs(h.Addrs(), ip, t) {
				return true, nil
			}
		}
		return false, nil
	case MechPTR:
		names, void := e.validatedNames(ctx)
		if void {
			if err := e.void(reverseName(ip)); err != nil {
				return false, err
			}
		}
		for _, name := range names {
			if strings.EqualFold(name, target) || hasSuffixFold(name, "."+target) {
				return true, nil
			}
		}
		return false, nil
	case MechExists:
		a, err := e.lookupTerm(ctx, target, dns.TypeA)
		if err != nil {
			return false, err
		}
		if a == nil || a.Empty() {
			return false, e.void(target)
		}
		return true, nil
	}
	return false, nil
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func matchAddrs(addrs []netip.Addr, ip netip.Addr, t *Term) bool {
	bits := t.CIDR4
	if ip.Is6() {
		bits = t.CIDR6
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != ip.Is4() {
			continue
		}
		p, err := a.Prefix(bits)
		if err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// validatedNames returns the validated host names of the client IP (RFC
// 7208 §5.5): PTR names (the first 10) whose addresses include the IP. DNS
// errors skip a name; a failed PTR lookup yields none. void reports a PTR
// answer without records (a void lookup when a ptr term asked).
func (e *evaluation) validatedNames(ctx context.Context) (names []string, void bool) {
	// The client IP is fixed for the evaluation: look its names up once,
	// however many ptr terms and %{p} macros ask (a record of 16,000 %{p}
	// macros would otherwise cost 16,000 rounds of up to 11 lookups).
	if e.ptrDone {
		return e.ptrNames, e.ptrVoid
	}
	e.ptrDone = true
	e.ptrNames, e.ptrVoid = e.resolveNames(ctx)
	return e.ptrNames, e.ptrVoid
}

func (e *evaluation) resolveNames(ctx context.Context) (names []string, void bool) {
	a, err := e.lookup(ctx, reverseName(e.p.IP), dns.TypePTR)
	if err != nil {
		return nil, false
	}
	var ptrs []string
	for _, rr := range a.Records() {
		if ptr, ok := rr.(*dns.PTR); ok && len(ptrs) < MaxNames {
			ptrs = append(ptrs, ptr.Ptr)
		}
	}
	// The names are independent: look their addresses up concurrently, so
	// that ten slow names cost one wait, not ten. The order of the result
	// is the PTR answer's.
	type res struct {
		ans *dnsq.Answer
		err error
	}
	got := make([]res, len(ptrs))
	var wg sync.WaitGroup
	for i, p := range ptrs {
		wg.Go(func() {
			got[i].ans, got[i].err = e.c.Lookup(ctx, dnsName(p), addrType(e.p.IP))
		})
	}
	wg.Wait()
	var out []string
	for i, p := range ptrs {
		if got[i].err != nil {
			e.queries = append(e.queries, dnsq.QueriesOf(got[i].err)...)
			continue // a name whose addresses cannot be looked up is not validated
		}
		e.queries = append(e.queries, got[i].ans.Query)
		for _, addr := range got[i].ans.Addrs() {
			if addr.Unmap() == e.p.IP {
				out = append(out, strings.TrimSuffix(p, "."))
				break
			}
		}
	}
	return out, a.Empty()
}

// validatedName is the %{p} value: a validated name equal to domain, else
// one under domain, else any validated name, else "unknown".
func (e *evaluation) validatedName(ctx context.Context, domain string) string {
	names, _ := e.validatedNames(ctx)
	for _, n := range names {
		if strings.EqualFold(n, domain) {
			return n
		}
	}
	for _, n := range names {
		if hasSuffixFold(n, "."+domain) {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return "unknown"
}

// explanation computes the explanation of a fail (RFC 7208 §6.2); any
// problem with exp= falls back to the default explanation.
func (e *evaluation) explanation(ctx context.Context, rec *Record, domain string) string {
	def := func() string {
		if e.p.DefaultExplanation == "" {
			return ""
		}
		s, err := e.expand(ctx, e.p.DefaultExplanation, domain, true)
		if err != nil {
			return e.p.DefaultExplanation
		}
		return s
	}
	t := rec.ExpTerm()
	if t == nil {
		return def()
	}
	target, err := e.target(ctx, t, domain)
	if err != nil || !ValidDomain(target) {
		return def()
	}
	a, err := e.lookup(ctx, target, dns.TypeTXT)
	if err != nil {
		return def()
	}
	txts := a.TXT()
	if len(txts) != 1 {
		return def()
	}
	s, err := e.expand(ctx, JoinTXT(txts[0]), domain, true)
	if err != nil {
		return def()
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return def()
		}
	}
	return s
}

// prefetch starts lookups of the record's targets ahead of need, within
// the evaluation's budget. Results land in the client's cache; the
// evaluation reads them in order.
func (e *evaluation) prefetch(rec *Record, domain string) {
	if e.pfCtx == nil {
		return
	}
	ctx := e.pfCtx
	fam := addrType(e.p.IP)
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if !t.CountsLookup() || t.Mech == MechPTR {
			continue
		}
		target := domain
		if t.Domain != "" {
			if strings.IndexByte(t.Domain, '%') >= 0 {
				if strings.Contains(strings.ToLower(t.Domain), "%{p") {
					continue
				}
				s, err := e.expand(ctx, t.Domain, domain, false)
				if err != nil {
					continue
				}
				target = s
			} else {
				target = t.Domain
			}
		}
		target = truncateName(target)
		if !ValidDomain(target) {
			continue
		}
		if e.pfBudget.Add(-1) < 0 {
			return
		}
		mech := t.Mech
		e.pfWG.Go(func() {
			switch {
			case mech == MechInclude || mech == MechNone:
				txt, n, _, err := FetchRecord(ctx, e.c, dnsName(target))
				if err != nil || n != 1 {
					return
				}
				if r, err := Parse(txt); err == nil {
					e.prefetch(r, target)
				}
			case mech == MechA:
				_, _ = e.c.Lookup(ctx, dnsName(target), fam)
			case mech == MechExists:
				_, _ = e.c.Lookup(ctx, dnsName(target), dns.TypeA)
			case mech == MechMX:
				a, err := e.c.Lookup(ctx, dnsName(target), dns.TypeMX)
				if err != nil {
					return
				}
				mxs := a.MX()
				if len(mxs) > MaxNames {
					return
				}
				var wg sync.WaitGroup
				for _, mx := range mxs {
					wg.Go(func() {
						_, _ = e.c.Lookup(ctx, mx.Mx, fam)
					})
				}
				wg.Wait()
			}
		})
	}
}
