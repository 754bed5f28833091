package mtasts

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/tagval"
)

// ID is the check ID.
const ID = "mtasts"

// Check is the mtasts check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "MTA-STS policy" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "mtasts.missing", Severity: checks.SevInfo, Title: "No MTA-STS policy",
		Why: "Without MTA-STS (or DANE) senders fall back to plain text when an attacker strips STARTTLS, and do not validate your MX certificates.",
		Fix: "Serve a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt (start with `mode: testing`) and publish `_mta-sts.<domain>. IN TXT \"v=STSv1; id=<yyyymmddnn>\"`.",
		Ref: "RFC 8461"},
	{ID: "mtasts.txt-syntax", Severity: checks.SevFail, Title: "The _mta-sts TXT record is invalid",
		Why: "Senders ignore an invalid or duplicated _mta-sts record, so the policy is never applied or refreshed.",
		Fix: "Publish exactly one record: `_mta-sts.<domain>. IN TXT \"v=STSv1; id=<1-32 letters and digits>\"`.",
		Ref: "RFC 8461 §3.1"},
	{ID: "mtasts.policy-fetch-failed", Severity: checks.SevFail, Title: "The MTA-STS policy could not be fetched",
		Why: "Senders fetch the policy over HTTPS with a valid certificate, no redirects and text/plain; when that fails they apply no policy (or keep a stale cached one).",
		Fix: "Serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt with status 200, `Content-Type: text/plain`, a certificate valid for mta-sts.<domain>, and no redirect.",
		Ref: "RFC 8461 §3.3"},
	{ID: "mtasts.policy-syntax", Severity: checks.SevFail, Title: "The MTA-STS policy is invalid",
		Why: "Senders reject a policy that does not parse, so the domain has no MTA-STS protection.",
		Fix: "Serve a policy like `version: STSv1` / `mode: enforce` / `mx: mx1.example.com` / `max_age: 604800`, one field per line.",
		Ref: "RFC 8461 §3.2"},
	{ID: "mtasts.mx-mismatch", Severity: checks.SevFail, Title: "An MX host is not covered by the MTA-STS policy",
		SeverityNote: "warn when the policy is in testing mode: senders still deliver and only report the failure",
		Why:          "In enforce mode senders refuse to deliver to an MX that matches no mx pattern of the policy; in testing mode they report the failure.",
		Fix:          "Add an `mx:` line for the host (a `*.` wildcard matches exactly one label) and change the TXT id= so senders refetch the policy.",
		Ref:          "RFC 8461 §4.1"},
	{ID: "mtasts.mx-unused", Severity: checks.SevInfo, Title: "An mx pattern of the policy matches no MX host",
		Why: "A stale pattern is harmless but often reveals a migration half done.",
		Fix: "Remove the `mx:` line if the host no longer receives mail, and change the TXT id=.",
		Ref: "RFC 8461 §4.1"},
	{ID: "mtasts.mode-testing", Severity: checks.SevInfo, Title: "The MTA-STS policy is in testing mode",
		Why: "In testing mode senders deliver even when TLS or the MX check fails, and only report it (TLS-RPT).",
		Fix: "When TLS reports show no failures, change the policy to `mode: enforce` and update the TXT id=.",
		Ref: "RFC 8461 §5"},
	{ID: "mtasts.mode-none", Severity: checks.SevWarn, Title: "The MTA-STS policy mode is none",
		Why: "mode: none tells senders to forget the policy: the domain has no MTA-STS protection.",
		Fix: "Use `mode: testing` or `mode: enforce`, or remove MTA-STS deliberately.",
		Ref: "RFC 8461 §5"},
	{ID: "mtasts.max-age-short", Severity: checks.SevWarn, Title: "The MTA-STS max_age is under one day",
		Why: "Senders cache the policy for max_age seconds; a short cache lets an attacker who blocks the policy fetch strip TLS soon after. RFC 8461 suggests weeks.",
		Fix: "Set `max_age: 604800` (one week) or more.",
		Ref: "RFC 8461 §3.2"},
	{ID: "mtasts.dns-error", Severity: checks.SevError, Title: "The _mta-sts lookup, or the policy host's address lookup, failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the domain publishes MTA-STS, or could not reach the policy: a lookup that fails says nothing about whether the record or host exists.",
		Fix: "Check that the domain's name servers answer TXT queries for _mta-sts.<domain> and A/AAAA queries for mta-sts.<domain>."},
	{ID: "mtasts.policy-url-not-allowed", Severity: checks.SevError, Title: "mxray will not fetch the policy URL",
		Why: "mxray fetches only https URLs that name their host by a DNS name, on port 443, without a user name: never an IP address (in any spelling), another port, or user@host, which could reach services inside your network. The policy URL is always https://mta-sts.<domain>/.well-known/mta-sts.txt, so this happens only for a domain whose last label is a number, which no public domain has; the policy stays unknown, hence error rather than fail.",
		Fix: "Check the domain name given to mxray: a public domain ends in a top-level domain made of letters.",
		Ref: "RFC 8461 §3.3"},
}

// MXMatch is the policy coverage of one MX host.
type MXMatch struct {
	// Host is the MX host name.
	Host string `json:"host"`
	// Covered is true when an mx line of the policy matches it.
	Covered bool `json:"covered"`
	// Pattern is the mx line that matches; absent when none does.
	Pattern string `json:"pattern,omitempty"`
}

// Data is the check's JSON data.
type Data struct {
	// TXT is the _mta-sts TXT record, parsed; absent when there is none or several.
	TXT *TXT `json:"txt,omitempty"`
	// Records are every MTA-STS TXT record found (v=STSv1...); absent when none.
	Records []string `json:"records,omitempty"`
	// Fetch is the policy fetch; absent when no record asked for one.
	Fetch *FetchResult `json:"fetch,omitempty"`
	// Policy is the fetched policy, parsed; absent when none was fetched.
	Policy *Policy `json:"policy,omitempty"`
	// MX says which MX hosts the policy's mx lines cover; absent without a policy or MX hosts.
	MX []MXMatch `json:"mx,omitempty"`
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := t.Domain
	fact := &Fact{Domain: domain}
	// The fact is published once the outcome is known; when mxray could
	// not decide (a lookup failed), dependants learn why instead.
	undecided := false
	published := false
	publish := func() {
		if !published && !undecided {
			published = true
			FactKey.Publish(out, fact)
		}
	}
	defer publish()
	data := &Data{}
	defer out.SetData(data)

	name := "_mta-sts." + domain
	ans, err := env.DNS.Lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		undecided = true
		if ctx.Err() != nil {
			return ctx.Err() // cut short by the check's deadline: nothing about the domain
		}
		out.Add(checks.Finding{ID: "mtasts.dns-error", Subject: name, Evidence: checks.DNSEvidence(dnsq.QueriesOf(err)...),
			Message: fmt.Sprintf("%v; whether %s publishes MTA-STS is unknown", err, domain)})
		return nil
	}
	ev := checks.DNSEvidence(ans.Query)
	var sts []string
	lookalike := false
	for _, chunks := range ans.TXT() {
		txt := tagval.Join(chunks)
		data.Records = append(data.Records, tagval.Sanitize(txt))
		switch {
		case IsSTSRecord(txt):
			sts = append(sts, txt)
		case LooksLikeSTS(txt):
			lookalike = true
			out.Add(checks.Finding{ID: "mtasts.txt-syntax", Subject: name, Evidence: withRecords(ev, txt),
				Message: fmt.Sprintf("%s has a record that does not start with v=STSv1, so senders ignore it: %q", name, tagval.Clean(txt)),
				Fix:     txtFix(name)})
		}
	}
	switch {
	case len(sts) == 0:
		if !lookalike && nullMX(ctx, out) {
			out.Add(checks.Finding{ID: "mtasts.missing", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("%s publishes no MTA-STS record, and needs none: it publishes a null MX and receives no mail", domain),
				Fix:     "Nothing to do."})
		} else if !lookalike {
			out.Add(checks.Finding{ID: "mtasts.missing", Subject: domain, Evidence: ev,
				Message: fmt.Sprintf("%s publishes no MTA-STS record at %s", domain, name),
				Fix:     fmt.Sprintf("Serve a policy at %s (`version: STSv1`, `mode: testing`, one `mx:` line per MX host, `max_age: 604800`) and publish `%s. IN TXT \"v=STSv1; id=%s01\"`.", PolicyURL(domain), name, env.Clock().Format("20060102"))})
		}
		return nil
	case len(sts) > 1:
		out.Add(checks.Finding{ID: "mtasts.txt-syntax", Subject: name, Evidence: withRecords(ev, sts...),
			Message: fmt.Sprintf("%s has %d v=STSv1 records; senders treat the domain as having no MTA-STS policy", name, len(sts)),
			Fix:     fmt.Sprintf("Keep a single record: `%s. IN TXT \"v=STSv1; id=%s01\"`.", name, env.Clock().Format("20060102"))})
		return nil
	}
	txt := ParseTXT(sts[0])
	data.TXT = txt
	fact.TXT, fact.ID = true, txt.ID
	if len(txt.Problems) > 0 {
		msg := fmt.Sprintf("%s: %s", name, strings.Join(txt.Problems, "; "))
		if txt.Fatal {
			msg += "; senders ignore the record"
		}
		out.Add(checks.Finding{ID: "mtasts.txt-syntax", Subject: name, Evidence: withRecords(ev, sts[0]), Message: msg, Fix: txtFix(name)})
	}

	host := "mta-sts." + domain
	fr := &FetchResult{URL: PolicyURL(domain)}
	data.Fetch = fr
	if _, err := FetchableURL(fr.URL); err != nil {
		undecided = true
		fr.Reason, fr.Error = ReasonNotAllowed, err.Error()
		out.Add(checks.Finding{ID: "mtasts.policy-url-not-allowed", Subject: fr.URL, Host: host,
			Message: fmt.Sprintf("mxray did not fetch the policy at %s: %s", tagval.Clean(fr.URL), err)})
		return nil
	}
	var hostEv []dnsq.Query
	if _, err := checks.ResolveHost(ctx, env.DNS, host); err != nil {
		if ctx.Err() != nil {
			undecided = true
			return ctx.Err()
		}
		if les := LookupErrors(err); len(les) > 0 {
			// A timeout or SERVFAIL: the policy host may well exist.
			undecided = true
			fr.Reason, fr.Error = ExplainFetchError(err, host, env.Timeout())
			for _, le := range les {
				hostEv = append(hostEv, le.Queries...)
			}
			out.Add(checks.Finding{ID: "mtasts.dns-error", Subject: host, Host: host, Evidence: checks.DNSEvidence(append([]dnsq.Query{ans.Query}, hostEv...)...),
				Message: fmt.Sprintf("the address of the policy host is unknown, so the policy at %s could not be fetched: %s", fr.URL, fr.Error),
				Fix:     fmt.Sprintf("Check that the name servers of %s answer A and AAAA queries for %s.", domain, host)})
			return nil
		}
		fr.Reason, fr.Error = ExplainFetchError(err, host, env.Timeout())
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if a, err := env.DNS.Lookup(ctx, host, qt); err == nil {
				hostEv = append(hostEv, a.Query)
			}
		}
	} else {
		fr = fetch(ctx, env, fr.URL)
		data.Fetch = fr
		if fr.Reason != "" && ctx.Err() != nil {
			undecided = true
			return ctx.Err()
		}
	}
	if fr.Reason != "" {
		fev := checks.DNSEvidence(append([]dnsq.Query{ans.Query}, hostEv...)...)
		out.Add(checks.Finding{ID: "mtasts.policy-fetch-failed", Subject: fr.URL, Host: host, Evidence: fev,
			Message: fmt.Sprintf("fetching %s failed (%s): %s", fr.URL, fr.Reason, fr.Error),
			Fix:     fetchFix(fr, host)})
		return nil
	}
	pol := ParsePolicy(fr.Body)
	data.Policy = pol
	if len(pol.Problems) > 0 {
		msg := fmt.Sprintf("the policy at %s: %s", fr.URL, strings.Join(pol.Problems, "; "))
		if pol.Fatal {
			msg += "; senders reject the policy"
		}
		out.Add(checks.Finding{ID: "mtasts.policy-syntax", Subject: fr.URL, Host: host, Message: msg,
			Evidence: &checks.Evidence{Records: []string{tagval.Sanitize(firstN(fr.Body, 2048))}},
			Fix:      fmt.Sprintf("Serve at %s a policy of the form `version: STSv1` / `mode: enforce` / `mx: <each MX host>` / `max_age: 604800`, one field per line.", fr.URL)})
	}
	if pol.Fatal || txt.Fatal {
		return nil
	}
	fact.Mode, fact.MX, fact.MaxAge = pol.Mode, append([]string(nil), pol.MX...), pol.MaxAge
	publish()

	switch pol.Mode {
	case ModeTesting:
		out.Add(checks.Finding{ID: "mtasts.mode-testing", Subject: fr.URL, Host: host,
			Message: fmt.Sprintf("the MTA-STS policy of %s is in testing mode: senders report but still deliver when TLS fails", domain),
			Fix:     fmt.Sprintf("When TLS reports show no failures, serve `mode: enforce` at %s and change the id= of %s.", fr.URL, name)})
	case ModeNone:
		out.Add(checks.Finding{ID: "mtasts.mode-none", Subject: fr.URL, Host: host,
			Message: fmt.Sprintf("the MTA-STS policy of %s has mode none: senders drop any cached policy and apply none", domain),
			Fix:     fmt.Sprintf("Serve `mode: testing` (then `mode: enforce`) at %s and change the id= of %s.", fr.URL, name)})
	}
	if pol.MaxAge < 86400 {
		out.Add(checks.Finding{ID: "mtasts.max-age-short", Subject: fr.URL, Host: host,
			Message: fmt.Sprintf("max_age is %d seconds (under one day): senders refetch the policy often and forget it quickly", pol.MaxAge),
			Fix:     fmt.Sprintf("Serve `max_age: 604800` (one week) or more at %s and change the id= of %s.", fr.URL, name)})
	}
	if pol.Mode != ModeNone {
		return matchMX(ctx, out, data, fact, fr.URL, name)
	}
	return nil
}

// matchMX checks every MX host against the policy's patterns. Without the
// MX hosts (the mx check decided nothing) it returns the dependency error.
func matchMX(ctx context.Context, out *checks.Out, data *Data, fact *Fact, url, txtName string) error {
	mf, err := mx.Await(ctx, out)
	if err != nil {
		return err // the mx check reports its own failure
	}
	if len(mf.Hosts) == 0 {
		return nil // null MX or no MX: nothing to match
	}
	used := map[string]bool{}
	for _, h := range mf.Hosts {
		m := MXMatch{Host: h.Name}
		for _, p := range fact.MX {
			if MatchMX(p, h.Name) {
				m.Covered, m.Pattern = true, p
				used[p] = true
				break
			}
		}
		data.MX = append(data.MX, m)
		if !m.Covered {
			sev := checks.SevFail
			effect := "senders refuse to deliver to it"
			if fact.Mode == ModeTesting {
				sev, effect = checks.SevWarn, "senders report a failure for it (and would refuse it in enforce mode)"
			}
			out.Add(checks.Finding{ID: "mtasts.mx-mismatch", Severity: sev, Subject: h.Name, Host: h.Name,
				Message: fmt.Sprintf("MX host %s matches no mx pattern of the MTA-STS policy (%s): %s", h.Name, strings.Join(fact.MX, ", "), effect),
				Fix:     fmt.Sprintf("Add `mx: %s` to the policy at %s and change the id= of %s so senders refetch it.", h.Name, url, txtName)})
		}
	}
	for _, p := range fact.MX {
		if !used[p] && len(mf.Hosts) > 0 {
			out.Add(checks.Finding{ID: "mtasts.mx-unused", Subject: url, Host: policyHost(url),
				Message: fmt.Sprintf("the policy's mx pattern %s matches none of the MX hosts", p)})
		}
	}
	return nil
}

func txtFix(name string) string {
	return fmt.Sprintf("Publish exactly one record: `%s. IN TXT \"v=STSv1; id=<1-32 letters and digits, changed on each policy update>\"`.", name)
}

func fetchFix(fr *FetchResult, host string) string {
	switch fr.Reason {
	case ReasonDNS:
		return fmt.Sprintf("Publish an A/AAAA record for %s pointing at a web server that serves %s.", host, fr.URL)
	case ReasonTLS:
		return fmt.Sprintf("Install a certificate for %s from a public CA (it must cover that exact name) on the server.", host)
	case ReasonRedirect:
		return fmt.Sprintf("Serve the policy directly at %s with status 200; senders never follow redirects.", fr.URL)
	case ReasonContentType:
		return fmt.Sprintf("Serve %s with `Content-Type: text/plain`.", fr.URL)
	case ReasonSize:
		return "Serve only the policy fields; a policy is a few hundred bytes."
	case ReasonTimeout:
		return fmt.Sprintf("Make %s answer promptly on port 443; senders give up after a short timeout.", host)
	case ReasonStatus:
		return fmt.Sprintf("Serve the policy file at %s with status 200.", fr.URL)
	}
	return fmt.Sprintf("Make %s reachable on port 443 with a valid certificate and serve the policy at %s.", host, fr.URL)
}

func withRecords(ev *checks.Evidence, recs ...string) *checks.Evidence {
	out := &checks.Evidence{}
	if ev != nil {
		out.DNS = ev.DNS
	}
	for _, r := range recs {
		out.Records = append(out.Records, tagval.Sanitize(r))
	}
	return out
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// nullMX reports whether the mx check found a null MX (and no other host).
func nullMX(ctx context.Context, out *checks.Out) bool {
	f, err := mx.Await(ctx, out)
	return err == nil && f.Null && len(f.Hosts) == 0
}

// policyHost is the host of a policy URL ("" when it has none).
func policyHost(u string) string {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
