package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/tagval"
)

// ID is the check ID.
const ID = "tlsrpt"

// Check is the tlsrpt check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "SMTP TLS reporting" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mtasts.ID, mx.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "tlsrpt.missing", Severity: checks.SevInfo, SeverityNote: "warn when the domain deploys MTA-STS or DANE",
		Title: "No TLS-RPT record",
		Why:   "Without TLS reporting, senders cannot tell you when they fail to deliver over TLS, so a broken certificate or MTA-STS policy goes unnoticed until mail bounces.",
		Fix:   "Publish `_smtp._tls.<domain>. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\"`.",
		Ref:   "RFC 8460 §3"},
	{ID: "tlsrpt.syntax", Severity: checks.SevFail, Title: "The TLS-RPT record is invalid",
		Why: "Senders ignore an invalid TLS-RPT record and send no reports.",
		Fix: "Publish `_smtp._tls.<domain>. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\"` (rua= takes mailto: or https: URIs, comma-separated).",
		Ref: "RFC 8460 §3"},
	{ID: "tlsrpt.multiple", Severity: checks.SevFail, Title: "More than one TLS-RPT record",
		Why: "When _smtp._tls holds more than one v=TLSRPTv1 record, senders assume the domain does not implement TLS-RPT.",
		Fix: "Merge the records into one, listing every destination in rua= separated by commas.",
		Ref: "RFC 8460 §3"},
	{ID: "tlsrpt.dns-error", Severity: checks.SevError, Title: "The TLS-RPT lookup, or an MX host's TLSA lookup, failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the domain publishes TLS-RPT or, when it does not, whether its MX hosts deploy DANE, which makes a missing record a warning: a lookup that fails says nothing about whether the record exists.",
		Fix: "Check that the domain's name servers answer TXT queries for _smtp._tls.<domain>, and the MX hosts' name servers TLSA queries for _25._tcp.<MX host>."},
}

// Record is a parsed TLS-RPT record.
type Record struct {
	// Raw is the record as published.
	Raw string `json:"raw"`
	// RUA are the report destinations (rua=), in order; [] when none.
	RUA []string `json:"rua"`
	// Problems are the record's defects; absent when none.
	Problems []string `json:"problems,omitempty"`
	// Fatal is set when senders ignore the record.
	Fatal bool `json:"fatal,omitempty"`
}

// IsTLSRPT reports whether a TXT record starts with v=TLSRPTv1.
func IsTLSRPT(txt string) bool {
	l := tagval.Parse(txt, false)
	return len(l.Tags) > 0 && l.Tags[0].Name == "v" && l.Tags[0].Value == "TLSRPTv1"
}

// maxRUA bounds the reporting URIs read.
const maxRUA = 16

// Parse parses a TLS-RPT record (RFC 8460 §3).
func Parse(raw string) *Record {
	r := &Record{Raw: raw, RUA: []string{}}
	bad := func(fatal bool, format string, args ...any) {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		r.Fatal = r.Fatal || fatal
	}
	l := tagval.Parse(raw, false)
	for _, p := range l.Problems {
		if p.Kind != tagval.KindEmptyEntry {
			bad(p.Kind != tagval.KindBadValue, "%s", p.Text)
		}
	}
	if len(l.Tags) == 0 || l.Tags[0].Name != "v" || l.Tags[0].Value != "TLSRPTv1" {
		bad(true, "the record must start with v=TLSRPTv1")
	}
	rua, ok := l.Get("rua")
	if !ok {
		bad(true, "the record has no rua= tag (where reports go)")
		return r
	}
	valid := 0
	for i, u := range strings.Split(rua, ",") {
		u = strings.Trim(u, " \t")
		if i >= maxRUA {
			bad(false, "more than %d rua URIs; the rest are ignored", maxRUA)
			break
		}
		if err := checkURI(u); err != nil {
			bad(false, "rua %q: %v", tagval.Clean(u), err)
			continue
		}
		valid++
		r.RUA = append(r.RUA, u)
	}
	if valid == 0 {
		r.Fatal = true
	}
	return r
}

// checkURI validates one rua URI: mailto: with an address, or https:.
func checkURI(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok {
		return fmt.Errorf("not a URI (expected mailto:address or https://host/path)")
	}
	switch strings.ToLower(scheme) {
	case "mailto":
		addr, _, _ := strings.Cut(rest, "?")
		if a, err := mail.ParseAddress(addr); err != nil || !strings.Contains(a.Address, "@") {
			return fmt.Errorf("not a valid mailto: address")
		}
	case "https":
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return fmt.Errorf("not a valid https: URL")
		}
	default:
		return fmt.Errorf("scheme %q is not mailto or https", tagval.Clean(scheme))
	}
	return nil
}

// Data is the check's JSON data.
type Data struct {
	// Record is the _smtp._tls record, parsed; absent when there is none or several.
	Record *Record `json:"record,omitempty"`
	// Records are every TLS-RPT record found (v=TLSRPTv1...); absent when none.
	Records []string `json:"records,omitempty"`
	// MTASTSDeployed: the domain publishes an MTA-STS policy that senders
	// apply (mode enforce or testing). Absent when the mtasts check could
	// not decide.
	MTASTSDeployed *bool `json:"mta_sts_deployed,omitempty"`
	// DANEDeployed: an MX host publishes TLSA records at _25._tcp. Absent
	// when undecided: the mx check decided nothing, or no TLSA lookup found
	// records and one failed.
	DANEDeployed *bool `json:"dane_deployed,omitempty"`
	// DANEHosts are the MX hosts that publish TLSA records; absent when none.
	DANEHosts []string `json:"dane_hosts,omitempty"`
}

// deployment is what the domain deploys that TLS-RPT reports on: MTA-STS
// (from the mtasts check) and DANE (TLSA records of the MX hosts).
type deployment struct {
	sts    *mtasts.Fact
	stsErr error // the mtasts check decided nothing
	mf     *mx.Fact
	mxErr  error // the mx check decided nothing
	hosts  []string
	failed []*dnsq.LookupError
	// cut: not every MX host's TLSA records were looked up (more than
	// maxTLSAHosts).
	cut bool
}

// deploymentOf awaits the mtasts and mx facts and looks up the MX hosts'
// TLSA records, the mtasts wait and the mx one (then TLSA) at once.
func deploymentOf(ctx context.Context, env *checks.Env, out *checks.Out) *deployment {
	d := &deployment{}
	var wg sync.WaitGroup
	wg.Go(func() { d.sts, d.stsErr = mtasts.FactKey.Await(ctx, out) })
	wg.Go(func() {
		d.mf, d.mxErr = mx.Await(ctx, out)
		if d.mxErr == nil {
			d.hosts, d.failed, d.cut = daneHosts(ctx, env, d.mf)
		}
	})
	wg.Wait()
	return d
}

func (data *Data) setDeployment(d *deployment) {
	data.MTASTSDeployed, data.DANEDeployed, data.DANEHosts = d.mtaSTS(), d.dane(), d.hosts
}

// mtaSTS is the MTA-STS deployment: nil when undecided.
func (d *deployment) mtaSTS() *bool {
	if d.stsErr != nil {
		return nil
	}
	v := d.sts.Deployed()
	return &v
}

// dane is the DANE deployment: true when an MX host publishes TLSA
// records, nil when undecided (no mx fact, or none found and a lookup
// failed or hosts were left out), false otherwise.
func (d *deployment) dane() *bool {
	t, f := true, false
	switch {
	case d.mxErr != nil:
		return nil
	case len(d.hosts) > 0:
		return &t
	case len(d.failed) > 0 || d.cut:
		return nil
	}
	return &f
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	domain := t.Domain
	name := "_smtp._tls." + domain
	data := &Data{}
	defer out.SetData(data)

	// What the domain deploys goes in the data whatever the record says,
	// so it is worked out while the record is looked up. When a record
	// exists the verdict does not depend on it: its waits end a little
	// before the check's deadline, so that they can leave the deployment
	// unknown but never make the check miss its verdict.
	dctx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		dctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/10))
	}
	defer cancel()
	depc := make(chan *deployment, 1)
	go func() { depc <- deploymentOf(dctx, env, out) }()
	var dep *deployment
	deploy := func() *deployment {
		if dep == nil {
			dep = <-depc
			data.setDeployment(dep)
		}
		return dep
	}
	defer deploy()

	ans, err := env.DNS.Lookup(ctx, name, dns.TypeTXT)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // cut short by the check's deadline: nothing about the domain
	}
	if err != nil {
		out.Add(checks.Finding{ID: "tlsrpt.dns-error", Subject: name, Evidence: checks.DNSEvidence(dnsq.QueriesOf(err)...),
			Message: fmt.Sprintf("%v; whether %s publishes TLS-RPT is unknown", err, domain)})
		return nil
	}
	ev := checks.DNSEvidence(ans.Query)
	var recs []string
	for _, chunks := range ans.TXT() {
		txt := tagval.Join(chunks)
		data.Records = append(data.Records, tagval.Sanitize(txt))
		if IsTLSRPT(txt) {
			recs = append(recs, txt)
		} else if strings.Contains(strings.ToLower(txt), "tlsrptv1") {
			out.Add(checks.Finding{ID: "tlsrpt.syntax", Subject: name, Evidence: withRecords(ev, txt),
				Message: fmt.Sprintf("%s has a record that does not start with v=TLSRPTv1, so senders ignore it: %q", name, tagval.Clean(txt)),
				Fix:     recordFix(name, domain)})
		}
	}
	switch {
	case len(recs) > 1:
		out.Add(checks.Finding{ID: "tlsrpt.multiple", Subject: name, Evidence: withRecords(ev, recs...),
			Message: fmt.Sprintf("%s has %d v=TLSRPTv1 records; senders treat the domain as having no TLS-RPT", name, len(recs)),
			Fix:     fmt.Sprintf("Publish a single record listing every destination: `%s. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@%s,https://reports.example/tlsrpt\"`.", name, domain)})
		return nil
	case len(recs) == 1:
		r := Parse(recs[0])
		data.Record = r
		if len(r.Problems) > 0 {
			msg := fmt.Sprintf("%s: %s", name, strings.Join(r.Problems, "; "))
			if r.Fatal {
				msg += "; senders ignore the record"
			}
			out.Add(checks.Finding{ID: "tlsrpt.syntax", Subject: name, Evidence: withRecords(ev, recs[0]), Message: msg, Fix: recordFix(name, domain)})
		}
		return nil
	}

	// No record: how much does it matter? That depends on the mtasts and mx
	// checks; when either decided nothing, neither does this one.
	sev := checks.SevInfo
	why := "senders cannot report TLS delivery failures to you"
	d := deploy()
	if dctx.Err() != nil && ctx.Err() == nil {
		// The waits were cut short for the data's sake; the verdict needs
		// them whole (the facts are in and the lookups cached by now, or
		// still on their way).
		d = deploymentOf(ctx, env, out)
		data.setDeployment(d)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if d.stsErr != nil {
		return d.stsErr
	}
	if d.mxErr != nil {
		return d.mxErr
	}
	if d.mf.Null && len(d.mf.Hosts) == 0 {
		out.Add(checks.Finding{ID: "tlsrpt.missing", Subject: name, Evidence: ev,
			Message: fmt.Sprintf("%s publishes no TLS-RPT record, and needs none: it publishes a null MX and receives no mail", domain),
			Fix:     "Nothing to do."})
		return nil
	}
	stsOn := d.sts.Deployed()
	var deployed []string
	if stsOn {
		deployed = append(deployed, "MTA-STS")
	}
	if len(d.hosts) > 0 {
		deployed = append(deployed, "DANE (TLSA for "+strings.Join(d.hosts, ", ")+")")
	}
	if len(deployed) == 0 && len(d.failed) > 0 {
		// A TLSA lookup that fails says nothing about DANE: how much the
		// missing record matters is unknown.
		var texts []string
		var qs []dnsq.Query
		for _, le := range d.failed {
			texts = append(texts, le.Error())
			qs = append(qs, le.Queries...)
		}
		out.Add(checks.Finding{ID: "tlsrpt.dns-error", Subject: strings.TrimSuffix(d.failed[0].Name, "."), Evidence: checks.DNSEvidence(qs...),
			Message: fmt.Sprintf("%s publishes no TLS-RPT record at %s, and whether its MX hosts deploy DANE (which would make that a warning) is unknown: %s", domain, name, strings.Join(texts, "; ")),
			Fix:     "Check that the MX hosts' name servers answer TLSA queries for _25._tcp.<MX host> (and that DNSSEC validates), then run the check again."})
		return nil
	}
	if len(deployed) > 0 {
		sev = checks.SevWarn
		why = fmt.Sprintf("the domain deploys %s, but senders that fail TLS validation have nowhere to report it, so a broken certificate or policy goes unnoticed until mail bounces", strings.Join(deployed, " and "))
	}
	out.Add(checks.Finding{ID: "tlsrpt.missing", Severity: sev, Subject: name, Evidence: ev,
		Message: fmt.Sprintf("%s publishes no TLS-RPT record at %s: %s", domain, name, why),
		Fix:     recordFix(name, domain)})
	return nil
}

// maxTLSAHosts bounds the MX hosts whose TLSA records are looked up.
const maxTLSAHosts = 32

// daneHosts returns the MX hosts that publish TLSA records at _25._tcp,
// the TLSA lookups that failed (in MX order), and whether hosts beyond
// maxTLSAHosts were left out.
func daneHosts(ctx context.Context, env *checks.Env, mf *mx.Fact) ([]string, []*dnsq.LookupError, bool) {
	hosts := mf.Hosts
	cut := len(hosts) > maxTLSAHosts
	if cut {
		hosts = hosts[:maxTLSAHosts]
	}
	has := make([]bool, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			a, err := env.DNS.Lookup(ctx, "_25._tcp."+h.Name, dns.TypeTLSA)
			errs[i] = err
			has[i] = err == nil && len(a.Records()) > 0
		})
	}
	wg.Wait()
	var outHosts []string
	var failed []*dnsq.LookupError
	for i, h := range hosts {
		var le *dnsq.LookupError
		switch {
		case has[i]:
			outHosts = append(outHosts, h.Name)
		case errors.As(errs[i], &le):
			failed = append(failed, le)
		case errs[i] != nil:
			failed = append(failed, &dnsq.LookupError{Name: "_25._tcp." + h.Name, Type: "TLSA", Err: errs[i]})
		}
	}
	return outHosts, failed, cut
}

func recordFix(name, domain string) string {
	return fmt.Sprintf("Publish `%s. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@%s\"`.", name, domain)
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
