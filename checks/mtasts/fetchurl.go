package mtasts

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mxray/mxray/checks/tagval"
	"golang.org/x/net/idna"
)

// ErrURLNotAllowed is wrapped by every error of FetchableURL.
var ErrURLNotAllowed = errors.New("mtasts: URL not allowed")

// urlError is a URL that mxray will not fetch, with the reason in plain
// words.
type urlError struct{ why string }

func (e *urlError) Error() string { return e.why }
func (e *urlError) Unwrap() error { return ErrURLNotAllowed }

func notAllowed(format string, args ...any) error {
	return &urlError{why: fmt.Sprintf(format, args...)}
}

// FetchableURL parses raw and reports whether mxray may fetch it: an https
// URL that names its host by a DNS name (letters, digits and hyphens, at
// least two labels, not ending in a number), on the default port 443, with
// no user name or password. IP addresses are refused in every spelling a URL
// parser or resolver might accept (192.0.2.1, [::1], 2130706433, 0x7f.0.0.1,
// 127.1, full-width digits), as are other ports: a record published by
// anyone must not make mxray reach internal services (cloud metadata, a
// resolver's or router's admin page). The error, which wraps
// ErrURLNotAllowed, says what is wrong in plain words.
func FetchableURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, notAllowed("it is not a valid URL")
	}
	if u.Scheme != "https" {
		if u.Scheme == "" {
			return nil, notAllowed("it is not an https URL")
		}
		return nil, notAllowed("it uses %s, not https", tagval.Clean(u.Scheme))
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, notAllowed("it names no host")
	}
	if u.User != nil {
		return nil, notAllowed("it carries a user name or password before the host")
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		return nil, notAllowed("its host is an IPv6 address (%s), not a DNS name", tagval.Clean(host))
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil || !utf8.ValidString(host) {
		return nil, notAllowed("its host %s is not a valid host name", tagval.Clean(host))
	}
	ascii = strings.TrimSuffix(strings.ToLower(ascii), ".")
	if a, err := netip.ParseAddr(ascii); err == nil {
		return nil, notAllowed("its host is an IP address (%s), not a DNS name", a)
	}
	if err := hostName(ascii); err != "" {
		return nil, notAllowed("its host %s %s", tagval.Clean(host), err)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, notAllowed("it has an empty port after the host")
	}
	if p := u.Port(); p != "" && p != "443" {
		return nil, notAllowed("it names port %s, not the HTTPS port 443", tagval.Clean(p))
	}
	return u, nil
}

// hostName checks an ASCII host name and says what is wrong with it, or "".
func hostName(h string) string {
	if h == "" {
		return "is empty"
	}
	if len(h) > 253 {
		return "is longer than 253 characters"
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return "has an empty label"
		case len(l) > 63:
			return "has a label longer than 63 characters"
		case l[0] == '-' || l[len(l)-1] == '-':
			return "has a label that starts or ends with a hyphen"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "is not a host name (letters, digits and hyphens only)"
			}
		}
	}
	if isNumber(labels[len(labels)-1]) {
		return "ends in a number, so URL parsers read it as an IP address"
	}
	if len(labels) < 2 {
		return "is a single label, not a DNS name"
	}
	return ""
}

// isNumber reports whether a label is a decimal, octal or hexadecimal number
// (the forms inet_aton and URL parsers accept as parts of an IPv4 address).
func isNumber(l string) bool {
	hex := strings.HasPrefix(l, "0x")
	if hex {
		l = l[2:]
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= '0' && c <= '9' || hex && c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
