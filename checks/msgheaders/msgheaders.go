package msgheaders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/message"
)

// ID is the check ID.
const ID = "msg-headers"

// Check is the msg-headers check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Message header" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-headers.from-missing", Severity: checks.SevFail, Title: "The message has no From field",
		Why: "RFC 5322 requires From; DMARC has no domain to evaluate, and Gmail and Yahoo reject messages without one.",
		Fix: "Make the sending application set a From field with one address in your domain.",
		Ref: "RFC 5322 §3.6"},
	{ID: "msg-headers.from-multiple", Severity: checks.SevFail, Title: "The message has several From fields or several From addresses",
		Why: "DMARC cannot tell which author domain to evaluate: receivers reject such messages (RFC 7489 §6.6.1) and Gmail refuses them as not RFC 5322 compliant.",
		Fix: "Send with exactly one From field holding one address; put other authors in the body or in Reply-To.",
		Ref: "RFC 5322 §3.6; RFC 7489 §6.6.1"},
	{ID: "msg-headers.from-invalid", Severity: checks.SevFail, Title: "The From field is not a valid address",
		Why: "Receivers cannot read the author domain, so SPF and DKIM alignment and DMARC cannot pass; many reject the message.",
		Fix: "Make the sending application write From as `Name <local@domain>` with RFC 2047 encoding for non-ASCII names.",
		Ref: "RFC 5322 §3.4"},
	{ID: "msg-headers.message-id-missing", Severity: checks.SevWarn, Title: "The message has no Message-ID field",
		Why: "Gmail requires a Message-ID and rejects or marks as spam mail without one; threading and duplicate detection use it.",
		Fix: "Make the sending application (or your submission server) add `Message-ID: <unique@your-domain>`.",
		Ref: "RFC 5322 §3.6.4"},
	{ID: "msg-headers.date-missing", Severity: checks.SevWarn, Title: "The message has no Date field",
		Why: "RFC 5322 requires Date; receivers treat undated mail as suspicious and clients sort it wrongly.",
		Fix: "Make the sending application (or your submission server) add a Date field.",
		Ref: "RFC 5322 §3.6.1"},
	{ID: "msg-headers.date-invalid", Severity: checks.SevWarn, Title: "The Date field is not a valid date, or lies in the future",
		Why: "An unreadable date, or one more than a day ahead, is a spam signal to receivers and puts the message in the wrong place in the inbox.",
		Fix: "Write Date as in RFC 5322 (`Fri, 02 Jan 2026 15:04:05 +0000`) from a clock kept right with NTP.",
		Ref: "RFC 5322 §3.3"},
	{ID: "msg-headers.duplicate", Severity: checks.SevFail, Title: "A field that may appear once appears several times",
		Why: "RFC 5322 allows Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References and Subject once each; Gmail rejects messages that repeat them, and a repeated signed field lets an attacker add a visible one.",
		Fix: "Find the system that adds the second field (often a gateway or a template) and have it replace the field instead.",
		Ref: "RFC 5322 §3.6"},
	{ID: "msg-headers.too-large", Severity: checks.SevFail, Title: "The message or its header is over the size receivers accept",
		Why: "Receivers refuse messages over their size limit (552 5.3.4) and bound the header; mxray read the message only up to its own limit.",
		Fix: "Send a smaller message: link large files instead of attaching them, and find what adds so many header fields.",
		Ref: "RFC 5321 §4.5.3.1.7"},
	{ID: "msg-headers.line-too-long", Severity: checks.SevWarn, Title: "A header line is longer than 998 characters",
		Why: "RFC 5322 limits lines to 998 characters; servers on the path may break or reject longer lines, breaking DKIM signatures.",
		Fix: "Fold long header fields (the sending library usually does so when asked), or shorten them.",
		Ref: "RFC 5322 §2.1.1"},
}

// singleInstance are the fields RFC 5322 §3.6 allows at most once.
var singleInstance = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject"}

// MaxFuture is how far ahead of its delivery (or of now) a Date may lie
// (clock skew).
const MaxFuture = 24 * time.Hour

// Data is the check's data: the message's main fields and its Received
// chain with the trusted hop.
type Data struct {
	// Size is the message's size in bytes.
	Size int `json:"size"`
	// Fields is the number of header fields.
	Fields int `json:"fields"`
	// From are the From addresses.
	From []message.Address `json:"from,omitempty"`
	// FromDomain is the RFC5322.From domain, A-label.
	FromDomain string `json:"from_domain,omitempty"`
	// To are the To addresses.
	To []message.Address `json:"to,omitempty"`
	// Subject is the decoded Subject.
	Subject string `json:"subject,omitempty"`
	// MessageID is the Message-ID field as written.
	MessageID string `json:"message_id,omitempty"`
	// Date is the Date field as written.
	Date string `json:"date,omitempty"`
	// ReturnPath is the Return-Path, with its angle brackets.
	ReturnPath string `json:"return_path,omitempty"`
	// Received is the Received chain, newest first.
	Received []message.Received `json:"received,omitempty"`
	// TrustedHop is the index in Received of the hop whose client
	// address is trusted, -1 when none.
	TrustedHop int `json:"trusted_hop"`
	// Duplicates are the single-instance fields that appear more than once.
	Duplicates []string `json:"duplicates,omitempty"`
	// Limit says which of mxray's limits the message went over.
	Limit string `json:"limit,omitempty"`
	// LongLines counts header lines over 998 characters.
	LongLines int `json:"long_lines,omitempty"`
	// ReceivedBy is the --received-by host given, if any.
	ReceivedBy string `json:"received_by,omitempty"`
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	d := &Data{Size: m.Size, Fields: len(m.Fields), From: m.From, FromDomain: m.FromDomain, To: m.To, Subject: m.Subject,
		MessageID: m.MessageID, Date: m.Date, Received: m.Received, TrustedHop: m.TrustedHop, Limit: m.Limit,
		LongLines: m.LongLines, ReceivedBy: m.ReceivedBy}
	if m.HasReturnPath {
		d.ReturnPath = "<" + m.ReturnPath + ">"
	}
	out.SetData(d)
	sub := "message"
	if m.FromDomain != "" {
		sub = m.FromDomain
	}
	froms := m.Header("From")
	switch {
	case len(froms) == 0:
		out.Add(checks.Finding{ID: "msg-headers.from-missing", Subject: sub})
	case len(froms) > 1:
		out.Add(checks.Finding{ID: "msg-headers.from-multiple", Subject: sub, Evidence: records(froms),
			Message: fmt.Sprintf("The message has %d From fields", len(froms))})
	case m.FromErr != "":
		out.Add(checks.Finding{ID: "msg-headers.from-invalid", Subject: sub, Evidence: records(froms),
			Message: "The From field cannot be read as an address: " + m.FromErr})
	case len(m.From) > 1:
		out.Add(checks.Finding{ID: "msg-headers.from-multiple", Subject: sub, Evidence: records(froms),
			Message: fmt.Sprintf("The From field holds %d addresses", len(m.From))})
	case len(m.From) == 1 && m.From[0].Domain == "":
		out.Add(checks.Finding{ID: "msg-headers.from-invalid", Subject: sub, Evidence: records(froms),
			Message: "The From address has no valid domain name"})
	}
	if len(m.Header("Message-ID")) == 0 {
		out.Add(checks.Finding{ID: "msg-headers.message-id-missing", Subject: sub})
	}
	// A Date is judged against when the message arrived (the trusted
	// hop's date) when that is known and earlier than now: a message
	// dated ahead of its delivery stays so when analysed later.
	ref, refReceived := env.Clock(), false
	if h := m.Trusted(); h != nil && !h.Time.IsZero() && h.Time.Before(ref) {
		ref, refReceived = h.Time, true
	}
	switch {
	case len(m.Header("Date")) == 0:
		out.Add(checks.Finding{ID: "msg-headers.date-missing", Subject: sub})
	case m.DateErr != "":
		out.Add(checks.Finding{ID: "msg-headers.date-invalid", Subject: sub, Evidence: records(m.Header("Date")[:1]),
			Message: "The Date field is not a valid RFC 5322 date"})
	case m.DateTime.Sub(ref) > MaxFuture:
		msg := fmt.Sprintf("The Date field lies %s in the future", roundDur(m.DateTime.Sub(ref)))
		if refReceived {
			msg = fmt.Sprintf("The Date field lies %s after the message was received", roundDur(m.DateTime.Sub(ref)))
		}
		out.Add(checks.Finding{ID: "msg-headers.date-invalid", Subject: sub, Evidence: records(m.Header("Date")[:1]), Message: msg})
	}
	for _, name := range singleInstance {
		fs := m.Header(name)
		if len(fs) < 2 {
			continue
		}
		d.Duplicates = append(d.Duplicates, name)
		out.Add(checks.Finding{ID: "msg-headers.duplicate", Subject: name, Evidence: records(fs),
			Message: fmt.Sprintf("The message has %d %s fields; RFC 5322 allows one", len(fs), name)})
	}
	if m.Limit != "" {
		out.Add(checks.Finding{ID: "msg-headers.too-large", Subject: sub,
			Message: "The message is over mxray's limits: " + m.Limit})
	}
	if m.LongLines > 0 {
		out.Add(checks.Finding{ID: "msg-headers.line-too-long", Subject: sub,
			Message: fmt.Sprintf("%d header lines are longer than 998 characters", m.LongLines)})
	}
	return nil
}

// records is the evidence of fields: their values, bounded.
func records(fs []message.Field) *checks.Evidence {
	ev := &checks.Evidence{}
	for i, f := range fs {
		if i == 5 {
			break
		}
		v := f.Name + ": " + f.Value
		if len(v) > 300 {
			v = v[:300] + "..."
		}
		ev.Records = append(ev.Records, v)
	}
	return ev
}

func roundDur(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: the main fields, then the
// Received chain newest first with the trusted hop marked.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	var items []checks.Item
	add := func(label, v string) {
		if v != "" {
			items = append(items, checks.Item{Label: label, Value: v})
		}
	}
	add("From", addrs(d.From))
	add("To", addrs(d.To))
	add("Subject", d.Subject)
	add("Message-ID", d.MessageID)
	add("Date", d.Date)
	add("Return-Path", d.ReturnPath)
	add("size", fmt.Sprintf("%d bytes, %d header fields", d.Size, d.Fields))
	for i, r := range d.Received {
		label := fmt.Sprintf("Received %d", i+1)
		if i == d.TrustedHop {
			label += " (trusted hop)"
		}
		v := "by " + r.By
		if r.ClientIP.IsValid() {
			v = fmt.Sprintf("from %s [%s] %s", r.HELO, r.ClientIP, v)
		} else if r.From != "" {
			v = "from " + r.From + " " + v
		}
		if r.With != "" {
			v += " with " + r.With
		}
		if r.Date != "" {
			v += "; " + r.Date
		}
		items = append(items, checks.Item{Label: label, Value: v})
	}
	if d.TrustedHop < 0 && len(d.Received) > 0 {
		why := "no Received field names a client address"
		if d.ReceivedBy != "" {
			why = "no Received field with a client address is by " + d.ReceivedBy
		}
		add("trusted hop", "none: "+why)
	}
	return items
}

func addrs(as []message.Address) string {
	var s []string
	for _, a := range as {
		if a.Name != "" {
			s = append(s, a.Name+" <"+a.Address+">")
		} else {
			s = append(s, a.Address)
		}
	}
	return strings.Join(s, ", ")
}
