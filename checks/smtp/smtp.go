package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/smtpwire"
)

// ID is the check ID.
const ID = "smtp"

// DefaultSlowBanner is the greeting delay above which smtp.slow-banner is
// reported.
const DefaultSlowBanner = 10 * time.Second

// RelayProbeDomain is the foreign domain of the open-relay probe's
// recipient (RelayProbeAltDomain when the checked domain is under it).
const (
	RelayProbeDomain    = "example.net"
	RelayProbeAltDomain = "example.org"
)

// Check is the smtp check.
type Check struct {
	// SlowBanner overrides DefaultSlowBanner (tests use a short one).
	SlowBanner time.Duration
}

var (
	_ checks.Check          = Check{}
	_ checks.Skipper        = Check{}
	_ checks.AddressChecker = Check{}
)

// ChecksAddress implements checks.AddressChecker: on an address target
// (mxray check 192.0.2.7) the check reads the banner on port 25 of that
// address: the greeting, EHLO and STARTTLS, and whether the greeting's
// name is the address's PTR name. The per-domain probes (postmaster,
// relay, VRFY, greylisting) need a domain and are not made, and the
// reverse DNS itself is the ptr check's.
func (Check) ChecksAddress() bool { return true }

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "SMTP handshake" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{mx.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "smtp.connect-failed", Severity: checks.SevFail, Title: "An MX address refuses connections on port 25",
		SeverityNote: "fail when the connection is refused; error (could not test) when it times out or the address is unreachable from here; info when an address given as the target (mxray check ADDRESS) refuses it, since an address that only sends mail need not listen",
		Why:          "Senders try each MX address in turn; an address that refuses connections delays or bounces mail when it is the only one left.",
		Fix:          "Make the mail server listen on port 25 on this address (and let the firewall through), or remove the address from the MX host's A/AAAA records.",
		Ref:          "RFC 5321 §4.5.4, §5.1"},
	{ID: "smtp.port25-blocked", Severity: checks.SevError, Title: "Could not test: outbound port 25 is probably blocked on this network",
		Why: "Every MX address timed out. Residential and cloud networks commonly block outgoing port 25, so this says nothing about the servers.",
		Fix: "Run mxray from a network that allows outgoing SMTP (a server, not a laptop on a home or cloud network), or use --no-smtp to skip these checks."},
	{ID: "smtp.banner-timeout", Severity: checks.SevError, Title: "Could not test: the server accepted the connection but sent no greeting in time",
		Why: "No 220 greeting arrived within --greeting-timeout (30 s by default). Senders wait up to five minutes, so this alone does not prove the server broken, but a greeting this slow delays every delivery, and a tarpit or hung server never greets at all.",
		Fix: "Check that the SMTP daemon is running and not overloaded, and that greet-pause or tarpitting (postscreen, spamd) stays within a few seconds; retry with a longer --greeting-timeout to tell a slow server from a dead one.",
		Ref: "RFC 5321 §4.5.3.2.1"},
	{ID: "smtp.banner-rejected", Severity: checks.SevFail, Title: "The server's greeting refuses service",
		SeverityNote: "warn for a 4xx (temporary) greeting, which may be a rate limit aimed at this client",
		Why:          "A greeting other than 220 (e.g. 554) means the server will not accept mail from this client; if it does the same to every sender, mail bounces.",
		Fix:          "Check the server's access rules and connection limits; a 554 greeting is meant only for clients that are blocked on purpose.",
		Ref:          "RFC 5321 §3.1, §4.2"},
	{ID: "smtp.slow-banner", Severity: checks.SevInfo, Title: "The greeting took more than 10 seconds",
		Why: "Greet pauses fend off spam bots, but long ones slow every delivery, and impatient clients or scanners give up.",
		Fix: "Keep greet-pause delays to a few seconds (postscreen_greet_wait defaults to 6 s).",
		Ref: "RFC 5321 §4.5.3.2.1"},
	{ID: "smtp.ehlo-rejected", Severity: checks.SevFail, Title: "The server rejects EHLO and HELO",
		Why: "Without a successful EHLO or HELO no mail transaction can start, and no extensions (STARTTLS, SIZE...) are known.",
		Fix: "Check the server's HELO restrictions (e.g. Postfix smtpd_helo_restrictions); they should not reject ordinary, well-formed host names.",
		Ref: "RFC 5321 §4.1.1.1"},
	{ID: "smtp.postmaster-rejected", Severity: checks.SevWarn, Title: "The server rejects mail to postmaster@ the domain",
		Why: "RFC 5321 requires every domain that receives mail to accept mail for postmaster; it is how other operators reach you about problems.",
		Fix: "Create a postmaster mailbox or alias for the domain and exempt it from recipient filtering.",
		Ref: "RFC 5321 §4.5.1"},
	{ID: "smtp.null-sender-rejected", Severity: checks.SevWarn, Title: "The server rejects the null sender MAIL FROM:<>",
		Why: "Bounces and delivery notifications are sent from the null reverse-path; rejecting it loses them and breaks standards-based callbacks.",
		Fix: "Accept MAIL FROM:<> (filter bounces by content, not by the empty sender).",
		Ref: "RFC 5321 §4.5.5, §6.1"},
	{ID: "smtp.open-relay", Severity: checks.SevFail, Title: "The server accepted a recipient in a foreign domain: it looks like an open relay",
		Why: "An open relay forwards anyone's mail to anywhere; spammers find it within hours and the server's address lands on every blocklist.",
		Fix: "Restrict relaying to authenticated users and your own networks (Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination).",
		Ref: "RFC 5321 §7.1, RFC 2505"},
	{ID: "smtp.vrfy-enabled", Severity: checks.SevInfo, Title: "VRFY discloses whether mailboxes exist",
		Why: "Spammers use VRFY to harvest valid addresses.",
		Fix: "Disable VRFY (Postfix: disable_vrfy_command = yes) or answer it with 252.",
		Ref: "RFC 5321 §3.5.3, §7.3"},
	{ID: "smtp.greylisted", Severity: checks.SevInfo, Title: "The server defers senders it has not seen before (greylisting)",
		Why: "Greylisting defers the first message of each new client, sender and recipient with a 4xx reply and accepts it when the sender retries, minutes later: mail from new senders is delayed. mxray probes with a sender that is new on every run, so greylisting shows every time; it recognises it by the reply's words, by a retry that is accepted, or by a new sender deferred where the null sender was not.",
		Fix: "Nothing to fix if greylisting is intended; keep its delay short (a few minutes) and whitelist the senders whose mail must not wait.",
		Ref: "RFC 6647"},
	{ID: "smtp.deferred", Severity: checks.SevWarn, Title: "The server deferred MAIL or RCPT, and the retry too, and nothing shows it is greylisting",
		Why: "A 4xx reply whose words do not say greylisting, deferred again when sent at once, cannot be told from a temporary failure: a failing lookup, a full disk or queue, a limit aimed at the client, or a greylister that neither says so nor lets a prompt retry through. Senders queue the mail and retry; if it lasts, their mail bounces after days. It may be aimed at the network mxray runs from only.",
		Fix: "Read the reply and the server's log for the cause (e.g. Postfix `Temporary lookup failure` names a map that cannot be read) and fix it; if it is a limit aimed at this client, test from another network.",
		Ref: "RFC 5321 §4.2.5"},
	{ID: "smtp.timeout", Severity: checks.SevError, Title: "Could not test: the server stopped answering mid-conversation",
		Why: "The server accepted the connection but a reply did not arrive within the timeout, so the remaining stages could not be tested.",
		Fix: "Retry with a longer --timeout; if it persists, check the server's load and its tarpitting settings."},
	{ID: "smtp.ptr-missing", Severity: checks.SevWarn, Title: "An MX address has no reverse DNS (PTR) record",
		Why: "Many receivers reject or distrust mail from addresses without reverse DNS; MX servers usually send mail too (bounces, forwarding).",
		Fix: "Ask the address's owner (your hosting or network provider) to publish a PTR record naming the MX host.",
		Ref: "RFC 1912 §2.1"},
	{ID: "smtp.fcrdns-mismatch", Severity: checks.SevWarn, Title: "The PTR name of an MX address does not resolve back to it",
		Why: "Receivers check forward-confirmed reverse DNS: the PTR name's A/AAAA must include the address, or the name is not trusted.",
		Fix: "Publish an A/AAAA record for the PTR name pointing at the address, or change the PTR to a name that does.",
		Ref: "RFC 8601 §2.7.3"},
	{ID: "smtp.ptr-generic", Severity: checks.SevWarn, Title: "The PTR name of an MX address looks generic (a provider's name for a consumer or dynamic address)",
		Why: "Receivers take an address whose reverse DNS looks generated (203-0-113-7.dyn.broadband.example, dsl-42.pool.example, host-113-7.cust.example) for a consumer or dynamically assigned host, not a mail server: Yahoo asks senders not to use such names, Spamhaus lists such ranges in its Policy Block List (PBL), spam filters score them, and Gmail's reverse DNS rejections (550 5.7.25, 451 4.7.23) follow when the name does not resolve back. An MX sends mail too (bounces, notifications, forwarding), so its addresses are judged the same way. The rules that make a name generic are the ptr check's (ptr.generic): the address's octets in either order, dotted, dashed or in hex, the end of the address next to a word such as host, cust or pool, or a word such as dyn, dsl or broadband joined with a number.",
		Fix: "Have the address's owner (your hosting or network provider) set its PTR record to the MX host's name, or another name of your own for the server, that resolves back to the address.",
		Ref: "RFC 1912 §2.1"},
	{ID: "smtp.banner-ptr-mismatch", Severity: checks.SevInfo, Title: "The host name in the greeting differs from the address's PTR name",
		Why: "Some filters compare the greeting with reverse DNS; a mismatch also makes logs harder to follow.",
		Fix: "Set the server's host name (Postfix: myhostname) to the name the PTR record gives."},
	{ID: "smtp.reply-too-long", Severity: checks.SevFail, Title: "The server sends a reply longer than any sender reads",
		Why: "A reply of more than 100 lines or 64 KiB (an endless \"250-...\" stream, a line without end) is not a reply a sender can act on: senders give up on it or wait for its last line until they time out, and the mail is deferred.",
		Fix: "Check the SMTP daemon and anything in front of it (a proxy, a load balancer, a filter) for what streams the reply; an EHLO reply lists a few dozen extensions at most.",
		Ref: "RFC 5321 §4.2.1, §4.5.3.1.5"},
	{ID: "smtp.rate-limited", Severity: checks.SevError, Title: "Could not test an address: --smtp-rate allowed no connection to it within the check's time",
		Why: "With several domains (check -f, the domain list, a worker) mxray connects to one address no more often than --smtp-rate allows, and shares what it found there between the domains that use it. When the address's turn did not come before --check-timeout, the address was not tested: nothing is known about it, so it never counts as a pass.",
		Fix: "Raise --check-timeout or --smtp-rate, or lower --concurrency, so that every address's turn comes in time; or check the domain again on its own."},
	{ID: "smtp.nothing-tested", Severity: checks.SevError, Title: "Could not test: no MX address to talk to",
		Why: "The smtp check tested no server at all: no MX host has an address that could be found, or the domain has no MX host. Nothing was decided, so the check cannot pass.",
		Fix: "See the mx check's findings: publish A/AAAA records for the MX hosts (or fix the DNS errors) and run the check again."},
	{ID: "smtp.dns-error", Severity: checks.SevError, Title: "Address or reverse DNS lookups failed (timeout, SERVFAIL or REFUSED)",
		Why: "mxray could not tell whether the records exist.",
		Fix: "Check that the name servers answer for the name over UDP and TCP, and that DNSSEC validates."},
}

// Data is the check's JSON data: what every MX address said on port 25.
type Data struct {
	// Hosts are the MX hosts in preference order, each with its
	// addresses' sessions; [] when the domain has none.
	Hosts []Host `json:"hosts"`
	// Port25Blocked is present (true) when no address answered the
	// connection at all: outbound port 25 is probably blocked here.
	Port25Blocked bool `json:"port25_blocked,omitempty"`
	// HELO is the name mxray sent with EHLO (--helo, or this machine's
	// name); absent in data written before it was recorded.
	HELO string `json:"helo,omitempty"`
}

// Host is one MX host with the result for each of its addresses.
type Host struct {
	// Name is the MX host name, lower case without the trailing dot; on an
	// address target (mxray check 192.0.2.7), the address itself.
	Name string `json:"name"`
	// Preference is the MX preference (0 for an implicit MX).
	Preference uint16 `json:"preference"`
	// Addresses are the sessions with each of the host's addresses, in
	// address order; [] when it has none or their lookup failed.
	Addresses []Address `json:"addresses"`
	// Error says in plain words why the host's addresses could not be
	// resolved; absent when they were.
	Error string `json:"error,omitempty"`
}

// Probe is the outcome of one command of the probe.
type Probe struct {
	// Command is the command sent, e.g. "VRFY postmaster".
	Command string `json:"command"`
	// Accepted is true when the server answered 2xx.
	Accepted bool `json:"accepted"`
	// Reply is the server's reply; absent when none came (Error says why).
	Reply *smtpwire.Reply `json:"reply,omitempty"`
	// Error says in plain words why no reply came; absent when one did.
	Error string `json:"error,omitempty"`
}

// Deferral is a 4xx reply to one command of the probe and how the same
// command, sent again at once, went.
type Deferral struct {
	// Command is the deferred command, e.g. "RCPT TO:<postmaster@example.com>".
	Command string `json:"command"`
	// Sender is the MAIL FROM of the transaction, in angle brackets ("<>"
	// for the null sender); "" for VRFY, which is outside any.
	Sender string `json:"sender,omitempty"`
	// Reply is the 4xx reply.
	Reply *smtpwire.Reply `json:"reply"`
	// Retry is the same command sent again at once.
	Retry *Probe `json:"retry"`
	// Greylisting says why the deferral is taken for greylisting: GreyReply,
	// GreyRetry or GreyNewSender; "" when it is not.
	Greylisting string `json:"greylisting,omitempty"`
}

// Address is the result of talking to one MX address.
type Address struct {
	// Address is the IP address talked to.
	Address string `json:"address"`
	// PTR lists the address's PTR names (lower case, no trailing dot);
	// absent when it has none or the lookup failed.
	PTR []string `json:"ptr,omitempty"`
	// FCrDNS is true when a PTR name resolves back to the address, false
	// when none does; absent when undecided or there is no PTR name.
	FCrDNS *bool `json:"fcrdns,omitempty"`
	// PTRGeneric is the first PTR name that looks generic and why
	// ("203-0-113-7.dyn.example: it contains the address as ..."); ""
	// when none does.
	PTRGeneric string `json:"ptr_generic,omitempty"`
	// Outcome is how the session went (completed, refused, timeout...).
	Outcome Outcome `json:"outcome"`
	// Banner holds the lines of the 220 greeting; absent when none came.
	Banner []string `json:"banner,omitempty"`
	// BannerHost is the host name the greeting gives; absent when none.
	BannerHost string `json:"banner_host,omitempty"`
	// BannerMs is the wait for the greeting after connecting, in
	// milliseconds; absent when none came.
	BannerMs float64 `json:"banner_ms,omitempty"`
	// Extensions are the known EHLO keywords announced before STARTTLS;
	// absent when EHLO failed.
	Extensions []string `json:"extensions,omitempty"`
	// ExtensionsTLS are the extensions announced after STARTTLS.
	ExtensionsTLS []string `json:"extensions_tls,omitempty"`
	// STARTTLS is true when the server announced STARTTLS.
	STARTTLS bool `json:"starttls"`
	// TLS is the protocol version the probe ran over after STARTTLS.
	TLS string `json:"tls,omitempty"`
	// TLSError says in plain words why STARTTLS failed; absent when it
	// worked or was not tried.
	TLSError string `json:"tls_error,omitempty"`
	// VRFY is the VRFY probe; absent when not sent.
	VRFY *Probe `json:"vrfy,omitempty"`
	// NullSender is MAIL FROM:<>; absent when not sent.
	NullSender *Probe `json:"null_sender,omitempty"`
	// Postmaster is RCPT TO:<postmaster@domain>; absent when not sent.
	Postmaster *Probe `json:"postmaster,omitempty"`
	// Relay is the open-relay probe (RCPT to an outside domain); absent
	// when not sent.
	Relay *Probe `json:"relay,omitempty"`
	// Sender is the probe's own sender for this address, new on every
	// run (smtpwire.ProbeSender): the greylisting probe's, and transaction
	// 1's when the server refuses the null sender.
	Sender string `json:"sender,omitempty"`
	// PostmasterNewSender is RCPT TO:<postmaster@domain> from Sender,
	// after the null sender's transaction (the greylisting probe).
	PostmasterNewSender *Probe `json:"postmaster_new_sender,omitempty"`
	// Deferrals are the 4xx replies the probe got, each with its retry.
	Deferrals []Deferral `json:"deferrals,omitempty"`
	// Greylisted: a deferral was recognised as greylisting.
	Greylisted bool `json:"greylisted,omitempty"`
	// Stages are the session's steps with their timings; [] when no
	// connection was tried.
	Stages []smtpwire.Stage `json:"stages"`
	// Transcript is the session, line by line; [] when nothing was said.
	Transcript []smtpwire.Entry `json:"transcript"`
	// Error says in plain words why the session ended early; absent when
	// it completed.
	Error       string `json:"error,omitempty"`
	connectKind smtpwire.ConnectKind
	findings    []checks.Finding
	opening     *smtpwire.Opening // handed to the tls check (Fact)
}

// SkipReason implements checks.Skipper: with --no-smtp port 25 is never
// contacted.
func (Check) SkipReason(opts checks.Options) string { return smtpwire.SkipNoSMTP(opts) }

// Outcome is how the session with one address went. Its values are the
// words of data.hosts[].addresses[].outcome.
type Outcome string

// The outcomes.
const (
	OutcomeCompleted      Outcome = "completed"
	OutcomeRefused        Outcome = "refused"
	OutcomeTimeout        Outcome = "timeout"
	OutcomeUnreachable    Outcome = "unreachable"
	OutcomeBannerTimeout  Outcome = "banner-timeout"
	OutcomeReplyTooLong   Outcome = "reply-too-long"
	OutcomeBannerRejected Outcome = "banner-rejected"
	OutcomeEHLORejected   Outcome = "ehlo-rejected"
	OutcomeError          Outcome = "error"
)

// Run implements checks.Check.
func (c Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	ctx = smtpwire.WithProgress(ctx, out.Progress) // the TUI row says which wait it is in
	// The openings of the sessions are the tls check's: published at once,
	// each given as soon as it is over.
	openings := newFact()
	FactKey.Publish(out, openings)
	defer openings.close()

	// Run hidden (only for the tls check's sake, e.g. --only tls), only the
	// openings matter: no PTR lookups, no VRFY, MAIL or RCPT probes.
	p := &prober{env: env, t: t, slow: c.SlowBanner, helo: smtpwire.HELOName(t.HELO), openings: openings, hidden: out.Hidden()}
	if p.slow <= 0 {
		p.slow = DefaultSlowBanner
	}
	var fact *mx.Fact
	var probes []smtpwire.HostProbes[Address]
	if t.Kind() == checks.TargetAddress {
		// One address, as if it were the one address of a host named
		// by it: the banner only.
		p.banner = true
		ip := t.Address
		fact = &mx.Fact{Hosts: []mx.Host{{Name: ip.String()}}}
		probes = []smtpwire.HostProbes[Address]{{Host: fact.Hosts[0], Addrs: []netip.Addr{ip},
			Results: []Address{p.address(ctx, ip.String(), ip)}}}
	} else {
		var err error
		if fact, err = mx.Await(ctx, out); err != nil {
			return fmt.Errorf("no MX data: %w", err)
		}
		probes = smtpwire.ProbeMX(ctx, env, fact.Hosts, p.address)
	}
	hosts := make([]Host, len(probes))
	for i, hp := range probes {
		hosts[i] = Host{Name: hp.Host.Name, Preference: hp.Host.Preference, Addresses: hp.Results}
		if hp.Err != nil {
			hosts[i].Error = smtpwire.LookupWords(hp.Err)
		}
		if hosts[i].Addresses == nil {
			hosts[i].Addresses = []Address{}
		}
	}
	if ctx.Err() != nil {
		out.SetData(Data{Hosts: hosts, HELO: p.helo}) // what was seen before the check was cut short
		return ctx.Err()
	}

	tally := smtpwire.Count(probes, func(a Address) smtpwire.ConnectKind { return a.connectKind })
	data := Data{Hosts: hosts, HELO: p.helo}
	out.SetData(data)
	// Nothing tested is never a pass: one finding says why.
	if tally.Addresses == 0 {
		skip, msg, ev := smtpwire.Untested(fact, probes)
		if skip != nil {
			return skip
		}
		out.Add(checks.Finding{ID: "smtp.nothing-tested", Subject: t.Domain, Evidence: ev, Message: msg})
		return nil
	}
	for i := range probes {
		// "no address" is the mx check's finding (mx.no-address).
		if hp := &probes[i]; hp.LookupFailed() {
			out.Add(checks.Finding{ID: "smtp.dns-error", Subject: hp.Host.Name, Host: hp.Host.Name,
				Message:  "could not resolve the MX host: " + hosts[i].Error,
				Evidence: checks.DNSEvidence(hp.Queries()...)})
		}
	}
	// Port 25 blocked: every address timed out while connecting (or was
	// unreachable from here, like IPv6 on an IPv4-only network).
	if tally.Port25Blocked() {
		data.Port25Blocked = true
		out.SetData(data)
		var addrs []string
		for _, h := range hosts {
			for _, a := range h.Addresses {
				addrs = append(addrs, a.Address)
			}
		}
		msg := fmt.Sprintf("could not test: outbound port 25 is probably blocked on this network (no MX address answered: %s)", strings.Join(addrs, ", "))
		if p.banner {
			msg = fmt.Sprintf("could not test: %s did not answer on port 25; outbound port 25 is probably blocked on this network, or the address drops connections to it", t.Address)
		}
		out.Add(checks.Finding{ID: "smtp.port25-blocked", Subject: t.Name(),
			Message: msg,
			Evidence: &checks.Evidence{SMTP: []checks.Line{{Dir: checks.DirInfo,
				Text: fmt.Sprintf("no answer to the connection within %s on any address", smtpwire.Dur(smtpwire.TimeoutsFor(env).Connect))}}}})
	}
	for _, h := range hosts {
		for _, a := range h.Addresses {
			for _, f := range a.findings {
				if data.Port25Blocked && f.ID == "smtp.connect-failed" {
					continue
				}
				// Every per-address finding names its host and address,
				// so no consumer parses the subject.
				if f.Host == "" {
					f.Host = h.Name
				}
				if f.Address == "" {
					f.Address = a.Address
				}
				out.Add(f)
			}
		}
	}
	if p.banner && hosts[0].Addresses[0].Outcome == OutcomeRefused {
		// Nothing listens: fine for an address that only sends, and
		// nothing was tested, so no pass either.
		return checks.NotApplicable(fmt.Sprintf("nothing listens on port 25 at %s", t.Address))
	}
	return nil
}

type prober struct {
	env      *checks.Env
	t        checks.Target
	slow     time.Duration
	helo     string
	openings *Fact
	hidden   bool // only the openings are wanted (see Run)
	banner   bool // an address target: the banner only (see ChecksAddress)
}

// answered reports whether the server at an address answered, so that its
// result may stand for every domain that uses the address. A refused or
// timed-out connection, a greeting that never came or an error may pass:
// the next domain tests the address again (within --smtp-rate) rather than
// inherit one moment's failure for the whole run.
func answered(o Outcome) bool {
	switch o {
	case OutcomeCompleted, OutcomeBannerRejected, OutcomeEHLORejected, OutcomeReplyTooLong:
		return true
	}
	return false
}

// address tests one MX address, or reads what another domain's run of a
// bulk batch found there (Cache): the run that tests it reports all it
// found, the others what concerns the address alone.
func (p *prober) address(ctx context.Context, host string, ip netip.Addr) Address {
	kind := "smtp"
	switch {
	case p.hidden:
		kind = "smtp-opening" // no reverse DNS: not what a full run reports
	case p.banner:
		kind = "smtp-banner" // no probes: not what a domain's run reports
	}
	var mine *Address
	r, err := Shared(ctx, kind, host, ip, p.helo, func() (sessionResult, bool) {
		a := p.test(ctx, host, ip)
		mine = &a
		return sessionResult{addr: shared(a, a.opening), opening: a.opening}, ctx.Err() == nil && answered(a.Outcome)
	})
	switch {
	case mine != nil:
		return *mine
	case err != nil:
		// Untested is never a pass: the address says so.
		a := notTested(ip, err.Error())
		p.add(&a, checks.Finding{ID: "smtp.rate-limited", Subject: subject(host, ip),
			Message: fmt.Sprintf("could not test %s: %s", subject(host, ip), err)})
		return a
	}
	if r.opening != nil {
		p.openings.put(host, ip, r.opening)
	}
	return reused(r.addr)
}

// notTested is the result of an address mxray did not talk to.
func notTested(ip netip.Addr, why string) Address {
	return Address{Address: ip.String(), Outcome: OutcomeError, Error: why, Stages: []smtpwire.Stage{}, Transcript: []smtpwire.Entry{}}
}

// test talks to one MX address and looks up its reverse DNS.
func (p *prober) test(ctx context.Context, host string, ip netip.Addr) Address {
	a := Address{Address: ip.String(), Stages: []smtpwire.Stage{}, Transcript: []smtpwire.Entry{}}
	if p.hidden {
		p.talk(ctx, host, ip, &a)
		return a
	}
	var wg sync.WaitGroup
	var rd reverse
	wg.Go(func() { rd = p.reverse(ctx, ip) })
	p.talk(ctx, host, ip, &a)
	wg.Wait()
	if p.banner {
		p.bannerReverse(ip, rd, &a)
	} else {
		p.reportReverse(host, ip, rd, &a)
	}
	return a
}

// subject names one MX address in findings: the host and its address, or
// the address alone on an address target.
func subject(host string, ip netip.Addr) string {
	if host == ip.String() {
		return host
	}
	return host + " [" + ip.String() + "]"
}

func (p *prober) add(a *Address, f checks.Finding) { a.findings = append(a.findings, f) }

func (p *prober) newSession(ip netip.Addr) *smtpwire.Session {
	return smtpwire.Port25(p.env, ip, p.helo)
}

// talk runs the SMTP conversation with one address. Its opening, up to
// the EHLO inside TLS, is the tls check's too: it is handed over
// (p.openings) as soon as it is over, before the probes.
func (p *prober) talk(ctx context.Context, host string, ip netip.Addr, a *Address) {
	subj := subject(host, ip)
	s := p.newSession(ip)
	ev := func() *checks.Evidence { return &checks.Evidence{SMTP: s.Transcript().Lines()} }
	finish := func() {
		a.Stages = append(a.Stages, s.Stages()...)
		a.Transcript = append(a.Transcript, s.Transcript().Entries()...)
	}
	defer func() { finish() }()
	opened := false
	open := func(step string, err error) {
		if !opened {
			opened = true
			a.opening = s.Opening(ctx, step, err)
			p.openings.put(host, ip, a.opening)
		}
	}

	if err := p.connect(ctx, s, subj, a, ev); err != nil {
		open(smtpwire.StepConnect, err)
		return
	}
	if err := p.hello(ctx, s, subj, a, ev); err != nil {
		open(smtpwire.StepEHLO, err)
		return
	}
	if ok, _ := s.Extension("STARTTLS"); ok {
		a.STARTTLS = true
		// Like a sending MTA with opportunistic TLS: certificates are not
		// verified here (that is the tls check's job).
		st, err := s.StartTLS(ctx, smtpwire.OpportunisticTLS(host))
		if err != nil {
			a.TLSError = err.Error()
			if ctx.Err() != nil || errors.Is(err, smtpwire.ErrReplyTooLong) {
				p.broken(ctx, s, subj, err, a, ev)
				open(smtpwire.StepSTARTTLS, err)
				return
			}
			// Fall back to plaintext on a new connection, as MTAs do.
			_ = s.Close()
			open(smtpwire.StepSTARTTLS, err)
			finish()
			s = p.newSession(ip)
			s.Transcript().Note("STARTTLS failed; retrying without TLS")
			if p.connect(ctx, s, subj, a, ev) != nil || p.hello(ctx, s, subj, a, ev) != nil {
				return
			}
		} else {
			a.TLS = tls.VersionName(st.Version)
			err := p.hello(ctx, s, subj, a, ev)
			open("", nil) // TLS went through, whatever the EHLO inside it got
			if err != nil {
				return
			}
		}
	} else {
		open("", nil)
	}
	a.Outcome = OutcomeCompleted
	if p.hidden || p.banner {
		_ = s.Quit(ctx)
		return
	}
	if !p.probes(ctx, s, subj, a, ev) {
		return // broken said why
	}
	_ = s.Reset(ctx)
	_ = s.Quit(ctx)
}

// connect opens the session and reads the greeting; an error means stop.
func (p *prober) connect(ctx context.Context, s *smtpwire.Session, subj string, a *Address, ev func() *checks.Evidence) error {
	err := s.Connect(ctx)
	for _, st := range s.Stages() {
		if st.Name == "banner" {
			a.BannerMs = st.DurationMs
		}
	}
	if b := s.Banner(); b != nil {
		a.Banner = b.Lines
		a.BannerHost = b.Greeting()
	}
	if err == nil {
		if d := time.Duration(a.BannerMs * float64(time.Millisecond)); d > p.slow {
			p.add(a, checks.Finding{ID: "smtp.slow-banner", Subject: subj, Evidence: ev(),
				Message: fmt.Sprintf("%s sent its greeting after %.1f s", subj, d.Seconds())})
		}
		return nil
	}
	a.Error = err.Error()
	a.connectKind = smtpwire.ConnectFailure(ctx, s, err)
	switch {
	case ctx.Err() != nil:
		a.Outcome = OutcomeError
	case a.connectKind == smtpwire.ConnectRefused && p.banner:
		a.Outcome = OutcomeRefused
		p.add(a, checks.Finding{ID: "smtp.connect-failed", Severity: checks.SevInfo, Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("nothing listens on port 25 at %s (the connection was refused): fine for an address that only sends mail", subj),
			Fix:     "Nothing to do if the address only sends mail. If it receives mail (an MX host's address), make the mail server listen on port 25 there and let the firewall through."})
	case a.connectKind == smtpwire.ConnectRefused:
		a.Outcome = OutcomeRefused
		p.add(a, checks.Finding{ID: "smtp.connect-failed", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s refused the connection on port 25", subj)})
	case a.connectKind == smtpwire.ConnectTimeout:
		a.Outcome = OutcomeTimeout
		p.add(a, checks.Finding{ID: "smtp.connect-failed", Severity: checks.SevError, Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("could not test %s: %s (a firewall dropping port 25, here or there)", subj, err),
			Fix:     "Check that the server's firewall lets port 25 through; if every MX times out, port 25 is probably blocked on the network mxray runs from."})
	case a.connectKind == smtpwire.ConnectUnreachable:
		a.Outcome = OutcomeUnreachable
		p.add(a, checks.Finding{ID: "smtp.connect-failed", Severity: checks.SevError, Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("could not test %s: %s", subj, err),
			Fix:     "The address is unreachable from this network (e.g. no IPv6 route here); test from a network that reaches it."})
	case smtpwire.TimedOut(err):
		a.Outcome = OutcomeBannerTimeout
		p.add(a, checks.Finding{ID: "smtp.banner-timeout", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("could not test %s: it accepted the connection, then %s", subj, err)})
	case errors.Is(err, smtpwire.ErrReplyTooLong):
		a.Outcome = OutcomeReplyTooLong
		p.add(a, checks.Finding{ID: "smtp.reply-too-long", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s sent an endless greeting: %s (senders give up on it and defer the mail)", subj, err)})
	case smtpwire.ReplyOf(err) != nil:
		r := smtpwire.ReplyOf(err)
		a.Outcome = OutcomeBannerRejected
		sev := checks.SevFail
		if r.Transient() {
			sev = checks.SevWarn
		}
		p.add(a, checks.Finding{ID: "smtp.banner-rejected", Severity: sev, Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s greeted with %q instead of 220", subj, r.String())})
		_ = s.Quit(ctx)
	case errors.Is(err, smtpwire.ErrClosed):
		a.Outcome = OutcomeBannerRejected
		p.add(a, checks.Finding{ID: "smtp.banner-rejected", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s closed the connection without a greeting", subj)})
	default:
		a.Outcome = OutcomeBannerRejected
		p.add(a, checks.Finding{ID: "smtp.banner-rejected", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s sent an invalid greeting: %s", subj, err)})
	}
	_ = s.Close()
	return err
}

func (p *prober) hello(ctx context.Context, s *smtpwire.Session, subj string, a *Address, ev func() *checks.Evidence) error {
	err := s.Hello(ctx)
	if err == nil {
		if s.TLS() != nil {
			a.ExtensionsTLS = s.Extensions()
		} else {
			a.Extensions = s.Extensions()
		}
		return nil
	}
	a.Error = err.Error()
	if r := smtpwire.ReplyOf(err); r != nil {
		a.Outcome = OutcomeEHLORejected
		p.add(a, checks.Finding{ID: "smtp.ehlo-rejected", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s rejected EHLO %s: %s", subj, p.helo, r.String())})
		_ = s.Quit(ctx)
		return err
	}
	p.broken(ctx, s, subj, err, a, ev)
	return err
}

// broken reports a stage that got no usable answer: an endless reply is
// the server's fault (smtp.reply-too-long); a timeout or a connection
// closed mid-conversation means the rest could not be tested, never a
// misconfiguration (smtp.timeout).
func (p *prober) broken(ctx context.Context, s *smtpwire.Session, subj string, err error, a *Address, ev func() *checks.Evidence) {
	a.Outcome = OutcomeTimeout
	a.Error = err.Error()
	_ = s.Close()
	switch {
	case ctx.Err() != nil:
		a.Outcome = OutcomeError
	case errors.Is(err, smtpwire.ErrReplyTooLong):
		a.Outcome = OutcomeReplyTooLong
		p.add(a, checks.Finding{ID: "smtp.reply-too-long", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s sent an endless reply: %s (senders give up on it and defer the mail)", subj, err)})
		return
	}
	p.add(a, checks.Finding{ID: "smtp.timeout", Subject: subj, Evidence: ev(),
		Message: fmt.Sprintf("could not finish testing %s: %s", subj, err)})
}

func probeOf(cmd string, err error) *Probe {
	pr := &Probe{Command: cmd, Accepted: err == nil}
	if err != nil {
		pr.Reply = smtpwire.ReplyOf(err)
		if pr.Reply == nil {
			pr.Error = err.Error()
		}
	}
	return pr
}

// probes runs VRFY, MAIL, RCPT and the relay probe; false means the server
// stopped answering.
//
// The mail transactions, never with DATA:
//
//  1. MAIL FROM:<> (smtp.null-sender-rejected), RCPT TO:<postmaster@domain>
//     (smtp.postmaster-rejected) and the relay probe (smtp.open-relay):
//     the null sender is the one every receiver must accept (RFC 5321
//     §4.5.5), so it tests postmaster and relaying without depending on
//     any sender domain. When the server refuses it, the probe's own new
//     sender (below) takes its place.
//  2. After RSET, MAIL FROM:<the probe's new sender> and RCPT
//     TO:<postmaster@domain> again: the greylisting probe. Greylisters
//     defer a (client, sender, recipient) triplet they have not seen
//     and, once its retry has come through, never again, so the fixed
//     triplet of transaction 1 shows greylisting at most once; the new
//     sender (smtpwire.ProbeSender, new for every address on every run)
//     shows it every time. It runs when transaction 1 decided nothing
//     about greylisting and its RCPT got an answer: accepted, or
//     rejected, when it also tells a server that refuses the null sender
//     only at RCPT (Postfix's smtpd_delay_reject) from one that refuses
//     postmaster.
//
// Every 4xx reply to VRFY, MAIL or RCPT is retried at once and recorded
// (Address.Deferrals); judgeDeferrals says what they were.
func (p *prober) probes(ctx context.Context, s *smtpwire.Session, subj string, a *Address, ev func() *checks.Evidence) bool {
	domain := p.t.Domain
	pm := "postmaster@" + domain
	a.Sender = smtpwire.ProbeSender(p.helo)
	broken := func(err error) bool {
		p.broken(ctx, s, subj, err, a, ev)
		return false
	}
	defer p.judgeDeferrals(a, subj, pm, ev)

	// VRFY: 250/251 disclose; 252 is non-committal unless an unknown
	// mailbox gets a different answer.
	err := p.retried(a, "", "VRFY "+pm, func(retry bool) error { return s.Verify(ctx, stage("vrfy", retry), pm) })
	a.VRFY = probeOf("VRFY "+pm, err)
	if err != nil && smtpwire.ReplyOf(err) == nil {
		return broken(err)
	}
	if r := smtpwire.ReplyOf(err); err == nil || r.Code == 251 {
		a.VRFY.Accepted = true
		p.add(a, checks.Finding{ID: "smtp.vrfy-enabled", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s answers VRFY with a verdict on the mailbox (%s)", subj, replyText(err, "250"))})
	} else if r.Code == 252 {
		unknown := "mxray-no-such-user-7f3a@" + domain
		err2 := s.Verify(ctx, "vrfy_unknown", unknown)
		if r2 := smtpwire.ReplyOf(err2); r2 != nil && r2.Code >= 550 && r2.Code <= 553 {
			p.add(a, checks.Finding{ID: "smtp.vrfy-enabled", Subject: subj, Evidence: ev(),
				Message: fmt.Sprintf("%s answers VRFY differently for existing (252) and unknown (%d) mailboxes", subj, r2.Code)})
		} else if err2 != nil && r2 == nil {
			return broken(err2)
		}
	}

	// Transaction 1. MAIL FROM:<> must be accepted (RFC 5321 §4.5.5).
	sender := ""
	err = p.retried(a, "<>", "MAIL FROM:<>", func(bool) error { return s.Mail(ctx, "") })
	a.NullSender = probeOf("MAIL FROM:<>", err)
	if err != nil {
		r := smtpwire.ReplyOf(err)
		if r == nil {
			return broken(err)
		}
		if r.Permanent() {
			p.add(a, checks.Finding{ID: "smtp.null-sender-rejected", Subject: subj, Evidence: ev(),
				Message: fmt.Sprintf("%s rejected MAIL FROM:<>: %s", subj, r.String())})
		}
		// Carry on with the probe's own sender so RCPT can still be tested.
		sender = a.Sender
		what := "MAIL FROM:<" + sender + ">"
		if err := p.retried(a, "<"+sender+">", what, func(bool) error { return s.Mail(ctx, sender) }); err != nil {
			if smtpwire.ReplyOf(err) == nil {
				return broken(err)
			}
			return true // cannot test RCPT; the transcript shows why
		}
	}

	// RCPT TO:<postmaster@domain> must be accepted (RFC 5321 §4.5.1).
	what := "RCPT TO:<" + pm + ">"
	err = p.retried(a, "<"+sender+">", what, func(retry bool) error { return s.Rcpt(ctx, stage("rcpt_postmaster", retry), pm) })
	a.Postmaster = probeOf(what, err)
	pmRejected := smtpwire.ReplyOf(err).Permanent()
	if err != nil && smtpwire.ReplyOf(err) == nil {
		return broken(err)
	}

	// Open-relay probe: a recipient in a domain the server has no business
	// accepting. RSET follows; DATA is never sent.
	relayTo := "mxray-relay-probe@" + relayDomain(domain)
	rwhat := "RCPT TO:<" + relayTo + ">"
	err = p.retried(a, "<"+sender+">", rwhat, func(retry bool) error { return s.Rcpt(ctx, stage("rcpt_relay", retry), relayTo) })
	a.Relay = probeOf(rwhat, err)
	if err == nil {
		p.add(a, checks.Finding{ID: "smtp.open-relay", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s accepted RCPT TO:<%s> from an unauthenticated client: it appears to be an open relay (no message was sent)", subj, relayTo)})
	} else if smtpwire.ReplyOf(err) == nil {
		return broken(err)
	}

	// Transaction 2: the greylisting probe, with a sender the server has
	// never seen.
	nullRcpt := sender == "" && (a.Postmaster.Accepted || pmRejected)
	if nullRcpt && (pmRejected || !greylisted(a)) {
		if err := s.Reset(ctx); err != nil {
			if smtpwire.ReplyOf(err) == nil {
				return broken(err)
			}
		} else {
			s.Transcript().Note("greylisting probe: a sender this server has not seen before")
			fresh := a.Sender
			if err := p.retried(a, "<"+fresh+">", "MAIL FROM:<"+fresh+">", func(bool) error { return s.Mail(ctx, fresh) }); err != nil {
				if smtpwire.ReplyOf(err) == nil {
					return broken(err)
				}
			} else {
				err := p.retried(a, "<"+fresh+">", what, func(retry bool) error { return s.Rcpt(ctx, stage("rcpt_postmaster_new_sender", retry), pm) })
				a.PostmasterNewSender = probeOf(what, err)
				if err != nil && smtpwire.ReplyOf(err) == nil {
					return broken(err)
				}
				p.newSenderPattern(a)
			}
		}
	}
	switch {
	case pmRejected && a.PostmasterNewSender != nil && a.PostmasterNewSender.Accepted:
		// Postfix and others check the sender only at RCPT
		// (smtpd_delay_reject): the null sender is refused there.
		p.add(a, checks.Finding{ID: "smtp.null-sender-rejected", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s accepted MAIL FROM:<> but rejected RCPT TO:<%s> from the null sender with %q, and accepted it from an ordinary sender: it refuses bounces and notifications", subj, pm, a.Postmaster.Reply.String())})
	case pmRejected:
		p.add(a, checks.Finding{ID: "smtp.postmaster-rejected", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s rejected RCPT TO:<%s>: %s", subj, pm, a.Postmaster.Reply.String()),
			Fix:     fmt.Sprintf("Create a postmaster mailbox or alias for %s on %s and exempt it from recipient filtering.", domain, subj)})
	}
	return true
}

// stage names a probe's stage, or its retry after a 4xx reply.
func stage(name string, retry bool) string {
	if retry {
		return name + "_retry"
	}
	return name
}

// The reasons a deferral is taken for greylisting (Deferral.Greylisting).
const (
	GreyReply     = "reply"      // the reply's text says greylisting
	GreyRetry     = "retry"      // the same command sent again at once was accepted
	GreyNewSender = "new-sender" // only the probe's new sender was deferred, for a recipient the null sender got
)

// retried sends a probe command (do) and, when the server defers it with
// a 4xx reply, sends it again at once: greylisters and other temporary
// failures show in how the retry goes. The deferral is recorded in
// a.Deferrals; the error returned is the last attempt's.
func (p *prober) retried(a *Address, sender, what string, do func(retry bool) error) error {
	err := do(false)
	r := smtpwire.ReplyOf(err)
	if !r.Transient() {
		return err
	}
	d := Deferral{Command: what, Sender: sender, Reply: r}
	err = do(true)
	d.Retry = probeOf(what, err)
	rr := smtpwire.ReplyOf(err)
	switch {
	case smtpwire.SaysGreylisting(r) || smtpwire.SaysGreylisting(rr):
		d.Greylisting = GreyReply
	case err == nil && !smtpwire.AboutSender(r):
		d.Greylisting = GreyRetry
	}
	a.Deferrals = append(a.Deferrals, d)
	return err
}

// newSenderPattern recognises greylisting by its pattern when neither the
// text nor the retry did: the server deferred RCPT to postmaster from the
// probe's new sender, after it accepted the same recipient from the null
// sender on the same connection. Only the sender differs, and it is new:
// that is what greylisting defers. A deferral about the sender itself
// (its domain does not resolve, a sender callout failed) is not.
func (p *prober) newSenderPattern(a *Address) {
	if !a.Postmaster.Accepted || a.PostmasterNewSender == nil || a.PostmasterNewSender.Accepted {
		return
	}
	for i := range a.Deferrals {
		d := &a.Deferrals[i]
		if d.Command != a.PostmasterNewSender.Command || d.Sender != "<"+a.Sender+">" || d.Greylisting != "" {
			continue
		}
		if d.Retry != nil && d.Retry.Reply.Transient() && !smtpwire.AboutSender(d.Reply) && !smtpwire.AboutSender(d.Retry.Reply) {
			d.Greylisting = GreyNewSender
		}
	}
}

func greylisted(a *Address) bool {
	for _, d := range a.Deferrals {
		if d.Greylisting != "" {
			return true
		}
	}
	return false
}

// judgeDeferrals reports what the 4xx replies of the probe were: greylisting
// (smtp.greylisted, info) when a reply's text, an accepted retry or the
// new-sender pattern says so; otherwise a temporary failure of MAIL or of
// RCPT to postmaster that the retry got too (smtp.deferred, warn). A
// deferral about the probe's own sender, of the relay probe or of VRFY is
// kept in the data only: it says nothing about the mail of others.
func (p *prober) judgeDeferrals(a *Address, subj, pm string, ev func() *checks.Evidence) {
	var grey, other *Deferral
	for i := range a.Deferrals {
		d := &a.Deferrals[i]
		switch {
		case d.Greylisting != "":
			if grey == nil {
				grey = d
			}
		case smtpwire.AboutSender(d.Reply) || d.Retry != nil && smtpwire.AboutSender(d.Retry.Reply):
		case strings.HasPrefix(d.Command, "VRFY") || strings.Contains(d.Command, "mxray-relay-probe@"):
		case other == nil && d.Retry != nil && !d.Retry.Accepted && d.Retry.Reply.Transient():
			other = d
		}
	}
	from := func(d *Deferral) string {
		if d.Sender == "" || strings.HasPrefix(d.Command, "MAIL") {
			return ""
		}
		return " from " + d.Sender
	}
	switch {
	case grey != nil:
		a.Greylisted = true
		var how string
		switch grey.Greylisting {
		case GreyReply:
			how = "which says greylisting"
			if grey.Retry.Accepted {
				how += ", and accepted the same command sent again at once"
			} else {
				how += " (the retry at once was deferred too, as greylisters do until their delay has passed)"
			}
		case GreyRetry:
			how = "and accepted the same command sent again at once: greylisting"
		case GreyNewSender:
			how = "after it accepted the same recipient from the null sender, and deferred the retry too: it defers senders it has not seen before (greylisting)"
		}
		msg := fmt.Sprintf("%s deferred %s%s with %q, %s", subj, grey.Command, from(grey), grey.Reply.String(), how)
		if a.Postmaster == nil || !a.Postmaster.Accepted && !a.Postmaster.Reply.Permanent() {
			msg += fmt.Sprintf("; whether it accepts RCPT TO:<%s> is not known", pm)
		}
		p.add(a, checks.Finding{ID: "smtp.greylisted", Subject: subj, Evidence: ev(), Message: msg})
	case other != nil:
		p.add(a, checks.Finding{ID: "smtp.deferred", Subject: subj, Evidence: ev(),
			Message: fmt.Sprintf("%s deferred %s%s with %q, and again when sent at once; neither the reply nor the retry shows greylisting, so this is a temporary failure (a failing lookup, a full queue, a limit aimed at this client, or a greylister that does not say so): mail waits in senders' queues until it clears, and the recipient checks are incomplete", subj, other.Command, from(other), other.Reply.String())})
	}
}

func replyText(err error, ok string) string {
	if r := smtpwire.ReplyOf(err); r != nil {
		return r.String()
	}
	return ok
}

func relayDomain(domain string) string {
	if domain == RelayProbeDomain || strings.HasSuffix(domain, "."+RelayProbeDomain) {
		return RelayProbeAltDomain
	}
	return RelayProbeDomain
}

// reverse is the outcome of the PTR and forward-confirmation lookups.
type reverse struct {
	names    []string
	fcrdns   bool
	checked  bool
	err      error
	evidence []dnsq.Query
}

func (p *prober) reverse(ctx context.Context, ip netip.Addr) reverse {
	var r reverse
	arpa, err := dns.ReverseAddr(ip.String())
	if err != nil {
		r.err = err
		return r
	}
	ans, err := p.env.DNS.Lookup(ctx, arpa, dns.TypePTR)
	if err != nil {
		r.err = err
		r.evidence = dnsq.QueriesOf(err)
		return r
	}
	r.evidence = append(r.evidence, ans.Query)
	for _, rr := range ans.Records() {
		if ptr, ok := rr.(*dns.PTR); ok {
			r.names = append(r.names, strings.TrimSuffix(strings.ToLower(ptr.Ptr), "."))
		}
	}
	sort.Strings(r.names)
	r.checked = true
	for _, n := range r.names {
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if (qt == dns.TypeA) != ip.Is4() {
				continue
			}
			fa, err := p.env.DNS.Lookup(ctx, n, qt)
			if err != nil {
				r.err = err
				r.evidence = append(r.evidence, dnsq.QueriesOf(err)...)
				continue
			}
			r.evidence = append(r.evidence, fa.Query)
			for _, x := range fa.Addrs() {
				if x == ip.Unmap() || x.Unmap() == ip.Unmap() {
					r.fcrdns = true
				}
			}
		}
	}
	return r
}

func (p *prober) reportReverse(host string, ip netip.Addr, r reverse, a *Address) {
	a.PTR = r.names
	ev := checks.DNSEvidence(r.evidence...)
	subj := ip.String()
	switch {
	case !r.checked && r.err != nil:
		p.add(a, checks.Finding{ID: "smtp.dns-error", Subject: subj, Evidence: ev,
			Message: fmt.Sprintf("the reverse DNS of %s (MX host %s) could not be looked up: %s", ip, host, smtpwire.LookupWords(r.err))})
		return
	case len(r.names) == 0:
		arpa, _ := dns.ReverseAddr(ip.String())
		p.add(a, checks.Finding{ID: "smtp.ptr-missing", Subject: subj, Evidence: ev,
			Message: fmt.Sprintf("%s (MX host %s) has no PTR record", ip, host),
			Fix:     fmt.Sprintf("Ask the owner of %s to publish `%s IN PTR %s.`, and keep `%s.` resolving to %s.", ip, arpa, host, host, ip)})
		return
	}
	fc := r.fcrdns
	if !fc && r.err != nil {
		p.add(a, checks.Finding{ID: "smtp.dns-error", Subject: subj, Evidence: ev,
			Message: fmt.Sprintf("the PTR name of %s could not be confirmed: %s", ip, smtpwire.LookupWords(r.err))})
	} else {
		a.FCrDNS = &fc
		if !fc {
			p.add(a, checks.Finding{ID: "smtp.fcrdns-mismatch", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("%s has PTR %s, which does not resolve back to %s", ip, strings.Join(r.names, ", "), ip),
				Fix:     fmt.Sprintf("Publish `%s. IN %s %s` or change the PTR of %s to a name that resolves to it (e.g. %s).", r.names[0], family(ip), ip, ip, host)})
		}
	}
	for _, n := range r.names {
		if generic, why := ptr.Generic(n, ip); generic {
			a.PTRGeneric = n + ": " + why
			arpa, _ := dns.ReverseAddr(ip.String())
			p.add(a, checks.Finding{ID: "smtp.ptr-generic", Subject: subj, Evidence: ev,
				Message: fmt.Sprintf("%s (MX host %s) has the generic-looking PTR name %s: %s, so receivers take it for a consumer or dynamically assigned address", ip, host, n, why),
				Fix:     fmt.Sprintf("Ask the owner of %s to publish `%s IN PTR %s.` instead, and keep `%s.` resolving to %s.", ip, arpa, host, host, ip)})
			break
		}
	}
	if a.BannerHost != "" {
		match := false
		for _, n := range r.names {
			if n == a.BannerHost {
				match = true
			}
		}
		if !match {
			p.add(a, checks.Finding{ID: "smtp.banner-ptr-mismatch", Subject: subject(host, ip), Evidence: ev,
				Message: fmt.Sprintf("%s greets as %q but its PTR is %s", subject(host, ip), a.BannerHost, strings.Join(r.names, ", "))})
		}
	}
}

// bannerReverse compares the greeting's name with the address's PTR names
// on an address target; the reverse DNS itself (missing, not confirmed,
// generic) is the ptr check's finding, reported once.
func (p *prober) bannerReverse(ip netip.Addr, r reverse, a *Address) {
	a.PTR = r.names
	if r.fcrdns || (r.checked && r.err == nil && len(r.names) > 0) {
		fc := r.fcrdns
		a.FCrDNS = &fc
	}
	if a.BannerHost == "" || !r.checked || len(r.names) == 0 || slices.Contains(r.names, a.BannerHost) {
		return
	}
	p.add(a, checks.Finding{ID: "smtp.banner-ptr-mismatch", Subject: ip.String(), Evidence: checks.DNSEvidence(r.evidence...),
		Message: fmt.Sprintf("%s greets as %q but its PTR is %s", ip, a.BannerHost, strings.Join(r.names, ", "))})
}

func family(ip netip.Addr) string {
	if ip.Is4() {
		return "A"
	}
	return "AAAA"
}
