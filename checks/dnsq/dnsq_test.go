package dnsq_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/mailtest"
)

const zone = `
$ORIGIN example.
@        SOA ns hostmaster 1 3600 600 86400 300
@        NS  ns
ns       A   192.0.2.53
host     A   192.0.2.1
host     AAAA 2001:db8::1
alias    CNAME host
loop1    CNAME loop2
loop2    CNAME loop1
text     TXT "v=spf1 -all"
fail     A   192.0.2.9
refuse   A   192.0.2.9
slow     A   192.0.2.9
bogus    A   192.0.2.9
*.wild   TXT "wildcard"
`

func newClient(t *testing.T, w *mailtest.World, timeout time.Duration, servers ...string) *dnsq.Client {
	t.Helper()
	if len(servers) == 0 {
		servers = []string{w.DNS.Addr()}
	}
	c, err := dnsq.New(dnsq.Config{Servers: servers, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestOutcomesAreKeptApart(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	w.DNS.Script("fail.example", 0, mailtest.ServFail)
	w.DNS.Script("refuse.example", 0, mailtest.Refused)
	w.DNS.Script("slow.example", 0, mailtest.Timeout)
	c := newClient(t, w, 300*time.Millisecond)

	tests := []struct {
		name    string
		qtype   uint16
		wantErr error
		nx      bool
		records int
	}{
		{"host.example", dns.TypeA, nil, false, 1},
		{"host.example", dns.TypeMX, nil, false, 0},  // NODATA
		{"nope.example", dns.TypeA, nil, true, 0},    // NXDOMAIN
		{"wild.example", dns.TypeTXT, nil, false, 0}, // empty non-terminal: NODATA
		{"x.wild.example", dns.TypeTXT, nil, false, 1},
		{"alias.example", dns.TypeA, nil, false, 1},
		{"fail.example", dns.TypeA, dnsq.ErrServFail, false, 0},
		{"refuse.example", dns.TypeA, dnsq.ErrRefused, false, 0},
		{"slow.example", dns.TypeA, dnsq.ErrTimeout, false, 0},
		{"loop1.example", dns.TypeA, dnsq.ErrServFail, false, 0},
		{strings.Repeat("a", 64) + ".example", dns.TypeA, dnsq.ErrInvalidName, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.name, dns.TypeToString[tt.qtype]), func(t *testing.T) {
			ans, err := c.Lookup(context.Background(), tt.name, tt.qtype)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var le *dnsq.LookupError
				if !errors.As(err, &le) {
					t.Fatalf("error is %T, want *LookupError", err)
				}
				if ans != nil {
					t.Fatalf("an error came with an answer")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if ans.NXDomain() != tt.nx {
				t.Errorf("NXDomain = %v, want %v", ans.NXDomain(), tt.nx)
			}
			if got := len(ans.Records()); got != tt.records {
				t.Errorf("records = %d, want %d (%v)", got, tt.records, ans.Msg)
			}
			if ans.Empty() != (tt.records == 0) {
				t.Errorf("Empty = %v", ans.Empty())
			}
			if ans.Query.Rcode == "" || ans.Query.Server != w.DNS.Addr() {
				t.Errorf("query log entry not filled: %+v", ans.Query)
			}
		})
	}
}

func TestTimeoutIsBounded(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	w.DNS.Script("slow.example", 0, mailtest.Timeout)
	c := newClient(t, w, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Lookup(context.Background(), "slow.example", dns.TypeA)
	if !errors.Is(err, dnsq.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("lookup took %v with a 200ms timeout", d)
	}
	if qs := dnsq.QueriesOf(err); len(qs) == 0 || qs[0].Rcode != "TIMEOUT" {
		t.Fatalf("evidence of the timeout missing: %+v", qs)
	}
}

func TestCallerContextCancels(t *testing.T) {
	w := mailtest.New(t, zone)
	w.DNS.Script("slow.example", 0, mailtest.Timeout)
	c := newClient(t, w, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Lookup(ctx, "slow.example", dns.TypeA); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestSingleFlightAndCache(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	w.DNS.SetDelay(20 * time.Millisecond)
	c := newClient(t, w, 2*time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Lookup(context.Background(), "HOST.example.", dns.TypeA); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := c.Lookup(context.Background(), "host.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	if n := w.DNS.QueryCount("host.example", dns.TypeA); n != 1 {
		t.Fatalf("server saw %d queries for host.example A, want 1", n)
	}
	if s := c.Stats(); s.Sent != 1 || s.Distinct != 1 {
		t.Fatalf("stats = %+v, want 1 sent, 1 distinct", s)
	}
	// Errors are cached too: a timing-out name is asked once per run.
	w.DNS.Script("slow.example", 0, mailtest.Timeout)
	c2 := newClient(t, w, 100*time.Millisecond)
	for range 3 {
		_, _ = c2.Lookup(context.Background(), "slow.example", dns.TypeA)
	}
	if s := c2.Stats(); s.Distinct != 1 {
		t.Fatalf("distinct = %d", s.Distinct)
	}
}

func TestTruncationFallsBackToTCP(t *testing.T) {
	w := mailtest.New(t, zone)
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "big.example. TXT \"%s%02d\"\n", strings.Repeat("x", 200), i)
	}
	if err := w.DNS.AddZone(b.String()); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, w, 2*time.Second)
	ans, err := c.Lookup(context.Background(), "big.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ans.TXT()); n != 30 {
		t.Fatalf("got %d TXT records, want 30", n)
	}
	if ans.Query.Proto != "tcp" {
		t.Fatalf("answer came over %s, want tcp", ans.Query.Proto)
	}
	log := c.Log()
	if len(log) != 2 || log[0].Proto != "udp" || log[1].Proto != "tcp" {
		t.Fatalf("log = %+v, want udp then tcp", log)
	}
}

func TestFailoverToSecondServer(t *testing.T) {
	w := mailtest.New(t, zone)
	// A port with nothing listening: the first server is unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()
	c := newClient(t, w, 2*time.Second, dead, w.DNS.Addr())
	ans, err := c.Lookup(context.Background(), "host.example", dns.TypeA)
	if err != nil {
		t.Fatalf("failover did not happen: %v", err)
	}
	if ans.Query.Server != w.DNS.Addr() {
		t.Fatalf("answered by %s", ans.Query.Server)
	}
	// Every server unreachable: ErrUnreachable, not "no record".
	c2 := newClient(t, w, time.Second, dead)
	if _, err := c2.Lookup(context.Background(), "host.example", dns.TypeA); !errors.Is(err, dnsq.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestADAndCD(t *testing.T) {
	w := mailtest.New(t, zone)
	w.DNS.Sign("example")
	w.DNS.Script("bogus.example", 0, mailtest.Bogus)
	c := newClient(t, w, time.Second)
	ans, err := c.Lookup(context.Background(), "host.example", dns.TypeA)
	if err != nil || !ans.AD || !ans.Query.AD {
		t.Fatalf("AD not reported: %v %+v", err, ans)
	}
	if _, err := c.Lookup(context.Background(), "bogus.example", dns.TypeA); !errors.Is(err, dnsq.ErrServFail) {
		t.Fatalf("bogus without CD: %v", err)
	}
	ans, err = c.Lookup(context.Background(), "bogus.example", dns.TypeA, dnsq.WithCD())
	if err != nil || len(ans.Records()) != 1 || !ans.Query.CD {
		t.Fatalf("bogus with CD: %v %+v", err, ans)
	}
}

func TestAnswerHelpers(t *testing.T) {
	w := mailtest.New(t, zone)
	c := newClient(t, w, time.Second)
	ans, err := c.Lookup(context.Background(), "alias.example", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	if got := ans.CNAMEs(); len(got) != 1 || got[0] != "host.example." {
		t.Errorf("CNAMEs = %v", got)
	}
	if got := ans.Addrs(); len(got) != 1 || got[0].String() != "192.0.2.1" {
		t.Errorf("Addrs = %v", got)
	}
	txt, err := c.Lookup(context.Background(), "text.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if got := txt.TXT(); len(got) != 1 || got[0][0] != "v=spf1 -all" {
		t.Errorf("TXT = %q", got)
	}
}

func TestNormalizeServer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1:53"},
		{"192.0.2.1:5353", "192.0.2.1:5353"},
		{"2001:db8::1", "[2001:db8::1]:53"},
		{"[2001:db8::1]:54", "[2001:db8::1]:54"},
		{"nonsense", ""},
		{"example.com:53", ""},
		{"192.0.2.1:0", ""},
		{"192.0.2.1:99999", ""},
		{"192.0.2.1:5x", ""},
	}
	for _, tt := range tests {
		got, err := dnsq.NormalizeServer(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%q: no error", tt.in)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSystemServers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "# comment\nsearch example\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:1\n"
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := dnsq.SystemServers(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "192.0.2.1:53,[fe80::1]:53" {
		t.Fatalf("got %v", got)
	}
	if err := os.WriteFile(p, []byte("search x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := dnsq.SystemServers(p); !errors.Is(err, dnsq.ErrUnreachable) {
		t.Fatalf("no nameserver: err = %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{strings.Repeat("a.", 130), strings.Repeat("x", 64) + ".com", "a..b"} {
		if _, err := dnsq.CheckName(bad); !errors.Is(err, dnsq.ErrInvalidName) {
			t.Errorf("%q accepted", bad)
		}
	}
	if n, err := dnsq.CheckName("Example.COM"); err != nil || n != "example.com." {
		t.Errorf("got %q %v", n, err)
	}
}

// trustZone is a world with a root, a TLD and a domain, as an honest
// recursive resolver sees them.
const trustZone = `
.                SOA a.root. hostmaster. 1 3600 600 86400 300
.                NS  a.root.
example.         SOA a.root. hostmaster. 1 3600 600 86400 300
example.         NS  a.root.
good.example.    SOA ns.good.example. hostmaster.good.example. 1 3600 600 86400 300
good.example.    NS  ns.good.example.
good.example.    MX  10 mx.good.example.
mx.good.example. A   192.0.2.25
`

// TestProbeTrust: the trust decision is positive (the resolver must answer
// as an honest resolver does), made from one round trip, and names what the
// resolver did.
// probeTimeout is the lookup timeout of TestProbeTrust; a late root answers
// after it, so the probe does not see that answer.
const probeTimeout = 200 * time.Millisecond

func TestProbeTrust(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		setup       func(s *mailtest.DNSServer)
		trusted     bool
		unreachable bool
		reason      string // in the error's text
		validating  bool
	}{
		{name: "honest", setup: func(*mailtest.DNSServer) {}, trusted: true},
		{name: "honest-validating", setup: func(s *mailtest.DNSServer) { s.Sign(".") }, trusted: true, validating: true},
		{name: "root-nxdomain", setup: func(s *mailtest.DNSServer) { s.Script(".", 0, mailtest.NXDomain) },
			reason: "NXDOMAIN for the root zone"},
		{name: "everything-nxdomain", setup: func(s *mailtest.DNSServer) { s.ScriptAll(mailtest.NXDomain) },
			reason: "NXDOMAIN for the root zone"},
		{name: "root-empty", setup: func(s *mailtest.DNSServer) { s.Remove(".", dns.TypeNS) },
			reason: "no NS records for the root zone"},
		{name: "nxdomain-rewriting", setup: func(s *mailtest.DNSServer) { s.ScriptAll(mailtest.RewriteNX) },
			reason: "rewrites NXDOMAIN"},
		// Enterprise and split-horizon resolvers that refuse or drop the
		// root but answer the names asked honestly are trusted.
		{name: "root-refused-honest", setup: func(s *mailtest.DNSServer) { s.Script(".", 0, mailtest.Refused) }, trusted: true},
		{name: "root-dropped-honest", setup: func(s *mailtest.DNSServer) { s.Script(".", 0, mailtest.Timeout) }, trusted: true},
		{name: "root-late-honest", setup: func(s *mailtest.DNSServer) { s.ScriptDelay(".", 0, probeTimeout+100*time.Millisecond) }, trusted: true},
		{name: "root-refused-validating", setup: func(s *mailtest.DNSServer) { s.Script(".", 0, mailtest.Refused); s.Sign("example.") },
			trusted: true, validating: true},
		// A captive resolver: slow root, NXDOMAIN for everything else.
		{name: "root-late-captive", setup: func(s *mailtest.DNSServer) {
			s.ScriptAll(mailtest.NXDomain)
			s.Script(".", 0, mailtest.Normal)
			s.ScriptDelay(".", 0, probeTimeout+100*time.Millisecond)
		}, reason: "example NS: NXDOMAIN"},
		{name: "everything-refused", setup: func(s *mailtest.DNSServer) { s.ScriptAll(mailtest.Refused) },
			reason: ". NS: the resolver answered REFUSED"},
		{name: "never-answers", setup: func(s *mailtest.DNSServer) { s.ScriptAll(mailtest.Timeout) },
			unreachable: true, reason: "did not answer (no answer within " + probeTimeout.String() + ")"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, trustZone)
			tc.setup(w.DNS)
			c := newClient(t, w, probeTimeout)
			start := time.Now()
			tr, err := c.ProbeTrust(context.Background(), "good.example")
			// About one timeout; the margin is for a loaded CI machine
			// (retrying at each attempt's own timeout took 3 or more).
			if d := time.Since(start); d > 2*probeTimeout+400*time.Millisecond {
				t.Errorf("the probe took %v with a %v timeout: want about one timeout", d, probeTimeout)
			}
			if tc.trusted {
				if err != nil {
					t.Fatalf("trusted resolver rejected: %v", err)
				}
				if tr.Validating != tc.validating {
					t.Errorf("validating = %v, want %v", tr.Validating, tc.validating)
				}
				return
			}
			var ue *dnsq.UntrustedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an *UntrustedError", err)
			}
			if ue.Unreachable != tc.unreachable || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("err = %q (unreachable %v), want %q (unreachable %v)", err, ue.Unreachable, tc.reason, tc.unreachable)
			}
			if !strings.Contains(err.Error(), w.DNS.Addr()) || !strings.Contains(err.Error(), "--resolver") {
				t.Errorf("the message must name the resolver and --resolver: %q", err)
			}
			if strings.Contains(err.Error(), "dnsq:") || len(ue.Queries) == 0 {
				t.Errorf("package prefix or no evidence: %q %+v", err, ue.Queries)
			}
		})
	}
}

// TestSlowAnswerWithinTimeout: --timeout bounds the lookup, not each
// attempt: an answer just under it is taken, one just over it is a
// timeout reported at the deadline, not at a multiple of it.
func TestSlowAnswerWithinTimeout(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	w.DNS.ScriptDelay("slow.example", 0, 250*time.Millisecond)
	w.DNS.ScriptDelay("host.example", 0, 500*time.Millisecond)
	c := newClient(t, w, 400*time.Millisecond)
	if _, err := c.Lookup(context.Background(), "slow.example", dns.TypeA); err != nil {
		t.Fatalf("an answer after 250ms with a 400ms timeout: %v", err)
	}
	start := time.Now()
	_, err := c.Lookup(context.Background(), "host.example", dns.TypeA)
	if !errors.Is(err, dnsq.ErrTimeout) {
		t.Fatalf("an answer after 500ms with a 400ms timeout: err = %v", err)
	}
	if d := time.Since(start); d < 350*time.Millisecond || d > 800*time.Millisecond { // margin for a loaded machine
		t.Fatalf("the timeout came after %v, want about 400ms", d)
	}
}

// TestUnreachableIsFast: a port that refuses (ICMP unreachable) fails at
// once, without waiting for the timeout.
func TestUnreachableIsFast(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	c, err := dnsq.New(dnsq.Config{Servers: []string{addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Lookup(context.Background(), "example.", dns.TypeNS)
	if !errors.Is(err, dnsq.ErrUnreachable) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "read udp") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("want plain words naming the refusal: %q", err)
	}
}

// TestTruncatedOverTCP: a TCP answer that is itself truncated is a DNS
// error, never "no record".
func TestTruncatedOverTCP(t *testing.T) {
	w := mailtest.New(t, zone)
	w.DNS.Script("text.example", dns.TypeTXT, mailtest.TruncateTCP)
	c := newClient(t, w, time.Second)
	_, err := c.Lookup(context.Background(), "text.example", dns.TypeTXT)
	if !errors.Is(err, dnsq.ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if qs := dnsq.QueriesOf(err); len(qs) != 2 || qs[1].Proto != "tcp" || qs[1].Rcode != "TRUNCATED" {
		t.Fatalf("evidence = %+v", qs)
	}
}

// TestCNAMELoop: a looping chain answered NOERROR is a DNS error naming
// the loop, never NODATA.
func TestCNAMELoop(t *testing.T) {
	w := mailtest.New(t, zone)
	w.DNS.Script("loop1.example", 0, mailtest.LenientLoop)
	c := newClient(t, w, time.Second)
	_, err := c.Lookup(context.Background(), "loop1.example", dns.TypeA)
	if !errors.Is(err, dnsq.ErrCNAMELoop) || !strings.Contains(err.Error(), "loop1.example → loop2.example → loop1.example") {
		t.Fatalf("err = %v", err)
	}
	// The resolver's usual answer to a loop, SERVFAIL, stays SERVFAIL.
	if _, err := c.Lookup(context.Background(), "loop2.example", dns.TypeA); !errors.Is(err, dnsq.ErrServFail) {
		t.Fatalf("err = %v", err)
	}
}

// TestOddNames: names with bytes that need escaping in presentation form
// (as SPF macros produce) must not be mistaken for mismatched answers.
func TestOddNames(t *testing.T) {
	w := mailtest.New(t, "")
	c := newClient(t, w, time.Second)
	for _, name := range []string{"a b.example", `q"uote.example`, "semi;colon.example", "caf\xc3\xa9.example", `back\\slash.example`} {
		ans, err := c.Lookup(context.Background(), name, dns.TypeTXT)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if !ans.NXDomain() {
			t.Errorf("%q: want NXDOMAIN", name)
		}
	}
}

// TestTXTRealBytes: TXT strings come back with their real bytes, not in
// miekg/dns presentation form.
func TestTXTRealBytes(t *testing.T) {
	w := mailtest.New(t, `t.example. TXT "a\"b" "c\\d" "caf\195\169" "nul\000;"`+"\n")
	c := newClient(t, w, time.Second)
	ans, err := c.Lookup(context.Background(), "t.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	got := ans.TXT()
	want := []string{`a"b`, `c\d`, "café", "nul\x00;"}
	if len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("TXT = %q, want %q", got, want)
	}
}

// TestFailoverToSilentServer: with a first resolver that never answers,
// the first lookup fails over after one retransmit interval and later
// lookups start with the server that answered, paying no wait at all.
func TestFailoverToSilentServer(t *testing.T) {
	t.Parallel()
	good := mailtest.New(t, zone)
	silent := mailtest.New(t, zone)
	silent.DNS.ScriptAll(mailtest.Timeout)
	c := newClient(t, good, time.Second, silent.DNS.Addr(), good.DNS.Addr())
	start := time.Now()
	if _, err := c.Lookup(context.Background(), "host.example", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	if first > 600*time.Millisecond {
		t.Fatalf("failover took %v with a 1s timeout over 2 servers: want one retransmit interval (250ms)", first)
	}
	start = time.Now()
	for _, n := range []string{"text.example", "alias.example", "fail.example"} {
		if _, err := c.Lookup(context.Background(), n, dns.TypeA); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 225*time.Millisecond { // a retransmit interval is 250ms
		t.Fatalf("three more lookups took %v: they must start with the answering server", d)
	}
}

// TestAbandonedAttemptFreesItsSlot checks that an attempt made redundant by
// another attempt's answer ends at once, giving back its socket and its
// in-flight slot. miekg/dns alone keeps reading until the attempt's deadline
// (2 s here), which held one of two slots while the next lookups waited.
func TestAbandonedAttemptFreesItsSlot(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	// The follow-up lookups each hold a slot for a second: on two free
	// slots they take 1 s together, on one (the other kept by the
	// abandoned attempt) at least 2 s.
	w.DNS.ScriptDelay("ns.example", 0, time.Second)
	w.DNS.ScriptDelay("fail.example", 0, time.Second)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // receives, never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	c, err := dnsq.New(dnsq.Config{
		Servers: []string{silent.LocalAddr().String(), w.DNS.Addr()},
		Timeout: 20 * time.Second, Attempts: 100, // the second server is asked after 200 ms
		MaxInFlight: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if _, err := c.Lookup(context.Background(), "host.example", dns.TypeA); err != nil {
		t.Fatalf("failover to the answering server: %v", err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, name := range []string{"ns.example", "fail.example"} {
		wg.Go(func() {
			if _, err := c.Lookup(context.Background(), name, dns.TypeA); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > 1700*time.Millisecond {
		t.Errorf("two lookups on two slots took %s: the abandoned attempt kept its slot", took)
	}
}

// TestSharedInFlightBoundsClientsTogether: two clients given one
// InFlight of 2 send at most 2 questions at once between them (a bulk
// run's domains do not flood the resolver); the others wait for a slot
// and are answered when the first are.
func TestSharedInFlightBoundsClientsTogether(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	received := 0
	srv := &dns.Server{Net: "udp", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		received++
		mu.Unlock()
		<-release
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		_ = w.WriteMsg(m)
	})}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.PacketConn = pc
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	shared := dnsq.NewInFlight(2)
	var clients []*dnsq.Client
	for range 2 {
		c, err := dnsq.New(dnsq.Config{Servers: []string{pc.LocalAddr().String()}, Timeout: 20 * time.Second, Attempts: 1, Shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if _, err := clients[i%2].Lookup(context.Background(), fmt.Sprintf("q%d.example", i), dns.TypeA); err != nil {
				t.Errorf("q%d: %v", i, err)
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for shared.Waiting() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // a bounded poll
	}
	mu.Lock()
	got := received
	mu.Unlock()
	if shared.Waiting() != 4 || shared.InUse() != 2 || got > 2 {
		t.Errorf("%d waiting, %d in use, %d received; want 4 waiting behind 2 in flight", shared.Waiting(), shared.InUse(), got)
	}
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if received != 6 {
		t.Errorf("the server received %d questions, want 6", received)
	}
}
