package smtp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/tlscheck"
)

const zone = `
$ORIGIN test.
@        IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
$ORIGIN d.test.
@        IN MX 10 mx
mx       IN A  192.0.2.10
other    IN TXT "no address"
`

type scenario struct {
	name    string
	opts    mailtest.SMTPOptions
	ptr     string // PTR name of 192.0.2.10; "" = none
	setup   func(t *testing.T, w *mailtest.World, env *checks.Env)
	refused bool                     // no server at all: connection refused
	hostile *mailtest.HostileOptions // a hostile peer instead of go-smtp
	zone    string                   // replaces the MX host's records
	want    []string
	// quick: the scenario ends in a timeout whatever the machine's load, so
	// the SMTP waits are shortened to quickWait (DNS keeps its second).
	quick bool
}

// quickWait is the --timeout and --greeting-timeout of quick scenarios.
const quickWait = 250 * time.Millisecond

func run(t *testing.T, sc scenario) (checks.Result, *mailtest.World) {
	t.Helper()
	z := zone
	if sc.zone != "" {
		z = strings.Replace(zone, "@        IN MX 10 mx\nmx       IN A  192.0.2.10\n", sc.zone, 1)
	}
	w := mailtest.New(t, z)
	if sc.ptr != "" {
		if err := w.PTR("192.0.2.10", sc.ptr); err != nil {
			t.Fatal(err)
		}
	}
	switch {
	case sc.refused:
		if err := w.Refuse("192.0.2.10:25"); err != nil {
			t.Fatal(err)
		}
	case sc.hostile != nil:
		if _, err := w.HostileSMTP(*sc.hostile, "192.0.2.10:25"); err != nil {
			t.Fatal(err)
		}
	default:
		o := sc.opts
		if o.Hostname == "" {
			o.Hostname = "mx.d.test"
		}
		if o.Domains == nil {
			o.Domains = []string{"d.test"}
		}
		if _, err := w.SMTP(o, "192.0.2.10:25"); err != nil {
			t.Fatal(err)
		}
	}
	env, err := w.Env(checks.Options{Timeout: time.Second, GreetingTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if sc.quick {
		env.Opts.Timeout, env.Opts.GreetingTimeout = quickWait, quickWait
	}
	if sc.setup != nil {
		sc.setup(t, w, env)
	}
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{SlowBanner: 250 * time.Millisecond}}, Registry: []checks.Check{mx.Check{}}}
	rep := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"})
	return rep.Results[0], w
}

func ids(res checks.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID+":"+string(f.Severity))
	}
	sort.Strings(out)
	return out
}

func dump(t *testing.T, res checks.Result) string {
	b, _ := json.MarshalIndent(res, "", "  ")
	return string(b)
}

func TestBehaviours(t *testing.T) {
	t.Parallel()
	tests := []scenario{
		{name: "healthy", ptr: "mx.d.test", want: nil},
		{name: "greeting slower than --timeout, within the greeting timeout", ptr: "mx.d.test", opts: mailtest.SMTPOptions{BannerDelay: 600 * time.Millisecond},
			setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
				env.Opts.Timeout, env.Opts.GreetingTimeout = 300*time.Millisecond, 5*time.Second
			},
			want: []string{"smtp.slow-banner:info"}},
		{name: "no PTR", want: []string{"smtp.ptr-missing:warn"}},
		{name: "PTR not confirmed", ptr: "other.d.test", want: []string{"smtp.banner-ptr-mismatch:info", "smtp.fcrdns-mismatch:warn"}},
		{name: "banner names another host", ptr: "mx.d.test", opts: mailtest.SMTPOptions{Hostname: "smtp.hoster.test"}, want: []string{"smtp.banner-ptr-mismatch:info"}},
		{name: "tarpit", ptr: "mx.d.test", quick: true, opts: mailtest.SMTPOptions{Tarpit: true}, want: []string{"smtp.banner-timeout:error"}},
		{name: "5xx greeting", ptr: "mx.d.test", opts: mailtest.SMTPOptions{Greeting: "554 5.7.1 mx.d.test no service for you"}, want: []string{"smtp.banner-rejected:fail"}},
		{name: "4xx greeting", ptr: "mx.d.test", opts: mailtest.SMTPOptions{Greeting: "421 4.3.2 mx.d.test too busy"}, want: []string{"smtp.banner-rejected:warn"}},
		{name: "slow banner", ptr: "mx.d.test", opts: mailtest.SMTPOptions{BannerDelay: 400 * time.Millisecond}, want: []string{"smtp.slow-banner:info"}},
		{name: "EHLO rejected", ptr: "mx.d.test", opts: mailtest.SMTPOptions{RejectEHLO: true}, want: []string{"smtp.ehlo-rejected:fail"}},
		{name: "greylisting", ptr: "mx.d.test", opts: mailtest.SMTPOptions{Greylist: true}, want: []string{"smtp.greylisted:info"}},
		{name: "open relay", ptr: "mx.d.test", opts: mailtest.SMTPOptions{OpenRelay: true}, want: []string{"smtp.open-relay:fail"}},
		{name: "postmaster rejected", ptr: "mx.d.test", opts: mailtest.SMTPOptions{RejectPostmaster: true}, want: []string{"smtp.postmaster-rejected:warn"}},
		{name: "null sender rejected", ptr: "mx.d.test", opts: mailtest.SMTPOptions{RejectNullSender: true}, want: []string{"smtp.null-sender-rejected:warn"}},
		{name: "VRFY enabled", ptr: "mx.d.test", opts: mailtest.SMTPOptions{VRFY: true}, want: []string{"smtp.vrfy-enabled:info"}},
		{name: "connection refused", ptr: "mx.d.test", refused: true, want: []string{"smtp.connect-failed:fail"}},
		{name: "port 25 blocked", ptr: "mx.d.test", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			env.Dialer = mailtest.Blackhole(w.Dialer, "192.0.2.10:25")
		}, want: []string{"smtp.port25-blocked:error"}},
		{name: "one address of two times out", ptr: "mx.d.test", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			if err := w.DNS.AddZone("mx.d.test. IN AAAA 2001:db8::10\n"); err != nil {
				t.Fatal(err)
			}
			if err := w.PTR("2001:db8::10", "mx.d.test"); err != nil {
				t.Fatal(err)
			}
			env.Dialer = mailtest.Blackhole(w.Dialer, "[2001:db8::10]:25")
		}, want: []string{"smtp.connect-failed:error"}},
		{name: "IPv4 times out, IPv6 unreachable: blocked", ptr: "mx.d.test", quick: true, setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			if err := w.DNS.AddZone("mx.d.test. IN AAAA 2001:db8::99\n"); err != nil {
				t.Fatal(err)
			}
			_ = w.PTR("2001:db8::99", "mx.d.test")
			env.Dialer = mailtest.Blackhole(w.Dialer, "192.0.2.10:25")
		}, want: []string{"smtp.port25-blocked:error"}},
		{name: "endless EHLO reply", ptr: "mx.d.test", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
			Replies: map[string]mailtest.HostileReply{"EHLO": {Text: "250-mx.d.test\r\n", Flood: "250-x\r\n"}}},
			want: []string{"smtp.reply-too-long:fail"}},
		{name: "endless greeting", ptr: "mx.d.test", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220-mx.d.test\r\n", Flood: "220-x\r\n"}},
			want: []string{"smtp.reply-too-long:fail"}},
		{name: "endless RCPT reply", ptr: "mx.d.test", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
			Replies: map[string]mailtest.HostileReply{"RCPT": {Flood: "550-no\r\n"}}},
			want: []string{"smtp.reply-too-long:fail"}},
		{name: "greeting cut mid-line", ptr: "mx.d.test", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220", Close: true}},
			want: []string{"smtp.banner-rejected:fail"}},
		{name: "greeting cut, then silence", ptr: "mx.d.test", quick: true, hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test", Stall: true}},
			want: []string{"smtp.banner-timeout:error"}},
		{name: "EHLO reply slower than --timeout", ptr: "mx.d.test", quick: true, hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
			Replies: map[string]mailtest.HostileReply{"EHLO": {Delay: time.Minute, Text: "250 mx.d.test\r\n"}}},
			want: []string{"smtp.timeout:error"}},
		{name: "PTR lookup fails", setup: func(t *testing.T, w *mailtest.World, env *checks.Env) {
			w.DNS.Script("10.2.0.192.in-addr.arpa", dns.TypePTR, mailtest.ServFail)
		}, want: []string{"smtp.dns-error:error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, _ := run(t, tc)
			got := ids(res)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings %v, want %v\n%s", got, tc.want, dump(t, res))
			}
			if res.Err != "" {
				t.Errorf("check error: %s", res.Err)
			}
			for _, f := range res.Findings {
				for _, g := range goText {
					if strings.Contains(f.Message, g) {
						t.Errorf("Go error text %q in %s: %s", g, f.ID, f.Message)
					}
				}
			}
			for _, f := range res.Findings {
				if f.Evidence == nil {
					t.Errorf("%s has no evidence", f.ID)
				}
			}
		})
	}
}

// A server with STARTTLS and a bad certificate is still fine for the smtp
// check (opportunistic TLS, like senders): certificates are the tls check's.
func TestSTARTTLSNotVerified(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	_ = w.PTR("192.0.2.10", "mx.d.test")
	cert, err := w.Cert(mailtest.CertExpired, "mx.d.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, TLS: cert}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	env, _ := w.Env(checks.Options{Timeout: time.Second})
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
	res := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
	if len(res.Findings) != 0 || res.Status != checks.StatusPass {
		t.Fatalf("got %v", ids(res))
	}
	d := res.Data.(smtp.Data)
	a := d.Hosts[0].Addresses[0]
	if !a.STARTTLS || a.TLS == "" || a.Outcome != "completed" {
		t.Errorf("address %+v", a)
	}
	if a.Postmaster == nil || !a.Postmaster.Accepted || a.Relay == nil || a.Relay.Accepted || a.Relay.Reply.Code != 554 {
		t.Errorf("probes: %+v %+v", a.Postmaster, a.Relay)
	}
	var tr []string
	for _, e := range a.Transcript {
		tr = append(tr, string(e.Dir)+" "+e.Text)
	}
	joined := strings.Join(tr, "\n")
	for _, want := range []string{"C EHLO probe.mxray.test", "C STARTTLS", "* TLS established", "C RCPT TO:<mxray-relay-probe@example.net>", "C RSET", "C QUIT"} {
		if !strings.Contains(joined, want) {
			t.Errorf("transcript lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "DATA") {
		t.Errorf("the probe sent DATA:\n%s", joined)
	}
	for _, ext := range []string{"STARTTLS", "PIPELINING", "8BITMIME"} {
		found := false
		for _, e := range a.Extensions {
			if strings.HasPrefix(e, ext) {
				found = true
			}
		}
		if !found {
			t.Errorf("extension %s missing from %v", ext, a.Extensions)
		}
	}
}

// Four MX hosts, one a tarpit, three slow: the check takes about the
// tarpit's banner timeout, not the sum of the waits.
func TestTarpitDoesNotSerialise(t *testing.T) {
	t.Parallel()
	z := zone + "@ IN MX 20 mx2\n@ IN MX 30 mx3\n@ IN MX 40 mx4\nmx2 IN A 192.0.2.11\nmx3 IN A 192.0.2.12\nmx4 IN A 192.0.2.13\n"
	w := mailtest.New(t, z)
	const timeout = 200 * time.Millisecond
	const greeting = 600 * time.Millisecond
	const delay = 400 * time.Millisecond // slower than --timeout, within the greeting timeout
	if _, err := w.SMTP(mailtest.SMTPOptions{Tarpit: true}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	for i := 11; i <= 13; i++ {
		if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: fmt.Sprintf("mx%d.d.test", i-9), Domains: []string{"d.test"}, BannerDelay: delay}, fmt.Sprintf("192.0.2.%d:25", i)); err != nil {
			t.Fatal(err)
		}
	}
	env, _ := w.Env(checks.Options{Timeout: timeout, GreetingTimeout: greeting})
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
	t0 := time.Now()
	res := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
	took := time.Since(t0)
	sum := greeting + 3*delay
	if took > 2*greeting {
		t.Errorf("check took %s; greeting timeout %s, sequential sum %s", took, greeting, sum)
	}
	if took < greeting {
		t.Errorf("check took %s, less than the greeting timeout: did it wait for the tarpit?", took)
	}
	got := strings.Join(ids(res), ",")
	if !strings.Contains(got, "smtp.banner-timeout:error") || strings.Contains(got, "port25") || strings.Contains(got, "smtp.timeout") {
		t.Errorf("findings %s", got)
	}
	for _, f := range res.Findings {
		if f.ID == "smtp.banner-timeout" && !strings.Contains(f.Message, "no greeting within 600ms") {
			t.Errorf("message %q", f.Message)
		}
	}
	t.Logf("4 MX, one tarpit: %s (greeting timeout %s, sequential %s)", took.Round(time.Millisecond), greeting, sum)
}

// An MX that streams an endless EHLO reply: the check says so (a protocol
// finding, not a timeout) in bounded time and memory.
func TestEndlessReplyMemory(t *testing.T) {
	w := mailtest.New(t, zone)
	_ = w.PTR("192.0.2.10", "mx.d.test")
	srv, err := w.HostileSMTP(mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
		Replies: map[string]mailtest.HostileReply{"EHLO": {Text: "250-mx.d.test\r\n", Flood: "250-" + strings.Repeat("x", 70) + "\r\n"}}}, "192.0.2.10:25")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := w.Env(checks.Options{Timeout: 10 * time.Second})
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	res := r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0]
	took := time.Since(t0)
	runtime.ReadMemStats(&after)
	if got := strings.Join(ids(res), ","); got != "smtp.reply-too-long:fail" || res.Status != checks.StatusFail {
		t.Fatalf("%s %s\n%s", res.Status, got, dump(t, res))
	}
	if msg := res.Findings[0].Message; !strings.Contains(msg, "the reply to EHLO is too long: more than 100 lines") {
		t.Errorf("message %q", msg)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if took > 3*time.Second {
		t.Errorf("took %s with a 10s timeout: the flood was read until the deadline", took)
	}
	if alloc > 100<<20 || heap > 100<<20 {
		t.Errorf("allocated %d MiB (heap grew %d MiB) against the flood", alloc>>20, heap>>20)
	}
	t.Logf("endless EHLO reply: %s, %d KiB allocated in all, heap %+d KiB; the server wrote %d KiB before mxray hung up",
		took.Round(time.Millisecond), alloc>>10, heap>>10, srv.Written()>>10)
}

// Nothing tested is never a pass: one finding says why, and the check's
// status is error.
func TestNothingTested(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, zone, want string
		servfail         bool
	}{
		{name: "MX host without address", zone: "@ IN MX 10 mx\n",
			want: "could not test: the MX host has no address to connect to (mx.d.test has no A or AAAA record)"},
		{name: "two MX hosts, neither resolves", zone: "@ IN MX 10 mx\n@ IN MX 20 mx2\n", servfail: true,
			want: "could not test: none of the 2 MX hosts has an address to connect to (mx.d.test has no A or AAAA record; mx2.d.test A, AAAA: the resolver answered SERVFAIL)"},
		{name: "no MX, no address", zone: "other IN A 192.0.2.99\n",
			want: "nothing to test: d.test has no MX host to connect to (see the mx check)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := strings.Replace(zone, "@        IN MX 10 mx\nmx       IN A  192.0.2.10\n", tc.zone, 1)
			w := mailtest.New(t, z)
			if tc.servfail {
				w.DNS.Script("mx2.d.test", dns.TypeA, mailtest.ServFail)
				w.DNS.Script("mx2.d.test", dns.TypeAAAA, mailtest.ServFail)
			}
			res := w.Run(t, checks.Target{Domain: "d.test"}, checks.Options{Timeout: time.Second}, smtp.Check{}, mx.Check{})
			if res.Status != checks.StatusError || len(res.Findings) != 1 || res.Findings[0].ID != "smtp.nothing-tested" || res.Findings[0].Severity != checks.SevError {
				t.Fatalf("%s %v\n%s", res.Status, ids(res), dump(t, res))
			}
			if got := res.Findings[0].Message; got != tc.want {
				t.Errorf("message\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestNullMXNotApplicable: a domain that publishes a null MX receives no
// mail on purpose: the check is skipped with the reason, neither error
// (exit 3 for a correctly parked domain) nor pass (nothing was tested).
func TestNullMXNotApplicable(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, strings.Replace(zone, "@        IN MX 10 mx\nmx       IN A  192.0.2.10\n", "@ IN MX 0 .\n", 1))
	for _, c := range []checks.Check{smtp.Check{}, tlscheck.Check{}} {
		res := w.Run(t, checks.Target{Domain: "d.test"}, checks.Options{Timeout: time.Second}, c, mx.Check{})
		want := "d.test publishes a null MX (RFC 7505): it receives no mail, so there is no server to talk to"
		if res.Status != checks.StatusSkip || res.Skip != want || len(res.Findings) != 0 {
			t.Errorf("%s: %s %q %v", c.ID(), res.Status, res.Skip, ids(res))
		}
	}
}

// goText are fragments of Go error text that must never reach people.
var goText = []string{"smtp:", "textproto", "EOF", "i/o timeout", "context deadline", "context canceled", "dial tcp", "use of closed", "tls:", "\n"}

func TestNoSMTP(t *testing.T) {
	w := mailtest.New(t, zone)
	env, _ := w.Env(checks.Options{NoSMTP: true})
	r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
	res := r.Run(context.Background(), checks.Target{Domain: "d.test"}).Results[0]
	// The Runner reports the check skipped and never runs it.
	if res.Status != checks.StatusSkip || !strings.Contains(res.Skip, "--no-smtp") || len(res.Findings) != 0 || res.Data != nil {
		t.Errorf("got %+v", res)
	}
}

func TestCatalogue(t *testing.T) {
	var b strings.Builder
	for _, d := range (smtp.Check{}).Findings() {
		if !strings.HasPrefix(d.ID, "smtp.") || d.Title == "" || d.Why == "" || d.Fix == "" || !d.Severity.Valid() {
			t.Errorf("incomplete def %+v", d)
		}
		fmt.Fprintf(&b, "%s %s\n", d.ID, d.Severity)
	}
	golden.Check(t, "smtp/findings.txt", []byte(b.String()))
}
