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

func TestSanity(t *testing.T) {
	w := mailtest.New(t, zone) // no root zone: the server answers NXDOMAIN for "."
	c := newClient(t, w, time.Second)
	if err := c.Sanity(context.Background()); !errors.Is(err, dnsq.ErrResolverBroken) {
		t.Fatalf("root NXDOMAIN: err = %v", err)
	}
	if err := w.DNS.AddZone(". NS a.root.example.\n"); err != nil {
		t.Fatal(err)
	}
	if err := newClient(t, w, time.Second).Sanity(context.Background()); err != nil {
		t.Fatalf("sane resolver: %v", err)
	}
	w.DNS.Script(".", 0, mailtest.Timeout)
	if err := newClient(t, w, 200*time.Millisecond).Sanity(context.Background()); err != nil {
		t.Fatalf("an unreachable resolver is left to the checks: %v", err)
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
