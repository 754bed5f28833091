package send

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
)

func TestCRLF(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb", "a\r\nb\r\n"},
		{"a\rb\r", "a\r\nb\r\n"},
		{"a\r\r\nb", "a\r\n\r\nb\r\n"},
		{"\n\n", "\r\n\r\n"},
	}
	for _, tc := range tests {
		if got := string(CRLF([]byte(tc.in))); got != tc.want {
			t.Errorf("CRLF(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	good := map[string][2]string{
		"X-Campaign: test":     {"X-Campaign", "test"},
		"Subject:  spaced  ":   {"Subject", "spaced"},
		"X-Empty:":             {"X-Empty", ""},
		"X-List: a, b, c":      {"X-List", "a, b, c"},
		"Reply-To: <a@b.test>": {"Reply-To", "<a@b.test>"},
	}
	for in, want := range good {
		n, v, err := ParseHeader(in)
		if err != nil || n != want[0] || v != want[1] {
			t.Errorf("ParseHeader(%q) = %q, %q, %v", in, n, v, err)
		}
	}
	for _, in := range []string{"no colon", ": empty name", "Two Words: x", "X-A: b\r\nBcc: c", "X-A: b\nc", "Ünï: x", "X-A: \x00"} {
		if _, _, err := ParseHeader(in); !errors.Is(err, ErrMessage) {
			t.Errorf("ParseHeader(%q): %v", in, err)
		}
	}
}

func TestBuildMessageEMLKeepsBytes(t *testing.T) {
	t.Parallel()
	in := "From: a@b.test\nX-Folded: one\n two\nSubject: s\n\nbody\n.\n"
	msg, fields, err := buildMessage(messageSpec{EML: []byte(in), Headers: []string{"Subject: replaced", "X-New: n"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "From: a@b.test\r\nX-Folded: one\r\n two\r\nSubject: replaced\r\nX-New: n\r\n\r\nbody\r\n.\r\n"
	if string(msg) != want {
		t.Errorf("got %q\nwant %q", msg, want)
	}
	if headerValue(fields, "x-folded") != "one two" {
		t.Errorf("folded value %q", headerValue(fields, "x-folded"))
	}
	if _, _, err := buildMessage(messageSpec{EML: []byte("\nbody only")}); !errors.Is(err, ErrMessage) {
		t.Errorf("headerless eml: %v", err)
	}
	// Without a body the message keeps its header block terminated.
	msg, _, err = buildMessage(messageSpec{EML: []byte("Subject: x")})
	if err != nil || string(msg) != "Subject: x\r\n\r\n" {
		t.Errorf("headers only: %q %v", msg, err)
	}
}

func TestLongLinesAreEncoded(t *testing.T) {
	t.Parallel()
	msg, _, err := buildMessage(messageSpec{From: "a@b.test", To: []string{"c@d.test"}, Body: []byte(strings.Repeat("x", 2000)), RunID: "r", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(msg, []byte("Content-Transfer-Encoding: quoted-printable")) || longestLine(msg) > 998 {
		t.Errorf("a 2000-character line must be encoded (longest %d)", longestLine(msg))
	}
}

func TestQueueID(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"2.0.0 Ok: queued as 4XyZ1B2C3D":                                           "4XyZ1B2C3D",
		"Ok: queued as 1E22D986248":                                                "1E22D986248",
		"OK id=1r2AbC-000Xyz-9Q":                                                   "1r2AbC-000Xyz-9Q",
		"2.0.0 OK  1700000000 a1b2c3d4e5f6.123 - gsmtp":                            "a1b2c3d4e5f6.123",
		"2.6.0 <x@y> [InternalId=12345678, Hostname=EX1] Queued mail for delivery": "12345678",
		"2.0.0 5AB1cD2e012345 Message accepted for delivery":                       "5AB1cD2e012345",
		"Ok 0100018b1d2e3f4a-aaaa-bbbb-cccc-000000":                                "0100018b1d2e3f4a-aaaa-bbbb-cccc-000000",
		"OK: queued": "",
		"2.0.0 Ok":   "",
		"":           "",
	}
	for in, want := range tests {
		if got := QueueID(in); got != want {
			t.Errorf("QueueID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code     int
		enhanced string
		text     string
		want     string // a word of the explanation; "" for none
	}{
		{550, "5.7.26", "This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate", "Gmail"},
		{421, "4.7.26", "This mail has been rate limited because it is unauthenticated", "Gmail (temporary)"},
		{550, "5.7.1", "Service unavailable, Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1", "Spamhaus"},
		{554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net", "blocklist"},
		{450, "4.7.1", "<you@x.test>: Recipient address rejected: Greylisted, try again later", "Greylisting"},
		{451, "4.7.1", "Please try again later", "Greylisting"},
		{554, "5.7.1", "<you@x.test>: Relay access denied", "not the recipient's MX"},
		{550, "5.1.1", "User unknown", "does not exist"},
		{530, "5.7.0", "Authentication required", "AUTH"},
		{530, "5.7.0", "Must issue a STARTTLS command first", "TLS"},
		{535, "5.7.8", "Authentication credentials invalid", "password"},
		{550, "5.7.509", "Access denied, sending domain example.com does not pass DMARC verification", "Microsoft"},
		{450, "4.7.25", "Client host rejected: cannot find your hostname", "PTR"},
		{452, "4.2.2", "Mailbox full", "full"},
		{421, "", "Too many connections", "closing"},
		{451, "4.3.0", "Temporary lookup failure", "temporary"},
		{550, "5.5.0", "Something unusual", ""},
	}
	for _, tc := range tests {
		got := Explain(tc.code, tc.enhanced, tc.text)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
			t.Errorf("Explain(%d %s %q) = %q, want it to mention %q", tc.code, tc.enhanced, tc.text, got, tc.want)
		}
	}
}

func TestMaskAuth(t *testing.T) {
	t.Parallel()
	f := &lineFilter{}
	f.set(sendAuth)
	for in, want := range map[string]string{
		"AUTH PLAIN AG1lAHB3": "AUTH PLAIN ***",
		"AUTH LOGIN":          "AUTH LOGIN",
		"AUTH LOGIN bWU=":     "AUTH LOGIN ***",
		"bWU=":                "***",
		"*":                   "*",
	} {
		if got, keep := f.filter(checks.DirClient, in); !keep || got != want {
			t.Errorf("auth %q → %q", in, got)
		}
	}
	if got, _ := f.filter(checks.DirServer, "334 VXNlcm5hbWU6"); got != "334 VXNlcm5hbWU6" {
		t.Errorf("server line changed: %q", got)
	}
	f.set(sendCommands)
	if got, _ := f.filter(checks.DirClient, "auth plain AG1lAHB3"); got != "AUTH plain ***" {
		t.Errorf("AUTH outside the exchange: %q", got)
	}
	f.set(sendBody)
	for _, l := range []string{"Subject: x", "", "..", "body"} {
		if _, keep := f.filter(checks.DirClient, l); keep {
			t.Errorf("content line %q kept", l)
		}
	}
	if got, keep := f.filter(checks.DirClient, "."); !keep || got != "." {
		t.Error("final dot dropped")
	}
	if got, keep := f.filter(checks.DirClient, "QUIT"); !keep || got != "QUIT" {
		t.Error("commands after the content dropped")
	}
}

func TestLastReply(t *testing.T) {
	t.Parallel()
	r := lastReply([]string{"250-first", "250 2.0.0 done", "550-5.1.1 no", "550 5.1.1 such user"})
	if r == nil || r.Code != 550 || r.Enhanced != "5.1.1" || r.Text != "no such user" {
		t.Errorf("%+v", r)
	}
	if lastReply(nil) != nil || lastReply([]string{"garbage"}) != nil {
		t.Error("reply from nothing")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	pub, _ := x509.MarshalPKIXPublicKey(ec.Public())
	for name, in := range map[string][]byte{
		"not PEM": []byte("hello"),
		"ECDSA":   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}),
		"public":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"garbage": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"cert":    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
	} {
		if _, err := ParseKey(in); !errors.Is(err, ErrKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSignedHeadersOverSignFrom(t *testing.T) {
	t.Parallel()
	fields, _ := splitMessage([]byte("From: a\r\nTo: b\r\nX-Other: c\r\nSubject: d\r\n\r\n"))
	got := signedHeaders(fields, nil)
	if want := []string{"From", "From", "Subject", "To"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

func FuzzCRLF(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\nb\r", "\r\r\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := CRLF(in)
		if !bytes.Equal(CRLF(out), out) {
			t.Fatalf("not idempotent: %q", in)
		}
		if len(in) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("no final CRLF: %q", out)
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) || bytes.Count(out, []byte("\r")) != bytes.Count(out, []byte("\r\n")) {
			t.Fatalf("bare CR or LF in %q", out)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"X-A: b", "Subject:", ":x", "A B: c", "X: a\r\nB: c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, value, err := ParseHeader(in)
		if err != nil {
			return
		}
		if strings.ContainsAny(name, ": \t\r\n") || strings.ContainsAny(value, "\r\n") {
			t.Fatalf("ParseHeader(%q) = %q, %q", in, name, value)
		}
		// A parsed header is set on a message as exactly one field.
		msg := joinMessage(setHeader(nil, name, value), []byte("body\r\n"))
		fields, body := splitMessage(msg)
		if len(fields) != 1 || !strings.EqualFold(fields[0].name, name) || string(body) != "body\r\n" {
			t.Fatalf("round trip of %q: %q", in, msg)
		}
	})
}

func FuzzSplitMessage(f *testing.F) {
	for _, s := range []string{"A: b\r\n\r\nbody", "A: b\r\n c\r\n\r\n", " lead\r\nA: b\r\n\r\n", "no blank line"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		msg := CRLF(in)
		fields, body := splitMessage(msg)
		if body == nil {
			return
		}
		// Splitting a message with a header/body separator and joining it
		// again gives it back, unless its first line was a continuation.
		if len(msg) > 0 && (msg[0] == ' ' || msg[0] == '\t') {
			return
		}
		if got := joinMessage(fields, body); !bytes.Equal(got, msg) {
			t.Fatalf("join(split(%q)) = %q", msg, got)
		}
	})
}

func FuzzQueueID(f *testing.F) {
	for _, s := range []string{"2.0.0 Ok: queued as 4XyZ", "OK id=1a-2b", "OK  17 abc - gsmtp", "OK: queued"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id := QueueID(in)
		if id != "" && (!strings.Contains(in, id) || strings.ContainsAny(id, " \t\r\n")) {
			t.Fatalf("QueueID(%q) = %q", in, id)
		}
	})
}

func FuzzLastReply(f *testing.F) {
	f.Add("250-a\n250 2.0.0 b")
	f.Add("550 5.1.1\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := lastReply(strings.Split(in, "\n"))
		if r != nil && (r.Code < 200 || r.Code > 599) {
			t.Fatalf("code %d from %q", r.Code, in)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBx=\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("not a key"))
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := ParseKey(in)
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
	})
}
