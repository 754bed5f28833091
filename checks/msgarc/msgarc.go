package msgarc

import (
	"context"
	"errors"
	"fmt"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/arc"
)

// ID is the check ID.
const ID = "msg-arc"

// Check is the msg-arc check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "ARC chain" }

// Needs implements checks.Check.
func (Check) Needs() []string { return nil }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-arc.fail", Severity: checks.SevWarn, Title: "The message's ARC chain does not validate",
		Why: "Receivers ignore a broken chain: when a list or forwarder changed the message, its SPF and DKIM results before the change are lost, and DMARC may fail at the final receiver.",
		Fix: "Follow the reason given: the intermediary that sealed the instance named must sign after its last change to the message, publish the key its seal uses, and never alter ARC header fields of earlier hops.",
		Ref: "RFC 8617 §5.2"},
	{ID: "msg-arc.none", Severity: checks.SevInfo, Title: "The message has no ARC chain",
		Why: "ARC matters only when a list or forwarder handled the message: it then carries the results from before the intermediary's changes. A message sent directly needs none.",
		Fix: "Nothing to do for direct mail. If your lists or forwarders change messages, have them add ARC sets (Gmail, Microsoft 365, Mailman 3 and OpenARC can).",
		Ref: "RFC 8617"},
}

// Data is the check's data: checks/arc's result.
type Data struct {
	arc.Result // the chain validation's result
}

// Fact is what msg-arc publishes: the chain's status and oldest passing
// instance.
type Fact struct {
	Status     arc.Status // the chain validation result
	OldestPass int        // the oldest instance whose message signature verifies, 0 when none
}

// FactKey is the key of msg-arc's fact.
var FactKey = checks.NewFactKey[*Fact](ID)

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	if m.Truncated {
		return errors.New("the message is over the size limit: its ARC chain cannot be validated")
	}
	if env.DNS == nil {
		return errors.New("no DNS client")
	}
	res, err := arc.Verify(ctx, m.Wire(), arc.DNSLookup(env.DNS))
	if err != nil {
		return errors.New("interrupted before the ARC chain was decided")
	}
	out.SetData(&Data{Result: *res})
	sub := t.Domain
	if sub == "" {
		sub = "message"
	}
	switch res.Status {
	case arc.StatusTempError, arc.StatusPermError:
		detail := "the ARC chain cannot be validated"
		if res.Failure != nil {
			detail = res.Failure.Detail
		}
		return errors.New(detail)
	}
	FactKey.Publish(out, &Fact{Status: res.Status, OldestPass: res.OldestPass})
	switch res.Status {
	case arc.StatusNone:
		out.Add(checks.Finding{ID: "msg-arc.none", Subject: sub})
	case arc.StatusFail:
		msg := "The ARC chain does not validate"
		if f := res.Failure; f != nil {
			where := ""
			if f.Instance > 0 {
				where = fmt.Sprintf(" at instance %d", f.Instance)
				if f.Header != "" {
					where += " (" + string(f.Header) + ")"
				}
			}
			msg += where + ": " + f.Detail
		}
		out.Add(checks.Finding{ID: "msg-arc.fail", Subject: sub, Message: msg})
	}
	return nil
}

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: the chain's status, then each
// instance with its signer, sealer, cv= and recorded results.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	items := []checks.Item{{Label: "chain", Value: string(d.Status)}}
	if d.OldestPass > 0 {
		items = append(items, checks.Item{Label: "oldest passing instance", Value: fmt.Sprint(d.OldestPass)})
	}
	if d.Failure != nil {
		items = append(items, checks.Item{Label: "failure", Value: d.Failure.Detail})
	}
	for _, s := range d.Sets {
		items = append(items, checks.Item{Label: fmt.Sprintf("instance %d", s.Instance),
			Value: fmt.Sprintf("sealed by %s (s=%s), cv=%s", s.SealerDomain, s.SealerSelector, s.ChainValue)})
		items = append(items, checks.Item{Depth: 1, Label: "message signature", Value: fmt.Sprintf("%s d=%s s=%s", s.Signature, s.SignerDomain, s.SignerSelector)})
		items = append(items, checks.Item{Depth: 1, Label: "seal", Value: string(s.Seal)})
		if s.AuthResults != "" {
			items = append(items, checks.Item{Depth: 1, Label: "results recorded", Value: s.AuthResults})
		}
	}
	return items
}
