package message

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/mxray/mxray/checks/internal/mailcanon"
	"golang.org/x/net/idna"
)

// Limits bound what Read and Parse take from a hostile message.
type Limits struct {
	// MaxSize is the most bytes read; a longer message is cut there and
	// marked Truncated.
	MaxSize int
	// MaxFields is the most header fields kept.
	MaxFields int
	// MaxFieldBytes is the longest header field (with its folded lines).
	MaxFieldBytes int
	// MaxHeaderBytes bounds the whole header section.
	MaxHeaderBytes int
	// MaxReceived is the most Received fields parsed (the newest ones).
	MaxReceived int
	// MaxAuthResults is the most Authentication-Results fields parsed.
	MaxAuthResults int
}

// DefaultLimits are generous for real mail (providers accept 25 to 50 MB,
// RFC 5322 lines of 998 bytes, a few dozen Received fields) and small
// enough that a hostile message costs bounded memory and time.
var DefaultLimits = Limits{
	MaxSize:        50 << 20,
	MaxFields:      1000,
	MaxFieldBytes:  64 << 10,
	MaxHeaderBytes: 1 << 20,
	MaxReceived:    100,
	MaxAuthResults: 50,
}

// MaxLineLength is the longest line RFC 5322 §2.1.1 allows, without CRLF.
const MaxLineLength = 998

// Options tune Read and Parse.
type Options struct {
	// Limits; zero fields take DefaultLimits' values.
	Limits Limits
	// ReceivedBy names the host (a receiver of the caller's, e.g. the MX
	// that accepted the message) whose Received field carries the client
	// address to trust; empty means the topmost Received field whose
	// client address is public (not loopback, private or link-local:
	// those are the receiver's own hops, e.g. a content filter).
	ReceivedBy string
}

// Field is one header field as it appears in the message.
type Field struct {
	Name  string `json:"name"`  // as written
	Raw   string `json:"-"`     // the whole field with folding and CRLF, verbatim
	Value string `json:"value"` // unfolded, without surrounding whitespace
}

// Address is one mailbox of an address header field.
type Address struct {
	Name    string `json:"name,omitempty"` // display name, RFC 2047 decoded
	Address string `json:"address"`        // local@domain as written
	// Domain is the address's domain in lower-case A-label form, "" when
	// it is not a valid domain name.
	Domain string `json:"domain,omitempty"`
}

// Message is a parsed message. Raw is the message as read; every other
// field is derived from it.
type Message struct {
	// Raw is the message as read, verbatim (cut at Limits.MaxSize when
	// Truncated).
	Raw []byte `json:"-"`
	// Size is len(Raw).
	Size int `json:"size"`
	// Truncated: the message was longer than Limits.MaxSize and Raw holds
	// its beginning only; signatures over it cannot be verified.
	Truncated bool `json:"truncated,omitempty"`
	// Limit says which limit the message went over, in plain words; ""
	// when none. The header fields after the limit were not read.
	Limit string `json:"limit,omitempty"`
	// Fields are the header fields in order.
	Fields []Field `json:"-"`
	// Malformed counts header lines that are neither a field nor a
	// continuation line (they are skipped).
	Malformed int `json:"malformed_lines,omitempty"`
	// LongLines counts header lines over MaxLineLength bytes.
	LongLines int `json:"long_lines,omitempty"`
	// NoBody: the header section does not end with an empty line.
	NoBody bool `json:"no_body,omitempty"`

	// From are the addresses of every From field, in order.
	From []Address `json:"from,omitempty"`
	// FromErr says why the From field could not be read, "" when it could
	// or when there is none.
	FromErr string `json:"from_error,omitempty"`
	// FromDomain is the RFC5322.From domain (A-label, lower case) when the
	// message has exactly one From field with exactly one address.
	FromDomain string `json:"from_domain,omitempty"`
	// To are the addresses of the To fields.
	To []Address `json:"to,omitempty"`
	// Subject is RFC 2047 decoded; renderers escape it (checks/safetext).
	Subject string `json:"subject,omitempty"`
	// MessageID is the first Message-ID field as written.
	MessageID string `json:"message_id,omitempty"`
	// Date is the Date field as written; DateTime is its parsed value,
	// zero when DateErr says why it cannot be read.
	Date string `json:"date,omitempty"`
	// DateTime is Date parsed; absent when it cannot be read.
	DateTime time.Time `json:"date_time,omitzero"`
	// DateErr says why Date cannot be read.
	DateErr string `json:"date_error,omitempty"`
	// ReturnPath is the address of the topmost Return-Path field ("" for
	// the null path <>); HasReturnPath says whether there is one.
	ReturnPath string `json:"return_path,omitempty"`
	// HasReturnPath says whether there is a Return-Path field.
	HasReturnPath bool `json:"-"`
	// Received is the Received chain, newest (topmost) first.
	Received []Received `json:"received,omitempty"`
	// TrustedHop is the index in Received of the hop whose client address
	// is trusted (see Options.ReceivedBy), -1 when none.
	TrustedHop int `json:"trusted_hop"`
	// ReceivedBy is Options.ReceivedBy as given; when set and no Received
	// field names it, TrustedHop is -1.
	ReceivedBy string `json:"received_by,omitempty"`
	// AuthResults are the Authentication-Results fields, topmost first.
	AuthResults []AuthResults `json:"authentication_results,omitempty"`

	wire []byte
}

// Read reads a message from r, at most Limits.MaxSize bytes, and parses it.
// A read error is returned wrapped; a message over the size limit is not
// an error (Truncated).
func Read(r io.Reader, opts Options) (*Message, error) {
	lim := opts.Limits.orDefault()
	raw, err := io.ReadAll(io.LimitReader(r, int64(lim.MaxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the message: %w", err)
	}
	return Parse(raw, opts), nil
}

// Parse parses raw, which it keeps (not copied: the caller must not
// change it). It never fails: what cannot be read is said in the
// message's error fields.
func Parse(raw []byte, opts Options) *Message {
	lim := opts.Limits.orDefault()
	m := &Message{TrustedHop: -1, ReceivedBy: opts.ReceivedBy}
	if len(raw) > lim.MaxSize {
		raw = raw[:lim.MaxSize]
		m.Truncated = true
		m.Limit = fmt.Sprintf("the message is over %s; only its first %s were read", sizeText(lim.MaxSize), sizeText(lim.MaxSize))
	}
	m.Raw, m.Size = raw, len(raw)
	m.wire = mailcanon.NormalizeNewlines(raw)
	split, err := mailcanon.Split(m.wire, mailcanon.Limits{
		MaxFields:      lim.MaxFields,
		MaxFieldBytes:  lim.MaxFieldBytes,
		MaxHeaderBytes: lim.MaxHeaderBytes,
		MaxBodyBytes:   lim.MaxSize + 1,
	})
	if err != nil && m.Limit == "" {
		m.Limit = limitText(err, lim)
	}
	if split == nil {
		return m
	}
	m.Malformed = split.Malformed
	m.NoBody = split.Body == nil && err == nil
	for _, f := range split.Fields {
		m.Fields = append(m.Fields, Field{Name: f.Name, Raw: string(f.Raw), Value: Unfold(f.Value())})
		for _, line := range bytes.Split(f.Raw, []byte("\r\n")) {
			if len(line) > MaxLineLength {
				m.LongLines++
			}
		}
	}
	m.fill(lim, opts.ReceivedBy)
	return m
}

func limitText(err error, lim Limits) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "header fields"):
		return fmt.Sprintf("the header has more than %d fields", lim.MaxFields)
	case strings.Contains(msg, "a header field over"):
		return fmt.Sprintf("a header field is over %s", sizeText(lim.MaxFieldBytes))
	case strings.Contains(msg, "header section"):
		return fmt.Sprintf("the header is over %s", sizeText(lim.MaxHeaderBytes))
	}
	return "the message is over the size limit"
}

// sizeText says n bytes for people: 50 MB, 64 KB, 900 bytes.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&d.MaxSize, l.MaxSize)
	set(&d.MaxFields, l.MaxFields)
	set(&d.MaxFieldBytes, l.MaxFieldBytes)
	set(&d.MaxHeaderBytes, l.MaxHeaderBytes)
	set(&d.MaxReceived, l.MaxReceived)
	set(&d.MaxAuthResults, l.MaxAuthResults)
	return d
}

// Wire returns the message with CRLF line endings, as it travelled over
// SMTP and as signers signed it: Raw itself when it already has them.
func (m *Message) Wire() []byte {
	if m.wire == nil {
		return m.Raw
	}
	return m.wire
}

// Header returns the fields named name (case-insensitive), in order.
func (m *Message) Header(name string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// Get returns the value of the first field named name, "" when none.
func (m *Message) Get(name string) string {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Trusted returns the trusted hop, nil when there is none.
func (m *Message) Trusted() *Received {
	if m == nil || m.TrustedHop < 0 || m.TrustedHop >= len(m.Received) {
		return nil
	}
	return &m.Received[m.TrustedHop]
}

// Unfold removes the CRLFs of folded lines and the whitespace around v.
func Unfold(v string) string {
	v = strings.ReplaceAll(v, "\r\n", "")
	v = strings.ReplaceAll(v, "\n", "")
	return strings.Trim(v, " \t\r")
}

// lenientDecoder decodes RFC 2047 words; a charset it does not know is
// read as is rather than failing the whole field.
var lenientDecoder = &mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil }}

func (m *Message) fill(lim Limits, receivedBy string) {
	froms := m.Header("From")
	for _, f := range froms {
		as, err := parseAddresses(f.Value)
		if err != nil {
			if m.FromErr == "" {
				m.FromErr = "the From field is not a valid address list"
			}
			continue
		}
		m.From = append(m.From, as...)
	}
	if len(froms) == 1 && len(m.From) == 1 {
		m.FromDomain = m.From[0].Domain
	}
	for _, f := range m.Header("To") {
		if as, err := parseAddresses(f.Value); err == nil {
			m.To = append(m.To, as...)
		}
	}
	if s := m.Get("Subject"); s != "" {
		if d, err := lenientDecoder.DecodeHeader(s); err == nil {
			m.Subject = d
		} else {
			m.Subject = s
		}
	}
	m.MessageID = m.Get("Message-ID")
	if ds := m.Header("Date"); len(ds) > 0 {
		m.Date = ds[0].Value
		t, err := mail.ParseDate(m.Date)
		if err != nil {
			m.DateErr = "the Date field is not an RFC 5322 date"
		} else {
			m.DateTime = t
		}
	}
	if rp := m.Header("Return-Path"); len(rp) > 0 {
		m.HasReturnPath = true
		m.ReturnPath = returnPath(rp[0].Value)
	}
	for _, f := range m.Header("Received") {
		if len(m.Received) >= lim.MaxReceived {
			break
		}
		r := ParseReceived(f.Value)
		m.Received = append(m.Received, r)
	}
	m.TrustedHop = trustedHop(m.Received, receivedBy)
	for _, f := range m.Header("Authentication-Results") {
		if len(m.AuthResults) >= lim.MaxAuthResults {
			break
		}
		m.AuthResults = append(m.AuthResults, ParseAuthResults(f.Value))
	}
}

// parseAddresses reads an address list, with A-label domains.
func parseAddresses(v string) ([]Address, error) {
	p := mail.AddressParser{WordDecoder: lenientDecoder}
	list, err := p.ParseList(v)
	if err != nil {
		return nil, err
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		out = append(out, Address{Name: a.Name, Address: a.Address, Domain: DomainOf(a.Address)})
	}
	return out, nil
}

// DomainOf returns the domain of addr (after its last @) in lower-case
// A-label form, "" when there is none or it is not a valid domain name.
func DomainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return ALabel(addr[i+1:])
}

// ALabel returns a domain name in lower-case A-label form without the
// trailing dot, "" when it is not a valid domain name (an address
// literal, an empty label, a label over 63 bytes).
func ALabel(d string) string {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" || strings.HasPrefix(d, "[") || len(d) > 1024 {
		return ""
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || len(a) > 253 {
		return ""
	}
	return strings.ToLower(a)
}

// returnPath reads the address of a Return-Path value: "<a@b>" or "<>".
func returnPath(v string) string {
	v = strings.TrimSpace(stripComments(v))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	return strings.TrimSpace(v)
}

// trustedHop picks the Received field whose client address to trust: the
// one by the named host, else the topmost whose client is a public
// address. Hops from loopback or private addresses are a receiver's own
// (a content filter re-injecting the message): SPF of 127.0.0.1 would be
// a false verdict.
func trustedHop(rs []Received, by string) int {
	by = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(by), "."))
	for i, r := range rs {
		if !r.ClientIP.IsValid() {
			continue
		}
		if by != "" {
			if strings.EqualFold(strings.TrimSuffix(r.By, "."), by) {
				return i
			}
			continue
		}
		if ip := r.ClientIP; !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsUnspecified() {
			return i
		}
	}
	return -1
}
