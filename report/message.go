package report

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mxray/mxray/checks/message"
)

// TargetKind says what a document examined.
type TargetKind string

// The target kinds. A document without a target examined a domain.
const (
	TargetDomain  TargetKind = "domain"  // mxray check example.com
	TargetAddress TargetKind = "address" // mxray check 192.0.2.7
	TargetMessage TargetKind = "message" // mxray analyze, mxray receive
)

// JSONTarget is what a document examined; absent (nil) means a domain.
type JSONTarget struct {
	Kind TargetKind `json:"kind"`
	// Value is the address examined (kind address), in its canonical
	// text form (RFC 5952 for IPv6); absent for the other kinds.
	Value string `json:"value,omitempty"`
}

// MessageInfo is the message a run examined (mxray analyze, mxray
// receive), given to the encoders through Options.Message.
type MessageInfo struct {
	// Message is the parsed message.
	Message *message.Message
	// SMTP is how the message arrived, when mxray received it itself
	// (mxray receive); nil for a message read from a file.
	SMTP *SMTPSession
}

// SMTPSession is what mxray receive saw of the SMTP session that delivered
// a message: the facts a receiver knows beyond the message itself.
type SMTPSession struct {
	// ClientIP is the connecting client's address.
	ClientIP netip.Addr `json:"client_ip"`
	// HELO is the name the client gave in HELO or EHLO.
	HELO string `json:"helo"`
	// MailFrom is the RFC5321.MailFrom address; empty for the null
	// reverse path <> (a bounce).
	MailFrom string `json:"mail_from"`
	// RcptTo are the recipients given with RCPT TO.
	RcptTo []string `json:"rcpt_to"`
	// TLS is the TLS the session was protected with; absent when the
	// client did not use STARTTLS.
	TLS *SMTPTLS `json:"tls,omitempty"`
	// ReceivedAt is when the message's data ended, RFC 3339 in UTC.
	ReceivedAt time.Time `json:"received_at"`
}

// SMTPTLS is the TLS of an SMTP session.
type SMTPTLS struct {
	// Version is the TLS version, e.g. TLS 1.3.
	Version string `json:"version"`
	// Cipher is the cipher suite's IANA name.
	Cipher string `json:"cipher"`
}

// JSONMessage is the "message" object of a message document: the
// message's main header fields and its Received chain with the trusted
// hop marked.
type JSONMessage struct {
	// From are the addresses of the From fields; [] when none can be read.
	From []message.Address `json:"from"`
	// FromDomain is the RFC5322.From domain (lower-case A-label) when the
	// message has exactly one From address; absent otherwise.
	FromDomain string `json:"from_domain,omitempty"`
	// To are the addresses of the To fields; [] when none.
	To []message.Address `json:"to"`
	// Subject is the Subject field, RFC 2047 decoded; absent when none.
	Subject string `json:"subject,omitempty"`
	// MessageID is the Message-ID field as written; absent when none.
	MessageID string `json:"message_id,omitempty"`
	// Date is the Date field as written; absent when none.
	Date string `json:"date,omitempty"`
	// ReturnPath is the topmost Return-Path field's address in angle
	// brackets (<> for the null path); absent when the message has no
	// Return-Path field.
	ReturnPath string `json:"return_path,omitempty"`
	// Size is the message's size in bytes, as read.
	Size int `json:"size"`
	// Truncated: the message was over the size limit and only its
	// beginning was read.
	Truncated bool `json:"truncated,omitempty"`
	// Limit says which limit the message went over; absent when none.
	Limit string `json:"limit,omitempty"`
	// Received is the Received chain, newest (topmost) first.
	Received []JSONReceived `json:"received"`
	// TrustedHop is the index in received of the hop whose client address
	// the checks trust; -1 when none.
	TrustedHop int `json:"trusted_hop"`
	// ReceivedBy is the receiving host given with --received-by (or mxray
	// receive's own name); absent when none was given.
	ReceivedBy string `json:"received_by,omitempty"`
	// SMTP is how the message reached mxray receive; absent for a message
	// read from a file.
	SMTP *SMTPSession `json:"smtp,omitempty"`
}

// JSONReceived is one Received field of the chain.
type JSONReceived struct {
	message.Received
	// Trusted marks the hop whose client address the checks trust.
	Trusted bool `json:"trusted,omitempty"`
}

// messageDocument is the message object of info.
func messageDocument(info *MessageInfo) *JSONMessage {
	m := info.Message
	out := &JSONMessage{From: []message.Address{}, To: []message.Address{}, Received: []JSONReceived{}, TrustedHop: -1, SMTP: info.SMTP}
	if m == nil {
		return out
	}
	out.From = append(out.From, m.From...)
	out.FromDomain = m.FromDomain
	out.To = append(out.To, m.To...)
	out.Subject, out.MessageID, out.Date = m.Subject, m.MessageID, m.Date
	if m.HasReturnPath {
		out.ReturnPath = "<" + m.ReturnPath + ">"
	}
	out.Size, out.Truncated, out.Limit = m.Size, m.Truncated, m.Limit
	for i, r := range m.Received {
		out.Received = append(out.Received, JSONReceived{Received: r, Trusted: i == m.TrustedHop})
	}
	if m.TrustedHop >= 0 && m.TrustedHop < len(m.Received) {
		out.TrustedHop = m.TrustedHop
	}
	out.ReceivedBy = m.ReceivedBy
	return out
}

// withMessage adds the target and message object of opts.Message to doc.
func withMessage(doc JSONReport, opts Options) JSONReport {
	if opts.Message == nil {
		return doc
	}
	doc.Target = &JSONTarget{Kind: TargetMessage}
	doc.Message = messageDocument(opts.Message)
	return doc
}

// messageName is how the text and Markdown reports name a message's
// sender: its From domain, else "an unknown sender".
func messageName(domain string) string {
	if domain != "" {
		return domain
	}
	return "an unknown sender"
}

// messageLines are the lines the text and Markdown reports show about a
// message: who sent it to whom, when, and the hop whose address is
// trusted. Values are network text: the caller escapes them.
func messageLines(info *MessageInfo) [][2]string {
	m := info.Message
	if m == nil {
		return nil
	}
	var out [][2]string
	add := func(label, value string) {
		if value != "" {
			out = append(out, [2]string{label, value})
		}
	}
	add("from", addressList(m.From))
	add("to", addressList(m.To))
	add("subject", m.Subject)
	add("date", m.Date)
	add("message-id", m.MessageID)
	if m.HasReturnPath {
		add("return-path", "<"+m.ReturnPath+">")
	}
	add("size", fmt.Sprintf("%d bytes", m.Size))
	add("limit", m.Limit)
	if s := info.SMTP; s != nil {
		v := fmt.Sprintf("from %s (HELO %s), MAIL FROM <%s>", s.ClientIP, s.HELO, s.MailFrom)
		if s.TLS != nil {
			v += ", " + s.TLS.Version + " " + s.TLS.Cipher
		} else {
			v += ", without TLS"
		}
		add("received", v)
	}
	if hop := m.Trusted(); hop != nil {
		v := hop.ClientIP.String()
		if hop.HELO != "" {
			v += " (HELO " + hop.HELO + ")"
		}
		if hop.By != "" {
			v += " by " + hop.By
		}
		add("trusted hop", fmt.Sprintf("Received #%d of %d: %s", m.TrustedHop+1, len(m.Received), v))
	} else if m.ReceivedBy != "" {
		add("trusted hop", "none: no Received field by "+m.ReceivedBy+" names a client address")
	} else if len(m.Received) > 0 {
		add("trusted hop", fmt.Sprintf("none of %d Received fields names a public client address", len(m.Received)))
	} else {
		add("trusted hop", "none: the message has no Received field")
	}
	return out
}

// addressList writes addresses as "Name <a@b>, c@d".
func addressList(as []message.Address) string {
	var parts []string
	for _, a := range as {
		if a.Name != "" {
			parts = append(parts, a.Name+" <"+a.Address+">")
		} else {
			parts = append(parts, a.Address)
		}
	}
	return strings.Join(parts, ", ")
}
