package report

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/message/messagetest"
)

// TestMessageDocuments runs every message check over every message of the
// corpus (testdata/messages) and validates the JSON and NDJSON documents,
// with their message object, against schema.json; each check's data must
// have the Go type dataTypes lists, and every message check must have
// produced data at least once. Text and Markdown name the sender and the
// trusted hop.
func TestMessageDocuments(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the message corpus")
	}
	sch := compileSchema(t)
	names, err := filepath.Glob(filepath.Join(messagetest.Dir(t), "*.eml"))
	if err != nil || len(names) < 20 {
		t.Fatalf("corpus: %d messages, %v", len(names), err)
	}
	seen := map[string]bool{}
	for _, p := range names {
		name := strings.TrimSuffix(filepath.Base(p), ".eml")
		rep := messagetest.Run(t, messagetest.Case{Message: name, AuthservIDs: []string{"mx.receiver.example"}}, all.MessageChecks())
		m := message.Parse(messagetest.Raw(t, name), message.Options{})
		info := &MessageInfo{Message: m}
		for _, r := range rep.Results {
			if r.Data == nil {
				continue
			}
			typ := reflect.TypeOf(r.Data)
			if typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			if want := dataTypes[r.ID]; typ != want {
				t.Errorf("%s %s: data is a %s, dataTypes says %s", name, r.ID, typ, want)
			}
			seen[r.ID] = true
		}
		for _, f := range []Format{FormatJSON, FormatNDJSON} {
			out := render(t, Options{Format: f, Message: info}, rep)
			if err := validate(t, sch, out); err != nil {
				t.Errorf("%s %s: does not validate: %v\n%s", name, f, err, out)
				continue
			}
			var doc JSONReport
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Target == nil || doc.Target.Kind != TargetMessage || doc.Message == nil || doc.Domain != m.FromDomain {
				t.Errorf("%s: target %v, domain %q (From domain %q)", name, doc.Target, doc.Domain, m.FromDomain)
			}
			if m.TrustedHop >= 0 && (doc.Message.TrustedHop != m.TrustedHop || !doc.Message.Received[m.TrustedHop].Trusted) {
				t.Errorf("%s: the trusted hop %d is not marked", name, m.TrustedHop)
			}
		}
		text := string(render(t, Options{Message: info}, rep))
		if !strings.Contains(text, "message from ") || !strings.Contains(text, "trusted hop: ") {
			t.Errorf("%s: text lacks the message lines:\n%s", name, text)
		}
		md := string(render(t, Options{Format: FormatMarkdown, Message: info}, rep))
		if !strings.Contains(md, "## Message from ") {
			t.Errorf("%s: Markdown lacks the message heading:\n%s", name, md)
		}
	}
	for _, c := range all.MessageChecks() {
		if c.ID() != "msg-bounce" && !seen[c.ID()] { // the corpus holds no bounce: cmd/mxray's tests run one
			t.Errorf("no message produced data for check %s", c.ID())
		}
	}
}

// TestMessageSchema: a message document needs its message object; a
// domain document may not carry one; a message without a From domain has
// no domain and still validates.
func TestMessageSchema(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	base := `{"schema":"mxray/v1",%s"started_at":"2026-01-02T15:04:05Z","duration_ms":1,"status":"pass","resolvers":[],"dns_queries":0,"checks":[{"id":"msg-dkim","title":"T","status":"warn","duration_ms":1,"findings":[{"id":"msg-dkim.none","severity":"warn","subject":"m","message":"x"}]}]}`
	msg := `"message":{"from":[],"to":[],"size":10,"received":[{"raw":"from a by b","client_ip":"192.0.2.1","trusted":true}],"trusted_hop":0},`
	for name, tc := range map[string]struct {
		fields string
		ok     bool
	}{
		"message without domain": {`"target":{"kind":"message"},` + msg, true},
		"message with domain":    {`"domain":"x.example","target":{"kind":"message"},` + msg, true},
		"message without object": {`"target":{"kind":"message"},`, false},
		"object without target":  {`"domain":"x.example",` + msg, false},
		"domain kind, no domain": {`"target":{"kind":"domain"},`, false},
		"unknown kind":           {`"target":{"kind":"file"},` + msg, false},
		"with SMTP facts": {`"target":{"kind":"message"},"message":{"from":[],"to":[],"size":1,"received":[],"trusted_hop":-1,` +
			`"smtp":{"client_ip":"127.0.0.1","helo":"h.example","mail_from":"","rcpt_to":["a@b.example"],"tls":{"version":"TLS 1.3","cipher":"TLS_AES_128_GCM_SHA256"},"received_at":"2026-01-02T15:04:05Z"}},`, true},
	} {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(base, "%s", tc.fields, 1)
			err := validate(t, sch, []byte(doc))
			if (err == nil) != tc.ok {
				t.Errorf("valid=%v, want %v: %v\n%s", err == nil, tc.ok, err, doc)
			}
		})
	}
}

// TestMessageTextEscapes: a hostile Subject cannot write escapes to the
// terminal.
func TestMessageTextEscapes(t *testing.T) {
	t.Parallel()
	m := message.Parse([]byte("From: a@x.example\r\nSubject: hi \x1b[31mred\x1b]0;title\a\r\n\r\nbody\r\n"), message.Options{})
	rep := &checks.Report{Domain: m.FromDomain}
	out := string(render(t, Options{Message: &MessageInfo{Message: m}}, rep))
	if strings.ContainsAny(out, "\x1b\a") {
		t.Errorf("escape in the text: %q", out)
	}
}
