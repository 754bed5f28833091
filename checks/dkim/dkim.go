package dkim

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
const ID = "dkim"

// Check is the dkim check.
type Check struct{}

var (
	_ checks.Check     = Check{}
	_ checks.Validator = Check{}
)

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "DKIM keys" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID, spf.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "dkim.none-found", Severity: checks.SevWarn, Title: "No DKIM key found among the selectors probed",
		SeverityNote: "info when the domain sends and receives no mail (a null MX and SPF -all): it needs no key; info too under --dkim-probe provider or common (the default of check -f is provider): none among the few selectors probed proves nothing, while the full list of about 70 common selectors makes a key likely to have been found. A warning whatever the mode when _domainkey does not exist (NXDOMAIN), which proves that no key exists (RFC 8020). Reported only when every probe got a real answer (NXDOMAIN or no record); when probes or the _domainkey lookup failed, dkim.dns-error says so instead",
		Why:          "Gmail, Yahoo and Outlook require DKIM from bulk senders and DMARC needs an aligned signature or SPF. Selectors cannot be listed, so mxray can only guess common ones: the domain may still sign with another selector.",
		Fix:          "Pass the selector you sign with (the s= tag of the DKIM-Signature header in a message you sent) with `--selector`; if the domain does not sign mail, set up DKIM with a 2048-bit key.",
		Ref:          "RFC 6376 §3.6.2.1"},
	{ID: "dkim.selector-missing", Severity: checks.SevFail, Title: "A selector given with --selector has no DKIM key record",
		Why: "Receivers look the key up at <selector>._domainkey.<domain>; without a record every signature with this selector fails.",
		Fix: "Publish the key: `<selector>._domainkey.<domain>. IN TXT \"v=DKIM1; k=rsa; p=<base64 public key>\"`.",
		Ref: "RFC 6376 §3.6.2"},
	{ID: "dkim.syntax", Severity: checks.SevFail, Title: "A DKIM key record is malformed",
		Why: "Verifiers that cannot parse the key record treat every signature with the selector as failed (permerror).",
		Fix: "Republish the record as `v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>` with no other changes.",
		Ref: "RFC 6376 §3.6.1"},
	{ID: "dkim.key-too-short", Severity: checks.SevFail, Title: "A DKIM RSA key is shorter than 1024 bits",
		Why: "RFC 8301 forbids verifying with keys under 1024 bits and Gmail requires at least 1024: signatures with this key count as failed.",
		Fix: "Generate a 2048-bit RSA key, publish it under a new selector and switch signing to it.",
		Ref: "RFC 8301 §3.2"},
	{ID: "dkim.key-weak", Severity: checks.SevWarn, Title: "A DKIM RSA key is shorter than 2048 bits",
		Why: "1024-bit RSA keys are accepted today but are considered weak; RFC 8301 says signers should use at least 2048 bits.",
		Fix: "Generate a 2048-bit RSA key, publish it under a new selector, switch signing to it, then revoke the old key (empty p=).",
		Ref: "RFC 8301 §3.2"},
	{ID: "dkim.key-too-large", Severity: checks.SevWarn, Title: "A DKIM RSA key is longer than 4096 bits",
		Why: "RFC 8301 requires verifiers to handle RSA keys of 1024 to 4096 bits only; many cannot use larger keys and treat the signatures as failed (permerror), and such keys need several TXT strings that some DNS tools mangle.",
		Fix: "Generate a 2048-bit RSA key (or 3072 or 4096 bits at most), publish it under a new selector, switch signing to it, then revoke the old key (empty p=).",
		Ref: "RFC 8301 §3.2"},
	{ID: "dkim.key-revoked", Severity: checks.SevInfo, Title: "A DKIM key has been revoked (empty p=)",
		Why: "An empty p= tells verifiers that the key is withdrawn: signatures with this selector fail. That is right for a retired key.",
		Fix: "Nothing to do if the selector is retired; make sure no system still signs with it.",
		Ref: "RFC 6376 §3.6.1"},
	{ID: "dkim.testing", Severity: checks.SevWarn, Title: "A DKIM key is in test mode (t=y)",
		Why: "With t=y verifiers may treat a failing signature as if unsigned; keys are often left in test mode by mistake.",
		Fix: "Remove `t=y` from the key record once signing works.",
		Ref: "RFC 6376 §3.6.1"},
	{ID: "dkim.sha1", Severity: checks.SevWarn, Title: "A DKIM key allows only SHA-1 signatures (h=sha1)",
		Why: "RFC 8301 forbids rsa-sha1: verifiers fail such signatures.",
		Fix: "Remove the h= tag (or set h=sha256) and sign with rsa-sha256.",
		Ref: "RFC 8301 §3.1"},
	{ID: "dkim.cname-dangling", Severity: checks.SevFail, Title: "A DKIM selector is a CNAME to a name that does not exist",
		Why: "The key lookup ends in NXDOMAIN, so signatures fail; a dangling CNAME to a third-party domain can also be taken over by whoever registers the target.",
		Fix: "Delete the CNAME, or point it at the key your mail provider publishes now.",
		Ref: "RFC 6376 §3.6.2"},
	{ID: "dkim.obsolete-tag", Severity: checks.SevInfo, Title: "A DKIM key record uses the g= tag removed by RFC 6376",
		Why: "g= (key granularity) was removed from DKIM; some old verifiers still apply it and fail signatures whose i= does not match.",
		Fix: "Remove the g= tag from the key record.",
		Ref: "RFC 6376 §C.1"},
	{ID: "dkim.wildcard", Severity: checks.SevInfo, Title: "Every selector resolves: the zone has a wildcard under _domainkey",
		Why: "A wildcard answers any selector with the same record, so selector discovery cannot tell which selectors are in use.",
		Fix: "Remove the wildcard `*._domainkey` record and publish each selector by name.",
		Ref: "RFC 4592"},
	{ID: "dkim.dns-error", Severity: checks.SevError, Title: "A DKIM key lookup failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the key exists; receivers that hit the same failure treat signatures as a temporary error.",
		Fix: "Check that the domain's name servers answer TXT queries under _domainkey over UDP and TCP, and that DNSSEC validates."},
}

// Selector is the outcome for one selector.
type Selector struct {
	// Selector is the selector name.
	Selector string `json:"selector"`
	// Name is the DNS name asked: <selector>._domainkey.<domain>.
	Name   string `json:"name"`
	Source string `json:"source"` // "flag" (--selector) or "discovered"
	// Found is true when a DKIM key record exists at Name.
	Found bool `json:"found"`
	// CNAME is the alias chain when Name is a CNAME; absent otherwise.
	CNAME []string `json:"cname,omitempty"`
	// Records are the TXT records at Name; absent when none.
	Records []string `json:"records,omitempty"`
	// Key is the parsed key record; absent when none was found.
	Key *Key `json:"key,omitempty"`
	// Error says in plain words why the lookup failed; absent when it did not.
	Error string `json:"error,omitempty"`

	nx      bool
	invalid bool // the name is not a valid domain name: nothing can exist there
	queries []dnsq.Query
	err     error
}

// Data is the check's JSON data.
type Data struct {
	// DomainkeyNXDOMAIN is set when _domainkey.<domain> does not exist, so
	// no selector can exist (RFC 8020) and probing stopped.
	DomainkeyNXDOMAIN bool `json:"domainkey_nxdomain"`
	// Probed are the common selector names mxray tried (not those given with --selector), in the order tried; [] when none were.
	Probed []string `json:"probed"`
	// Wildcard is present (true) when a selector name that cannot exist answered: the zone has a wildcard, so discovered keys prove nothing.
	Wildcard bool `json:"wildcard,omitempty"`
	// Selectors are the selectors given with --selector and those probed, each with its outcome; [] when none.
	Selectors []Selector `json:"selectors"`
	// Mode is the --dkim-probe mode that chose the selectors to guess.
	Mode checks.DKIMProbe `json:"mode"`
	// Providers are the mail providers that the domain's SPF includes and MX hosts name, each with the records that name it; absent when none is recognised.
	Providers []Provider `json:"providers,omitempty"`
	// Probes are the selectors asked (those given with --selector too), in the order asked, each with why it was asked; [] when none.
	Probes []Probe `json:"probes"`
}

// Provider is a mail provider that the domain's own records name.
type Provider struct {
	// Name is the provider's name.
	Name string `json:"name"`
	// Selectors are the selectors the provider signs with, probed because of it; absent when they cannot be guessed (Note says why).
	Selectors []string `json:"selectors,omitempty"`
	// Named are the records that name the provider.
	Named []Naming `json:"named_by"`
	// Note says what to know about the provider's selectors; absent when nothing.
	Note string `json:"note,omitempty"`
}

// Naming is one record that names a provider.
type Naming struct {
	// Via says which record: an SPF include (or redirect) or an MX host.
	Via Via `json:"via"`
	// Name is the include domain or the MX host.
	Name string `json:"name"`
}

// Reason says why a selector was probed.
type Reason string

// The reasons a selector is probed.
const (
	ReasonUser     Reason = "user"     // given with --selector
	ReasonProvider Reason = "provider" // a provider named by the domain's records signs with it (Probe.Providers says which)
	ReasonCommon   Reason = "common"   // one of the generic selectors of --dkim-probe common
	ReasonFull     Reason = "full"     // on the built-in list of --dkim-probe full
)

// Probe is one selector asked and why.
type Probe struct {
	// Selector is the selector name.
	Selector string `json:"selector"`
	// Reasons say why it was asked, in the order they became known.
	Reasons []Reason `json:"reasons"`
	// Providers are the providers it was inferred from (reason provider); absent otherwise.
	Providers []string `json:"providers,omitempty"`
}

// Validate implements checks.Validator: --dkim-probe names a mode.
func (Check) Validate(opts checks.Options) error {
	switch opts.DKIMProbe {
	case "", checks.DKIMProbeFull, checks.DKIMProbeCommon, checks.DKIMProbeProvider, checks.DKIMProbeOff:
		return nil
	}
	return fmt.Errorf("--dkim-probe %q: want provider, common, full or off", string(opts.DKIMProbe))
}

// probeMode returns the mode of opts, full when unset.
func probeMode(opts checks.Options) checks.DKIMProbe {
	if opts.DKIMProbe == "" {
		return checks.DKIMProbeFull
	}
	return opts.DKIMProbe
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := t.Domain
	mode := probeMode(env.Opts)
	if mode == checks.DKIMProbeOff && len(t.Selectors) == 0 {
		return checks.NotApplicable("selector discovery is off (--dkim-probe off) and no selector was given with --selector")
	}
	data := Data{Probed: []string{}, Selectors: []Selector{}, Mode: mode, Probes: []Probe{}}
	defer func() {
		if ctx.Err() == nil { // lookups cut short tell nothing about the domain
			out.SetData(&data)
			FactKey.Publish(out, &data)
		}
	}()

	var explicit []Selector
	seen := map[string]bool{}
	for _, s := range t.Selectors {
		s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		explicit = append(explicit, Selector{Selector: s, Name: s + "._domainkey." + domain, Source: "flag"})
	}

	// The providers the domain's SPF and MX records name are inferred
	// while _domainkey is asked: both facts arrive about when it answers.
	hctx, stopHints := context.WithCancel(ctx)
	defer stopHints()
	hints := noHints
	if mode != checks.DKIMProbeOff {
		hints = infer(hctx, env, out)
	}

	node := "_domainkey." + domain
	nodeAns, nodeErr := env.DNS.Lookup(ctx, node, dns.TypeTXT)
	var nodeEv []dnsq.Query
	if nodeErr != nil {
		if ctx.Err() != nil {
			return ctx.Err() // cut short by the check's deadline: the Runner says so
		}
		nodeEv = dnsq.QueriesOf(nodeErr)
		out.Add(checks.Finding{ID: "dkim.dns-error", Subject: node, Evidence: checks.DNSEvidence(nodeEv...),
			Message: fmt.Sprintf("%v; probing the selectors anyway", nodeErr)})
	} else {
		nodeEv = []dnsq.Query{nodeAns.Query}
		data.DomainkeyNXDOMAIN = nodeAns.NXDomain()
	}

	if data.DomainkeyNXDOMAIN {
		// RFC 8020: nothing exists below an NXDOMAIN name. Ask nothing more.
		stopHints()
		ev := checks.DNSEvidence(nodeEv...)
		for _, s := range explicit {
			data.Selectors = append(data.Selectors, s)
			out.Add(checks.Finding{ID: "dkim.selector-missing", Subject: s.Name, Evidence: ev,
				Message: fmt.Sprintf("selector %s has no key: %s does not exist (NXDOMAIN), so no selector under it can (RFC 8020)", s.Selector, node),
				Fix:     keyFix(s.Name)})
		}
		if len(explicit) == 0 {
			out.Add(noneFound(ctx, out, domain, checks.Finding{ID: "dkim.none-found", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("%s does not exist (NXDOMAIN), so %s publishes no DKIM key under any selector (RFC 8020); no selectors were probed", node, domain),
				Fix:     fmt.Sprintf("Set up DKIM signing with a 2048-bit key and publish `<selector>._domainkey.%s. IN TXT \"v=DKIM1; k=rsa; p=<base64 key>\"`; if you believe a key exists, check with `mxray check %s --selector <selector>`.", domain, domain)}))
		}
		return nil
	}

	pr := newProber(ctx, env, domain)
	for _, s := range explicit {
		pr.ask(s.Selector, ReasonUser, "")
	}
	switch mode {
	case checks.DKIMProbeFull:
		for _, s := range commonSelectors {
			pr.ask(s, ReasonFull, "")
		}
	case checks.DKIMProbeCommon:
		for _, s := range commonProbe {
			pr.ask(s, ReasonCommon, "")
		}
	}
	provs := map[string]int{} // name -> index in data.Providers
	for h := range hints {
		i, ok := provs[h.p.Name]
		if !ok {
			i = len(data.Providers)
			provs[h.p.Name] = i
			data.Providers = append(data.Providers, Provider{Name: h.p.Name, Selectors: h.p.Selectors, Note: h.p.Note})
		}
		pv := &data.Providers[i]
		if n := (Naming{Via: h.via, Name: h.evidence}); len(pv.Named) < 8 && !slices.Contains(pv.Named, n) {
			pv.Named = append(pv.Named, n)
		}
		for _, s := range h.p.Selectors {
			pr.ask(s, ReasonProvider, h.p.Name)
		}
	}
	probes, wild := pr.wait()
	if ctx.Err() != nil {
		// Probes were cut short by the check's deadline or an
		// interruption: nothing can be concluded, and the Runner says why.
		return ctx.Err()
	}
	for _, p := range pr.order {
		data.Probes = append(data.Probes, *p.probe)
		if p.sel.Source == "discovered" {
			data.Probed = append(data.Probed, p.sel.Selector)
		}
	}
	newSel := "s" + env.Clock().Format("200601")

	wildRec := ""
	revokedAll := false
	if wild != nil && wild.Found && len(wild.Records) > 0 {
		data.Wildcard = true
		wildRec = strings.Join(wild.Records, "\n")
		msg := fmt.Sprintf("%s, a selector nobody uses, has a key record: a wildcard answers every selector, so discovered selectors are not reported", wild.Name)
		fix := fmt.Sprintf("Remove the wildcard record `*._domainkey.%s` and publish each selector by name.", domain)
		if wild.Key != nil && wild.Key.Revoked {
			revokedAll = true
			msg = fmt.Sprintf("a wildcard under _domainkey.%s revokes every selector (empty p=): the usual practice for a domain that sends no mail, so no signature can verify", domain)
			fix = "Nothing to do if the domain sends no mail; otherwise publish each signing selector by name (it takes precedence over the wildcard)."
		}
		out.Add(checks.Finding{ID: "dkim.wildcard", Subject: "*._domainkey." + domain, Evidence: withRecords(checks.DNSEvidence(wild.queries...), wild.Records...),
			Message: msg, Fix: fix})
	}

	found := 0
	var failed []*Selector // discovered probes whose lookup failed
	for _, s := range probes {
		if s.Source == "discovered" && data.Wildcard && strings.Join(s.Records, "\n") == wildRec {
			continue
		}
		if s.Source == "discovered" && s.err != nil {
			if !s.invalid {
				failed = append(failed, s)
			}
			continue
		}
		if s.Source == "flag" || s.Found || s.err != nil || (len(s.CNAME) > 0 && s.nx) {
			data.Selectors = append(data.Selectors, *s)
		}
		if s.Found {
			found++
		}
		report(out, domain, newSel, s)
	}
	// A _domainkey lookup that failed decides nothing either: it is
	// reported as dkim.dns-error, never as "none found".
	undecided := found == 0 && len(explicit) == 0 && !revokedAll && nodeErr == nil
	if len(failed) > 0 {
		// One finding for all failed guesses: a server that fails every
		// name under _domainkey would otherwise produce dozens.
		var names []string
		var qs []dnsq.Query
		var errs []error
		for i, s := range failed {
			names = append(names, s.Selector)
			if i < 3 {
				qs = append(qs, s.queries...)
			}
			errs = append(errs, s.err)
			data.Selectors = append(data.Selectors, *s)
		}
		msg := fmt.Sprintf("%d of %d selector probes failed (%s): %s", len(failed), len(data.Probed), listN(names, 8), reasons(errs))
		if undecided {
			// A failed lookup is not an absent key: the key may be at one
			// of the failed selectors, so dkim.none-found would be a guess.
			msg += fmt.Sprintf("; no key was found at the %d that answered, so whether %s publishes a DKIM key is not decided", len(data.Probed)-len(failed), domain)
		}
		out.Add(checks.Finding{ID: "dkim.dns-error", Subject: "_domainkey." + domain, Evidence: checks.DNSEvidence(qs...), Message: msg})
	}
	if undecided && len(failed) == 0 {
		out.Add(noneFound(ctx, out, domain, noneFoundProbed(domain, &data, nodeEv)))
	}
	sort.SliceStable(data.Selectors, func(i, j int) bool {
		a, b := data.Selectors[i], data.Selectors[j]
		if a.Source != b.Source {
			return a.Source == "flag"
		}
		return a.Selector < b.Selector
	})
	return nil
}

// noneFoundProbed is dkim.none-found when _domainkey exists and no probed
// selector has a key. Only the full list makes it a warning: a narrower
// guess finding nothing proves nothing (an info, "none among the probed
// selectors").
func noneFoundProbed(domain string, d *Data, nodeEv []dnsq.Query) checks.Finding {
	f := checks.Finding{ID: "dkim.none-found", Subject: domain, Evidence: checks.DNSEvidence(nodeEv...),
		Fix: fmt.Sprintf("If %s signs mail, find the selector in the s= tag of the DKIM-Signature header of a message it sent and run `mxray check %s --selector <selector>`; otherwise set up DKIM signing with a 2048-bit key and publish `<selector>._domainkey.%s. IN TXT \"v=DKIM1; k=rsa; p=<base64 key>\"`.", domain, domain, domain)}
	if d.Mode == checks.DKIMProbeFull {
		f.Message = fmt.Sprintf("no DKIM key found for %s among %d common selectors probed (%s): each answered NXDOMAIN or no key record", domain, len(d.Probed), listN(d.Probed, 12))
		return f
	}
	f.Severity = checks.SevInfo
	var notes []string
	for _, p := range d.Providers {
		if len(p.Selectors) == 0 && p.Note != "" {
			notes = append(notes, p.Note)
		}
	}
	switch {
	case len(d.Probed) == 0 && len(d.Providers) > 0:
		f.Message = fmt.Sprintf("no selector was probed (--dkim-probe %s): the mail providers that the SPF and MX records of %s name have no selectors that can be guessed, so whether it publishes a DKIM key is not known", d.Mode, domain)
	case len(d.Probed) == 0:
		f.Message = fmt.Sprintf("no selector was probed (--dkim-probe %s): the SPF and MX records of %s name no mail provider whose selectors are known, so whether it publishes a DKIM key is not known", d.Mode, domain)
	case len(d.Probed) == 1:
		f.Message = fmt.Sprintf("no DKIM key found for %s at selector %s, the only one probed (--dkim-probe %s): none among the probed selectors, which does not prove that there is no key", domain, d.Probed[0], d.Mode)
	default:
		f.Message = fmt.Sprintf("no DKIM key found for %s among the %d selectors probed (%s; --dkim-probe %s): none among the probed selectors, which does not prove that there is no key", domain, len(d.Probed), listN(d.Probed, 12), d.Mode)
	}
	if len(notes) > 0 {
		f.Message += "; " + strings.Join(notes, "; ")
	}
	f.Fix = fmt.Sprintf("Pass the selector from the s= tag of the DKIM-Signature header of a message %s sent with `--selector <selector>`, or guess more widely with `--dkim-probe full`.", domain)
	return f
}

// noneFound returns f, the dkim.none-found finding, as a note (info) when
// the domain sends and receives no mail: it publishes a null MX and an SPF
// policy that authorises no sender, so it signs nothing and needs no key.
// It awaits the mx and spf facts; when either check decided nothing, f
// stands as it is.
func noneFound(ctx context.Context, out *checks.Out, domain string, f checks.Finding) checks.Finding {
	mf, err := mx.FactKey.Await(ctx, out)
	if err != nil || !mf.Null || len(mf.Hosts) > 0 {
		return f
	}
	sf, err := spf.FactKey.Await(ctx, out)
	if err != nil || !sf.NoSenders {
		return f
	}
	f.Severity = checks.SevInfo
	f.Message += fmt.Sprintf("; %s sends and receives no mail (null MX, SPF %q), so it needs none", domain, sf.Record)
	f.Fix = fmt.Sprintf("Nothing to do: a domain that sends no mail signs nothing. To say so to verifiers as well, publish `*._domainkey.%s. IN TXT \"v=DKIM1; p=\"` (an empty key revokes every selector).", domain)
	return f
}

// reasons says in plain words why lookups failed: the lookup's own text
// when there is one, else each distinct reason once.
func reasons(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	var out []string
	for _, err := range errs {
		r := dnsq.Describe(err)
		var le *dnsq.LookupError
		if errors.As(err, &le) {
			r = dnsq.Describe(le.Err)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

// probe looks one selector up.
func probe(ctx context.Context, env *checks.Env, s *Selector) {
	if _, err := dnsq.CheckName(s.Name); err != nil {
		// No key can exist at a name DNS cannot hold.
		s.err, s.Error, s.invalid = err, s.Name+": "+dnsq.Describe(err), true
		return
	}
	ans, err := env.DNS.Lookup(ctx, s.Name, dns.TypeTXT)
	if err != nil {
		s.err, s.Error = err, err.Error()
		s.queries = dnsq.QueriesOf(err)
		return
	}
	s.queries = []dnsq.Query{ans.Query}
	s.nx = ans.NXDomain()
	for _, c := range ans.CNAMEs() {
		s.CNAME = append(s.CNAME, strings.TrimSuffix(c, "."))
	}
	for _, chunks := range ans.TXT() {
		txt := tagval.Join(chunks)
		if IsKeyRecord(txt) {
			s.Records = append(s.Records, txt)
		}
	}
	if len(s.Records) > 0 {
		s.Found = true
		s.Key = ParseKey(s.Records[0])
	}
}

// report adds the findings for one selector; newSel is the name proposed
// for a replacement key's selector.
func report(out *checks.Out, domain, newSel string, s *Selector) {
	ev := checks.DNSEvidence(s.queries...)
	switch {
	case s.err != nil:
		if s.invalid && s.Source == "flag" {
			out.Add(checks.Finding{ID: "dkim.selector-missing", Subject: s.Name,
				Message: fmt.Sprintf("selector %s cannot have a key: %s", s.Selector, s.Error),
				Fix:     "Pass the selector exactly as it appears in the s= tag of the DKIM-Signature header."})
			return
		}
		if s.Source != "flag" {
			return // guessed names are reported together by Run
		}
		out.Add(checks.Finding{ID: "dkim.dns-error", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("lookup of DKIM selector %s failed: %v", s.Selector, s.err)})
		return
	case len(s.CNAME) > 0 && s.nx:
		target := s.CNAME[len(s.CNAME)-1]
		out.Add(checks.Finding{ID: "dkim.cname-dangling", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("DKIM selector %s is a CNAME to %s, which does not exist (NXDOMAIN)", s.Name, target),
			Fix:     fmt.Sprintf("Delete `%s. IN CNAME %s.` or point it at the key record your mail provider publishes now.", s.Name, target)})
		return
	case !s.Found:
		if s.Source == "flag" {
			out.Add(checks.Finding{ID: "dkim.selector-missing", Subject: s.Name, Evidence: ev,
				Message: fmt.Sprintf("selector %s has no DKIM key record at %s", s.Selector, s.Name),
				Fix:     keyFix(s.Name)})
		}
		return
	}
	k := s.Key
	ev = withRecords(ev, s.Records...)
	if len(s.Records) > 1 {
		out.Add(checks.Finding{ID: "dkim.syntax", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("%s has %d DKIM key records; verifiers use one of them at random", s.Name, len(s.Records)),
			Fix:     fmt.Sprintf("Keep a single key record at %s (publish a new key under a new selector instead of next to the old one).", s.Name)})
	}
	if len(k.Problems) > 0 {
		var texts []string
		fatal := false
		for _, p := range k.Problems {
			texts = append(texts, p.Text)
			fatal = fatal || p.Fatal
		}
		msg := fmt.Sprintf("key record at %s: %s", s.Name, strings.Join(texts, "; "))
		if fatal {
			msg += "; verifiers cannot use this key"
		}
		out.Add(checks.Finding{ID: "dkim.syntax", Subject: s.Name, Evidence: ev, Message: msg,
			Fix: fmt.Sprintf("Republish the key as `%s. IN TXT \"v=DKIM1; k=%s; p=<base64 public key>\"`.", s.Name, safeKeyType(k.KeyType))})
	}
	if k.Revoked {
		out.Add(checks.Finding{ID: "dkim.key-revoked", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("the key of selector %s is revoked (empty p=): signatures with it fail", s.Selector)})
		return
	}
	if k.KeyType == "rsa" && k.Bits > 0 {
		switch {
		case k.Bits < 1024:
			out.Add(checks.Finding{ID: "dkim.key-too-short", Subject: s.Name, Evidence: ev,
				Message: fmt.Sprintf("selector %s has a %d-bit RSA key; verifiers reject keys under 1024 bits", s.Selector, k.Bits),
				Fix:     rotateFix(domain, s.Selector, newSel)})
		case k.Bits < 2048:
			out.Add(checks.Finding{ID: "dkim.key-weak", Subject: s.Name, Evidence: ev,
				Message: fmt.Sprintf("selector %s has a %d-bit RSA key; 2048 bits is the recommended minimum", s.Selector, k.Bits),
				Fix:     rotateFix(domain, s.Selector, newSel)})
		case k.Bits > 4096:
			out.Add(checks.Finding{ID: "dkim.key-too-large", Subject: s.Name, Evidence: ev,
				Message: fmt.Sprintf("selector %s has a %d-bit RSA key; RFC 8301 asks verifiers to handle only 1024 to 4096 bits, and many fail signatures made with larger keys", s.Selector, k.Bits),
				Fix:     rotateFix(domain, s.Selector, newSel)})
		}
	}
	if k.Testing() {
		out.Add(checks.Finding{ID: "dkim.testing", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("selector %s is in test mode (t=y): verifiers may ignore failures of its signatures", s.Selector),
			Fix:     fmt.Sprintf("Remove t=y from the record at %s once signing works.", s.Name)})
	}
	if k.SHA1Only() {
		out.Add(checks.Finding{ID: "dkim.sha1", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("selector %s allows only %s signatures (h=%s); verifiers reject rsa-sha1 (RFC 8301)", s.Selector, strings.Join(k.Hashes, ":"), strings.Join(k.Hashes, ":")),
			Fix:     fmt.Sprintf("Remove h= from the record at %s (or set h=sha256) and sign with rsa-sha256.", s.Name)})
	}
	if k.Granularity != nil {
		out.Add(checks.Finding{ID: "dkim.obsolete-tag", Subject: s.Name, Evidence: ev,
			Message: fmt.Sprintf("selector %s has g=%s, a tag RFC 6376 removed; old verifiers may fail signatures whose i= does not match it", s.Selector, tagval.Clean(*k.Granularity)),
			Fix:     fmt.Sprintf("Remove the g= tag from the key record at %s.", s.Name)})
	}
}

func safeKeyType(k string) string {
	if k == "ed25519" {
		return k
	}
	return "rsa"
}

func keyFix(name string) string {
	return fmt.Sprintf("Publish the public key of this selector: `%s. IN TXT \"v=DKIM1; k=rsa; p=<base64 public key>\"` (your mail provider shows the exact record), or pass the selector you really sign with.", name)
}

func rotateFix(domain, sel, newSel string) string {
	if newSel == sel {
		newSel += "b"
	}
	return fmt.Sprintf("Generate a 2048-bit key (`openssl genrsa -out dkim.key 2048`), publish its public half under a new selector, e.g. `%s._domainkey.%s. IN TXT \"v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>\"`, switch signing to %s, then revoke %s with an empty p=.", newSel, domain, newSel, sel)
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

// prober asks selectors as they become known, each at once in its own
// goroutine: the DNS client's in-flight bound is the only limit, so the
// check's wall time follows its dependency depth (_domainkey, then the
// guesses), not waves of a per-check cap. The number of selectors is
// bounded by the built-in lists, the provider table and --selector.
type prober struct {
	ctx    context.Context
	env    *checks.Env
	domain string
	wg     sync.WaitGroup
	byName map[string]*probed
	order  []*probed
	wild   *Selector // the wildcard probe, asked with the first guess
}

// probed is one selector asked and why.
type probed struct {
	sel   *Selector
	probe *Probe
}

func newProber(ctx context.Context, env *checks.Env, domain string) *prober {
	return &prober{ctx: ctx, env: env, domain: domain, byName: map[string]*probed{}}
}

// ask probes selector s for reason r (from provider prov, for
// ReasonProvider), or adds the reason when s is already asked.
func (p *prober) ask(s string, r Reason, prov string) {
	if e, ok := p.byName[s]; ok {
		if !slices.Contains(e.probe.Reasons, r) {
			e.probe.Reasons = append(e.probe.Reasons, r)
		}
		if prov != "" && !slices.Contains(e.probe.Providers, prov) {
			e.probe.Providers = append(e.probe.Providers, prov)
		}
		return
	}
	src := "discovered"
	if r == ReasonUser {
		src = "flag"
	} else if p.wild == nil {
		p.wild = p.start(wildcardProbe, "wildcard-probe")
	}
	e := &probed{sel: p.start(s, src), probe: &Probe{Selector: s, Reasons: []Reason{r}}}
	if prov != "" {
		e.probe.Providers = []string{prov}
	}
	p.byName[s] = e
	p.order = append(p.order, e)
}

func (p *prober) start(s, src string) *Selector {
	sel := &Selector{Selector: s, Name: s + "._domainkey." + p.domain, Source: src}
	p.wg.Go(func() { probe(p.ctx, p.env, sel) })
	return sel
}

// wait waits for every probe and returns them in the order asked, and the
// wildcard probe (nil when nothing was guessed).
func (p *prober) wait() ([]*Selector, *Selector) {
	p.wg.Wait()
	out := make([]*Selector, len(p.order))
	for i, e := range p.order {
		out[i] = e.sel
	}
	return out, p.wild
}
