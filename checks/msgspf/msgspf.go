package msgspf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/spf"
)

// ID is the check ID.
const ID = "msg-spf"

// Check is the msg-spf check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "SPF of the message" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-spf.fail", Severity: checks.SevFail, Title: "SPF fails for the message's sending address",
		Why: "The domain's SPF policy says this server may not send its mail: receivers reject the message or count it as forged, and DMARC cannot pass through SPF.",
		Fix: "Add the sending server to the domain's SPF record (its ip4:/ip6: address, or the include: of the provider that sends for you), or send through a server the record already lists.",
		Ref: "RFC 7208 §8.4"},
	{ID: "msg-spf.softfail", Severity: checks.SevWarn, Title: "SPF softfails for the message's sending address",
		Why: "The domain's SPF policy says this server is probably not allowed (~all): receivers accept the message but count it against it, and DMARC cannot pass through SPF.",
		Fix: "Add the sending server to the domain's SPF record (its ip4:/ip6: address or its provider's include:).",
		Ref: "RFC 7208 §8.5"},
	{ID: "msg-spf.neutral", Severity: checks.SevWarn, Title: "SPF is neutral for the message's sending address",
		Why: "The domain's SPF policy says nothing about this server (?all or ?mechanism): SPF gives the message no authentication and DMARC cannot pass through it.",
		Fix: "Add the sending server to the domain's SPF record and end it with -all or ~all.",
		Ref: "RFC 7208 §8.2"},
	{ID: "msg-spf.none", Severity: checks.SevWarn, Title: "The message's sending domain publishes no SPF record",
		Why: "Without SPF receivers cannot tell whether the server may send for the domain; Gmail and Yahoo require SPF or DKIM from every sender and both from bulk senders.",
		Fix: "Publish a TXT record at the domain: `v=spf1 ip4:<your server> include:<your provider> -all`.",
		Ref: "RFC 7208 §4.5"},
	{ID: "msg-spf.permerror", Severity: checks.SevFail, Title: "The SPF record of the message's sending domain is broken (permerror)",
		Why: "A record that does not parse, or needs more than 10 DNS lookups, gives permerror: receivers treat it like a fail or ignore SPF, and DMARC cannot pass through SPF.",
		Fix: "Run `mxray check <domain>` for the record's exact problem; fix its syntax or flatten includes below 10 lookups.",
		Ref: "RFC 7208 §2.6.7"},
}

// Identity says which identity was checked (RFC 7208 §2.4).
type Identity string

// The identities.
const (
	IdentityMailFrom Identity = "mailfrom"
	IdentityHELO     Identity = "helo"
)

// Data is the check's data.
type Data struct {
	// IP is the client address of the trusted Received hop.
	IP netip.Addr `json:"ip"`
	// HELO is the client's HELO name in that hop.
	HELO     string `json:"helo,omitempty"`
	Receiver string `json:"receiver,omitempty"` // the trusted hop's by
	// Identity is the identity checked: mailfrom or helo.
	Identity Identity `json:"identity"`
	Sender   string   `json:"sender"` // the address evaluated
	// Domain is the domain whose policy was evaluated.
	Domain string `json:"domain"`
	// Outcome is check_host()'s result with its trace.
	Outcome spf.Outcome `json:"outcome"`
}

// Fact is what msg-spf publishes: the result for the identity checked.
type Fact struct {
	Result   spf.Result // check_host()'s result
	Identity Identity   // the identity checked
	Domain   string     // the domain evaluated (RFC5321.MailFrom's, or HELO)
	IP       netip.Addr // the client address
}

// FactKey is the key of msg-spf's fact.
var FactKey = checks.NewFactKey[*Fact](ID)

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	hop := m.Trusted()
	if hop == nil {
		if m.ReceivedBy != "" {
			return checks.NotApplicable("no Received field by " + m.ReceivedBy + " names the client's address")
		}
		return checks.NotApplicable("no Received field names the client's address")
	}
	d := &Data{IP: hop.ClientIP, HELO: hop.HELO, Receiver: hop.By, Identity: IdentityMailFrom}
	if m.ReturnPath != "" {
		d.Sender, d.Domain = m.ReturnPath, message.DomainOf(m.ReturnPath)
	}
	if d.Domain == "" {
		d.Identity, d.Domain = IdentityHELO, message.ALabel(hop.HELO)
		d.Sender = "postmaster@" + d.Domain
	}
	out.SetData(d)
	if d.Domain == "" || !spf.ValidDomain(d.Domain) {
		return checks.NotApplicable("neither the Return-Path nor the HELO name is a domain to check")
	}
	if env.DNS == nil {
		return errors.New("no DNS client")
	}
	o := spf.CheckHost(ctx, env.DNS, spf.Params{IP: d.IP, Domain: d.Domain, Sender: d.Sender, HELO: d.HELO,
		Receiver: d.Receiver, Now: env.Clock})
	d.Outcome = o
	if o.Result == spf.TempError {
		return fmt.Errorf("SPF of %s cannot be evaluated now: %s", d.Domain, o.Reason)
	}
	FactKey.Publish(out, &Fact{Result: o.Result, Identity: d.Identity, Domain: d.Domain, IP: d.IP})
	ev := checks.DNSEvidence(o.Queries...)
	who := fmt.Sprintf("%s (%s %s) sending from %s", d.Domain, d.Identity, d.Sender, d.IP)
	switch o.Result {
	case spf.Fail:
		msg := fmt.Sprintf("SPF fails for %s: %s", who, decided(o))
		if o.Explanation != "" {
			msg += fmt.Sprintf(" (the domain explains: %q)", o.Explanation)
		}
		out.Add(checks.Finding{ID: "msg-spf.fail", Subject: d.Domain, Address: d.IP.String(), Evidence: ev, Message: msg})
	case spf.SoftFail:
		out.Add(checks.Finding{ID: "msg-spf.softfail", Subject: d.Domain, Address: d.IP.String(), Evidence: ev,
			Message: fmt.Sprintf("SPF softfails for %s: %s", who, decided(o))})
	case spf.Neutral:
		out.Add(checks.Finding{ID: "msg-spf.neutral", Subject: d.Domain, Address: d.IP.String(), Evidence: ev,
			Message: fmt.Sprintf("SPF is neutral for %s: %s", who, decided(o))})
	case spf.None:
		out.Add(checks.Finding{ID: "msg-spf.none", Subject: d.Domain, Evidence: ev,
			Message: fmt.Sprintf("%s publishes no SPF record", d.Domain)})
	case spf.PermError:
		out.Add(checks.Finding{ID: "msg-spf.permerror", Subject: d.Domain, Evidence: ev,
			Message: fmt.Sprintf("The SPF policy of %s is broken: %s", d.Domain, o.Reason)})
	}
	return nil
}

func decided(o spf.Outcome) string {
	if o.Mechanism == "" || o.Mechanism == "default" {
		return "no mechanism matched"
	}
	if o.Domain != "" {
		return fmt.Sprintf("%s in the record of %s matched", o.Mechanism, o.Domain)
	}
	return o.Mechanism + " matched"
}

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: the inputs from the message, the
// result and the evaluation's trace.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	items := []checks.Item{
		{Label: "client address", Value: d.IP.String()},
		{Label: "HELO", Value: d.HELO},
		{Label: "received by", Value: d.Receiver},
		{Label: string(d.Identity), Value: d.Sender},
	}
	if d.Outcome.Result != "" {
		items = append(items, checks.Item{Label: "result", Value: string(d.Outcome.Result)})
	}
	for _, s := range d.Outcome.Trace {
		label := s.Domain
		if s.Term != "" {
			label += " " + s.Term
		}
		items = append(items, checks.Item{Depth: 1 + s.Depth, Label: label, Value: s.Note})
	}
	return items
}
