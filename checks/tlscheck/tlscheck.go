// Package tlscheck implements the "tls" check: STARTTLS on every address of
// every MX host, an explicit and timed TLS handshake, the certificate chain
// verified against the trusted roots and the MX host name, expiry, key
// strength, whether TLS 1.0/1.1 are still accepted, and DANE (RFC 7672).
//
// The handshake it judges is the smtp check's: it reads the opening of the
// smtp check's session with each address (smtp.FactKey) instead of opening
// one of its own, so both checks cost one connection per address, and
// opens a second one only for the TLS 1.0/1.1 probe. Without the smtp
// check in the run (no Registry to resolve Needs), it opens its own.
//
// Severity follows context, as a sending MTA would judge: a certificate
// that fails PKIX validation is a warning under opportunistic TLS, and a
// failure when MTA-STS is in enforce mode or DANE applies and does not
// authenticate the server.
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

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "STARTTLS and certificates" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID, mtasts.ID, smtp.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

const contextNote = "warn under opportunistic TLS; fail when the domain's MTA-STS policy is in enforce mode or DANE applies without authenticating the server; info when DANE authenticates it (DANE senders ignore PKIX)"

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
	{ID: "tls.cert-expired", Severity: checks.SevFail, Title: "The certificate has expired (or is not valid yet)",
		Why: "Verifying senders reject an expired certificate, and it shows that renewal is broken.",
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

// Data is the check's JSON data.
type Data struct {
	Hosts []Host `json:"hosts"`
	// MTASTS is the MTA-STS mode that sets the severity context: enforce,
	// testing, none, or unknown when the mtasts check gave nothing.
	MTASTS string `json:"mta_sts"`
}

// Host is one MX host.
type Host struct {
	Name       string    `json:"name"`
	Preference uint16    `json:"preference"`
	TLSA       []string  `json:"tlsa,omitempty"`
	TLSASecure bool      `json:"tlsa_secure,omitempty"`
	DANE       string    `json:"dane"` // none, unsigned, unusable, applies, error
	Addresses  []Address `json:"addresses"`
	Error      string    `json:"error,omitempty"`
}

// Cert describes one certificate of the served chain.
type Cert struct {
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	DNSNames   []string  `json:"dns_names,omitempty"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	Key        string    `json:"key"` // "RSA 2048", "ECDSA P-256", "Ed25519"
	SHA256     string    `json:"sha256"`
	SPKISHA256 string    `json:"spki_sha256"`
}

// Address is the result for one MX address.
type Address struct {
	Address      string           `json:"address"`
	Outcome      string           `json:"outcome"` // tls, no-starttls, handshake-failed, not-tested
	STARTTLS     bool             `json:"starttls"`
	Version      string           `json:"version,omitempty"`
	Cipher       string           `json:"cipher,omitempty"`
	HandshakeMs  float64          `json:"handshake_ms,omitempty"`
	Chain        []Cert           `json:"chain,omitempty"`
	Trusted      bool             `json:"trusted"`
	TrustError   string           `json:"trust_error,omitempty"`
	NameMatch    bool             `json:"name_match"`
	ExpiresDays  *int             `json:"expires_in_days,omitempty"`
	OldProtocols []string         `json:"old_protocols,omitempty"` // TLS 1.0/1.1 versions accepted
	OldProbe     string           `json:"old_protocol_probe,omitempty"`
	DANEMatch    string           `json:"dane_match,omitempty"` // the TLSA record that matched
	Stages       []smtpwire.Stage `json:"stages"`
	Transcript   []smtpwire.Entry `json:"transcript"`
	Error        string           `json:"error,omitempty"`

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
	fact, err := mx.Await(ctx, out)
	if err != nil {
		return fmt.Errorf("no MX data: %w", err)
	}
	// TLSA beside the address lookups and probes.
	tlsa := make([]tlsaLookup, len(fact.Hosts))
	var wg sync.WaitGroup
	for i, h := range fact.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tlsa[i] = lookupTLSA(ctx, env, h.Name)
		}()
	}
	// The smtp check's sessions: the tls check reads their openings, up to
	// the TLS handshake, instead of opening sessions of its own. Without
	// the smtp check in the run (nil), it opens its own.
	openings, _ := smtp.FactKey.Await(ctx, out)
	p := &prober{env: env, helo: smtpwire.HELOName(t.HELO), openings: openings}
	probes := smtpwire.ProbeMX(ctx, env, fact.Hosts, p.address)
	wg.Wait()

	// The MTA-STS context is needed only now, after the probes. When the
	// mtasts check decided nothing, the context is unknown and certificate
	// findings keep their opportunistic severity.
	mode, enforced := "unknown", false
	if pol, err := mtasts.FactKey.Await(ctx, out); err == nil && pol != nil {
		mode = "none"
		if pol.Deployed() {
			mode = "testing"
		}
		if pol.Enforced() {
			mode, enforced = "enforce", true
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
		report(out, env, h, enforced, allBlocked)
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
	old := p.session(ip)
	oldCfg := smtpwire.OpportunisticTLS(host)
	oldCfg.MaxVersion = tls.VersionTLS11
	old.Transcript().Note("probe: are TLS 1.0/1.1 still accepted?")
	oop := smtpwire.Open(ctx, old, oldCfg)
	switch {
	case oop.Err == nil && oop.TLS != nil:
		a.OldProtocols = []string{tls.VersionName(oop.TLS.Version)}
		a.OldProbe = "accepted"
	case oop.Step == smtpwire.StepSTARTTLS && !cutShort(ctx, oop.Err):
		a.OldProbe = "refused"
	case oop.Err == nil:
		a.OldProbe = "unknown: STARTTLS was not offered this time"
	default:
		a.OldProbe = "unknown: " + oop.Err.Error()
	}
	if oop.Err == nil {
		_ = old.Quit(ctx)
	}
	_ = old.Close()
	a.Stages = append(a.Stages, prefixStages("old_", old.Stages())...)
	a.Transcript = append(a.Transcript, old.Transcript().Entries()...)
	return a
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
func notTested(subj string, a *Address, ev *checks.Evidence) checks.Finding {
	f := checks.Finding{ID: "tls.not-tested", Subject: subj, Evidence: ev,
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

// report turns one host's results into findings.
func report(out *checks.Out, env *checks.Env, h *hostRun, stsEnforced, allBlocked bool) {
	name := h.data.Name
	if h.dnsErr != nil {
		out.Add(checks.Finding{ID: "tls.dns-error", Subject: name, Evidence: checks.DNSEvidence(h.dnsEv...),
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
		out.Add(checks.Finding{ID: "tls.dns-error", Subject: "_25._tcp." + name, Evidence: tlsaEv,
			Message: fmt.Sprintf("the TLSA lookup failed: %s (DANE senders defer mail while it fails)", smtpwire.LookupWords(h.tlsaErr))})
	case len(h.tlsa) > 0 && !h.data.TLSASecure:
		h.data.DANE = "unsigned"
		out.Add(checks.Finding{ID: "tls.dane-unsigned", Subject: "_25._tcp." + name, Evidence: tlsaEv,
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
			out.Add(checks.Finding{ID: "tls.dane-pkix-usage", Subject: "_25._tcp." + name, Evidence: tlsaEv,
				Message: fmt.Sprintf("_25._tcp.%s has TLSA record(s) with usage 0/1 (%s), which SMTP senders ignore", name, strings.Join(pkix, ", "))})
		}
		h.data.DANE = "unusable"
		if len(usable) > 0 {
			h.data.DANE = "applies"
		}
	}
	daneApplies := len(usable) > 0

	for _, a := range h.addrs {
		subj := name + " [" + a.Address + "]"
		ev := &checks.Evidence{SMTP: lines(a.Transcript)}
		switch a.Outcome {
		case "not-tested":
			if allBlocked {
				continue
			}
			out.Add(notTested(subj, a, ev))
			continue
		case "no-starttls":
			msg := fmt.Sprintf("%s does not offer STARTTLS: mail to it travels in clear text", subj)
			if daneApplies {
				msg += "; with DNSSEC-signed TLSA records published, DANE senders will not deliver to it at all"
			}
			out.Add(checks.Finding{ID: "tls.starttls-missing", Subject: subj, Evidence: ev, Message: msg})
			continue
		case "handshake-failed":
			out.Add(checks.Finding{ID: "tls.handshake-failed", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("%s offers STARTTLS but %s", subj, handshakeWords(a))})
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
				out.Add(checks.Finding{ID: "tls.dane-valid", Subject: subj, Evidence: tlsaEv,
					Message: fmt.Sprintf("TLSA record %q at _25._tcp.%s matches the certificate of %s", short(a.DANEMatch), name, subj)})
			} else {
				spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
				out.Add(checks.Finding{ID: "tls.dane-mismatch", Subject: subj, Evidence: tlsaEv,
					Message: fmt.Sprintf("none of the %d usable TLSA record(s) at _25._tcp.%s matches the chain %s serves: DANE senders defer all mail to it", len(usable), name, subj),
					Fix:     fmt.Sprintf("Publish `_25._tcp.%s. IN TLSA 3 1 1 %s` (the SHA-256 of the served key), or serve the certificate the existing records name.", name, hex.EncodeToString(spki[:]))})
			}
		}
		sev, why := checks.SevWarn, "opportunistic TLS: senders do not verify certificates, but verifying ones (MTA-STS) would refuse"
		switch {
		case stsEnforced:
			sev, why = checks.SevFail, "the domain's MTA-STS policy is in enforce mode: senders refuse to deliver"
		case daneApplies && !daneOK:
			sev, why = checks.SevFail, "DANE applies and does not authenticate the server either"
		case daneOK:
			sev, why = checks.SevInfo, "DANE authenticates the server, so DANE senders ignore this; others use opportunistic TLS"
		}

		// Trust, independent of the validity period.
		trusted, terr := verifyChain(chain, env.RootCAs, now)
		a.Trusted = trusted
		if !trusted {
			a.TrustError = smtpwire.X509Words(terr)
			what := "does not chain to a trusted root: " + a.TrustError
			if isSelfSigned(leaf) {
				what = "is self-signed"
			}
			out.Add(checks.Finding{ID: "tls.cert-untrusted", Severity: sev, Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s (%s) %s (%s)", subj, leaf.Subject.CommonName, what, why)})
		}
		if err := leaf.VerifyHostname(name); err != nil {
			out.Add(checks.Finding{ID: "tls.cert-name-mismatch", Severity: sev, Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s is for %s, not %s (%s)", subj, certNames(leaf), name, why),
				Fix:     fmt.Sprintf("Issue the certificate with %s in its subjectAltName.", name)})
		} else {
			a.NameMatch = true
		}
		days := int(leaf.NotAfter.Sub(now).Hours() / 24)
		if leaf.NotAfter.Before(now) {
			days = -int(now.Sub(leaf.NotAfter).Hours()/24) - 1
		}
		a.ExpiresDays = &days
		switch {
		case now.After(leaf.NotAfter):
			out.Add(checks.Finding{ID: "tls.cert-expired", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s expired on %s", subj, leaf.NotAfter.UTC().Format("2006-01-02"))})
		case now.Before(leaf.NotBefore):
			out.Add(checks.Finding{ID: "tls.cert-expired", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s is not valid before %s", subj, leaf.NotBefore.UTC().Format("2006-01-02 15:04 MST"))})
		case days < ExpiringDays:
			out.Add(checks.Finding{ID: "tls.cert-expiring", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s expires in %d day(s), on %s", subj, days, leaf.NotAfter.UTC().Format("2006-01-02"))})
		}
		if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			out.Add(checks.Finding{ID: "tls.weak-key", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("the certificate of %s has a %d-bit RSA key", subj, k.N.BitLen())})
		}
		if len(a.OldProtocols) > 0 {
			out.Add(checks.Finding{ID: "tls.old-protocol", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("%s accepts %s", subj, strings.Join(a.OldProtocols, ", "))})
		}
	}
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
		return true, nil
	}
	return err == nil, err
}
