package ptr_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/leakcheck"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/ptr"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// zone is the world every case shares: reverse and forward records of the
// documentation addresses, one address per behaviour.
const zone = `
; forward-confirmed
7.113.0.203.in-addr.arpa.  PTR mail.good.example.
mail.good.example.         A   203.0.113.7
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mail6.good.example.
mail6.good.example.        AAAA 2001:db8::25
; RFC 2317 classless delegation: the PTR sits behind a CNAME
9.113.0.203.in-addr.arpa.        CNAME 9.0-25.113.0.203.in-addr.arpa.
9.0-25.113.0.203.in-addr.arpa.   PTR   out.good.example.
out.good.example.                A     203.0.113.9
; no PTR: NXDOMAIN (203.0.113.8), NODATA (203.0.113.10)
10.113.0.203.in-addr.arpa. TXT "no ptr here"
; PTR names that do not resolve back
20.113.0.203.in-addr.arpa. PTR mail.other.example.
mail.other.example.        A   198.51.100.1
21.113.0.203.in-addr.arpa. PTR gone.example.
6.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR v4only.good.example.
v4only.good.example.       A   203.0.113.26
; several PTR names, only one resolves back
22.113.0.203.in-addr.arpa. PTR a.multi.example.
22.113.0.203.in-addr.arpa. PTR b.multi.example.
a.multi.example.           A   203.0.113.22
b.multi.example.           A   198.51.100.22
; generic names
30.113.0.203.in-addr.arpa. PTR 203-0-113-30.dyn.broadband.example.
203-0-113-30.dyn.broadband.example. A 203.0.113.30
31.113.0.203.in-addr.arpa. PTR dsl-203-0-113-31.pool.example.
7.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR 2001-db8--67.dyn.example.
2001-db8--67.dyn.example.  AAAA 2001:db8::67
; lookups that fail (scripted below)
40.113.0.203.in-addr.arpa. PTR mail.flaky.example.
mail.flaky.example.        A   203.0.113.40
41.113.0.203.in-addr.arpa. PTR a.flaky.example.
41.113.0.203.in-addr.arpa. PTR b.flaky.example.
a.flaky.example.           A   203.0.113.41
b.flaky.example.           A   203.0.113.41
42.113.0.203.in-addr.arpa. PTR a.flaky.example.
42.113.0.203.in-addr.arpa. PTR b.mismatch.example.
b.mismatch.example.        A   198.51.100.42
44.113.0.203.in-addr.arpa. CNAME 44.loop.113.0.203.in-addr.arpa.
44.loop.113.0.203.in-addr.arpa. CNAME 44.113.0.203.in-addr.arpa.
`

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

var cases = []struct {
	name    string // golden file name; also the finding ID the case exercises
	ips     []netip.Addr
	want    []string // finding IDs that must be present
	sev     checks.Severity
	status  checks.Status
	skip    string // the result's skip reason
	script  map[string]mailtest.Behaviour
	timeout time.Duration
	setup   func(w *mailtest.World)
}{
	{name: "ptr.ok", ips: addrs("203.0.113.7"), want: []string{"ptr.ok"}, status: checks.StatusPass},
	{name: "ptr.ok-ipv6", ips: addrs("2001:db8::25"), want: []string{"ptr.ok"}, status: checks.StatusPass},
	{name: "ptr.ok-rfc2317", ips: addrs("203.0.113.9"), want: []string{"ptr.ok"}, status: checks.StatusPass},
	{name: "ptr.ok-ipv4-mapped-duplicate", ips: addrs("::ffff:203.0.113.7", "203.0.113.7"), want: []string{"ptr.ok"}, status: checks.StatusPass},
	{name: "ptr.missing", ips: addrs("203.0.113.8"), want: []string{"ptr.missing"}, status: checks.StatusFail},
	{name: "ptr.missing-nodata", ips: addrs("203.0.113.10"), want: []string{"ptr.missing"}, status: checks.StatusFail},
	{name: "ptr.missing-ipv6", ips: addrs("2001:db8::99"), want: []string{"ptr.missing"}, status: checks.StatusFail},
	{name: "ptr.fcrdns-mismatch", ips: addrs("203.0.113.20"), want: []string{"ptr.fcrdns-mismatch"}, sev: checks.SevFail, status: checks.StatusFail},
	{name: "ptr.fcrdns-mismatch-nxdomain", ips: addrs("203.0.113.21"), want: []string{"ptr.fcrdns-mismatch"}, sev: checks.SevFail, status: checks.StatusFail},
	{name: "ptr.fcrdns-mismatch-ipv6", ips: addrs("2001:db8::26"), want: []string{"ptr.fcrdns-mismatch"}, sev: checks.SevFail, status: checks.StatusFail},
	{name: "ptr.fcrdns-mismatch-partial", ips: addrs("203.0.113.22"), want: []string{"ptr.fcrdns-mismatch"}, sev: checks.SevWarn, status: checks.StatusWarn},
	{name: "ptr.generic", ips: addrs("203.0.113.30"), want: []string{"ptr.generic"}, status: checks.StatusWarn},
	{name: "ptr.generic-ipv6", ips: addrs("2001:db8::67"), want: []string{"ptr.generic"}, status: checks.StatusWarn},
	{name: "ptr.generic-mismatch", ips: addrs("203.0.113.31"), want: []string{"ptr.generic", "ptr.fcrdns-mismatch"}, status: checks.StatusFail},
	{name: "ptr.dns-error", ips: addrs("203.0.113.40"), want: []string{"ptr.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"40.113.0.203.in-addr.arpa": mailtest.ServFail}},
	{name: "ptr.dns-error-timeout", ips: addrs("203.0.113.40"), want: []string{"ptr.dns-error"}, status: checks.StatusError, timeout: 300 * time.Millisecond,
		script: map[string]mailtest.Behaviour{"40.113.0.203.in-addr.arpa": mailtest.Timeout}},
	{name: "ptr.dns-error-cname-loop", ips: addrs("203.0.113.44"), want: []string{"ptr.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"44.113.0.203.in-addr.arpa": mailtest.LenientLoop}},
	// The PTR record is there; its name's A lookup fails: FCrDNS unknown,
	// never a mismatch.
	{name: "ptr.dns-error-forward", ips: addrs("203.0.113.40"), want: []string{"ptr.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"mail.flaky.example": mailtest.ServFail}},
	// One name confirms, the other's lookup fails: not all is known, so
	// no ptr.ok.
	{name: "ptr.dns-error-second-name", ips: addrs("203.0.113.41"), want: []string{"ptr.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"a.flaky.example": mailtest.ServFail}},
	// One name's lookup fails and the other does not resolve back: a
	// mismatch on some messages at least (warn), the rest unknown.
	{name: "ptr.dns-error-and-mismatch", ips: addrs("203.0.113.42"), want: []string{"ptr.dns-error", "ptr.fcrdns-mismatch"}, sev: checks.SevWarn, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"a.flaky.example": mailtest.Timeout}, timeout: 300 * time.Millisecond},
	{name: "ptr.not-public", ips: addrs("10.0.0.25", "127.0.0.1", "100.64.0.1", "fd00::25"), want: []string{"ptr.not-public"}, status: checks.StatusSkip,
		skip: "no public sending address given (--ip)"},
	{name: "ptr.not-public-mixed", ips: addrs("192.168.1.25", "203.0.113.7"), want: []string{"ptr.not-public", "ptr.ok"}, status: checks.StatusPass},
	{name: "not-applicable", status: checks.StatusSkip, skip: "no sending address given (--ip)"},
	{name: "several-addresses", ips: addrs("203.0.113.7", "203.0.113.8", "203.0.113.30", "2001:db8::25"), want: []string{"ptr.ok", "ptr.missing", "ptr.generic"}, status: checks.StatusFail},
	// A hostile reverse zone with 40 PTR names: ten are followed.
	{name: "ptr.fcrdns-mismatch-many-names", ips: addrs("203.0.113.50"), want: []string{"ptr.fcrdns-mismatch"}, status: checks.StatusFail,
		setup: func(w *mailtest.World) {
			for i := range 40 {
				w.DNS.Add(&dns.PTR{Hdr: dns.RR_Header{Name: "50.113.0.203.in-addr.arpa.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 300},
					Ptr: fmt.Sprintf("n%02d.many.example.", i)})
			}
		}},
}

// goText are fragments of Go error text and package prefixes that must
// never reach people.
var goText = []string{"dnsq:", "checks:", "ptr:", "context deadline", "context canceled", "dial ", "i/o timeout", "EOF", "%!"}

func plainWords(t *testing.T, res *checks.Result) {
	t.Helper()
	texts := []string{res.Err, res.Skip}
	for _, f := range res.Findings {
		texts = append(texts, f.Message, f.Fix)
	}
	for _, s := range texts {
		for _, bad := range goText {
			if strings.Contains(s, bad) {
				t.Errorf("%q contains %q", s, bad)
			}
		}
	}
}

func run(t *testing.T, w *mailtest.World, opts checks.Options, ips []netip.Addr) *checks.Result {
	t.Helper()
	rep := policytest.Run(t, w, opts, checks.Target{Domain: "good.example", IPs: ips}, []checks.Check{ptr.Check{}})
	return policytest.Result(t, rep, ptr.ID)
}

// goldenData compares the result's data with testdata/golden/<name>.data.json.
func goldenData(t *testing.T, name string, res *checks.Result) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res.Data); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name+".data.json", b.Bytes())
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+zone)
			for name, b := range tc.script {
				w.DNS.Script(name, 0, b)
			}
			if tc.setup != nil {
				tc.setup(w)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			res := run(t, w, checks.Options{Timeout: timeout}, tc.ips)
			for _, id := range tc.want {
				f := policytest.Find(res, id)
				if f == nil {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				} else if tc.sev != "" && id == tc.want[len(tc.want)-1] && f.Severity != tc.sev {
					t.Errorf("%s severity %s, want %s", id, f.Severity, tc.sev)
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			if res.Skip != tc.skip {
				t.Errorf("skip reason %q, want %q", res.Skip, tc.skip)
			}
			if res.Err != "" {
				t.Errorf("error %q: every case decides or reports a finding", res.Err)
			}
			if len(res.Findings) > 3*len(tc.ips) {
				t.Errorf("%d findings for %d addresses: output must stay bounded", len(res.Findings), len(tc.ips))
			}
			for _, f := range res.Findings {
				if f.Severity == checks.SevError && f.ID != "ptr.dns-error" {
					t.Errorf("%s: only ptr.dns-error says undecided", f.ID)
				}
			}
			plainWords(t, res)
			policytest.Golden(t, "ptr/"+tc.name, res)
			goldenData(t, "ptr/"+tc.name, res)
		})
	}
}

// TestNeverMissingOnFailure: whatever way the PTR lookup fails, the
// address is undecided (error), never missing, mismatched or ok.
func TestNeverMissingOnFailure(t *testing.T) {
	for _, b := range []mailtest.Behaviour{mailtest.ServFail, mailtest.Refused, mailtest.Timeout, mailtest.TruncateTCP, mailtest.Bogus} {
		t.Run(fmt.Sprint(b), func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+zone)
			w.DNS.Script("7.113.0.203.in-addr.arpa", 0, b)
			res := run(t, w, checks.Options{Timeout: 300 * time.Millisecond}, addrs("203.0.113.7"))
			if res.Status != checks.StatusError || len(res.Findings) != 1 || res.Findings[0].ID != "ptr.dns-error" {
				t.Errorf("status %s, findings %v; want error with ptr.dns-error only", res.Status, policytest.IDs(res))
			}
			d := res.Data.(*ptr.Data)
			if got := d.Addresses[0]; got.Status != ptr.StatusUnknown || got.FCrDNS != nil {
				t.Errorf("data %+v, want status unknown and no fcrdns", got)
			}
			plainWords(t, res)
		})
	}
}

// TestCheckDeadline: lookups cut short by the check's own deadline are not
// the addresses' DNS errors: the result says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	w := mailtest.New(t, policytest.Base+zone)
	w.DNS.Script("7.113.0.203.in-addr.arpa", 0, mailtest.Timeout)
	res := run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 300 * time.Millisecond}, addrs("203.0.113.7"))
	if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 {
		t.Errorf("status %s, error %q, findings %v", res.Status, res.Err, policytest.IDs(res))
	}
	plainWords(t, res)
}

// TestOneQueryPerQuestion: each address's PTR and each name's A record
// are asked once, and only the address's own family is asked forward.
func TestOneQueryPerQuestion(t *testing.T) {
	w := mailtest.New(t, policytest.Base+zone)
	run(t, w, checks.Options{}, addrs("203.0.113.7", "203.0.113.22", "2001:db8::25"))
	for _, q := range []struct {
		name  string
		qtype uint16
		want  int
	}{
		{"7.113.0.203.in-addr.arpa", dns.TypePTR, 1},
		{"mail.good.example", dns.TypeA, 1},
		{"mail.good.example", dns.TypeAAAA, 0},
		{"a.multi.example", dns.TypeA, 1},
		{"b.multi.example", dns.TypeA, 1},
		{"mail6.good.example", dns.TypeAAAA, 1},
		{"mail6.good.example", dns.TypeA, 0},
	} {
		if got := w.DNS.QueryCount(q.name, q.qtype); got != q.want {
			t.Errorf("%s %s asked %d times, want %d", q.name, dns.TypeToString[q.qtype], got, q.want)
		}
	}
}

// TestRegistered: the check is in the report order right after dnsbl, and
// --no-smtp does not skip it (it asks DNS only).
func TestRegistered(t *testing.T) {
	var ids []string
	for _, c := range all.Checks() {
		ids = append(ids, c.ID())
		if c.ID() != ptr.ID {
			continue
		}
		if s, ok := c.(checks.Skipper); ok && s.SkipReason(checks.Options{NoSMTP: true}) != "" {
			t.Error("--no-smtp skips the ptr check")
		}
	}
	got := strings.Join(ids, ",")
	if !strings.Contains(got, "dnsbl,ptr") {
		t.Errorf("report order %s, want ptr right after dnsbl", got)
	}
	if _, ok := all.Lookup("ptr.generic"); !ok {
		t.Error("ptr.generic is not in the catalogue")
	}
}

// TestEveryFindingHasACase pins that each catalogue ID is exercised above.
func TestEveryFindingHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, ptr.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
