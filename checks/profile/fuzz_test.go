package profile

import (
	"testing"
	"unicode/utf8"

	"github.com/mxray/mxray/checks/message"
)

// FuzzExplainCode: whatever is pasted, ExplainCode never panics and a
// found entry has a code.
func FuzzExplainCode(f *testing.F) {
	for _, s := range []string{"5.7.26", "550 5.7.515", "[TSS04]", "sc-001", "550-5.7.26 x", "421 4.7.0 [TSS04] x", "5.999.999", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, ok := ExplainCode(s)
		if ok && (e.Code == "" || !utf8.ValidString(e.Code)) {
			t.Fatalf("ExplainCode(%q) = %+v", s, e)
		}
	})
}

// FuzzMessageRules: the rules read from a message (format, one-click
// unsubscribe, the inbound hop's TLS, trusted Authentication-Results)
// never panic on a hostile message, and always say why.
func FuzzMessageRules(f *testing.F) {
	f.Add([]byte("From: a@b.example\r\nFrom: c@d.example\r\nList-Unsubscribe: <https://x>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n"))
	f.Add([]byte("Received: from x ([192.0.2.1]) by y with ESMTPS; Mon, 1 Jan 2026 00:00:00 +0000\r\nAuthentication-Results: y; dmarc=fail header.from=b.example; arc=pass\r\n\r\n"))
	f.Add([]byte("Received: from x ([192.0.2.1]) by y with \xff\r\nMessage-ID: <>\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := message.Parse(raw, message.Options{})
		in := &inputs{domain: "b.example", msg: m}
		for _, ar := range m.AuthResults {
			in.trusted = append(in.trusted, ar.Results...)
		}
		for _, id := range []RuleID{RuleMessageFormat, RuleUnsubscribe, RuleTLS, RuleAlignment, RuleARC} {
			v := in.decide(id, false)
			if v.note == "" && v.status != StatusPass {
				t.Fatalf("%s: %s without a note", id, v.status)
			}
		}
	})
}
