package bimi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/tagval"
)

// ID is the check ID.
const ID = "bimi"

// Check is the bimi check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "BIMI brand logo" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{dmarc.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

const ref = "draft-brand-indicators-for-message-identification"

var defs = []checks.Def{
	{ID: "bimi.missing", Severity: checks.SevInfo, Title: "No BIMI record",
		Why: "BIMI lets mailbox providers show your logo next to authenticated mail. It is optional.",
		Fix: "Publish `default._bimi.<domain>. IN TXT \"v=BIMI1; l=https://<domain>/logo.svg; a=https://<domain>/vmc.pem\"` once DMARC is at p=quarantine or p=reject.",
		Ref: ref},
	{ID: "bimi.syntax", Severity: checks.SevFail, Title: "The BIMI record is invalid",
		Why: "Mailbox providers ignore an invalid BIMI record and show no logo.",
		Fix: "Publish `default._bimi.<domain>. IN TXT \"v=BIMI1; l=https://<domain>/logo.svg; a=https://<domain>/vmc.pem\"` (HTTPS URLs, v=BIMI1 first).",
		Ref: ref},
	{ID: "bimi.dmarc-not-enforced", Severity: checks.SevWarn, Title: "BIMI needs DMARC enforcement, which the domain lacks",
		Why: "Mailbox providers show a BIMI logo only when DMARC is at p=quarantine or p=reject for all mail (pct=100, no t=y).",
		Fix: "Move DMARC to `p=quarantine` or `p=reject` without pct= or t=y.",
		Ref: ref},
	{ID: "bimi.logo-fetch-failed", Severity: checks.SevWarn, Title: "The BIMI logo could not be fetched",
		Why: "Mailbox providers fetch the logo over HTTPS with a valid certificate; if that fails they show no logo.",
		Fix: "Serve the SVG at the l= URL over HTTPS with a publicly trusted certificate, status 200 and `Content-Type: image/svg+xml`.",
		Ref: ref},
	{ID: "bimi.logo-not-tiny-ps", Severity: checks.SevWarn, Title: "The BIMI logo is not SVG Tiny PS",
		Why: "BIMI requires the SVG Tiny Portable/Secure profile (baseProfile=\"tiny-ps\", a <title>, no scripts or external references, at most 32 KiB); other SVGs are rejected.",
		Fix: "Convert the logo with a Tiny PS converter and check it with a BIMI validator before publishing.",
		Ref: ref},
	{ID: "bimi.no-vmc", Severity: checks.SevInfo, Title: "The BIMI record has no mark certificate (a=)",
		Why: "Gmail and Apple Mail show BIMI logos only with a Verified or Common Mark Certificate; without a= most providers show nothing.",
		Fix: "Obtain a VMC or CMC for the logo and publish its PEM URL in a=.",
		Ref: ref},
	{ID: "bimi.dns-error", Severity: checks.SevError, Title: "The BIMI lookup, or the logo host's address lookup, failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the domain publishes BIMI, or could not reach the logo: a lookup that fails says nothing about whether the record or host exists.",
		Fix: "Check that the domain's name servers answer TXT queries for default._bimi.<domain>, and that the logo host's name servers answer A and AAAA queries."},
	{ID: "bimi.url-not-allowed", Severity: checks.SevFail, Title: "A BIMI URL names an IP address, a port other than 443, or a user name",
		SeverityNote: "warn when only the a= URL (the mark certificate) is affected: the logo itself can still be fetched",
		Why:          "Mailbox providers fetch the logo (l=) and the mark certificate (a=) only from plain https URLs that name the host by its DNS name on port 443, and show no logo otherwise. mxray fetches nothing else either: such a URL in a record anyone can publish could point it at services inside your network (cloud metadata, a router's admin page).",
		Fix:          "Publish l= and a= as https://<host name>/<path>: a DNS name with a publicly trusted certificate, the default port, no user@ part and no IP address.",
		Ref:          ref},
}

// Record is a parsed BIMI assertion record.
type Record struct {
	// Raw is the record as published.
	Raw string `json:"raw"`
	// Logo is the l= logo URL; absent when empty or not fetchable.
	Logo string `json:"l,omitempty"`
	// VMC is the a= certificate (VMC) URL; absent when empty or not fetchable.
	VMC string `json:"a,omitempty"`
	// AVP is the avp= avatar preference; absent when missing.
	AVP      string `json:"avp,omitempty"`
	Declined bool   `json:"declined,omitempty"` // l= and a= both empty
	// Unknown are tags BIMI does not define; absent when none.
	Unknown []string `json:"unknown_tags,omitempty"`
	// Problems are the record's defects; absent when none.
	Problems []string `json:"problems,omitempty"`
	// NotAllowed are the l= and a= URLs that mxray, like mailbox providers,
	// will not fetch (see mtasts.FetchableURL); Logo and VMC are empty then.
	NotAllowed []NotAllowed `json:"not_allowed,omitempty"`
	// Fatal is set when receivers ignore the record.
	Fatal bool `json:"fatal,omitempty"`
}

// NotAllowed is a URL of the record that is not fetched, and why.
type NotAllowed struct {
	Tag string `json:"tag"` // "l" or "a"
	URL string `json:"url"` // sanitised for display
	// Reason says in plain words why the URL is not fetched.
	Reason string `json:"reason"`
}

// IsBIMI reports whether a TXT record starts with v=BIMI1.
func IsBIMI(txt string) bool {
	l := tagval.Parse(txt, false)
	return len(l.Tags) > 0 && strings.EqualFold(l.Tags[0].Name, "v") && l.Tags[0].Value == "BIMI1"
}

// Parse parses a BIMI assertion record.
func Parse(raw string) *Record {
	r := &Record{Raw: raw}
	bad := func(fatal bool, format string, args ...any) {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		r.Fatal = r.Fatal || fatal
	}
	l := tagval.Parse(raw, true)
	for _, p := range l.Problems {
		if p.Kind != tagval.KindEmptyEntry {
			bad(p.Kind == tagval.KindDuplicate || p.Kind == tagval.KindNoEquals, "%s", p.Text)
		}
	}
	if len(l.Tags) == 0 || !strings.EqualFold(l.Tags[0].Name, "v") || l.Tags[0].Value != "BIMI1" {
		bad(true, "the record must start with v=BIMI1")
	}
	lv, hasL := l.GetFold("l")
	av, _ := l.GetFold("a")
	for _, t := range l.Tags {
		switch strings.ToLower(t.Name) {
		case "v", "l", "a":
		case "avp":
			r.AVP = strings.ToLower(t.Value)
			if r.AVP != "brand" && r.AVP != "personal" {
				bad(false, "avp=%s must be brand or personal", tagval.Clean(t.Value))
			}
		case "lps":
			for _, s := range strings.Split(t.Value, ",") {
				s = strings.TrimSpace(s)
				if s == "" || strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
					bad(false, "lps: %q is not a local-part selector (letters, digits and -)", tagval.Clean(s))
				}
			}
		default:
			r.Unknown = append(r.Unknown, tagval.Clean(t.Name))
		}
	}
	if !hasL && av == "" {
		bad(true, "the record has no l= tag (the logo URL)")
	}
	fetchable := func(tag, v string) bool {
		if _, err := mtasts.FetchableURL(v); err != nil {
			r.NotAllowed = append(r.NotAllowed, NotAllowed{Tag: tag, URL: tagval.Clean(v), Reason: err.Error()})
			return false
		}
		return true
	}
	if lv != "" {
		if err := checkHTTPS(lv); err != nil {
			bad(true, "l=%s: %v", tagval.Clean(lv), err)
		} else if fetchable("l", lv) {
			r.Logo = lv
		}
	}
	if av != "" {
		if err := checkHTTPS(av); err != nil {
			bad(false, "a=%s: %v", tagval.Clean(av), err)
		} else if fetchable("a", av) {
			r.VMC = av
		}
	}
	r.Declined = lv == "" && av == "" && !r.Fatal
	return r
}

func checkHTTPS(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "https" {
		return fmt.Errorf("the URL must use https, not %q", tagval.Clean(u.Scheme))
	}
	return nil
}

// Data is the check's JSON data.
type Data struct {
	Name string `json:"name,omitempty"` // where the record was found
	// Inherited is present (true) when the record is the organisational domain's, used for want of the domain's own.
	Inherited bool `json:"inherited,omitempty"`
	// Record is the BIMI record, parsed; absent when none.
	Record *Record `json:"record,omitempty"`
	// VMC is true when the record names a certificate (a=).
	VMC bool `json:"vmc"`
	// Logo is the logo fetch; absent when no logo was fetched.
	Logo *LogoFetch `json:"logo,omitempty"`
	// SVG is the logo's check against SVG Tiny PS; absent when no logo was read.
	SVG *SVGReport `json:"svg,omitempty"`
	// DMARCPolicy is the DMARC policy BIMI depends on (quarantine or reject required); absent when unknown.
	DMARCPolicy string `json:"dmarc_policy,omitempty"`
}

// LogoFetch is the outcome of fetching the logo.
type LogoFetch struct {
	// URL is the logo URL.
	URL string `json:"url"`
	// Status is the HTTP status code; absent when no response came.
	Status int `json:"status,omitempty"`
	// ContentType is the response's Content-Type; absent when none.
	ContentType string `json:"content_type,omitempty"`
	// Bytes is the size of the body read, in bytes.
	Bytes int `json:"bytes"`
	// Error says in plain words why the fetch failed; absent when it did not.
	Error string `json:"error,omitempty"`
}

// maxFetch caps how much of a logo is read; larger bodies fail the fetch.
const maxFetch = 256 << 10

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := t.Domain
	data := &Data{}
	defer out.SetData(data)

	name := "default._bimi." + domain
	rec, recName, ev, err := lookup(ctx, env, name)
	if err == nil && rec == "" {
		if org := dmarc.OrgDomain(domain); org != domain {
			orgName := "default._bimi." + org
			var ev2 *checks.Evidence
			rec, recName, ev2, err = lookup(ctx, env, orgName)
			if ev2 != nil {
				if ev == nil {
					ev = ev2
				} else {
					ev.AddDNS(ev2.DNS...)
					ev.Records = append(ev.Records, ev2.Records...)
				}
			}
			data.Inherited = rec != ""
		}
	}
	var me *multiError
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err() // cut short by the check's deadline: nothing about the domain
	case errors.As(err, &me):
		out.Add(checks.Finding{ID: "bimi.syntax", Subject: me.name, Evidence: ev,
			Message: fmt.Sprintf("%s has %d v=BIMI1 records; receivers ignore them all", me.name, me.n),
			Fix:     fmt.Sprintf("Keep a single record at %s.", me.name)})
		return nil
	case err != nil:
		out.Add(checks.Finding{ID: "bimi.dns-error", Subject: recName, Evidence: ev,
			Message: fmt.Sprintf("%v; whether %s publishes BIMI is unknown", err, domain)})
		return nil
	case rec == "":
		out.Add(checks.Finding{ID: "bimi.missing", Subject: name, Evidence: ev,
			Message: fmt.Sprintf("%s publishes no BIMI record at %s", domain, name),
			Fix:     fmt.Sprintf("Once DMARC is at p=quarantine or p=reject, publish `%s. IN TXT \"v=BIMI1; l=https://%s/bimi/logo.svg; a=https://%s/bimi/vmc.pem\"`.", name, domain, domain)})
		return nil
	}
	data.Name = recName
	r := Parse(rec)
	data.Record = r
	data.VMC = r.VMC != ""
	if len(r.Problems) > 0 {
		msg := fmt.Sprintf("%s: %s", recName, strings.Join(r.Problems, "; "))
		if r.Fatal {
			msg += "; receivers ignore the record"
		}
		out.Add(checks.Finding{ID: "bimi.syntax", Subject: recName, Evidence: ev, Message: msg,
			Fix: fmt.Sprintf("Publish `%s. IN TXT \"v=BIMI1; l=https://%s/bimi/logo.svg; a=https://%s/bimi/vmc.pem\"`.", recName, domain, domain)})
	}
	if r.Fatal {
		return nil
	}
	if r.Declined {
		out.Add(checks.Finding{ID: "bimi.missing", Subject: recName, Evidence: ev,
			Message: fmt.Sprintf("%s publishes a BIMI declination record (empty l= and a=): it asks receivers to show no logo", recName)})
		return nil
	}

	for _, na := range r.NotAllowed {
		sev := checks.SevFail
		effect := "mailbox providers will not fetch the logo either, and show none"
		if na.Tag == "a" {
			sev, effect = checks.SevWarn, "mailbox providers that require a mark certificate (Gmail, Apple Mail) will not fetch it either, and show no logo"
		}
		out.Add(checks.Finding{ID: "bimi.url-not-allowed", Severity: sev, Subject: recName, Evidence: ev,
			Message: fmt.Sprintf("%s=%s is not fetched: %s; %s", na.Tag, na.URL, na.Reason, effect)})
	}

	// DMARC enforcement. Without the dmarc check's verdict, BIMI's
	// prerequisite is undecided: the check ends with that reason.
	undecided := dmarcEnforced(ctx, out, data, domain)

	if r.VMC == "" && !r.hasVMCTag() {
		out.Add(checks.Finding{ID: "bimi.no-vmc", Subject: recName,
			Message: fmt.Sprintf("%s has no a= mark certificate: Gmail and Apple Mail will not show the logo", recName)})
	}
	if r.Logo == "" {
		return undecided
	}
	lf, body, lookupErr := fetchLogo(ctx, env, r.Logo)
	data.Logo = lf
	switch {
	case lf.Error != "" && ctx.Err() != nil:
		return ctx.Err()
	case lookupErr:
		out.Add(checks.Finding{ID: "bimi.dns-error", Subject: r.Logo,
			Message: fmt.Sprintf("the address of the logo host is unknown, so the BIMI logo %s could not be fetched: %s", r.Logo, lf.Error)})
		return undecided
	case lf.Error != "":
		out.Add(checks.Finding{ID: "bimi.logo-fetch-failed", Subject: r.Logo,
			Message: fmt.Sprintf("fetching the BIMI logo %s failed: %s", r.Logo, lf.Error)})
		return undecided
	}
	rep := CheckSVG(body)
	data.SVG = rep
	if mt, _, _ := mime.ParseMediaType(lf.ContentType); mt != "image/svg+xml" {
		rep.Problems = append(rep.Problems, fmt.Sprintf("it is served as %q, not image/svg+xml", tagval.Clean(lf.ContentType)))
	}
	if len(rep.Problems) > 0 {
		out.Add(checks.Finding{ID: "bimi.logo-not-tiny-ps", Subject: r.Logo,
			Message: fmt.Sprintf("the BIMI logo %s is not valid SVG Tiny PS: %s", r.Logo, strings.Join(rep.Problems, "; "))})
	}
	return undecided
}

// dmarcEnforced reports bimi.dmarc-not-enforced when the dmarc check found
// no enforcing policy, and returns an error when it decided nothing.
func dmarcEnforced(ctx context.Context, out *checks.Out, data *Data, domain string) error {
	f, err := dmarc.FactKey.Await(ctx, out)
	switch {
	case err != nil:
		return err
	case f == nil:
		return &checks.DependencyError{Check: dmarc.ID, Reason: "it published no DMARC data"}
	case f.Status == dmarc.StatusError:
		return &checks.DependencyError{Check: dmarc.ID, Reason: "the DMARC lookup failed"}
	}
	data.DMARCPolicy = string(f.Policy)
	if f.Enforced() {
		return nil
	}
	why := "no DMARC record"
	switch {
	case f.Status == dmarc.StatusMultiple:
		why = "several DMARC records, which receivers ignore"
	case f.Status == dmarc.StatusInvalid:
		why = "an invalid DMARC record, which receivers ignore"
	case f.Status != "found":
	case f.Policy == dmarc.PolicyNone:
		why = "DMARC policy p=none"
	case f.Pct < 100:
		why = fmt.Sprintf("DMARC pct=%d", f.Pct)
	case f.Testing:
		why = "DMARC t=y (test mode)"
	}
	out.Add(checks.Finding{ID: "bimi.dmarc-not-enforced", Subject: domain,
		Message: fmt.Sprintf("%s publishes BIMI but has %s: mailbox providers show no logo without DMARC quarantine or reject at 100%%", domain, why),
		Fix:     fmt.Sprintf("Publish `_dmarc.%s. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@%s\"` (or p=reject), without pct= or t=y.", domain, domain)})
	return nil
}

// hasVMCTag reports whether the record names a mark certificate at all,
// even one that is not fetched.
func (r *Record) hasVMCTag() bool {
	for _, na := range r.NotAllowed {
		if na.Tag == "a" {
			return true
		}
	}
	return false
}

type multiError struct {
	name string
	n    int
}

func (e *multiError) Error() string { return fmt.Sprintf("%s has %d BIMI records", e.name, e.n) }

// lookup returns the single BIMI record at name, "" when there is none.
func lookup(ctx context.Context, env *checks.Env, name string) (string, string, *checks.Evidence, error) {
	ans, err := env.DNS.Lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return "", name, checks.DNSEvidence(dnsq.QueriesOf(err)...), err
	}
	ev := checks.DNSEvidence(ans.Query)
	var recs []string
	for _, chunks := range ans.TXT() {
		txt := tagval.Join(chunks)
		if IsBIMI(txt) || strings.Contains(strings.ToUpper(txt), "BIMI1") {
			recs = append(recs, txt)
			if ev != nil {
				ev.Records = append(ev.Records, tagval.Sanitize(txt))
			}
		}
	}
	switch len(recs) {
	case 0:
		return "", name, ev, nil
	case 1:
		return recs[0], name, ev, nil
	}
	return "", name, ev, &multiError{name, len(recs)}
}

// fetchLogo gets the logo over HTTPS (validated certificate, no
// redirects, a short timeout, at most maxFetch bytes). lookupErr reports
// that the logo host's address lookup failed (timeout, SERVFAIL): the logo
// is then unknown, not missing.
func fetchLogo(ctx context.Context, env *checks.Env, u string) (lf *LogoFetch, body []byte, lookupErr bool) {
	lf = &LogoFetch{URL: u}
	ctx, cancel := context.WithTimeout(ctx, min(2*env.Timeout(), 15*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		lf.Error = "it is not a valid URL"
		return lf, nil, false
	}
	req.Header.Set("User-Agent", "mxray (BIMI logo check)")
	client := env.HTTP
	if client == nil {
		client = checks.NewHTTPClient(env)
	}
	resp, err := client.Do(req)
	if err != nil {
		_, lf.Error = mtasts.ExplainFetchError(err, req.URL.Hostname(), env.Timeout())
		return lf, nil, len(mtasts.LookupErrors(err)) > 0
	}
	defer resp.Body.Close()
	lf.Status, lf.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		lf.Error = fmt.Sprintf("HTTP %d redirect to \"%s\" (mxray does not follow redirects; serve the logo at the l= URL itself)", resp.StatusCode, tagval.Clean(resp.Header.Get("Location")))
		return lf, nil, false
	}
	if resp.StatusCode != http.StatusOK {
		lf.Error = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		return lf, nil, false
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	lf.Bytes = len(body)
	if len(body) > maxFetch {
		lf.Error = fmt.Sprintf("the logo is larger than %d bytes (BIMI allows %d)", maxFetch, MaxLogoSize)
		return lf, nil, false
	}
	if err != nil {
		_, lf.Error = mtasts.ExplainFetchError(err, req.URL.Hostname(), env.Timeout())
		return lf, nil, false
	}
	return lf, body, false
}
