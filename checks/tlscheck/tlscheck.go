package tlscheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/smtpwire"
)

// ID is the check ID.
const ID = "tls"

// ExpiringDays is the threshold of tls.cert-expiring.
const ExpiringDays = 14

// Check is the tls check.
type Check struct{}

var (
	_ checks.Check   = Check{}
	_ checks.Skipper = Check{}
)

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "STARTTLS and certificates" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID, mtasts.ID, smtp.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

const contextNote = "warn under opportunistic TLS and under an MTA-STS policy in testing mode; fail when the policy is in enforce mode or DANE applies without authenticating the server. When a DNSSEC-signed TLSA record authenticates the server (DANE senders ignore PKIX): info, warn under MTA-STS testing, fail under MTA-STS enforce"

const expiredNote = "info when a DNSSEC-signed DANE-EE record authenticates the server and no MTA-STS policy applies (DANE senders ignore the certificate's dates); warn under that record when the domain's MTA-STS policy is in testing mode; fail under enforce, and whenever DANE does not authenticate the server"

var defs = []checks.Def{
	{ID: "tls.starttls-missing", Severity: checks.SevFail, Title: "The MX does not offer STARTTLS",
		Why: "Without STARTTLS every message to this server crosses the internet in clear text; Gmail and others flag such mail, and MTA-STS or DANE senders refuse to deliver.",
		Fix: "Enable STARTTLS with a certificate for the MX host name (Postfix: smtpd_tls_security_level = may, smtpd_tls_chain_files = ...).",
		Ref: "RFC 3207"},
	{ID: "tls.handshake-failed", Severity: checks.SevFail, Title: "STARTTLS was offered but the TLS handshake failed",
		Why: "Senders that start TLS and fail either fall back to clear text or, under MTA-STS or DANE, defer the mail.",
		Fix: "Check the server's certificate and key files and its TLS protocol and cipher settings; the reason is in the finding.",
		Ref: "RFC 3207 §4"},
	{ID: "tls.cert-untrusted", Severity: checks.SevWarn, SeverityNote: contextNote, Title: "The certificate does not chain to a trusted root",
		Why: "A self-signed or privately issued certificate cannot be verified; senders that require authenticated TLS (MTA-STS enforce) refuse to deliver.",
		Fix: "Use a certificate from a public CA (e.g. Let's Encrypt) for the MX host name and serve the full chain (leaf then intermediates).",
		Ref: "RFC 8461 §4.2"},
	{ID: "tls.cert-name-mismatch", Severity: checks.SevWarn, SeverityNote: contextNote, Title: "The certificate does not name the MX host",
		Why: "MTA-STS and DANE-TA senders check that the certificate names the MX host; a mismatch makes them refuse delivery.",
		Fix: "Issue the certificate with the MX host name in its subjectAltName.",
		Ref: "RFC 8461 §4.2, RFC 7672 §3.2.2"},
	{ID: "tls.cert-expired", Severity: checks.SevFail, SeverityNote: expiredNote, Title: "The certificate has expired (or is not valid yet)",
		Why: "Verifying senders (MTA-STS) reject an expired certificate, and it shows that renewal is broken. DANE senders whose TLSA record (DANE-EE, usage 3) matches the key ignore the dates (RFC 7672 §3.1.1), but MTA-STS senders do not.",
		Fix: "Renew the certificate and reload the mail server; automate renewal (ACME).",
		Ref: "RFC 5280 §4.1.2.5"},
	{ID: "tls.cert-expiring", Severity: checks.SevWarn, Title: "The certificate expires within 14 days",
		Why: "Automated renewal usually renews 30 days ahead; a certificate this close to expiry suggests renewal is failing.",
		Fix: "Renew the certificate now and check that automatic renewal reloads the mail server."},
	{ID: "tls.old-protocol", Severity: checks.SevWarn, Title: "The server still accepts TLS 1.0 or 1.1",
		Why: "TLS 1.0 and 1.1 are deprecated (RFC 8996) and have known weaknesses; modern senders do not need them.",
		Fix: "Allow only TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.2, smtpd_tls_mandatory_protocols = >=TLSv1.2).",
		Ref: "RFC 8996"},
	{ID: "tls.weak-key", Severity: checks.SevWarn, Title: "The certificate's RSA key is shorter than 2048 bits",
		Why: "RSA keys under 2048 bits are considered breakable and are rejected by current CA and browser rules.",
		Fix: "Issue a new certificate with an RSA key of at least 2048 bits or an ECDSA P-256 key."},
	{ID: "tls.dane-mismatch", Severity: checks.SevFail, Title: "No DNSSEC-signed TLSA record matches the certificate chain",
		Why: "DANE senders (Postfix, Exim, Microsoft, many providers) authenticate the MX by its TLSA records; when none matches they defer all mail.",
		Fix: "Publish a TLSA record for the current key (e.g. `_25._tcp.<mx>. IN TLSA 3 1 1 <sha256 of the SPKI>`) before rolling keys, or fix the served chain.",
		Ref: "RFC 7672 §3"},
	{ID: "tls.dane-unsigned", Severity: checks.SevWarn, Title: "TLSA records exist but are not DNSSEC-validated",
		Why: "DANE needs DNSSEC: senders ignore TLSA records that did not validate, so they protect nothing.",
		Fix: "Sign the MX host's zone with DNSSEC (and publish the DS at the parent), or remove the TLSA records.",
		Ref: "RFC 7672 §2.2"},
	{ID: "tls.dane-pkix-usage", Severity: checks.SevWarn, Title: "TLSA records with usage 0 or 1 (PKIX-TA/PKIX-EE) for SMTP",
		Why: "RFC 7672 tells SMTP senders to treat usages 0 and 1 as unusable; only DANE-TA (2) and DANE-EE (3) count.",
		Fix: "Publish usage 3 (DANE-EE) or 2 (DANE-TA) records instead, e.g. `3 1 1 <sha256 of the SPKI>`.",
		Ref: "RFC 7672 §3.1.3"},
	{ID: "tls.dane-valid", Severity: checks.SevInfo, Title: "DANE authenticates the MX",
		Why: "A DNSSEC-signed TLSA record matches the certificate chain: DANE senders deliver with authenticated TLS.",
		Fix: "Nothing to fix. Publish the next key's TLSA record before each rollover.",
		Ref: "RFC 7672"},
	{ID: "tls.mtasts-would-fail", Severity: checks.SevFail, Title: "An MX host the MTA-STS policy covers would fail MTA-STS validation",
		SeverityNote: "warn when the policy is in testing mode: senders still deliver and only report the failure, but switching to enforce would stop mail to the host",
		Why:          "Senders that apply MTA-STS (Gmail and Microsoft 365 among them) deliver to an MX host the policy names only over TLS with a certificate that is in date, names the host and chains to a public root. In enforce mode they refuse any other MX address and queue the mail, which bounces after days; in testing mode they report the failure and deliver anyway.",
		Fix:          "Make every covered MX host offer STARTTLS with a certificate for its name from a public CA (e.g. Let's Encrypt), served with its chain and renewed automatically; keep the policy in mode: testing until the TLS reports (TLS-RPT) show no failures.",
		Ref:          "RFC 8461 §4.2, §5"},
	{ID: "tls.not-tested", Severity: checks.SevError, Title: "Could not test TLS on an MX address",
		Why: "The connection, greeting or EHLO failed or timed out before STARTTLS (the smtp check says why), so TLS could not be examined.",
		Fix: "See the smtp check's findings for this address: they say why the session ended before STARTTLS (a refusal at the greeting, a timeout, a firewall)."},
	{ID: "tls.nothing-tested", Severity: checks.SevError, Title: "Could not test: no MX address to talk to",
		Why: "The tls check tested no server at all: no MX host has an address that could be found, or the domain has no MX host. Nothing was decided, so the check cannot pass.",
		Fix: "See the mx check's findings: publish A/AAAA records for the MX hosts (or fix the DNS errors) and run the check again."},
	{ID: "tls.dns-error", Severity: checks.SevError, Title: "Address or TLSA lookups failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the records exist; for DANE, a failed TLSA lookup makes DANE senders defer mail.",
		Fix: "Check that the name servers answer for the name over UDP and TCP, and that DNSSEC validates.",
		Ref: "RFC 7672 §2.2"},
}

// Data is the check's JSON data: the TLS offered by every MX address.
type Data struct {
	// Hosts are the MX hosts in preference order; [] when none.
	Hosts []Host `json:"hosts"`
	// MTASTS is the MTA-STS mode that sets the severity context: enforce,
	// testing, none, or unknown when the mtasts check gave nothing.
	MTASTS string `json:"mta_sts"`
}

// Host is one MX host.
type Host struct {
	// Name is the MX host name, lower case without the trailing dot.
	Name string `json:"name"`
	// Preference is the MX preference (0 for an implicit MX).
	Preference uint16 `json:"preference"`
	// TLSA are the TLSA records at _25._tcp.<name>, in presentation
	// format; absent when there are none.
	TLSA []string `json:"tlsa,omitempty"`
	// TLSASecure is present (true) when the TLSA answer was
	// DNSSEC-validated (AD).
	TLSASecure bool `json:"tlsa_secure,omitempty"`
	// DANE is none (no TLSA), unsigned (TLSA not validated), unusable (no
	// usage 2/3 record), applies, or error (the TLSA lookup failed).
	DANE string `json:"dane"`
	// Addresses are the results per address; [] when none.
	Addresses []Address `json:"addresses"`
	// Error says in plain words why the host's addresses could not be
	// resolved; absent when they were.
	Error string `json:"error,omitempty"`
	// MTASTS is the host's verdict under the domain's MTA-STS policy; nil
	// when the domain has no policy that senders apply (mode testing or
	// enforce) or the mtasts check decided nothing.
	MTASTS *HostMTASTS `json:"mtasts,omitempty"`
}

// The verdicts of HostMTASTS.Verdict.
const (
	STSOK         = "ok"          // every address was tested and an MTA-STS sender would deliver to it
	STSWouldFail  = "would-fail"  // an MTA-STS sender would refuse at least one address (WouldFail says why)
	STSUndecided  = "undecided"   // no failing address, but not every address could be tested
	STSNotCovered = "not-covered" // no mx pattern of the policy matches the host (the mtasts check's mtasts.mx-mismatch)
)

// HostMTASTS is what an MTA-STS sender makes of one MX host (RFC 8461
// §4.2): the policy must cover the host, and each address must offer
// STARTTLS with a certificate that passes PKIX validation for the name.
type HostMTASTS struct {
	// Covered: an mx pattern of the policy matches the host.
	Covered bool `json:"covered"`
	// Verdict is one of STSOK, STSWouldFail, STSUndecided, STSNotCovered.
	Verdict string `json:"verdict"`
	// WouldFail says, in plain words, why an MTA-STS sender would refuse
	// the host's addresses ("" unless Verdict is would-fail).
	WouldFail string `json:"would_fail,omitempty"`
}

// Cert describes one certificate of the served chain.
type Cert struct {
	// Subject is the certificate's subject distinguished name.
	Subject string `json:"subject"`
	// Issuer is the issuer's distinguished name.
	Issuer string `json:"issuer"`
	// DNSNames are the subjectAltName DNS names; absent when none.
	DNSNames []string `json:"dns_names,omitempty"`
	// NotBefore is the start of validity, RFC 3339.
	NotBefore time.Time `json:"not_before"`
	// NotAfter is the end of validity, RFC 3339.
	NotAfter time.Time `json:"not_after"`
	// Key is the public key's algorithm and size: "RSA 2048", "ECDSA
	// P-256", "Ed25519".
	Key string `json:"key"`
	// SHA256 is the certificate's SHA-256 fingerprint, hex.
	SHA256 string `json:"sha256"`
	// SPKISHA256 is the SHA-256 of its SubjectPublicKeyInfo, hex (what a
	// TLSA 3 1 1 record holds).
	SPKISHA256 string `json:"spki_sha256"`
}

// Address is the result for one MX address.
type Address struct {
	// Address is the IP address tested.
	Address string `json:"address"`
	// Outcome is tls, no-starttls, handshake-failed or not-tested.
	Outcome string `json:"outcome"`
	// STARTTLS is true when the server announced STARTTLS.
	STARTTLS bool `json:"starttls"`
	// Version is the negotiated TLS version, e.g. "TLS 1.3"; absent
	// without a handshake.
	Version string `json:"version,omitempty"`
	// Cipher is the negotiated cipher suite; absent without a handshake.
	Cipher string `json:"cipher,omitempty"`
	// HandshakeMs is the TLS handshake's duration in milliseconds; absent
	// without a handshake.
	HandshakeMs float64 `json:"handshake_ms,omitempty"`
	// Chain is the certificate chain served, leaf first; absent without
	// a handshake.
	Chain []Cert `json:"chain,omitempty"`
	// Trusted is true when the chain validates to a trusted root (PKIX),
	// judged within the leaf's validity period: its dates are
	// ExpiresDays's.
	Trusted bool `json:"trusted"`
	// TrustError says in plain words why it does not; absent when it does.
	TrustError string `json:"trust_error,omitempty"`
	// NameMatch is true when the leaf certificate is valid for the MX
	// host name.
	NameMatch bool `json:"name_match"`
	// ExpiresDays is the number of days until the leaf expires (negative
	// once expired); absent without a certificate.
	ExpiresDays *int `json:"expires_in_days,omitempty"`
	// OldProtocols are the TLS 1.0/1.1 versions the server accepts;
	// absent when none.
	OldProtocols []string `json:"old_protocols,omitempty"`
	// OldProbe says how the old-protocol probe went when it could not
	// decide; absent when it did.
	OldProbe string `json:"old_protocol_probe,omitempty"`
	// DANEMatch is the TLSA record that matched the chain; absent when
	// none did or DANE does not apply.
	DANEMatch string `json:"dane_match,omitempty"`
	// MTASTSWouldFail says why an MTA-STS sender would refuse this
	// address, when the domain's policy (testing or enforce) covers its
	// host; "" when it would not, or there is no such policy.
	MTASTSWouldFail string `json:"mtasts_would_fail,omitempty"`
	// Stages are the session's steps with their timings.
	Stages []smtpwire.Stage `json:"stages"`
	// Transcript is the session, line by line.
	Transcript []smtpwire.Entry `json:"transcript"`
	// Error says in plain words why TLS could not be tested; absent when
	// it was.
	Error string `json:"error,omitempty"`

	state     *tls.ConnectionState
	connect   smtpwire.ConnectKind // how the connection failed, for the tally
	timedOut  bool
	connected bool
	refusal   *smtpwire.Reply // a greeting or EHLO reply that refused the session
	err       error
}

// SkipReason implements checks.Skipper: with --no-smtp port 25 is never
// contacted.
func (Check) SkipReason(opts checks.Options) string { return smtpwire.SkipNoSMTP(opts) }

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	ctx = smtpwire.WithProgress(ctx, out.Progress) // the TUI row says which wait it is in
	fact, err := mx.Await(ctx, out)
	if err != nil {
		return fmt.Errorf("no MX data: %w", err)
	}
	// TLSA beside the address lookups and probes.
	tlsa := make([]tlsaLookup, len(fact.Hosts))
	var wg sync.WaitGroup
	for i, h := range fact.Hosts {
		wg.Go(func() {
			tlsa[i] = lookupTLSA(ctx, env, h.Name)
		})
	}
	// The smtp check's sessions: the tls check reads their openings, up to
	// the TLS handshake, instead of opening sessions of its own. Without
	// the smtp check in the run (nil), it opens its own.
	openings, _ := smtp.FactKey.Await(ctx, out)
	p := &prober{env: env, helo: smtpwire.HELOName(t.HELO), openings: openings}
	probes := smtpwire.ProbeMX(ctx, env, fact.Hosts, p.address)
	wg.Wait()

	// The MTA-STS context is needed only now, after the probes. When the
	// mtasts check decided nothing, the context is unknown: certificate
	// findings keep their opportunistic severity and no host is judged
	// against a policy.
	mode := "unknown"
	pol, err := mtasts.FactKey.Await(ctx, out)
	if err != nil {
		pol = nil
	}
	if pol != nil {
		mode = "none"
		if pol.Deployed() {
			mode = "testing"
		}
		if pol.Enforced() {
			mode = "enforce"
		}
	}

	if ctx.Err() != nil {
		return ctx.Err()
	}
	data := Data{Hosts: make([]Host, len(probes)), MTASTS: mode}
	hosts := make([]*hostRun, len(probes))
	for i := range probes {
		hosts[i] = newHostRun(&probes[i], tlsa[i])
	}
	tally := smtpwire.Count(probes, func(a *Address) smtpwire.ConnectKind { return a.connect })
	if tally.Addresses == 0 {
		skip, msg, ev := smtpwire.Untested(fact, probes)
		for i, h := range hosts {
			data.Hosts[i] = h.data
			data.Hosts[i].MTASTS = stsOf(pol, h.data.Name).verdict(len(h.addrs))
		}
		out.SetData(data)
		if skip != nil {
			return skip
		}
		// Nothing tested is never a pass: one finding says why.
		out.Add(checks.Finding{ID: "tls.nothing-tested", Subject: t.Domain, Message: msg, Evidence: ev})
		return nil
	}
	allBlocked := tally.Port25Blocked()
	if allBlocked {
		out.Add(checks.Finding{ID: "tls.not-tested", Subject: t.Domain,
			Message: fmt.Sprintf("could not test TLS: none of the %d MX address(es) answered on port 25, which is probably blocked on this network", tally.Addresses),
			Fix:     "Run mxray from a network that allows outgoing SMTP (a server, not a laptop on a home or cloud network), or use --no-smtp to skip these checks."})
	}
	for i, h := range hosts {
		report(out, env, h, pol, allBlocked)
		data.Hosts[i] = h.data
		data.Hosts[i].Addresses = make([]Address, len(h.addrs))
		for j, a := range h.addrs {
			data.Hosts[i].Addresses[j] = *a
		}
	}
	out.SetData(data)
	return nil
}

type prober struct {
	env      *checks.Env
	helo     string
	openings *smtp.Fact // nil: no smtp check in the run
}

// tlsaLookup is the outcome of one MX host's TLSA lookup.
type tlsaLookup struct {
	records []*dns.TLSA
	rdata   []string
	secure  bool
	ev      []dnsq.Query
	err     error
}

func lookupTLSA(ctx context.Context, env *checks.Env, host string) tlsaLookup {
	var l tlsaLookup
	ans, err := env.DNS.Lookup(ctx, "_25._tcp."+host, dns.TypeTLSA)
	if err != nil {
		l.err, l.ev = err, dnsq.QueriesOf(err)
		return l
	}
	l.ev = []dnsq.Query{ans.Query}
	for _, rr := range ans.Records() {
		if r, ok := rr.(*dns.TLSA); ok {
			l.records = append(l.records, r)
			l.rdata = append(l.rdata, fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, r.Certificate))
		}
	}
	l.secure = ans.AD && len(l.records) > 0
	return l
}

type hostRun struct {
	data    Host
	addrs   []*Address
	tlsa    []*dns.TLSA
	tlsaEv  []dnsq.Query
	tlsaErr error
	dnsErr  error
	dnsEv   []dnsq.Query
}

func newHostRun(hp *smtpwire.HostProbes[*Address], l tlsaLookup) *hostRun {
	hr := &hostRun{data: Host{Name: hp.Host.Name, Preference: hp.Host.Preference, DANE: "none", Addresses: []Address{},
		TLSA: l.rdata, TLSASecure: l.secure}, addrs: hp.Results, tlsa: l.records, tlsaEv: l.ev, tlsaErr: l.err}
	if hp.Err != nil {
		hr.data.Error = smtpwire.LookupWords(hp.Err)
		if hp.LookupFailed() {
			hr.dnsErr, hr.dnsEv = hp.Err, hp.Queries()
		}
	}
	return hr
}

func (p *prober) session(ip netip.Addr) *smtpwire.Session {
	return smtpwire.Port25(p.env, ip, p.helo)
}

// address examines TLS on one MX address: the STARTTLS handshake of the
// smtp check's session with it (or, without one, of a session of the tls
// check's own), then a second connection limited to TLS 1.0/1.1.
func (p *prober) address(ctx context.Context, host string, ip netip.Addr) *Address {
	a := &Address{Address: ip.String(), Stages: []smtpwire.Stage{}, Transcript: []smtpwire.Entry{}}
	op := p.shared(ctx, host, ip)
	if op == nil {
		op = p.own(ctx, host, ip)
	}
	a.Stages = append(a.Stages, op.Stages...)
	a.Transcript = append(a.Transcript, op.Transcript...)
	judge(ctx, a, op)
	st := a.state
	if st == nil {
		return a
	}
	a.Version = tls.VersionName(st.Version)
	a.Cipher = tls.CipherSuiteName(st.CipherSuite)
	for _, stg := range op.Stages {
		if stg.Name == "tls_handshake" {
			a.HandshakeMs = stg.DurationMs
		}
	}
	for _, c := range st.PeerCertificates {
		a.Chain = append(a.Chain, describe(c))
	}

	if st.Version < tls.VersionTLS12 {
		a.OldProtocols = []string{tls.VersionName(st.Version)}
		a.OldProbe = "accepted"
		return a
	}
	// The probe says nothing of the domain: in a bulk batch (smtp.Cache)
	// one domain's run makes it for every domain on the address.
	op11, err := smtp.Shared(ctx, "tls-old", host, ip, p.helo, func() (oldProbe, bool) {
		r := p.oldProbe(ctx, host, ip)
		return r, !cutShort(ctx, r.err)
	})
	if err != nil {
		a.OldProbe = "unknown: " + err.Error()
		return a
	}
	a.OldProtocols, a.OldProbe = op11.protocols, op11.outcome
	a.Stages = append(a.Stages, op11.stages...)
	a.Transcript = append(a.Transcript, op11.transcript...)
	return a
}

// oldProbe is what the TLS 1.0/1.1 probe of an address found.
type oldProbe struct {
	protocols  []string
	outcome    string
	err        error
	stages     []smtpwire.Stage
	transcript []smtpwire.Entry
}

// oldProbe opens a second connection limited to TLS 1.0/1.1.
func (p *prober) oldProbe(ctx context.Context, host string, ip netip.Addr) oldProbe {
	var r oldProbe
	old := p.session(ip)
	oldCfg := smtpwire.OpportunisticTLS(host)
	oldCfg.MaxVersion = tls.VersionTLS11
	old.Transcript().Note("probe: are TLS 1.0/1.1 still accepted?")
	oop := smtpwire.Open(ctx, old, oldCfg)
	switch {
	case oop.Err == nil && oop.TLS != nil:
		r.protocols = []string{tls.VersionName(oop.TLS.Version)}
		r.outcome = "accepted"
	case oop.Step == smtpwire.StepSTARTTLS && !cutShort(ctx, oop.Err):
		r.outcome = "refused"
	case oop.Err == nil:
		r.outcome = "unknown: STARTTLS was not offered this time"
	default:
		r.outcome, r.err = "unknown: "+oop.Err.Error(), oop.Err
	}
	if oop.Err == nil {
		_ = old.Quit(ctx)
	}
	_ = old.Close()
	r.stages = prefixStages("old_", old.Stages())
	r.transcript = old.Transcript().Entries()
	return r
}

// shared returns the opening of the smtp check's session with the
// address, or nil when there is none to read: no smtp check in the run, or
// it ended without one (cut short before it reached the address).
func (p *prober) shared(ctx context.Context, host string, ip netip.Addr) *smtpwire.Opening {
	if p.openings == nil {
		return nil
	}
	op, err := p.openings.Opening(ctx, host, ip)
	if err != nil || op == nil || errors.Is(op.Err, smtpwire.ErrInterrupted) && ctx.Err() == nil {
		return nil
	}
	if op.Err == nil {
		cp := *op // the smtp check's: another address of the same name may read it too
		cp.Transcript = append(slices.Clip(op.Transcript), smtpwire.Entry{AtMs: lastAt(op.Transcript), Dir: checks.DirInfo,
			Text: "this is the smtp check's session, which carries on with its probes (see its transcript)"})
		return &cp
	}
	return op
}

func lastAt(es []smtpwire.Entry) float64 {
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].AtMs
}

// own opens a session of the tls check's own, up to TLS and the EHLO
// inside it, as a sender would, and quits.
func (p *prober) own(ctx context.Context, host string, ip netip.Addr) *smtpwire.Opening {
	s := p.session(ip)
	op := smtpwire.Open(ctx, s, smtpwire.OpportunisticTLS(host))
	if op.Err == nil {
		if op.TLS != nil {
			_ = s.Hello(ctx) // EHLO inside TLS, as a sender would
		}
		_ = s.Quit(ctx)
		op.Stages, op.Transcript = s.Stages(), s.Transcript().Entries()
	}
	return op
}

func prefixStages(prefix string, sts []smtpwire.Stage) []smtpwire.Stage {
	for i := range sts {
		sts[i].Name = prefix + sts[i].Name
	}
	return sts
}

// cutShort reports an error of STARTTLS or the TLS handshake that says
// nothing about TLS on the server: the wait ran out, the reply was endless,
// or the check's own time ran out.
func cutShort(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, smtpwire.ErrInterrupted) || smtpwire.TimedOut(err) || errors.Is(err, smtpwire.ErrReplyTooLong)
}

// judge sets the address's outcome from the opening of a session with it.
func judge(ctx context.Context, a *Address, op *smtpwire.Opening) {
	a.connect, a.connected, a.STARTTLS = op.Connect, op.Connected, op.STARTTLS
	if op.Err != nil {
		a.Error, a.err = op.Err.Error(), op.Err
		a.timedOut = smtpwire.TimedOut(op.Err)
	}
	switch {
	case op.Step == smtpwire.StepConnect || op.Step == smtpwire.StepEHLO:
		a.Outcome = "not-tested"
		a.refusal = smtpwire.ReplyOf(op.Err)
	case op.Step == smtpwire.StepSTARTTLS && cutShort(ctx, op.Err):
		a.Outcome = "not-tested"
	case op.Step == smtpwire.StepSTARTTLS:
		a.Outcome = "handshake-failed"
	case op.TLS == nil:
		a.Outcome = "no-starttls"
	default:
		a.Outcome = "tls"
		a.state = op.TLS
	}
}

// notTested says why TLS could not be tested on one address, with a fix
// that fits the cause: a server that refused the session is not a
// blocked port.
func notTested(subj, host string, a *Address, ev *checks.Evidence) checks.Finding {
	f := checks.Finding{ID: "tls.not-tested", Subject: subj, Host: host, Address: a.Address, Evidence: ev,
		Message: fmt.Sprintf("could not test TLS on %s: %s", subj, a.Error)}
	switch {
	case a.refusal != nil && isGreeting(a.err):
		f.Message = fmt.Sprintf("could not test TLS on %s: the server refused the session, greeting with %q", subj, a.refusal.String())
		f.Fix = "The server turns this client away at its greeting (the smtp check's smtp.banner-rejected says more); TLS can be tested once it accepts sessions from here."
	case a.refusal != nil:
		f.Message = fmt.Sprintf("could not test TLS on %s: the server rejected EHLO with %q", subj, a.refusal.String())
		f.Fix = "The server rejects this client's EHLO (the smtp check's smtp.ehlo-rejected says more); TLS can be tested once it accepts it."
	case errors.Is(a.err, smtpwire.ErrReplyTooLong):
		f.Fix = "The server sends an endless reply (the smtp check's smtp.reply-too-long says more); fix that first."
	case a.timedOut && !a.connected:
		f.Fix = "Check that the server's firewall lets port 25 through, or retry from a network where outbound port 25 is open."
	case a.timedOut:
		f.Fix = "The server accepted the connection but did not answer in time (the smtp check says more); retry with a longer --timeout or --greeting-timeout."
	case errors.Is(a.err, smtpwire.ErrRefused):
		f.Fix = "The address refuses connections on port 25 (the smtp check's smtp.connect-failed says more)."
	default:
		f.Fix = "The session broke before STARTTLS (the smtp check's findings for this address say more)."
	}
	return f
}

func isGreeting(err error) bool {
	var re *smtpwire.ReplyError
	return errors.As(err, &re) && re.Command == "greeting"
}

// handshakeWords completes "<subject> offers STARTTLS but ...".
func handshakeWords(a *Address) string {
	if r := smtpwire.ReplyOf(a.err); r != nil {
		return fmt.Sprintf("refuses it: it answered STARTTLS with %q", r.String())
	}
	return a.Error
}

// describe summarises a certificate.
func describe(c *x509.Certificate) Cert {
	sum := sha256.Sum256(c.Raw)
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return Cert{Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Key: keyName(c),
		SHA256: hex.EncodeToString(sum[:]), SPKISHA256: hex.EncodeToString(spki[:])}
}

func keyName(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// report turns one host's results into findings. pol is the domain's
// MTA-STS policy as the mtasts check found it (nil when it decided
// nothing).
func report(out *checks.Out, env *checks.Env, h *hostRun, pol *mtasts.Fact, allBlocked bool) {
	name := h.data.Name
	if h.dnsErr != nil {
		out.Add(checks.Finding{ID: "tls.dns-error", Subject: name, Host: name, Evidence: checks.DNSEvidence(h.dnsEv...),
			Message: "could not resolve the MX host: " + h.data.Error})
	}
	tlsaEv := checks.DNSEvidence(h.tlsaEv...)
	if tlsaEv != nil {
		tlsaEv.Records = h.data.TLSA
	}
	usable := []*dns.TLSA{}
	switch {
	case h.tlsaErr != nil:
		h.data.DANE = "error"
		out.Add(checks.Finding{ID: "tls.dns-error", Subject: "_25._tcp." + name, Host: name, Evidence: tlsaEv,
			Message: fmt.Sprintf("the TLSA lookup failed: %s (DANE senders defer mail while it fails)", smtpwire.LookupWords(h.tlsaErr))})
	case len(h.tlsa) > 0 && !h.data.TLSASecure:
		h.data.DANE = "unsigned"
		out.Add(checks.Finding{ID: "tls.dane-unsigned", Subject: "_25._tcp." + name, Host: name, Evidence: tlsaEv,
			Message: fmt.Sprintf("_25._tcp.%s has %d TLSA record(s), but the answer is not DNSSEC-validated: senders ignore them", name, len(h.tlsa))})
	case len(h.tlsa) > 0:
		var pkix []string
		for _, r := range h.tlsa {
			switch {
			case r.Usage == 0 || r.Usage == 1:
				pkix = append(pkix, fmt.Sprintf("%d %d %d", r.Usage, r.Selector, r.MatchingType))
			case (r.Usage == 2 || r.Usage == 3) && r.Selector <= 1 && r.MatchingType <= 2:
				usable = append(usable, r)
			}
		}
		if len(pkix) > 0 {
			out.Add(checks.Finding{ID: "tls.dane-pkix-usage", Subject: "_25._tcp." + name, Host: name, Evidence: tlsaEv,
				Message: fmt.Sprintf("_25._tcp.%s has TLSA record(s) with usage 0/1 (%s), which SMTP senders ignore", name, strings.Join(pkix, ", "))})
		}
		h.data.DANE = "unusable"
		if len(usable) > 0 {
			h.data.DANE = "applies"
		}
	}
	daneApplies := len(usable) > 0
	// The MTA-STS policy judges the host only when senders apply it and
	// it names the host; an MX host it does not cover is the mtasts
	// check's finding (mtasts.mx-mismatch).
	sts := stsOf(pol, name)

	for _, a := range h.addrs {
		subj := name + " [" + a.Address + "]"
		ev := &checks.Evidence{SMTP: lines(a.Transcript)}
		switch a.Outcome {
		case "not-tested":
			if !allBlocked {
				out.Add(notTested(subj, name, a, ev))
			}
			continue
		case "no-starttls":
			msg := fmt.Sprintf("%s does not offer STARTTLS: mail to it travels in clear text", subj)
			if daneApplies {
				msg += "; with DNSSEC-signed TLSA records published, DANE senders will not deliver to it at all"
			}
			out.Add(checks.Finding{ID: "tls.starttls-missing", Subject: subj, Host: name, Address: a.Address, Evidence: ev, Message: msg})
			sts.fail(out, a, subj, ev, false, "it does not offer STARTTLS")
			continue
		case "handshake-failed":
			out.Add(checks.Finding{ID: "tls.handshake-failed", Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("%s offers STARTTLS but %s", subj, handshakeWords(a))})
			why := "the TLS handshake fails: " + a.Error
			if r := smtpwire.ReplyOf(a.err); r != nil {
				why = fmt.Sprintf("it refuses STARTTLS with %q", r.String())
			}
			sts.fail(out, a, subj, ev, false, why)
			continue
		}
		if a.state == nil || len(a.state.PeerCertificates) == 0 {
			continue
		}
		chain := a.state.PeerCertificates
		leaf := chain[0]
		now := env.Clock()

		// DANE first: it sets the context of the PKIX findings.
		daneOK := false
		if daneApplies {
			for _, r := range usable {
				if matchTLSA(r, chain, name, now) {
					daneOK = true
					a.DANEMatch = fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, r.Certificate)
					break
				}
			}
			if daneOK {
				out.Add(checks.Finding{ID: "tls.dane-valid", Subject: subj, Host: name, Address: a.Address, Evidence: tlsaEv,
					Message: fmt.Sprintf("TLSA record %q at _25._tcp.%s matches the certificate of %s", short(a.DANEMatch), name, subj)})
			} else {
				spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
				out.Add(checks.Finding{ID: "tls.dane-mismatch", Subject: subj, Host: name, Address: a.Address, Evidence: tlsaEv,
					Message: fmt.Sprintf("none of the %d usable TLSA record(s) at _25._tcp.%s matches the chain %s serves: DANE senders defer all mail to it", len(usable), name, subj),
					Fix:     fmt.Sprintf("Publish `_25._tcp.%s. IN TLSA 3 1 1 %s` (the SHA-256 of the served key), or serve the certificate the existing records name.", name, hex.EncodeToString(spki[:]))})
			}
		}
		pkix := pkixContext(pol, daneApplies, daneOK)
		var stsReasons []string

		// Trust, independent of the validity period.
		trusted, terr := verifyChain(chain, env.RootCAs, now)
		a.Trusted = trusted
		if !trusted {
			a.TrustError = smtpwire.X509Words(terr)
			what := "does not chain to a trusted root: " + a.TrustError
			if isSelfSigned(leaf) {
				what = "is self-signed"
			}
			stsReasons = append(stsReasons, "its certificate "+what)
			out.Add(checks.Finding{ID: "tls.cert-untrusted", Severity: pkix.sev, Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s (%s) %s (%s)", subj, leaf.Subject.CommonName, what, pkix.why)})
		}
		if err := leaf.VerifyHostname(name); err != nil {
			stsReasons = append(stsReasons, fmt.Sprintf("its certificate is for %s, not %s", certNames(leaf), name))
			out.Add(checks.Finding{ID: "tls.cert-name-mismatch", Severity: pkix.sev, Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s is for %s, not %s (%s)", subj, certNames(leaf), name, pkix.why),
				Fix:     fmt.Sprintf("Issue the certificate with %s in its subjectAltName.", name)})
		} else {
			a.NameMatch = true
		}
		days := int(leaf.NotAfter.Sub(now).Hours() / 24)
		if leaf.NotAfter.Before(now) {
			days = -int(now.Sub(leaf.NotAfter).Hours()/24) - 1
		}
		a.ExpiresDays = &days
		// Outside DANE's authentication an expired certificate is a
		// failure whatever the context; under it, only MTA-STS senders
		// look at the dates.
		expSev, expWhy := checks.SevFail, ""
		if daneOK {
			expSev, expWhy = pkix.sev, " ("+pkix.why+")"
		}
		switch {
		case now.After(leaf.NotAfter):
			stsReasons = append(stsReasons, "its certificate expired on "+leaf.NotAfter.UTC().Format("2006-01-02"))
			out.Add(checks.Finding{ID: "tls.cert-expired", Severity: expSev, Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s expired on %s%s", subj, leaf.NotAfter.UTC().Format("2006-01-02"), expWhy)})
		case now.Before(leaf.NotBefore):
			stsReasons = append(stsReasons, "its certificate is not valid before "+leaf.NotBefore.UTC().Format("2006-01-02 15:04 MST"))
			out.Add(checks.Finding{ID: "tls.cert-expired", Severity: expSev, Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s is not valid before %s%s", subj, leaf.NotBefore.UTC().Format("2006-01-02 15:04 MST"), expWhy)})
		case days < ExpiringDays:
			out.Add(checks.Finding{ID: "tls.cert-expiring", Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s expires in %d day(s), on %s", subj, days, leaf.NotAfter.UTC().Format("2006-01-02"))})
		}
		if len(stsReasons) > 0 {
			sts.fail(out, a, subj, ev, daneOK, strings.Join(stsReasons, "; "))
		} else {
			sts.pass()
		}
		if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			out.Add(checks.Finding{ID: "tls.weak-key", Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s has a %d-bit RSA key", subj, k.N.BitLen())})
		}
		if len(a.OldProtocols) > 0 {
			out.Add(checks.Finding{ID: "tls.old-protocol", Subject: subj, Host: name, Address: a.Address, Evidence: ev,
				Message: fmt.Sprintf("%s accepts %s", subj, strings.Join(a.OldProtocols, ", "))})
		}
	}
	h.data.MTASTS = sts.verdict(len(h.addrs))
}

// pkixVerdict is the severity of a certificate that fails PKIX validation
// (untrusted, name mismatch; expired under DANE), and why, in the context
// of the senders that would look at it.
type pkixVerdict struct {
	sev checks.Severity
	why string
}

// pkixContext decides who fails over a certificate that fails PKIX
// validation. When a DNSSEC-signed TLSA record authenticates the server,
// DANE senders do not look at its names or dates (RFC 7672 §3.1.1) and
// deliver; MTA-STS senders (without DANE) still validate it (RFC 8461
// §4.2).
func pkixContext(pol *mtasts.Fact, daneApplies, daneOK bool) pkixVerdict {
	switch {
	case daneOK && pol.Enforced():
		return pkixVerdict{checks.SevFail, "the domain's MTA-STS policy is in enforce mode: MTA-STS senders refuse to deliver; DANE senders deliver, as a TLSA record authenticates the server"}
	case daneOK && pol.Deployed():
		return pkixVerdict{checks.SevWarn, "the domain's MTA-STS policy is in testing mode: MTA-STS senders report the failure and would refuse under enforce; DANE senders deliver, as a TLSA record authenticates the server"}
	case daneOK && pol != nil:
		return pkixVerdict{checks.SevInfo, "DANE senders deliver, as a TLSA record authenticates the server; senders that validate certificates (MTA-STS, PKIX) would refuse, but the domain has no MTA-STS policy that asks them to"}
	case daneOK:
		return pkixVerdict{checks.SevInfo, "DANE senders deliver, as a TLSA record authenticates the server; senders that validate certificates (MTA-STS, PKIX) would refuse"}
	case pol.Enforced():
		return pkixVerdict{checks.SevFail, "the domain's MTA-STS policy is in enforce mode: senders refuse to deliver"}
	case daneApplies:
		return pkixVerdict{checks.SevFail, "DANE applies and does not authenticate the server either"}
	case pol.Deployed():
		return pkixVerdict{checks.SevWarn, "the domain's MTA-STS policy is in testing mode: senders report the failure but deliver; under enforce they would refuse"}
	}
	return pkixVerdict{checks.SevWarn, "opportunistic TLS: senders do not verify certificates, but verifying ones (MTA-STS) would refuse"}
}

// stsHost judges one MX host against the domain's MTA-STS policy, address
// by address.
type stsHost struct {
	pol     *mtasts.Fact // nil: no policy that senders apply
	host    string       // the MX host judged
	covered bool
	passed  int      // addresses an MTA-STS sender would deliver to
	failed  []string // why it would refuse the others, one per address
	addrs   []string
}

func stsOf(pol *mtasts.Fact, host string) *stsHost {
	if !pol.Deployed() {
		return &stsHost{}
	}
	return &stsHost{pol: pol, covered: pol.Covers(host), host: host}
}

func (s *stsHost) judged() bool { return s.pol != nil && s.covered }

func (s *stsHost) pass() {
	if s.judged() {
		s.passed++
	}
}

// fail reports tls.mtasts-would-fail for the address a of a covered host:
// a warning in testing mode (switching to enforce would stop the mail), a
// failure in enforce mode (MTA-STS senders do not deliver to it today).
func (s *stsHost) fail(out *checks.Out, a *Address, subj string, ev *checks.Evidence, daneOK bool, reason string) {
	if !s.judged() {
		return
	}
	a.MTASTSWouldFail = reason
	s.failed = append(s.failed, reason)
	s.addrs = append(s.addrs, a.Address)
	dane := ""
	if daneOK {
		dane = "; DANE senders still deliver, as a TLSA record authenticates the server"
	}
	f := checks.Finding{ID: "tls.mtasts-would-fail", Subject: subj, Host: s.host, Address: a.Address, Evidence: ev}
	if s.pol.Enforced() {
		f.Message = fmt.Sprintf("senders that apply MTA-STS do not deliver to %s: %s (the policy covers the host and is in enforce mode%s)", subj, reason, dane)
	} else {
		f.Severity = checks.SevWarn
		f.Message = fmt.Sprintf("switching the MTA-STS policy to enforce would stop mail to %s: %s (in testing mode senders only report it%s)", subj, reason, dane)
	}
	out.Add(f)
}

// verdict is the host's HostMTASTS (nil when no policy applies); n is
// the number of its addresses.
func (s *stsHost) verdict(n int) *HostMTASTS {
	if s.pol == nil {
		return nil
	}
	v := &HostMTASTS{Covered: s.covered}
	switch {
	case !s.covered:
		v.Verdict = STSNotCovered
	case len(s.failed) > 0:
		v.Verdict = STSWouldFail
		if n == 1 {
			v.WouldFail = s.failed[0]
		} else {
			parts := make([]string, len(s.failed))
			for i := range s.failed {
				parts[i] = s.addrs[i] + ": " + s.failed[i]
			}
			v.WouldFail = strings.Join(parts, "; ")
		}
	case n > 0 && s.passed == n:
		v.Verdict = STSOK
	default:
		v.Verdict = STSUndecided
	}
	return v
}

func short(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

func certNames(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return strings.Join(c.DNSNames, ", ")
	}
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return "no name"
}

func lines(es []smtpwire.Entry) []checks.Line {
	out := make([]checks.Line, len(es))
	for i, e := range es {
		out[i] = checks.Line{Dir: e.Dir, Text: e.Text}
	}
	return out
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.Subject.String() == c.Issuer.String() && c.CheckSignatureFrom(c) == nil
}

// verifyChain verifies the served chain against roots (nil: the system
// roots, which honour SSL_CERT_FILE). Trust is judged apart from expiry
// (tls.cert-expired reports that): a chain that fails only because the
// leaf is outside its validity period counts as trusted.
func verifyChain(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) (bool, error) {
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	var ie x509.CertificateInvalidError
	if errors.As(err, &ie) && ie.Reason == x509.Expired && (now.After(leaf.NotAfter) || now.Before(leaf.NotBefore)) {
		// Verify checks the dates before the issuer, so judge the trust
		// at a time within the leaf's validity period: an expired
		// self-signed certificate is both expired and untrusted.
		at := leaf.NotAfter.Add(-time.Second)
		if now.Before(leaf.NotBefore) {
			at = leaf.NotBefore.Add(time.Second)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at})
		if errors.As(err, &ie) && ie.Reason == x509.Expired {
			return true, nil // an intermediate's dates; the leaf's are tls.cert-expired's
		}
	}
	return err == nil, err
}
