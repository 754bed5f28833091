package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/checks/send"
)

// sendDoc is the JSON document of `send --json`.
type sendDoc struct {
	Schema string      `json:"schema"`
	Trace  *send.Trace `json:"trace"`
}

// WriteTraceJSON writes the mxray/v1 document of `send --json`.
func WriteTraceJSON(w io.Writer, tr *send.Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sendDoc{Schema: SchemaVersion, Trace: tr})
}

// WriteTraceStep prints one step of a send like a careful swaks
// transcript: a header with the start offset and duration, then C:/S:
// lines, notes (*), DNS queries (?) and the error (!). Everything that came
// from the network is escaped (safetext).
func WriteTraceStep(w io.Writer, s send.Step) {
	var b bytes.Buffer
	head := fmt.Sprintf("%-8s %-12s %6s", fmt.Sprintf("+%dms", s.StartedMs), s.Step, fmt.Sprintf("%dms", s.DurationMs))
	if s.Host != "" {
		head += "  " + safetext.Line(s.Host)
	}
	b.WriteString(strings.TrimRight(head, " ") + "\n")
	const ind = "         "
	for _, q := range s.DNS {
		line := fmt.Sprintf("%s? %s %s: %s", ind, safetext.Line(q.Name), q.Type, q.Rcode)
		if len(q.Answers) > 0 {
			line += " " + safetext.Line(strings.Join(q.Answers, ", "))
		}
		line += fmt.Sprintf(" (%.1fms from %s)", q.RTTMs, q.Server)
		b.WriteString(line + "\n")
	}
	for _, l := range s.Info {
		b.WriteString(ind + "* " + safetext.Line(l) + "\n")
	}
	if m := s.Message; m != nil {
		for _, h := range m.Headers {
			b.WriteString(ind + "| " + safetext.Line(h) + "\n")
		}
	}
	// SMTP without pipelining is strictly command, reply: interleave each
	// client line with the reply that followed it (AUTH LOGIN's 334
	// exchanges read in wire order). The banner is a reply to nothing.
	server := s.Server
	nextReply := func() {
		for len(server) > 0 {
			l := server[0]
			server = server[1:]
			b.WriteString(ind + "S: " + safetext.Line(l) + "\n")
			if len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	if len(s.Client) == 0 || s.Step == send.StepBanner {
		nextReply()
	}
	for _, l := range s.Client {
		b.WriteString(ind + "C: " + safetext.Line(l) + "\n")
		nextReply()
	}
	for len(server) > 0 {
		nextReply()
	}
	// A rejection is already on screen as the server's reply.
	if s.Error != "" && (s.Reply == nil || len(s.Server) == 0 || s.Reply.Code < 400) {
		b.WriteString(ind + "! " + safetext.Line(s.Error) + "\n")
	}
	_, _ = w.Write(b.Bytes())
}

// WriteTraceResult prints the outcome of a send after its steps.
func WriteTraceResult(w io.Writer, tr *send.Trace) {
	fmt.Fprintln(w)
	switch tr.Result {
	case send.ResultDelivered:
		line := fmt.Sprintf("delivered to %s in %dms", safetext.Line(tr.Server), tr.DurationMs)
		if tr.QueueID != "" {
			line += ", queue id " + safetext.Line(tr.QueueID)
		}
		switch tr.Encryption {
		case send.EncryptionNone:
			line += ", in clear text (no TLS)"
		case send.EncryptionUnverified:
			line += ", over TLS with a certificate that does not verify"
			if tr.CertificateError != "" {
				line += " (" + safetext.Line(tr.CertificateError) + ")"
			}
		}
		fmt.Fprintln(w, line)
	case send.ResultStopped:
		fmt.Fprintf(w, "stopped after %s (--quit-after) in %dms; nothing was sent\n", tr.Stage, tr.DurationMs)
	case send.ResultRejected:
		r := tr.Rejection
		if r == nil {
			fmt.Fprintf(w, "rejected at %s: %s\n", tr.Stage, tr.Error)
			break
		}
		kind := "permanently"
		if r.Temporary {
			kind = "temporarily"
		}
		code := fmt.Sprint(r.Code)
		if r.Enhanced != "" {
			code += " " + r.Enhanced
		}
		by := ""
		if tr.Server != "" {
			by = " by " + tr.Server
		}
		fmt.Fprintf(w, "rejected %s at %s%s: %s %s\n", kind, r.Stage, safetext.Line(by), code, safetext.Line(r.Text))
		if r.Explanation != "" {
			fmt.Fprintln(w, wrapWords(clean(r.Explanation), 76, "  "))
		}
	case send.ResultUnreachable:
		fmt.Fprintf(w, "could not deliver (%s): %s\n", tr.Stage, tr.Error)
	default:
		fmt.Fprintf(w, "not sent (%s): %s\n", tr.Stage, tr.Error)
	}
}

// wrapWords folds text at width with an indent.
func wrapWords(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}
