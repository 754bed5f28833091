package send

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goWords are fragments of Go error text that must not reach people.
var goWords = []string{"strconv", "idna:", "mail:", "send:", "dnsq:", "missing port in address", "too many colons"}

// quoted matches a Go-quoted string: the user's own input in a message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// assertPlain fails when err holds Go error text outside the quoted input
// (an address such as "mail:" may say anything).
func assertPlain(t *testing.T, err error) {
	t.Helper()
	own := quoted.ReplaceAllString(err.Error(), `""`)
	for _, g := range goWords {
		if strings.Contains(own, g) {
			t.Fatalf("Go error text %q in %q", g, err.Error())
		}
	}
}

// FuzzCheckAddress: an accepted envelope address is one bare mailbox, and
// stays accepted in its A-label form; a refusal is in plain words. Seeds
// under testdata/fuzz are the shapes --from and --to take in practice.
func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"me@example.com", "Me <me@example.com>", "postmaster@bücher.example", "a@b@c.example", "user+tag@sub.example.co.uk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		err := CheckAddress(a)
		if err != nil {
			assertPlain(t, err)
			return
		}
		at := strings.LastIndexByte(a, '@')
		if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " \t\r\n<>\x00") {
			t.Fatalf("accepted %q", a)
		}
		if e := envelope(a); CheckAddress(e) != nil || !strings.HasPrefix(e, a[:at+1]) {
			t.Fatalf("envelope(%q) = %q, which is refused", a, e)
		}
	})
}

// FuzzSplitServer: an accepted --server is a host and a port in range that
// join back to the same pair; a refusal is in plain words.
func FuzzSplitServer(f *testing.F) {
	for _, s := range []string{"smtp.example.com:587", "[2001:db8::25]:465", "192.0.2.25:25", "smtp.example.com", "smtp.example.com:0", ":25", "[::1]:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := SplitServer(s)
		if err != nil {
			assertPlain(t, err)
			return
		}
		if host == "" || port < 1 || port > 65535 {
			t.Fatalf("SplitServer(%q) = %q, %d", s, host, port)
		}
		h2, p2, err := SplitServer(net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil || h2 != host || p2 != port {
			t.Fatalf("%q → %q %d → %q %d %v", s, host, port, h2, p2, err)
		}
	})
}

// FuzzServerAddress: --server with or without a port. An accepted value
// is a host and a port in range that SplitServer takes back as the same
// pair; a bare host gets the mode's default port; a refusal is in plain
// words.
func FuzzServerAddress(f *testing.F) {
	for _, s := range []string{"smtp.example.com", "smtp.example.com:2525", "192.0.2.25", "2001:db8::25", "[2001:db8::25]", "[2001:db8::25]:26", "[smtp.example.com]", "fe80::1%eth0", "a:b:c", ""} {
		f.Add(s, uint8(0))
	}
	modes := []TLSMode{TLSAuto, TLSStartTLS, TLSImplicit, TLSNone}
	f.Fuzz(func(t *testing.T, s string, m uint8) {
		mode := modes[int(m)%len(modes)]
		host, port, err := ServerAddress(s, mode)
		if err != nil {
			assertPlain(t, err)
			return
		}
		if host == "" || port < 1 || port > 65535 {
			t.Fatalf("ServerAddress(%q) = %q, %d", s, host, port)
		}
		if _, _, err := SplitServer(s); err != nil && port != DefaultPort(mode) {
			t.Fatalf("ServerAddress(%q, %q): port %d without a port in it", s, mode, port)
		}
		h2, p2, err := SplitServer(net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil || h2 != host || p2 != port {
			t.Fatalf("%q → %q %d → %q %d %v", s, host, port, h2, p2, err)
		}
	})
}
