package send

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/smtpwire"
)

// TLSMode says how a send uses TLS.
type TLSMode string

// The TLS modes.
const (
	// TLSAuto uses STARTTLS when the server offers it and continues in
	// plaintext when it does not (port 25); on port 587 it is TLSStartTLS
	// and on port 465 TLSImplicit.
	TLSAuto TLSMode = ""
	// TLSStartTLS requires STARTTLS: a server that does not offer it stops
	// the send (--starttls).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (--tls, port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never uses TLS (--no-tls).
	TLSNone TLSMode = "none"
)

// Defaults of Options.AddressLimit and Options.TotalTimeout.
const (
	DefaultAddressLimit = 5
	DefaultTotalTimeout = 2 * time.Minute
)

// QuitAfterStages are the values of Options.QuitAfter: the stage after
// which a send stops with QUIT, in protocol order.
var QuitAfterStages = []string{"connect", "banner", "ehlo", "tls", "auth", "mail", "rcpt"}

// Options describe one send.
type Options struct {
	From string   // the envelope sender (MAIL FROM) and the default From:
	To   []string // the envelope recipients (RCPT TO) and the default To:

	// Server is "host:port" or "host" of the server to talk to; without a
	// port, the port follows TLS (DefaultPort: 587 with TLSStartTLS, 465
	// with TLSImplicit, else 25). Empty means the MX hosts of the
	// recipients' domain in preference order, on port 25.
	Server string
	TLS    TLSMode
	// TLSName, when set, is the name sent in SNI and the name the
	// certificate is verified against instead of the Server's host: for a
	// server given by address (like curl --resolve or swaks --tls-sni).
	// It needs Server.
	TLSName string
	// Insecure continues past a certificate that does not verify, with
	// Server and without (the trace still says why it does not).
	Insecure bool
	// Verify requires the certificate of an MX to verify in direct
	// delivery. Without it, direct delivery uses TLS opportunistically as
	// mail servers do: a certificate that does not verify is recorded in
	// the trace and the delivery goes on. With Server a certificate must
	// always verify (unless Insecure).
	Verify bool

	// AuthUser enables AUTH with Password. AuthMech is "PLAIN", "LOGIN" or
	// empty (PLAIN when offered, else LOGIN).
	AuthUser, Password, AuthMech string
	// AllowPlaintextAuth permits AUTH on a connection without TLS.
	AllowPlaintextAuth bool

	// HELO is the EHLO name. Empty: FQDN when set, else the address
	// literal of each connection's local address ("[192.0.2.1]",
	// "[IPv6:2001:db8::1]"; RFC 5321 §4.1.4), never a bare host name.
	HELO string
	// FQDN is this machine's fully qualified domain name (IsFQDN), or
	// empty when it has none.
	FQDN string

	// Headers are "Name: value" fields set on the message (replacing a
	// field of the same name). Body replaces the default body. EML, when
	// set, is the whole message, sent as is with CRLF line endings.
	Headers []string
	Body    []byte
	EML     []byte

	// DKIM, when set, signs the message.
	DKIM *DKIMOptions

	// QuitAfter stops after one of QuitAfterStages (empty: deliver).
	QuitAfter string

	// GreetingTimeout bounds the wait for each server's 220 greeting
	// (--greeting-timeout); zero means the Env's (checks.Env.GreetingTimeout,
	// checks.DefaultGreetingTimeout unless set). Every other wait is bounded
	// by the Env's Timeout (--timeout).
	GreetingTimeout time.Duration
	// AddressLimit is how many server addresses are tried at most, over
	// all MX hosts (like Postfix's smtp_mx_address_limit); zero means
	// DefaultAddressLimit. The addresses left out are named in a
	// "skipped" step.
	AddressLimit int
	// TotalTimeout bounds the whole send, DNS included; zero means
	// DefaultTotalTimeout. What is not tried by then is named in a
	// "skipped" step.
	TotalTimeout time.Duration

	// RunID identifies the send (default: NewRunID()).
	RunID string
	// Version is mxray's version for the X-Mailer field.
	Version string

	// OnStep, when set, receives each step as soon as it has finished.
	OnStep StepFunc
}

// ErrUsage wraps an invalid Options value.
var ErrUsage = errors.New("send: invalid options")

func usage(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// CheckAddress checks a mailbox address given for the envelope: a bare
// local@domain, without display name or angle brackets.
func CheckAddress(a string) error {
	if a == "" {
		return errors.New("empty address")
	}
	if strings.ContainsAny(a, " \t\r\n<>\x00") {
		return fmt.Errorf("%q: give a bare address (local@domain), without a name or <>", a)
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return fmt.Errorf("%q is not an address (want local@domain)", a)
	}
	if _, err := mail.ParseAddress(a); err != nil {
		return fmt.Errorf("%q is not an address: %s", a, strings.ReplaceAll(err.Error(), "mail: ", ""))
	}
	d, err := asciiDomain(a[at+1:])
	if err != nil {
		return fmt.Errorf("%q: bad domain: %s", a, strings.TrimPrefix(err.Error(), "idna: "))
	}
	if _, err := dnsq.CheckName(d); err != nil || d == "" || slices.Contains(strings.Split(d, "."), "") {
		return fmt.Errorf("%q: bad domain: %q is not a valid domain name", a, a[at+1:])
	}
	return nil
}

func asciiDomain(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", err
	}
	return strings.ToLower(a), nil
}

// Validate reports an Options value that cannot be sent; its errors wrap
// ErrUsage (or ErrMessage for a bad header).
func Validate(o Options) error {
	if o.From == "" {
		return usage("missing --from")
	}
	if err := CheckAddress(o.From); err != nil {
		return usage("--from %v", err)
	}
	if len(o.To) == 0 {
		return usage("missing --to")
	}
	domains := map[string]bool{}
	for _, t := range o.To {
		if err := CheckAddress(t); err != nil {
			return usage("--to %v", err)
		}
		d, _ := asciiDomain(t[strings.LastIndexByte(t, '@')+1:])
		domains[d] = true
	}
	if o.Server == "" && len(domains) > 1 {
		return usage("the --to addresses are in %d domains: direct delivery goes to one domain's MX; send once per domain or use --server", len(domains))
	}
	switch o.TLS {
	case TLSAuto, TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return usage("unknown TLS mode %q", o.TLS)
	}
	if o.Server != "" {
		if _, _, err := ServerAddress(o.Server, o.TLS); err != nil {
			return usage("--server %v", err)
		}
	}
	if o.TLSName != "" {
		if o.Server == "" {
			return usage("--tls-name needs --server (direct delivery verifies each MX against its own name)")
		}
		if o.TLS == TLSNone {
			return usage("--tls-name and --no-tls exclude each other")
		}
		if _, err := netip.ParseAddr(o.TLSName); err == nil {
			return usage("--tls-name %q: give a host name (a server given by address is verified against its address already)", o.TLSName)
		}
		if a, err := asciiDomain(o.TLSName); err != nil || !isHostName(a) {
			return usage("--tls-name %q is not a valid host name", o.TLSName)
		}
	}
	if o.Verify && o.Insecure {
		return usage("--verify and --insecure exclude each other")
	}
	if o.Verify && o.TLS == TLSNone {
		return usage("--verify and --no-tls exclude each other")
	}
	if o.FQDN != "" && (strings.ContainsAny(o.FQDN, " \t\r\n") || !IsFQDN(o.FQDN)) {
		return usage("the machine's name %q is not a fully qualified domain name", o.FQDN)
	}
	if o.AuthUser != "" && o.Password == "" {
		return usage("AUTH needs a password")
	}
	if o.AuthUser == "" && o.AuthMech != "" {
		return usage("--auth-mech needs --auth-user")
	}
	switch strings.ToUpper(o.AuthMech) {
	case "", "PLAIN", "LOGIN":
	default:
		return usage("--auth-mech %q: want PLAIN or LOGIN", o.AuthMech)
	}
	if o.AuthUser != "" && o.TLS == TLSNone && !o.AllowPlaintextAuth {
		return usage("--no-tls with --auth-user would send the password in the clear; add --allow-plaintext-auth if you really mean it")
	}
	if o.EML != nil && o.Body != nil {
		return usage("--body-file and --eml exclude each other")
	}
	if o.QuitAfter != "" {
		ok := false
		for _, q := range QuitAfterStages {
			ok = ok || q == o.QuitAfter
		}
		if !ok {
			return usage("--quit-after %q: want one of %s", o.QuitAfter, strings.Join(QuitAfterStages, ", "))
		}
	}
	if o.AddressLimit < 0 {
		return usage("the address limit must not be negative")
	}
	if o.GreetingTimeout < 0 || o.TotalTimeout < 0 {
		return usage("timeouts must not be negative")
	}
	if o.HELO != "" && strings.ContainsAny(o.HELO, " \t\r\n") {
		return usage("--helo %q: one word, a host name or an address literal", o.HELO)
	}
	for _, h := range o.Headers {
		if _, _, err := ParseHeader(h); err != nil {
			return usage("--header: %v", strings.TrimPrefix(err.Error(), ErrMessage.Error()+": "))
		}
	}
	if d := o.DKIM; d != nil {
		if d.Key == nil {
			return usage("DKIM signing needs a key")
		}
		if d.Selector == "" {
			return usage("--dkim-key needs --dkim-selector")
		}
		if _, err := dnsq.CheckName(d.Selector + "._domainkey.example"); err != nil {
			return usage("--dkim-selector %q: not a valid selector (DNS labels separated by dots)", d.Selector)
		}
		if d.Domain != "" {
			if _, err := dnsq.CheckName(d.Domain); err != nil {
				return usage("--dkim-domain %q: not a valid domain name", d.Domain)
			}
		}
	}
	return nil
}

// envelope returns addr with its domain in A-label form (unchanged when
// the domain does not convert).
func envelope(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	d, err := asciiDomain(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + d
}

// DefaultPort is the port of a server given without one: 587
// (submission, RFC 6409) with TLSStartTLS, 465 (submissions, RFC 8314)
// with TLSImplicit, else 25.
func DefaultPort(mode TLSMode) int {
	switch mode {
	case TLSStartTLS:
		return 587
	case TLSImplicit:
		return 465
	}
	return 25
}

// ServerAddress parses a server given as "host:port" or as a bare host
// ("smtp.example.com", "192.0.2.7", "2001:db8::7" or "[2001:db8::7]"),
// whose port is then DefaultPort(mode).
func ServerAddress(s string, mode TLSMode) (string, int, error) {
	if h, p, err := SplitServer(s); err == nil {
		return h, p, nil
	}
	host := s
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
		if _, err := netip.ParseAddr(host); err != nil {
			return "", 0, fmt.Errorf("%q: %q is not an IP address", s, host)
		}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		if strings.Contains(host, "%") {
			return "", 0, fmt.Errorf("%q: an address with a zone is not supported", s)
		}
		return host, DefaultPort(mode), nil
	}
	if host == "" || strings.ContainsAny(host, ":[]") {
		return SplitServer(s) // its error says what is wrong
	}
	if _, err := dnsq.CheckName(host); err != nil {
		return "", 0, fmt.Errorf("%q is neither an IP address nor a valid host name", s)
	}
	return host, DefaultPort(mode), nil
}

// SplitServer parses "host:port" (port required; IPv6 in brackets).
func SplitServer(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%q: want host:port (e.g. smtp.example.com:587)", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", 0, fmt.Errorf("%q: bad port", s)
	}
	if host == "" {
		return "", 0, fmt.Errorf("%q: missing host", s)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		if _, err := dnsq.CheckName(host); err != nil {
			return "", 0, fmt.Errorf("%q: %q is neither an IP address nor a valid host name", s, host)
		}
	}
	return host, p, nil
}

// run is the state of one Send.
type run struct {
	env *checks.Env
	o   Options
	now func() time.Time
	t0  time.Time
	tr  *Trace

	mu       sync.Mutex // guards tr.Steps against OnStep readers of Trace
	attempts []string   // "mx1.example.net:25 (192.0.2.10): refused" for the summary

	port      int             // the port of the last attempt
	rejected  int             // attempts that ended in a reply refusing the message
	user      context.Context // the caller's context: cancelled means interrupted
	greeting  time.Duration   // the greeting's wait
	limit     int             // addresses tried at most
	total     time.Duration   // the whole send's deadline
	skipped   []string        // addresses (or hosts) not tried
	skipWhy   string          // why they were not
	outOfTime bool            // the send's deadline passed
}

// Send composes the message, finds the server, and delivers (or stops at
// Options.QuitAfter). It always returns a trace whose Result is set; it
// never returns an error: everything that went wrong is in the trace.
// Call Validate first: Send assumes valid Options.
func Send(ctx context.Context, env *checks.Env, o Options) *Trace {
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	o.AuthMech = strings.ToUpper(o.AuthMech)
	// Domains travel as A-labels: only a non-ASCII local part needs
	// SMTPUTF8 then.
	o.From = envelope(o.From)
	to := make([]string, len(o.To))
	for i, t := range o.To {
		to[i] = envelope(t)
	}
	o.To = to
	r := &run{env: env, o: o, now: now, t0: now(), tr: &Trace{RunID: o.RunID, Steps: []Step{}},
		user: ctx, greeting: o.GreetingTimeout, limit: o.AddressLimit, total: o.TotalTimeout}
	if r.greeting <= 0 {
		r.greeting = env.GreetingTimeout()
	}
	if r.limit <= 0 {
		r.limit = DefaultAddressLimit
	}
	if r.total <= 0 {
		r.total = DefaultTotalTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, r.total)
	defer cancel()
	out := r.send(dctx)
	return r.finish(out)
}

// outcome is how one attempt (or the whole send) ended.
type outcome struct {
	result  Result
	stage   string
	err     string
	reply   *Reply
	queueID string
	retry   bool // another server may do better (RFC 5321 §5.1)
}

func (r *run) send(ctx context.Context) outcome {
	msg, out, ok := r.compose(ctx)
	if !ok {
		return out
	}
	type target struct {
		host string
		port int
	}
	var targets []target
	if r.o.Server != "" {
		h, p, _ := ServerAddress(r.o.Server, r.o.TLS)
		targets = []target{{h, p}}
	} else {
		hosts, out, ok := r.mx(ctx)
		if !ok {
			return out
		}
		for _, h := range hosts {
			targets = append(targets, target{h, 25})
		}
	}
	last := outcome{result: ResultUnreachable, stage: StepConnect, err: "no server to try", retry: true}
	tried := 0
	for i, t := range targets {
		if reason := r.stopReason(ctx, tried); reason != "" {
			for _, rest := range targets[i:] {
				r.skip(reason, net.JoinHostPort(rest.host, strconv.Itoa(rest.port))+" (its addresses were not looked up)")
			}
			break
		}
		addrs, out, ok := r.addresses(ctx, t.host)
		if !ok {
			last = out
			r.attempts = append(r.attempts, t.host+": "+out.err)
			continue
		}
		for j, a := range addrs {
			if reason := r.stopReason(ctx, tried); reason != "" {
				for _, rest := range addrs[j:] {
					r.skip(reason, net.JoinHostPort(t.host, strconv.Itoa(t.port))+" ("+rest.String()+")")
				}
				for _, rest := range targets[i+1:] {
					r.skip(reason, net.JoinHostPort(rest.host, strconv.Itoa(rest.port))+" (its addresses were not looked up)")
				}
				break
			}
			tried++
			out := r.attempt(ctx, t.host, t.port, a, msg)
			last = out
			if out.result == ResultUnreachable || out.retry {
				r.attempts = append(r.attempts, net.JoinHostPort(t.host, strconv.Itoa(t.port))+" ("+a.String()+"): "+out.err)
				if out.result != ResultUnreachable {
					r.rejected++
				}
			}
			if !out.retry {
				return out
			}
		}
		if r.skipWhy != "" {
			break
		}
	}
	if len(r.skipped) > 0 {
		p := r.begin(StepSkipped, "")
		p.Info = append(p.Info, fmt.Sprintf("not tried: %s", strings.Join(r.skipped, ", ")), r.skipWhy)
		r.end(p)
	}
	if ctx.Err() != nil && last.result != ResultDelivered {
		last.result, last.retry = ResultUnreachable, false
		r.outOfTime = r.user.Err() == nil
		last.err = r.stopped()
	}
	return last
}

// summary is the trace's error when no server took the message: the last
// attempt's error alone, or every attempt's and the addresses not tried.
func (r *run) summary(out outcome) string {
	all := strings.Join(r.attempts, "; ")
	var more string
	if len(r.skipped) > 0 {
		more = fmt.Sprintf("; %d more not tried", len(r.skipped))
	}
	none := "no server could be reached: "
	if r.rejected > 0 {
		none = "no server took the message: "
	}
	switch {
	case r.user.Err() != nil || r.outOfTime:
		if all == "" {
			return r.stopped()
		}
		return r.stopped() + ": " + all + more
	case len(r.skipped) > 0:
		return none + all + more + ": " + r.skipWhy
	case len(r.attempts) > 1:
		return none + all
	}
	return out.err
}

// stopReason says why no further address may be tried: the address limit
// was reached, or the send's deadline; "" when it may go on.
func (r *run) stopReason(ctx context.Context, tried int) string {
	switch {
	case r.user.Err() != nil:
		return "interrupted"
	case ctx.Err() != nil:
		return fmt.Sprintf("the send ran out of time: it is bounded by %s in all", smtpwire.Dur(r.total))
	case tried >= r.limit:
		return fmt.Sprintf("at most %d addresses are tried per send (like Postfix's smtp_mx_address_limit); the first %d did not take the message", r.limit, r.limit)
	}
	return ""
}

// skip records one address (or host) not tried.
func (r *run) skip(reason, what string) {
	if r.skipWhy == "" {
		r.skipWhy = reason
	}
	r.skipped = append(r.skipped, what)
}

// stopped says in plain words why the send stopped before its end: the
// caller interrupted it, or it ran out of its overall time.
func (r *run) stopped() string {
	if r.user.Err() != nil {
		return "interrupted"
	}
	return fmt.Sprintf("the send did not finish within %s, its overall time limit", smtpwire.Dur(r.total))
}

// finish fills in the trace's outcome.
func (r *run) finish(out outcome) *Trace {
	t := r.tr
	t.Result = out.result
	t.QueueID = out.queueID
	if out.result != ResultDelivered {
		t.Stage = out.stage
		t.Error = out.err
		if out.result == ResultUnreachable || len(r.attempts) > 1 && out.result != ResultStopped {
			t.Error = r.summary(out)
		}
	}
	if out.result == ResultRejected && out.reply != nil {
		t.Rejection = &Rejection{
			Stage: out.stage, Code: out.reply.Code, Enhanced: out.reply.Enhanced, Text: out.reply.Text,
			Temporary:   out.reply.Code >= 400 && out.reply.Code < 500,
			Explanation: Explain(out.reply.Code, out.reply.Enhanced, out.reply.Text),
		}
		if e := submissionWithoutAuth(r.port, r.o.AuthUser, out.stage, out.reply); e != "" {
			t.Rejection.Explanation = e
		}
	}
	t.DurationMs = r.now().Sub(r.t0).Milliseconds()
	return t
}

// submissionWithoutAuth explains a refusal at MAIL or RCPT (554 or 530)
// by a submission port (587, 465) to a client that did not authenticate:
// whatever the reply says about the client's host, the port takes mail
// only from authenticated users. "" when that is not the case, or when the
// reply asks for TLS first (530 5.7.0 Must issue a STARTTLS command first).
func submissionWithoutAuth(port int, user, stage string, rep *Reply) string {
	if user != "" || port != 587 && port != 465 || stage != StepMail && stage != StepRcpt || rep.Code != 554 && rep.Code != 530 ||
		strings.Contains(strings.ToLower(rep.Text), "tls") {
		return ""
	}
	return fmt.Sprintf("Port %d is a submission port: it takes mail only from users who authenticate, whatever the reply says about this host (its name or reverse DNS). "+
		"Add --auth-user with your account there (the password from MXRAY_PASSWORD, --password-file or a prompt). "+
		"To deliver without an account, leave out --server: mxray then goes to the recipient's MX on port 25.", port)
}

// pending is a step being timed.
type pending struct {
	Step
	start time.Time
	dns   int       // DNS log length at the start
	endAt time.Time // when set, the step's end (default: now)
}

func (r *run) begin(name, host string) *pending {
	start := r.now()
	p := &pending{Step: Step{Step: name, Host: host, StartedMs: start.Sub(r.t0).Milliseconds()}, start: start}
	if r.env.DNS != nil {
		p.dns = len(r.env.DNS.Log())
	}
	return p
}

// end finishes a step and hands it to the trace and OnStep.
func (r *run) end(p *pending) {
	end := p.endAt
	if end.IsZero() {
		end = r.now()
	}
	p.DurationMs = max(0, end.Sub(p.start).Milliseconds())
	r.emit(p.Step)
}

func (r *run) emit(s Step) {
	r.mu.Lock()
	r.tr.Steps = append(r.tr.Steps, s)
	r.mu.Unlock()
	if r.o.OnStep != nil {
		r.o.OnStep(s)
	}
}

// dnsQueries returns the queries logged since the step began, with answers
// filled from the given map (name/type → records).
func (r *run) dnsQueries(p *pending, answers map[string][]string) []DNSQuery {
	if r.env.DNS == nil {
		return nil
	}
	log := r.env.DNS.Log()
	if p.dns > len(log) {
		return nil
	}
	var out []DNSQuery
	for _, q := range log[p.dns:] {
		dq := DNSQuery{Name: q.Name, Type: q.Type, Server: q.Server, Rcode: q.Rcode, RTTMs: q.RTTMs}
		if q.Rcode == "NOERROR" {
			dq.Answers = answers[strings.ToLower(strings.TrimSuffix(q.Name, "."))+"/"+q.Type]
		}
		out = append(out, dq)
	}
	return out
}

// compose builds, signs and verifies the message: the first step.
func (r *run) compose(ctx context.Context) ([]byte, outcome, bool) {
	p := r.begin(StepMessage, "")
	msg, fields, err := buildMessage(messageSpec{
		From: r.o.From, To: r.o.To, HELO: cmp.Or(r.o.HELO, r.o.FQDN), Headers: r.o.Headers,
		Body: r.o.Body, EML: r.o.EML, RunID: r.o.RunID, Now: r.now(), Version: r.o.Version,
	})
	if err != nil {
		p.Error = err.Error()
		r.end(p)
		return nil, outcome{result: ResultRefused, stage: StepMessage, err: err.Error()}, false
	}
	if r.o.EML != nil {
		p.Info = append(p.Info, fmt.Sprintf("message from the --eml file, %d bytes with CRLF line endings", len(msg)))
	} else {
		p.Info = append(p.Info, fmt.Sprintf("test message built, %d bytes", len(msg)))
	}
	var dk *DKIMInfo
	if d := r.o.DKIM; d != nil {
		o := *d
		if o.Domain == "" {
			o.Domain, _ = asciiDomain(domainOf(r.o.From))
		}
		var signed []byte
		signed, dk, err = sign(msg, fields, &o, r.now())
		if err != nil {
			p.Error = err.Error()
			p.Message = summarise(msg, fields)
			p.Message.DKIM = dk
			r.end(p)
			return nil, outcome{result: ResultRefused, stage: StepMessage, err: err.Error()}, false
		}
		msg = signed
		fields, _ = splitMessage(msg)
		p.Info = append(p.Info,
			fmt.Sprintf("DKIM-signed for d=%s s=%s (%s, relaxed/relaxed), h=%s", o.Domain, o.Selector, dk.Algorithm, strings.ToLower(strings.Join(dk.Headers, ":"))),
			"DKIM signature verified locally against the signing key: pass")
		if r.env.DNS != nil {
			p.Info = append(p.Info, publishedKey(ctx, r.env.DNS, &o))
			p.DNS = r.dnsQueries(p, nil)
		}
	}
	p.Message = summarise(msg, fields)
	p.Message.DKIM = dk
	r.tr.MessageID = p.Message.MessageID
	r.end(p)
	return msg, outcome{}, true
}

// mx finds the recipient domain's mail hosts in preference order.
func (r *run) mx(ctx context.Context) ([]string, outcome, bool) {
	to := r.o.To[0]
	domain, _ := asciiDomain(to[strings.LastIndexByte(to, '@')+1:])
	p := r.begin(StepDNS, "")
	fail := func(res Result, msg string) ([]string, outcome, bool) {
		p.Error = msg
		p.DNS = r.dnsQueries(p, nil)
		r.end(p)
		return nil, outcome{result: res, stage: StepDNS, err: msg}, false
	}
	ans, err := r.env.DNS.Lookup(ctx, domain, dns.TypeMX)
	if err != nil {
		return fail(ResultUnreachable, "the MX lookup failed: "+err.Error())
	}
	if ans.NXDomain() {
		return fail(ResultUnreachable, domain+" does not exist (NXDOMAIN)")
	}
	mxs := ans.MX()
	var recs []string
	for _, m := range mxs {
		recs = append(recs, fmt.Sprintf("%d %s", m.Preference, m.Mx))
	}
	answers := map[string][]string{domain + "/MX": recs}
	if len(mxs) == 1 && mxs[0].Mx == "." {
		p.Info = append(p.Info, "MX "+domain+": "+strings.Join(recs, ", "))
		p.Error = domain + " publishes a null MX (RFC 7505): it accepts no mail"
		p.DNS = r.dnsQueries(p, answers)
		r.end(p)
		rep := &Reply{Code: 556, Enhanced: "5.1.10", Text: "Recipient address has null MX"}
		return nil, outcome{result: ResultRejected, stage: StepDNS, err: p.Error, reply: rep}, false
	}
	var hosts []string
	if len(mxs) == 0 {
		hosts = []string{domain}
		p.Info = append(p.Info, domain+" has no MX record: delivering to the domain's own address (implicit MX, RFC 5321 §5.1)")
	} else {
		sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
		p.Info = append(p.Info, "MX "+domain+": "+strings.Join(recs, ", "))
		seen := map[string]bool{}
		for _, m := range mxs {
			h := strings.ToLower(strings.TrimSuffix(m.Mx, "."))
			if h == "" || seen[h] {
				continue
			}
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	p.DNS = r.dnsQueries(p, answers)
	r.end(p)
	return hosts, outcome{}, true
}

// addresses resolves a server name (a dns step) or returns an IP literal.
func (r *run) addresses(ctx context.Context, host string) ([]netip.Addr, outcome, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, outcome{}, true
	}
	p := r.begin(StepDNS, "")
	type res struct {
		t   string
		ans *dnsq.Answer
		err error
	}
	ch := make(chan res, 2)
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		go func() {
			a, err := r.env.DNS.Lookup(ctx, host, t)
			ch <- res{dns.TypeToString[t], a, err}
		}()
	}
	var v4, v6 []netip.Addr
	answers := map[string][]string{}
	var errs []string
	for range 2 {
		x := <-ch
		if x.err != nil {
			errs = append(errs, x.err.Error())
			continue
		}
		owner, _ := x.ans.Target()
		for _, a := range x.ans.Addrs() {
			answers[host+"/"+x.t] = append(answers[host+"/"+x.t], a.String())
			if strings.TrimSuffix(owner, ".") != host {
				answers[strings.TrimSuffix(owner, ".")+"/"+x.t] = answers[host+"/"+x.t]
			}
			if a.Is4() {
				v4 = append(v4, a)
			} else {
				v6 = append(v6, a)
			}
		}
	}
	sortAddrs(v4)
	sortAddrs(v6)
	addrs := append(v4, v6...) // IPv4 first: most receivers' reputation data is about IPv4 senders
	p.DNS = r.dnsQueries(p, answers)
	// The two lookups ran at once: list them in a stable order.
	sort.SliceStable(p.DNS, func(i, j int) bool { return p.DNS[i].Type < p.DNS[j].Type })
	if len(addrs) == 0 {
		msg := host + " has no A or AAAA record"
		if len(errs) > 0 {
			sort.Strings(errs) // the two lookups ran at once: a stable order
			msg = "the address lookups failed: " + strings.Join(errs, "; ")
		}
		p.Error = msg
		r.end(p)
		return nil, outcome{result: ResultUnreachable, stage: StepDNS, err: msg, retry: true}, false
	}
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	p.Info = append(p.Info, host+": "+strings.Join(s, ", "))
	r.end(p)
	return addrs, outcome{}, true
}

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}
