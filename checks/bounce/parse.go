package bounce

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"strings"

	"github.com/mxray/mxray/checks/internal/mailcanon"
)

// Limits on what Parse reads.
const (
	// MaxInput is the largest message Parse reads; bounces are small and
	// the returned original is cut anyway.
	MaxInput = 16 << 20
	// MaxDepth is the deepest MIME nesting followed.
	MaxDepth = 8
	// MaxParts is the most MIME parts read.
	MaxParts = 200
	// MaxText bounds the text scanned for codes and addresses.
	MaxText = 256 << 10
	// MaxRecipients bounds the recipients reported.
	MaxRecipients = 100
)

// ErrTooLarge is returned when the message is over MaxInput.
var ErrTooLarge = errors.New("bounce: message too large")

// Format says what kind of report the message is.
type Format string

// The formats.
const (
	// FormatDSN: an RFC 3464 delivery status notification.
	FormatDSN Format = "dsn"
	// FormatText: a bounce in an MTA's or provider's own words.
	FormatText Format = "text"
	// FormatFeedback: an RFC 5965 feedback (abuse) report, not a bounce.
	FormatFeedback Format = "feedback"
	// FormatAutoReply: an RFC 3834 auto-reply (vacation), not a bounce.
	FormatAutoReply Format = "auto-reply"
	// FormatNone: no bounce found.
	FormatNone Format = "none"
)

// Action is the RFC 3464 Action field.
type Action string

// The actions (RFC 3464 §2.3.3).
const (
	ActionFailed    Action = "failed"
	ActionDelayed   Action = "delayed"
	ActionDelivered Action = "delivered"
	ActionRelayed   Action = "relayed"
	ActionExpanded  Action = "expanded"
)

// Recipient is what the bounce says about one recipient. Text fields are
// message text: escape them (checks/safetext) before display.
type Recipient struct {
	// Address is the Final-Recipient (or the address the text names).
	Address string `json:"address,omitempty"`
	// OriginalAddress is the Original-Recipient, when it differs.
	OriginalAddress string `json:"original_address,omitempty"`
	Action          Action `json:"action,omitempty"`
	// Status is the enhanced status code (RFC 3463), e.g. "5.7.26".
	Status string `json:"status,omitempty"`
	// Reply is the SMTP reply code, e.g. "550".
	Reply string `json:"reply,omitempty"`
	// Diagnostic is the remote server's text (Diagnostic-Code or the
	// text the bounce quotes), unfolded.
	Diagnostic string   `json:"diagnostic,omitempty"`
	RemoteMTA  string   `json:"remote_mta,omitempty"`
	Category   Category `json:"category"`
}

// Report is a decoded bounce.
type Report struct {
	Format       Format      `json:"format"`
	ReportingMTA string      `json:"reporting_mta,omitempty"`
	Recipients   []Recipient `json:"recipients,omitempty"`
	// FeedbackType is the ARF Feedback-Type (abuse, fraud...) of a
	// feedback report.
	FeedbackType string `json:"feedback_type,omitempty"`
	// Original is the returned message's header, when the bounce
	// carries it: which message bounced.
	Original *Original `json:"original,omitempty"`
}

// Original is what a bounce shows of the message that bounced.
type Original struct {
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Subject   string `json:"subject,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Date      string `json:"date,omitempty"`
}

// Parse decodes a bounce from the raw message. It never panics; a message
// that is no bounce gives FormatNone. The only error is ErrTooLarge.
func Parse(raw []byte) (*Report, error) {
	if len(raw) > MaxInput {
		return &Report{Format: FormatNone}, ErrTooLarge
	}
	p := &parser{}
	top := parseEntity(mailcanon.NormalizeNewlines(raw))
	p.topHeader = top.header
	p.walk(top, 0, false)
	r := p.report()
	if p.original == nil {
		// A text bounce quoting the message after a marker line.
		if _, rest := splitOriginal(p.text.String()); rest != "" {
			p.original = parseEntity([]byte(rest)).header
		}
	}
	if p.original != nil && r.Format != FormatNone && r.Format != FormatAutoReply {
		o := &Original{From: p.original.get("from"), To: p.original.get("to"), Subject: p.original.get("subject"),
			MessageID: p.original.get("message-id"), Date: p.original.get("date")}
		for _, s := range []*string{&o.From, &o.To, &o.Subject, &o.MessageID, &o.Date} {
			*s = clip(*s, 998)
		}
		if *o != (Original{}) {
			r.Original = o
		}
	}
	return r, nil
}

// header is a parsed header section: lowercased names to unfolded values.
type header map[string][]string

func (h header) get(name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

type entity struct {
	header header
	body   []byte
}

// parseEntity splits raw into a header and a body, tolerating anything.
func parseEntity(raw []byte) entity {
	m, _ := mailcanon.Split(raw, mailcanon.Limits{MaxFields: 500, MaxFieldBytes: 64 << 10, MaxHeaderBytes: 256 << 10, MaxBodyBytes: MaxInput})
	h := header{}
	for _, f := range m.Fields {
		name := strings.ToLower(f.Name)
		h[name] = append(h[name], unfold(f.Value()))
	}
	return entity{header: h, body: m.Body}
}

func unfold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type dsnGroup map[string]string

type parser struct {
	topHeader header
	parts     int
	dsn       []dsnGroup // per-message group first, then per recipient
	arf       dsnGroup
	text      strings.Builder // human-readable parts
	original  header          // the returned message's header
	autoReply bool
}

// walk visits the MIME tree of e. inOriginal marks the returned message,
// whose text is the sender's own and never read as the bounce.
func (p *parser) walk(e entity, depth int, inOriginal bool) {
	p.parts++
	if p.parts > MaxParts || depth > MaxDepth {
		return
	}
	ct, params, err := mime.ParseMediaType(e.header.get("content-type"))
	if err != nil {
		ct = "text/plain"
		if v := strings.ToLower(e.header.get("content-type")); v != "" {
			// A broken parameter list: keep the media type.
			ct = strings.TrimSpace(strings.SplitN(v, ";", 2)[0])
			params = map[string]string{}
			if i := strings.Index(v, "boundary="); i >= 0 {
				b := strings.Trim(strings.SplitN(v[i+9:], ";", 2)[0], "\" ")
				params["boundary"] = b
			}
		}
	}
	body := decode(e.body, e.header.get("content-transfer-encoding"))
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		b := params["boundary"]
		if b == "" {
			p.addText(body, inOriginal)
			return
		}
		parts := splitMultipart(body, b)
		if len(parts) == 0 {
			// No delimiter line: the boundary is wrong or missing; read
			// the whole body as text.
			p.addText(body, inOriginal)
			return
		}
		for _, pb := range parts {
			if p.parts > MaxParts {
				break
			}
			p.walk(parseEntity(pb), depth+1, inOriginal)
		}
	case ct == "message/delivery-status" || ct == "message/global-delivery-status":
		if !inOriginal {
			p.dsn = append(p.dsn, parseDSN(body)...)
		}
	case ct == "message/feedback-report":
		if !inOriginal {
			groups := parseDSN(body)
			if len(groups) > 0 {
				p.arf = groups[0]
			}
		}
	case ct == "message/rfc822" || ct == "message/global" || ct == "text/rfc822-headers" || ct == "message/rfc822-headers" || ct == "message/global-headers":
		inner := parseEntity(body)
		if p.original == nil && !inOriginal {
			p.original = inner.header
		}
		if depth+1 <= MaxDepth && !inOriginal {
			// The returned message is read only for its header.
			p.parts++
		}
	case strings.HasPrefix(ct, "text/") || ct == "":
		if depth > 0 && strings.HasPrefix(strings.ToLower(e.header.get("content-disposition")), "attachment") && strings.Contains(strings.ToLower(e.header.get("content-disposition")), "header") {
			// The original message's header, attached as a text file
			// (Exchange, x6): the sender's own text, not the bounce's.
			return
		}
		if ct == "text/html" {
			body = stripHTML(body)
		}
		p.addText(body, inOriginal)
	}
}

func (p *parser) addText(b []byte, inOriginal bool) {
	if inOriginal || p.text.Len() >= MaxText {
		return
	}
	if room := MaxText - p.text.Len(); len(b) > room {
		b = b[:room]
	}
	p.text.Write(b)
	p.text.WriteString("\n")
}

// decode undoes a Content-Transfer-Encoding, leniently: what decodes is
// kept.
func decode(b []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		clean = clean[:len(clean)/4*4]
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, _ := base64.StdEncoding.Decode(out, clean)
		// A trailing partial quantum carries no padding: try RawStd.
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return out
	}
	return b
}

var tagRe = regexp.MustCompile(`(?s)<[^>]{0,1000}>`)

func stripHTML(b []byte) []byte {
	b = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</tr>`).ReplaceAll(b, []byte("\n"))
	return tagRe.ReplaceAll(b, nil)
}

// parseDSN splits a delivery-status body into groups of fields (RFC 3464
// §2.1): the per-message fields, then one group per recipient.
func parseDSN(body []byte) []dsnGroup {
	var groups []dsnGroup
	cur := dsnGroup{}
	var last string
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur = dsnGroup{}
		last = ""
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		if len(groups) > MaxRecipients+1 {
			break
		}
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cur[last] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		name = strings.ToLower(name)
		if _, dup := cur[name]; dup && (name == "final-recipient" || name == "original-recipient" && cur["final-recipient"] != "") {
			// A new recipient without the blank line between groups.
			flush()
		}
		cur[name] = strings.TrimSpace(value)
		last = name
	}
	flush()
	return groups
}

// splitMultipart splits a multipart body at its delimiter lines (RFC 2046
// §5.1.1), leniently: transport padding, a missing close delimiter and
// malformed part headers are tolerated (mime/multipart gives up on the
// last, which real bounces have).
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	rest := body
	off := 0
	for len(rest) > 0 && len(parts) <= MaxParts {
		line, next := rest, []byte(nil)
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, next = rest[:i+1], rest[i+1:]
		}
		if bytes.HasPrefix(line, delim) {
			tail := bytes.TrimRight(line[len(delim):], " \t\r\n")
			if len(tail) == 0 || bytes.Equal(tail, []byte("--")) {
				if start >= 0 {
					end := off
					// The CRLF before the delimiter belongs to it.
					if end > start && body[end-1] == '\n' {
						end--
						if end > start && body[end-1] == '\r' {
							end--
						}
					}
					parts = append(parts, body[start:end])
				}
				if len(tail) > 0 {
					return parts
				}
				start = off + len(line)
			}
		}
		off += len(line)
		rest = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}
