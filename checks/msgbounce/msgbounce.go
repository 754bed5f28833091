package msgbounce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/bounce"
	"github.com/mxray/mxray/checks/profile"
)

// ID is the check ID.
const ID = "msg-bounce"

// Check implements checks.Check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Bounce" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// categoryWhy says why each category of failure matters.
var categoryWhy = map[bounce.Category]string{
	bounce.CategoryAuthentication: "The receiver refused the message because it was not authenticated: neither SPF nor DKIM passed for the sender's domain. Large mailbox providers refuse all unauthenticated mail.",
	bounce.CategoryDMARC:          "The receiver applied the From domain's DMARC policy: neither SPF nor DKIM passed for a domain aligned with the From domain.",
	bounce.CategorySPF:            "The receiver's SPF check of the envelope sender failed: the sending address is not authorised by the domain's SPF record, or the record is broken.",
	bounce.CategoryDKIM:           "The receiver found no valid DKIM signature: the message was unsigned, the key was missing or weak, or the message changed after signing.",
	bounce.CategoryPTR:            "The receiver refused the sending address because its reverse DNS is missing, does not resolve back, or looks like a dynamic address.",
	bounce.CategoryTLS:            "The receiver (or the sender's MTA-STS/DANE policy) required TLS and the connection did not meet it.",
	bounce.CategoryBlocklist:      "The sending address or domain is on a blocklist the receiver uses.",
	bounce.CategoryReputation:     "The receiver judged the sender's reputation too poor (complaints, spam traps, volume from a new address).",
	bounce.CategoryRate:           "The sender sent too much too fast for the receiver's limits.",
	bounce.CategoryContent:        "The receiver refused the content: spam or malware filtering, size, or malformed headers.",
	bounce.CategoryMailbox:        "The recipient's mailbox does not exist, is disabled or is full.",
	bounce.CategoryPolicy:         "A local policy of the receiver refused the message.",
	bounce.CategoryOther:          "The bounce gives a reason mxray does not classify; its diagnostic text is the evidence.",
}

// Findings implements checks.Check: one finding ID per category of failure.
func (Check) Findings() []checks.Def {
	defs := make([]checks.Def, 0, len(bounce.Categories))
	for _, c := range bounce.Categories {
		defs = append(defs, checks.Def{
			ID:           ID + "." + string(c),
			Severity:     checks.SevFail,
			SeverityNote: "warn when every recipient of the category was only delayed (the sending server retries)",
			Title:        "A bounce: delivery failed for reason " + string(c),
			Why:          categoryWhy[c],
			Fix:          c.Fix(),
			Ref:          "RFC 3464, RFC 3463",
		})
	}
	return defs
}

// Data is the check's JSON data: the decoded bounce.
type Data struct {
	// Bounce is what the bounce says: its format, the reporting MTA, each
	// recipient with its action, enhanced status code, reply, diagnostic
	// text, remote MTA and category, and the returned message's header.
	Bounce *bounce.Report `json:"bounce"`
}

// Describe implements checks.Describer.
func (d Data) Describe() []checks.Item {
	if d.Bounce == nil {
		return nil
	}
	b := d.Bounce
	items := []checks.Item{{Label: "format", Value: string(b.Format)}}
	if b.ReportingMTA != "" {
		items = append(items, checks.Item{Label: "reporting MTA", Value: b.ReportingMTA})
	}
	if b.FeedbackType != "" {
		items = append(items, checks.Item{Label: "feedback type", Value: b.FeedbackType})
	}
	for _, r := range b.Recipients {
		items = append(items, checks.Item{Label: "recipient", Value: r.Address})
		for _, kv := range [][2]string{{"action", string(r.Action)}, {"status", r.Status}, {"reply", r.Reply},
			{"category", string(r.Category)}, {"remote MTA", r.RemoteMTA}, {"diagnostic", r.Diagnostic}} {
			if kv[1] != "" {
				items = append(items, checks.Item{Depth: 1, Label: kv[0], Value: kv[1]})
			}
		}
	}
	if o := b.Original; o != nil {
		items = append(items, checks.Item{Label: "returned message"})
		for _, kv := range [][2]string{{"from", o.From}, {"to", o.To}, {"subject", o.Subject}, {"message-id", o.MessageID}, {"date", o.Date}} {
			if kv[1] != "" {
				items = append(items, checks.Item{Depth: 1, Label: kv[0], Value: kv[1]})
			}
		}
	}
	return items
}

// maxListed bounds the recipients a finding names.
const maxListed = 5

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	if t.Message == nil {
		return checks.NotApplicable("not a message: msg-bounce reads a bounce given to mxray analyze or mxray receive")
	}
	rep, err := bounce.Parse(t.Message.Raw)
	if errors.Is(err, bounce.ErrTooLarge) {
		// analyze and receive take larger messages than a bounce ever is.
		return checks.NotApplicable(fmt.Sprintf("the message is over %d MB, larger than a bounce is read", bounce.MaxInput>>20))
	}
	if err != nil {
		return errors.New("the bounce could not be read")
	}
	switch rep.Format {
	case bounce.FormatNone:
		return checks.NotApplicable("the message is not a bounce")
	case bounce.FormatAutoReply:
		return checks.NotApplicable("the message is an auto-reply, not a bounce")
	}
	out.SetData(Data{Bounce: rep})

	// One finding per category: failed recipients make it fail, delayed
	// ones alone warn. Delivered, relayed and expanded recipients are data.
	type group struct {
		failed, delayed []bounce.Recipient
	}
	groups := map[bounce.Category]*group{}
	for _, r := range rep.Recipients {
		var failed bool
		switch r.Action {
		case bounce.ActionDelivered, bounce.ActionRelayed, bounce.ActionExpanded:
			continue
		case bounce.ActionDelayed:
		default: // failed, or a text bounce that says nothing else
			failed = true
			if r.Action == "" && strings.HasPrefix(r.Status, "4.") {
				failed = false
			}
		}
		g := groups[r.Category]
		if g == nil {
			g = &group{}
			groups[r.Category] = g
		}
		if failed {
			g.failed = append(g.failed, r)
		} else {
			g.delayed = append(g.delayed, r)
		}
	}
	for _, c := range bounce.Categories {
		g := groups[c]
		if g == nil {
			continue
		}
		sev, rs, verb := checks.SevFail, g.failed, "was refused"
		if len(rs) == 0 {
			sev, rs, verb = checks.SevWarn, g.delayed, "was delayed"
		}
		out.Add(finding(c, sev, verb, rs, rep))
	}
	if len(groups) == 0 && rep.Format == bounce.FormatFeedback {
		out.Add(checks.Finding{ID: ID + "." + string(bounce.CategoryReputation), Severity: checks.SevWarn,
			Subject: rep.ReportingMTA, Host: strings.ToLower(rep.ReportingMTA),
			Message: fmt.Sprintf("a recipient reported the message as %s (a feedback report)", orWord(rep.FeedbackType, "abuse")),
			Fix:     bounce.CategoryReputation.Fix()})
	}
	return nil
}

// finding says what one category's recipients were told.
func finding(c bounce.Category, sev checks.Severity, verb string, rs []bounce.Recipient, rep *bounce.Report) checks.Finding {
	var addrs []string
	for _, r := range rs {
		if r.Address != "" && !slices.Contains(addrs, r.Address) {
			addrs = append(addrs, r.Address)
		}
	}
	first := rs[0]
	who := "the message"
	switch {
	case len(addrs) == 1:
		who = "mail to " + addrs[0]
	case len(addrs) > maxListed:
		who = fmt.Sprintf("mail to %s and %d more", strings.Join(addrs[:maxListed], ", "), len(addrs)-maxListed)
	case len(addrs) > 1:
		who = "mail to " + strings.Join(addrs, ", ")
	}
	code := strings.TrimSpace(first.Reply + " " + first.Status)
	msg := fmt.Sprintf("%s %s (%s)", who, verb, c)
	if code != "" && !strings.Contains(first.Diagnostic, first.Status) {
		msg += " with " + code
	}
	if first.Diagnostic != "" {
		msg += ": " + first.Diagnostic
	}
	host := first.RemoteMTA
	if host == "" {
		host = rep.ReportingMTA
	}
	subject := host
	if len(addrs) > 0 {
		subject = addrs[0]
	}
	ev := &checks.Evidence{}
	for _, r := range rs {
		if len(ev.Records) == maxListed {
			break
		}
		ev.Records = append(ev.Records, strings.TrimSpace(fmt.Sprintf("%s: %s %s %s", r.Address, r.Status, r.Reply, r.Diagnostic)))
	}
	fix := c.Fix()
	for _, code := range []string{first.Reply + " " + first.Status, first.Status} {
		if _, ok := profile.ExplainCode(code); ok && first.Status != "" {
			// The receiver's own code: which provider sends it, for which rule.
			fix += " `mxray explain " + first.Status + "` says what " + first.Status + " means and which mailbox provider sends it for which rule."
			break
		}
	}
	return checks.Finding{ID: ID + "." + string(c), Severity: sev, Subject: subject, Host: strings.ToLower(host),
		Message: msg, Fix: fix, Evidence: ev}
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
