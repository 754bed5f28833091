package msgunsub

import (
	"context"
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/msgdkim"
)

// ID is the check ID.
const ID = "msg-unsubscribe"

// OneClick is the only List-Unsubscribe-Post value RFC 8058 §3.1 defines.
const OneClick = "List-Unsubscribe=One-Click"

// MaxURIs bounds the URIs read from List-Unsubscribe fields.
const MaxURIs = 10

// Check is the msg-unsubscribe check.
type Check struct{}

var _ checks.Check = Check{}

// ID implements checks.Check.
func (Check) ID() string { return ID }

// Title implements checks.Check.
func (Check) Title() string { return "Unsubscribe (bulk mail)" }

// Needs implements checks.Check.
func (Check) Needs() []string { return []string{msgdkim.ID} }

// Findings implements checks.Check.
func (Check) Findings() []checks.Def { return defs }

var defs = []checks.Def{
	{ID: "msg-unsubscribe.missing", Severity: checks.SevWarn, Title: "Bulk mail without a List-Unsubscribe field",
		Why: "Gmail and Yahoo require bulk senders to offer one-click unsubscription; without it recipients press \"Report spam\" instead, which harms the domain's reputation.",
		Fix: "Add `List-Unsubscribe: <https://your-domain/unsubscribe/TOKEN>, <mailto:unsubscribe@your-domain?subject=TOKEN>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, both signed by DKIM.",
		Ref: "RFC 2369; RFC 8058"},
	{ID: "msg-unsubscribe.one-click-missing", Severity: checks.SevWarn, Title: "Bulk mail without one-click unsubscription",
		Why: "One-click unsubscription (RFC 8058) needs an https URI in List-Unsubscribe and exactly `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; Gmail and Yahoo require it of bulk senders and show their unsubscribe button only then.",
		Fix: "Add an https URI to List-Unsubscribe that unsubscribes on a POST without further steps, and the field `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.",
		Ref: "RFC 8058 §3.1"},
	{ID: "msg-unsubscribe.not-signed", Severity: checks.SevWarn, Title: "The unsubscribe fields are not covered by a passing DKIM signature",
		Why: "RFC 8058 requires a valid DKIM signature covering List-Unsubscribe and List-Unsubscribe-Post; otherwise anyone could insert a link that unsubscribes (or visits) whatever they want, and receivers ignore the fields.",
		Fix: "Add list-unsubscribe and list-unsubscribe-post to the signed header fields (h=) of your DKIM signer, and make sure the signature verifies.",
		Ref: "RFC 8058 §4"},
}

// Data is the check's data.
type Data struct {
	// Bulk: the message looks like bulk mail; Signals say why.
	Bulk    bool     `json:"bulk"`
	Signals []string `json:"signals,omitempty"` // the fields that mark it as bulk
	// URIs are the List-Unsubscribe URIs, as written.
	URIs []string `json:"uris,omitempty"`
	// Post is the List-Unsubscribe-Post value, "" when absent.
	Post     string `json:"post,omitempty"`
	OneClick bool   `json:"one_click"` // an https URI and the exact List-Unsubscribe-Post
	// Signed: a passing DKIM signature covers both fields; nil when not
	// decided (no List-Unsubscribe, or msg-dkim decided nothing).
	Signed *bool `json:"signed,omitempty"`
}

// Run implements checks.Check.
func (Check) Run(ctx context.Context, env *checks.Env, t checks.Target, out *checks.Out) error {
	m := t.Message
	if m == nil {
		return checks.NotApplicable("there is no message to examine")
	}
	d := &Data{}
	out.SetData(d)
	if id := m.Get("List-Id"); id != "" {
		d.Signals = append(d.Signals, "List-Id: "+clip(id))
	}
	if p := strings.ToLower(strings.TrimSpace(m.Get("Precedence"))); p == "bulk" || p == "list" {
		d.Signals = append(d.Signals, "Precedence: "+p)
	}
	lus := m.Header("List-Unsubscribe")
	if len(lus) > 0 {
		d.Signals = append(d.Signals, "List-Unsubscribe")
	}
	d.Bulk = len(d.Signals) > 0
	if !d.Bulk {
		return nil
	}
	sub := t.Domain
	if sub == "" {
		sub = "message"
	}
	if len(lus) == 0 {
		out.Add(checks.Finding{ID: "msg-unsubscribe.missing", Subject: sub,
			Message: "The message looks like bulk mail (" + strings.Join(d.Signals, ", ") + ") but has no List-Unsubscribe field"})
		return nil
	}
	var ev []string
	https := false
	for _, f := range lus {
		ev = append(ev, "List-Unsubscribe: "+clip(f.Value))
		for _, u := range uris(f.Value) {
			if len(d.URIs) >= MaxURIs {
				break
			}
			d.URIs = append(d.URIs, u)
			if strings.HasPrefix(strings.ToLower(u), "https://") {
				https = true
			}
		}
	}
	posts := m.Header("List-Unsubscribe-Post")
	for _, p := range posts {
		ev = append(ev, "List-Unsubscribe-Post: "+clip(p.Value))
	}
	if len(posts) > 0 {
		d.Post = posts[0].Value
	}
	d.OneClick = https && len(posts) == 1 && posts[0].Value == OneClick
	if !d.OneClick {
		var why []string
		if !https {
			why = append(why, "List-Unsubscribe has no https URI")
		}
		switch {
		case len(posts) == 0:
			why = append(why, "there is no List-Unsubscribe-Post field")
		case len(posts) > 1:
			why = append(why, "there are several List-Unsubscribe-Post fields")
		case posts[0].Value != OneClick:
			why = append(why, "List-Unsubscribe-Post is not exactly "+OneClick)
		}
		out.Add(checks.Finding{ID: "msg-unsubscribe.one-click-missing", Subject: sub, Evidence: &checks.Evidence{Records: ev},
			Message: "Bulk mail without one-click unsubscription: " + strings.Join(why, "; ")})
	}
	fact, err := msgdkim.FactKey.Await(ctx, out)
	if err != nil {
		return err
	}
	names := []string{"List-Unsubscribe"}
	if len(posts) > 0 {
		names = append(names, "List-Unsubscribe-Post")
	}
	signed := fact.Covers(names...)
	d.Signed = &signed
	if !signed {
		msg := "No passing DKIM signature covers " + strings.Join(names, " and ")
		if len(fact.Passing()) == 0 {
			msg = "No DKIM signature of the message passes, so nothing vouches for " + strings.Join(names, " and ")
		}
		out.Add(checks.Finding{ID: "msg-unsubscribe.not-signed", Subject: sub, Evidence: &checks.Evidence{Records: ev}, Message: msg})
	}
	return nil
}

// uris returns the <...> URIs of a List-Unsubscribe value (RFC 2369 §2).
func uris(v string) []string {
	var out []string
	for len(out) < MaxURIs {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if u := strings.Join(strings.Fields(v[i+1:i+j]), ""); u != "" {
			out = append(out, u)
		}
		v = v[i+j+1:]
	}
	return out
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

var _ checks.Describer = (*Data)(nil)

// Describe implements checks.Describer.
func (d *Data) Describe() []checks.Item {
	if d == nil {
		return nil
	}
	if !d.Bulk {
		return []checks.Item{{Label: "bulk mail", Value: "no (no List-Id, Precedence: bulk or list, or List-Unsubscribe)"}}
	}
	items := []checks.Item{{Label: "bulk mail", Value: "yes: " + strings.Join(d.Signals, ", ")}}
	for _, u := range d.URIs {
		items = append(items, checks.Item{Depth: 1, Label: "unsubscribe URI", Value: u})
	}
	if d.Post != "" {
		items = append(items, checks.Item{Depth: 1, Label: "List-Unsubscribe-Post", Value: d.Post})
	}
	items = append(items, checks.Item{Depth: 1, Label: "one-click", Value: yesNo(d.OneClick)})
	if d.Signed != nil {
		items = append(items, checks.Item{Depth: 1, Label: "covered by DKIM", Value: yesNo(*d.Signed)})
	}
	return items
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
