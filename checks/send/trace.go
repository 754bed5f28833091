package send

// Step names, the values of Step.Step. They are part of the JSON contract.
const (
	StepDNS      = "dns"         // MX and address lookups, with the queries
	StepMessage  = "message"     // building, DKIM-signing and locally verifying the message (first step)
	StepConnect  = "connect"     // TCP connect to one address of one server
	StepBanner   = "banner"      // the server's 220 greeting
	StepEHLO     = "ehlo"        // EHLO (again after STARTTLS), or HELO as a fallback
	StepSTARTTLS = "starttls"    // the STARTTLS command and its reply
	StepTLS      = "tls"         // the TLS handshake: version, cipher, chain, verification
	StepAuth     = "auth"        // AUTH PLAIN or LOGIN, payloads shown as ***
	StepMail     = "mail"        // MAIL FROM
	StepRcpt     = "rcpt"        // RCPT TO, one step per recipient
	StepData     = "data"        // DATA and its 354
	StepEOD      = "end-of-data" // the final "." and the reply carrying the queue id
	StepQuit     = "quit"        // QUIT
	StepSkipped  = "skipped"     // the addresses not tried (address limit, overall deadline), in Info
)

// Result is how a send ended; its values are the JSON words.
type Result string

// The results of a send.
const (
	// ResultDelivered: the server accepted the message (2xx after DATA).
	ResultDelivered Result = "delivered"
	// ResultRejected: a server answered a command with 4xx or 5xx.
	ResultRejected Result = "rejected"
	// ResultUnreachable: no server could be reached, a stage timed out, or
	// the connection broke (also: TLS could not be established).
	ResultUnreachable Result = "could-not-connect"
	// ResultStopped: the send stopped on purpose after the stage named by
	// Options.QuitAfter.
	ResultStopped Result = "stopped"
	// ResultRefused: mxray itself refused to go on, e.g. AUTH over a
	// connection without TLS, or a certificate that does not verify.
	ResultRefused Result = "refused"
)

// Encryption says how a conversation was protected; its values are the
// JSON words.
type Encryption string

// The protections of a conversation.
const (
	// EncryptionVerified: TLS with a certificate that verified for the
	// server's name (or --tls-name).
	EncryptionVerified Encryption = "tls"
	// EncryptionUnverified: TLS with a certificate that does not verify
	// (opportunistic TLS to an MX, or --insecure): encrypted, but the
	// server is not authenticated.
	EncryptionUnverified Encryption = "tls-unverified"
	// EncryptionNone: no TLS, the conversation in clear text.
	EncryptionNone Encryption = "none"
)

// EHLONameSource says where the EHLO name came from; its values are the
// JSON words.
type EHLONameSource string

// The sources of the EHLO name.
const (
	// EHLOFromOption: given by the user (--helo, Options.HELO).
	EHLOFromOption EHLONameSource = "option"
	// EHLOFromFQDN: this machine's fully qualified domain name
	// (Options.FQDN).
	EHLOFromFQDN EHLONameSource = "fqdn"
	// EHLOFromAddress: the address literal of the connection's local
	// address ("[192.0.2.1]", RFC 5321 §4.1.4), the machine having no
	// fully qualified name.
	EHLOFromAddress EHLONameSource = "address-literal"
)

// Step is one protocol step of a send. Client and Server hold the lines
// each side sent during the step, without CRLF, in order; AUTH payloads are
// "***". Info holds mxray's own notes (what a reply means, which address was
// tried, that the DKIM signature verified locally).
type Step struct {
	Step       string   `json:"step"`
	Host       string   `json:"host,omitempty"` // the address (ip:port) this step talked to
	StartedMs  int64    `json:"started_ms"`     // since the trace began
	DurationMs int64    `json:"duration_ms"`
	Client     []string `json:"client,omitempty"`
	Server     []string `json:"server,omitempty"`
	Info       []string `json:"info,omitempty"`
	// Error says why the step failed; empty when it succeeded.
	Error string `json:"error,omitempty"`
	// Reply is the SMTP reply that ended the step, when there was one.
	Reply *Reply `json:"reply,omitempty"`
	// DNS lists the queries a dns step made.
	DNS []DNSQuery `json:"dns,omitempty"`
	// TLS describes the handshake of a tls step.
	TLS *TLSInfo `json:"tls,omitempty"`
	// Message summarises the message of a message step.
	Message *MessageInfo `json:"message,omitempty"`
}

// Reply is a parsed SMTP reply.
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced_code,omitempty"` // e.g. "5.7.26"
	Text     string `json:"text"`                    // all lines' text joined by a space
}

// DNSQuery is one DNS query of a dns step.
type DNSQuery struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Server string  `json:"server"`
	Rcode  string  `json:"rcode"`
	RTTMs  float64 `json:"rtt_ms"`
	// Answers are the answer records in presentation form (MX: "10 mx.example.com.").
	Answers []string `json:"answers,omitempty"`
}

// TLSInfo describes a TLS handshake.
type TLSInfo struct {
	Version     string `json:"version"`      // "TLS 1.3"
	CipherSuite string `json:"cipher_suite"` // Go's name of the suite
	ServerName  string `json:"server_name"`  // the SNI sent and the name verified
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"` // why the chain did not verify
	Insecure    bool   `json:"insecure,omitempty"`     // went on despite VerifyError (--insecure)
	// Opportunistic: went on despite VerifyError because direct delivery
	// to an MX uses TLS opportunistically, as mail servers do (RFC 3207
	// §4.1); --verify turns that off.
	Opportunistic bool       `json:"opportunistic,omitempty"`
	Chain         []CertInfo `json:"chain,omitempty"` // as the server sent it, leaf first

	verifyWords string // VerifyError in plain words, for the trace's notes
}

// CertInfo summarises one certificate of a chain.
type CertInfo struct {
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	DNSNames  []string `json:"dns_names,omitempty"`
	NotBefore string   `json:"not_before"` // RFC 3339
	NotAfter  string   `json:"not_after"`  // RFC 3339
	KeyType   string   `json:"key_type"`   // "RSA-2048", "ECDSA-P256", "Ed25519"
}

// MessageInfo summarises the message sent.
type MessageInfo struct {
	Size      int      `json:"size"` // bytes, CRLF line endings, before dot-stuffing
	Headers   []string `json:"headers"`
	MessageID string   `json:"message_id,omitempty"`
	// DKIM is the DKIM-Signature header field added, when signing.
	DKIM *DKIMInfo `json:"dkim,omitempty"`
}

// DKIMInfo describes the signature mxray added.
type DKIMInfo struct {
	Domain         string   `json:"domain"`
	Selector       string   `json:"selector"`
	Algorithm      string   `json:"algorithm"` // "rsa-sha256" or "ed25519-sha256"
	Headers        []string `json:"headers"`   // the signed header fields (h=)
	VerifiedLocal  bool     `json:"verified_locally"`
	VerifyError    string   `json:"verify_error,omitempty"`
	SignatureField string   `json:"signature"` // the DKIM-Signature field as added (folded lines joined)
}

// Rejection explains why a server refused.
type Rejection struct {
	Stage       string `json:"stage"` // a step name: banner, ehlo, auth, mail, rcpt, data, end-of-data...
	Code        int    `json:"code"`
	Enhanced    string `json:"enhanced_code,omitempty"`
	Text        string `json:"text"`
	Temporary   bool   `json:"temporary"`             // 4xx: try again later
	Explanation string `json:"explanation,omitempty"` // what the rejection usually means and what to do
}

// Trace is the record of one send.
type Trace struct {
	Steps  []Step `json:"steps"`
	Result Result `json:"result"`
	// QueueID is the id the server gave the accepted message, when it said.
	QueueID string `json:"queue_id,omitempty"`
	// Server is the server of the last attempt, by name ("mx1.example.net:25").
	Server string `json:"server,omitempty"`
	// Stage is the step at which the send stopped or failed.
	Stage string `json:"stage,omitempty"`
	// Error says why the send did not complete (empty when delivered).
	Error string `json:"error,omitempty"`
	// Rejection is set when Result is rejected.
	Rejection *Rejection `json:"rejection,omitempty"`
	// Encryption says how the last attempt's conversation was protected,
	// once it got past the TLS decision (empty before).
	Encryption Encryption `json:"encryption,omitempty"`
	// CertificateError says why the server's certificate did not verify
	// when Encryption is tls-unverified.
	CertificateError string `json:"certificate_error,omitempty"`
	// EHLOName is the name the last attempt sent in EHLO, and
	// EHLONameSource where it came from.
	EHLOName       string         `json:"ehlo_name,omitempty"`
	EHLONameSource EHLONameSource `json:"ehlo_name_source,omitempty"`
	// RunID identifies this send; it is in the default Subject and Message-ID.
	RunID      string `json:"run_id,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	DurationMs int64  `json:"duration_ms"`
}

// StepFunc receives each step as soon as it has finished (Options.OnStep).
// It is called from the sending goroutine, in order; it must not block long.
type StepFunc func(Step)
