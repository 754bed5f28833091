package checks

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/message"
)

// Target is what a run examines: one domain plus the user's per-run
// hints, one address (mxray check 192.0.2.7), or one message (mxray
// analyze, receive).
type Target struct {
	Domain string // A-label form, lower case, no trailing dot; "" for an address target
	Input  string // the domain or address as the user typed it (may be Unicode)
	// Address is the address under examination (mxray check 192.0.2.7):
	// valid for address targets, whose Domain is then empty, invalid
	// otherwise. IPv4-mapped IPv6 addresses are unmapped and no zone is
	// kept. Only the checks that implement AddressChecker run on it.
	Address   netip.Addr
	Selectors []string     // DKIM selectors given with --selector
	IPs       []netip.Addr // sending IPs given with --ip (SPF evaluation, DNSBL)
	HELO      string       // HELO/EHLO name given with --helo
	// Message is the message under examination (mxray analyze, receive):
	// set for message targets, nil for domain targets. Domain is then
	// its RFC5322.From domain ("" when it has none). Message checks
	// return NotApplicable when it is nil.
	Message *message.Message
	// AuthservIDs are the authentication service identifiers whose
	// Authentication-Results fields the user trusts (--authserv-id,
	// RFC 8601 §5), lower case without a trailing dot. Fields of any
	// other receiver are shown but never trusted.
	AuthservIDs []string
}

// TargetKind says what a run examines. Its values are the words of the
// JSON document's target.kind.
type TargetKind string

// The target kinds.
const (
	TargetDomain  TargetKind = "domain"  // mxray check example.com
	TargetAddress TargetKind = "address" // mxray check 192.0.2.7
	TargetMessage TargetKind = "message" // mxray analyze, mxray receive
)

// Kind says what t examines.
func (t Target) Kind() TargetKind {
	switch {
	case t.Message != nil:
		return TargetMessage
	case t.Address.IsValid():
		return TargetAddress
	}
	return TargetDomain
}

// Name is what t examines, for people: the domain, or the address of an
// address target.
func (t Target) Name() string {
	if t.Kind() == TargetAddress {
		return t.Address.String()
	}
	return t.Domain
}

// AddressChecker is implemented by the checks that can examine an address
// target (mxray check 192.0.2.7): the reverse DNS, the blocklists, the
// port-25 banner. ChecksAddress reports true. On an address target the
// Runner skips every other check and never calls its Run; the checks it
// needs that do not run either release it at once (their facts fail with
// ErrNotRun), so an address check must not wait for a domain's facts.
type AddressChecker interface {
	ChecksAddress() bool
}

// ChecksAddress reports whether c examines address targets.
func ChecksAddress(c Check) bool {
	a, ok := c.(AddressChecker)
	return ok && a.ChecksAddress()
}

// NotForAddress is the reason a domain check is skipped on an address
// target.
const NotForAddress = "checks a domain, not an address"

// Dialer opens network connections. *net.Dialer satisfies it; tests and the
// demo use mailtest's dialer, which routes e.g. 192.0.2.10:25 to a loopback
// server.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options are the run-wide settings that come from flags.
type Options struct {
	// Timeout bounds every single network wait (a DNS query, a connect, an
	// SMTP reply, an HTTPS fetch).
	Timeout time.Duration
	// CheckTimeout bounds a whole check, all its waits together.
	CheckTimeout time.Duration
	// GreetingTimeout bounds the wait for an SMTP server's 220 greeting,
	// which RFC 5321 §4.5.3.2 lets take up to 5 minutes; every other SMTP
	// reply is bounded by Timeout.
	GreetingTimeout time.Duration
	// NoSMTP skips every check that would connect to port 25.
	NoSMTP bool
	// DNSBLZones is the path of a custom DNSBL zones file ("" = built-in list).
	DNSBLZones string
	// Profiles are the mailbox providers whose sender rules the profile
	// check grades (--profile gmail,yahoo,microsoft,apple,laposte), lower
	// case; none means the profile check is skipped.
	Profiles []string
	// Bulk says the sender sends in bulk (--bulk: 5,000 or more messages a
	// day to a provider): the profile check then grades the bulk-sender
	// rules too, instead of showing them as "applies to bulk senders".
	Bulk bool
	// DKIMProbe says which DKIM selectors the dkim check guesses
	// (--dkim-probe); empty means DKIMProbeFull. The CLI sets
	// DKIMProbeProvider for check -f unless the flag is given.
	DKIMProbe DKIMProbe
}

// DKIMProbe is how widely the dkim check guesses selectors: selectors
// cannot be listed, so every guess costs one DNS query.
type DKIMProbe string

// The DKIM probe modes. Selectors given with --selector are always probed.
const (
	// DKIMProbeFull probes the whole built-in list of common selectors,
	// plus those inferred from the domain's mail providers.
	DKIMProbeFull DKIMProbe = "full"
	// DKIMProbeCommon probes the inferred selectors and about a dozen
	// generic ones.
	DKIMProbeCommon DKIMProbe = "common"
	// DKIMProbeProvider probes only the selectors of the mail providers
	// that the domain's SPF includes and MX hosts name.
	DKIMProbeProvider DKIMProbe = "provider"
	// DKIMProbeOff probes only the selectors given with --selector.
	DKIMProbeOff DKIMProbe = "off"
)

// Default timeouts.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultCheckTimeout    = 2 * time.Minute
	DefaultGreetingTimeout = 30 * time.Second
)

// Env carries every dependency a check may use. There are no package-level
// globals: tests and the demo build an Env that reaches loopback servers.
type Env struct {
	DNS     *dnsq.Client     // the per-run caching DNS client
	Dialer  Dialer           // TCP connections (SMTP)
	HTTP    *http.Client     // HTTPS fetches (MTA-STS, BIMI); must not follow redirects unless a check allows it
	RootCAs *x509.CertPool   // nil means the system roots (which honour SSL_CERT_FILE)
	Now     func() time.Time // the clock
	Opts    Options
}

// Timeout returns the per-wait timeout, or the default when unset.
func (e *Env) Timeout() time.Duration {
	if e == nil || e.Opts.Timeout <= 0 {
		return DefaultTimeout
	}
	return e.Opts.Timeout
}

// GreetingTimeout returns the wait for an SMTP greeting, or the default
// when unset.
func (e *Env) GreetingTimeout() time.Duration {
	if e == nil || e.Opts.GreetingTimeout <= 0 {
		return DefaultGreetingTimeout
	}
	return e.Opts.GreetingTimeout
}

// Clock returns the current time from the Env's clock.
func (e *Env) Clock() time.Time {
	if e == nil || e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Def documents one finding ID in the catalogue: what it means, why it
// matters, and how to fix it. The catalogue feeds `mxray explain` and
// docs/findings.md.
type Def struct {
	ID       string   // "<check>.<kebab-name>"; never renamed once published
	Severity Severity // the usual severity
	// SeverityNote explains when the severity differs from the usual one.
	SeverityNote string
	Title        string // one line: what was found
	Why          string // why it matters
	Fix          string // the generic fix; findings may carry a more specific one
	Ref          string // the standard, e.g. "RFC 7505"
}

// Check is one area of diagnosis (mx, spf, dkim...). Implementations live in
// one package each under checks/ and are listed in package checks/all.
type Check interface {
	// ID is the stable check ID used by --only/--skip and checks[].id.
	ID() string
	// Title is a short human name ("MX records").
	Title() string
	// Needs lists the IDs of checks whose published facts Run awaits.
	Needs() []string
	// Findings is the catalogue of finding IDs this check may report.
	Findings() []Def
	// Run examines t and reports through out. A non-nil error means the
	// check could not decide; its text becomes the result's error reason.
	Run(ctx context.Context, env *Env, t Target, out *Out) error
}

// Skipper is implemented by checks that must not run under some options,
// e.g. the port-25 checks under --no-smtp. The Runner reports such a check
// with status skip and the reason, and never calls its Run.
type Skipper interface {
	SkipReason(opts Options) string
}

// Validator is implemented by checks that validate their options before a run
// (e.g. a zones file). An error is a usage error: the CLI prints it and exits 2.
type Validator interface {
	Validate(opts Options) error
}
