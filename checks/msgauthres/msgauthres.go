package msgauthres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgspf"
)

// ID is the check ID.
const ID = "msg-authres"

// Check is the msg-authres check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Receivers' authentication results" }

// Needs implements checks.Check: the checks of every source.
func (Check) Needs() []string {
	var ids []string
	for _, s := range sources {
		ids = append(ids, s.check)
	}
	return ids
}

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-authres.disagrees", Severity: checks.SevWarn, Title: "A trusted receiver's authentication result differs from mxray's",
		Why: "The receiver judged the message as it arrived there; a difference means the message changed after it (a list footer, a forwarder, a gateway), DNS changed since (a key rotated away), or one of the two verifiers is wrong. Receivers further down judge what mxray sees.",
		Fix: "Compare the two results shown: find what changed the message after the receiver, or which DNS record changed since it was received.",
		Ref: "RFC 8601"},
	{ID: "msg-authres.untrusted", Severity: checks.SevInfo, Title: "The message's Authentication-Results are not from a receiver you named",
		Why: "Anyone on the path, the sender included, can write an Authentication-Results field: mxray trusts only those of the receivers named with --authserv-id.",
		Fix: "Pass the authserv-id of your receiving server (the first word of its Authentication-Results, e.g. mx.google.com) with --authserv-id to compare its results with mxray's.",
		Ref: "RFC 8601 §5"},
}

// Value is a normalised authentication result: the RFC 8601 words.
type Value string

// Row is one method result of a trusted receiver beside mxray's own.
type Row struct {
	// AuthservID is the receiver that wrote the result.
	AuthservID string `json:"authserv_id"`
	// Method is dkim, spf, dmarc or arc.
	Method string `json:"method"`
	// Domain is the domain the result is about, when given.
	Domain string `json:"domain,omitempty"`
	// Theirs is the receiver's result (pass, fail, softfail, none...).
	Theirs Value `json:"theirs"`
	// Ours is mxray's result for the same method and domain, "" when
	// mxray has no check for the method in this run.
	Ours Value `json:"ours,omitempty"`
	// OursDetail says what mxray's result rests on.
	OursDetail string `json:"ours_detail,omitempty"`
	// Agrees is nil when the two were not compared.
	Agrees *bool `json:"agrees,omitempty"`
}

// Data is the check's data.
type Data struct {
	// Fields are every Authentication-Results field, topmost first.
	Fields []message.AuthResults `json:"fields,omitempty"`
	// Trusted lists the indexes in Fields of the trusted ones.
	Trusted []int `json:"trusted,omitempty"`
	// AuthservIDs are the trusted identifiers given.
	AuthservIDs []string `json:"authserv_ids,omitempty"`
	// Rows are the trusted receivers' results beside mxray's.
	Rows []Row `json:"rows,omitempty"`
}

// ownFunc returns mxray's result for a receiver's method result, and what
// it rests on.
type ownFunc func(r message.MethodResult) (Value, string)

// source is where mxray's own result for one method comes from: the
// check that decides it and a function of that check's fact.
type source struct {
	method string
	check  string
	await  func(ctx context.Context, out *checks.Out) (ownFunc, error)
}

// sources lists the methods mxray decides itself.
var sources = []source{
	{method: "dkim", check: msgdkim.ID, await: dkimOwn},
	{method: "spf", check: msgspf.ID, await: spfOwn},
	{method: "arc", check: msgarc.ID, await: arcOwn},
	{method: "dmarc", check: msgdmarc.ID, await: dmarcOwn},
}

func dmarcOwn(ctx context.Context, out *checks.Out) (ownFunc, error) {
	f, err := msgdmarc.FactKey.Await(ctx, out)
	if err != nil {
		return nil, err
	}
	return func(r message.MethodResult) (Value, string) {
		if r.Domain != "" && !strings.EqualFold(r.Domain, f.FromDomain) {
			// The receiver judged another author domain: not comparable.
			return "", "mxray checked " + f.FromDomain + ", not " + r.Domain
		}
		switch f.Result {
		case msgdmarc.ResultPass:
			var by []string
			for _, a := range f.Aligned() {
				by = append(by, string(a.Identifier)+" "+a.Domain)
			}
			return Value(f.Result), fmt.Sprintf("DMARC of %s passes in alignment with %s", f.FromDomain, strings.Join(by, ", "))
		case msgdmarc.ResultFail:
			return Value(f.Result), fmt.Sprintf("DMARC of %s fails: no SPF or DKIM pass aligns with it (policy %s at _dmarc.%s)", f.FromDomain, f.Policy, f.RecordDomain)
		}
		return Value(f.Result), f.FromDomain + " publishes no DMARC policy receivers apply"
	}, nil
}

func arcOwn(ctx context.Context, out *checks.Out) (ownFunc, error) {
	f, err := msgarc.FactKey.Await(ctx, out)
	if err != nil {
		return nil, err
	}
	return func(message.MethodResult) (Value, string) {
		if f.OldestPass > 0 {
			return Value(f.Status), fmt.Sprintf("the chain validates, oldest passing instance %d", f.OldestPass)
		}
		return Value(f.Status), "the ARC chain as mxray validated it"
	}, nil
}

func spfOwn(ctx context.Context, out *checks.Out) (ownFunc, error) {
	f, err := msgspf.FactKey.Await(ctx, out)
	if err != nil {
		return nil, err
	}
	return func(r message.MethodResult) (Value, string) {
		if r.Domain != "" && !strings.EqualFold(r.Domain, f.Domain) {
			// The receiver checked another identity (e.g. HELO): not comparable.
			return "", "mxray checked " + f.Domain + ", not " + r.Domain
		}
		return Value(f.Result), fmt.Sprintf("SPF of %s (%s) for %s", f.Domain, f.Identity, f.IP)
	}, nil
}

func dkimOwn(ctx context.Context, out *checks.Out) (ownFunc, error) {
	f, err := msgdkim.FactKey.Await(ctx, out)
	if err != nil {
		return nil, err
	}
	return func(r message.MethodResult) (Value, string) {
		var from []msgdkim.Signature
		for _, s := range f.Signatures {
			if r.Domain == "" || strings.EqualFold(s.Domain, r.Domain) {
				from = append(from, s)
			}
		}
		if len(from) == 0 {
			if r.Domain == "" {
				return "none", "the message has no DKIM signature"
			}
			return "none", "no DKIM signature with d=" + r.Domain
		}
		for _, s := range from {
			if s.Pass {
				return "pass", fmt.Sprintf("the signature d=%s s=%s verifies", s.Domain, s.Selector)
			}
		}
		s := from[0]
		return "fail", fmt.Sprintf("the signature d=%s s=%s does not verify: %s", s.Domain, s.Selector, s.Detail)
	}, nil
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	d := &Data{Fields: m.AuthResults, AuthservIDs: t.AuthservIDs}
	out.SetData(d)
	trusted := func(id string) bool {
		return id != "" && slices.ContainsFunc(t.AuthservIDs, func(a string) bool {
			return strings.EqualFold(strings.TrimSuffix(a, "."), id)
		})
	}
	var ids []string
	for i, ar := range m.AuthResults {
		if trusted(ar.AuthservID) {
			d.Trusted = append(d.Trusted, i)
		} else if ar.AuthservID != "" && !slices.Contains(ids, ar.AuthservID) {
			ids = append(ids, ar.AuthservID)
		}
	}
	sub := t.Domain
	if sub == "" {
		sub = "message"
	}
	if len(d.Trusted) == 0 {
		if len(m.AuthResults) > 0 {
			n := "1 Authentication-Results field"
			if len(m.AuthResults) > 1 {
				n = fmt.Sprintf("%d Authentication-Results fields", len(m.AuthResults))
			}
			msg := fmt.Sprintf("%s (from %s); none is from a receiver named with --authserv-id", n, strings.Join(ids, ", "))
			out.Add(checks.Finding{ID: "msg-authres.untrusted", Subject: sub, Message: msg})
		}
		return nil
	}
	own := map[string]ownFunc{}
	for _, i := range d.Trusted {
		for _, r := range m.AuthResults[i].Results {
			for _, s := range sources {
				if s.method != r.Method {
					continue
				}
				if _, done := own[s.method]; done {
					continue
				}
				f, err := s.await(ctx, out)
				var na *checks.NotApplicableError
				switch {
				case errors.Is(err, checks.ErrNotRun), errors.As(err, &na):
					// The check did not run (not in this run, skipped), or had nothing to
					// test (no client address): mxray shows the
					// receiver's result alone.
					continue
				case err != nil:
					return err // mxray's own result is not decided: nothing to compare
				}
				own[s.method] = f
			}
		}
	}
	for _, i := range d.Trusted {
		ar := m.AuthResults[i]
		for _, r := range ar.Results {
			switch r.Method {
			case "dkim", "spf", "dmarc", "arc":
			default:
				continue
			}
			row := Row{AuthservID: ar.AuthservID, Method: r.Method, Domain: r.Domain, Theirs: Value(r.Value)}
			if f, ok := own[r.Method]; ok {
				row.Ours, row.OursDetail = f(r)
			}
			if row.Ours != "" {
				if comparable(row.Theirs) && comparable(row.Ours) {
					agrees := passes(row.Theirs) == passes(row.Ours)
					row.Agrees = &agrees
				}
			}
			d.Rows = append(d.Rows, row)
			if row.Agrees != nil && !*row.Agrees {
				about := ""
				if r.Domain != "" {
					about = " for " + r.Domain
				}
				out.Add(checks.Finding{ID: "msg-authres.disagrees", Subject: sub,
					Evidence: &checks.Evidence{Records: []string{"Authentication-Results: " + clip(ar.Raw)}},
					Message: fmt.Sprintf("%s says %s=%s%s; mxray finds %s=%s: %s", ar.AuthservID, r.Method, row.Theirs, about,
						r.Method, row.Ours, row.OursDetail)})
			}
		}
	}
	return nil
}

// comparable: a temporary or permanent error on either side says nothing
// about the other's result.
func comparable(v Value) bool {
	switch v {
	case "pass", "fail", "softfail", "neutral", "none", "policy", "hardfail":
		return true
	}
	return false
}

func passes(v Value) bool { return v == "pass" }

func clip(s string) string {
	if len(s) > 500 {
		return s[:500] + "..."
	}
	return s
}

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer: each field with its trust, then
// the trusted results beside mxray's.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	var items []checks.Item
	for i, f := range d.Fields {
		label := "Authentication-Results (not trusted)"
		if slices.Contains(d.Trusted, i) {
			label = "Authentication-Results (trusted)"
		}
		items = append(items, checks.Item{Label: label, Value: f.Raw})
	}
	for _, r := range d.Rows {
		v := string(r.Theirs)
		if r.Ours != "" {
			v += "; mxray: " + string(r.Ours)
			if r.OursDetail != "" {
				v += " (" + r.OursDetail + ")"
			}
		} else {
			v += "; mxray: not checked in this run"
		}
		label := r.AuthservID + " " + r.Method
		if r.Domain != "" {
			label += " " + r.Domain
		}
		items = append(items, checks.Item{Depth: 1, Label: label, Value: v})
	}
	return items
}
