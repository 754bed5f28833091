package dnsbl_test

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// fcase is one case of TestFindings: its name is the finding ID it
// exercises (with a suffix for variants) and its golden file's name.
type fcase struct {
	name    string
	domain  string   // default shop.example
	ips     []string // --ip
	zones   string   // the zones file; "" = the built-in list
	setup   func(w *mailtest.World)
	timeout time.Duration
	want    []string
	status  checks.Status
	err     string // prefix of the result's error
	check   func(t *testing.T, o outcome)
}

var fcases = []fcase{
	{name: "pass", zones: "bl.test\n", status: checks.StatusPass,
		setup: func(w *mailtest.World) { w.AddDNSBL("bl.test") },
		want:  []string{"dnsbl.clean"}},
	{name: "dnsbl.listed", zones: "bl.test\n", status: checks.StatusFail, want: []string{"dnsbl.listed"},
		setup: func(w *mailtest.World) { w.AddDNSBL("bl.test").List("192.0.2.10", "spam trap hits", "127.0.0.2") }},
	{name: "dnsbl.query-refused", zones: "bl.test\nzen.refusing.test\n", status: checks.StatusError, want: []string{"dnsbl.query-refused"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.AddRefusingDNSBL("zen.refusing.test", "127.255.255.254", "open resolver")
		}},
	{name: "dnsbl.resolver-rewrite", zones: "bl.test\nparked.test\n", status: checks.StatusError, want: []string{"dnsbl.resolver-rewrite"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.AddRewritingDNSBL("parked.test", "198.51.100.99")
		}},
	{name: "dnsbl.zone-unhealthy", zones: "bl.test\ndead.test\n", status: checks.StatusPass, want: []string{"dnsbl.zone-unhealthy", "dnsbl.clean"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.AddDeadDNSBL("dead.test")
		}},
	{name: "dnsbl.dns-error", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.dns-error"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.DNS.Script(mailtest.DNSBLName("192.0.2.10", "bl.test"), 0, mailtest.ServFail)
		}},
	{name: "dnsbl.dns-error-timeout", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.dns-error"}, timeout: 300 * time.Millisecond,
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.DNS.Script(mailtest.DNSBLName("192.0.2.10", "bl.test"), 0, mailtest.Timeout)
		}},
	// Issue 12.4: a looping answer is a lookup error, never "not listed".
	{name: "dnsbl.dns-error-cname-loop", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.dns-error"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			name := mailtest.DNSBLName("192.0.2.10", "bl.test")
			loop, _ := dns.NewRR(name + ". 300 IN CNAME back.bl.test.")
			back, _ := dns.NewRR("back.bl.test. 300 IN CNAME " + name + ".")
			w.DNS.Add(loop, back)
			w.DNS.Script(name, 0, mailtest.LenientLoop)
		},
		check: func(t *testing.T, o outcome) {
			if got := o.target(t, "192.0.2.10"); got.Status != dnsbl.TargetUnknown {
				t.Errorf("looping address status %s, want unknown", got.Status)
			}
		}},
	{name: "dnsbl.dns-error-mx-host", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.dns-error", "dnsbl.clean"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.DNS.Script("mx2.shop.example", 0, mailtest.ServFail)
		}},
	{name: "dnsbl.dns-error-mx-host-cname-loop", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.dns-error", "dnsbl.clean"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.DNS.Remove("mx2.shop.example", 0)
			a, _ := dns.NewRR("mx2.shop.example. 300 IN CNAME loop.shop.example.")
			b, _ := dns.NewRR("loop.shop.example. 300 IN CNAME mx2.shop.example.")
			w.DNS.Add(a, b)
			w.DNS.Script("mx2.shop.example", 0, mailtest.LenientLoop)
		},
		check: func(t *testing.T, o outcome) {
			for _, s := range o.data.Skipped {
				if s.Target == "mx2.shop.example" {
					t.Errorf("a looping MX host is skipped as addressless: %+v", s)
				}
			}
		}},
	{name: "dnsbl.no-addresses", domain: "nullmx.example", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.no-addresses"},
		setup: func(w *mailtest.World) { w.AddDNSBL("bl.test") }},
	// A null MX with a domain list that answered: nothing left untested
	// that could be tested, so a note, not "could not decide".
	{name: "dnsbl.no-addresses-null-mx-domain-list", domain: "nullmx.example", zones: "bl.test\ndbl.test domain\n", status: checks.StatusPass, want: []string{"dnsbl.clean", "dnsbl.no-addresses"},
		setup: func(w *mailtest.World) { w.AddDNSBL("bl.test"); w.AddDNSBL("dbl.test") }},
	{name: "dnsbl.no-addresses-private", domain: "private.example", zones: "bl.test\n", status: checks.StatusError, want: []string{"dnsbl.no-addresses"},
		setup: func(w *mailtest.World) { w.AddDNSBL("bl.test") }},
	// bl.spamcop.net answers no IPv6 queries (the built-in metadata says
	// so), and the one list that would is dead.
	{name: "dnsbl.no-addresses-ipv6", domain: "nullmx.example", ips: []string{"2001:db8::25"}, zones: "bl.spamcop.net\nbl.test\n", status: checks.StatusError, want: []string{"dnsbl.no-addresses", "dnsbl.zone-unhealthy"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.spamcop.net")
			w.AddDeadDNSBL("bl.test")
		},
		check: func(t *testing.T, o outcome) {
			if got := o.target(t, "2001:db8::25"); got.Queried || got.Status == dnsbl.TargetClean {
				t.Errorf("IPv6 target %+v: never asked on a usable list", got)
			}
		}},
	{name: "dnsbl.zone-retired", zones: "bl.test\ndnsbl.sorbs.net\n", status: checks.StatusWarn, want: []string{"dnsbl.zone-retired", "dnsbl.zone-unhealthy"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.AddDeadDNSBL("dnsbl.sorbs.net")
		}},
	// Issue 11.4b: a resolver that answers NXDOMAIN for every blocklist
	// name (some ISP resolvers do) fails every health probe. That is no
	// "clean": nothing was checked.
	{name: "dnsbl.no-usable-list", status: checks.StatusError, want: []string{"dnsbl.no-usable-list"}, ips: []string{"203.0.113.7"},
		check: func(t *testing.T, o outcome) {
			if len(o.res.Findings) != 1 {
				t.Errorf("findings:\n%s", o.dump())
			}
			if o.data.ListsUsable != 0 || o.data.ListsUnusable != len(o.data.Zones) || o.data.ListsUnusable < 10 {
				t.Errorf("lists usable %d, unusable %d", o.data.ListsUsable, o.data.ListsUnusable)
			}
			for _, a := range append(o.data.Addresses, *o.data.Domain) {
				if a.Queried || a.Status != dnsbl.TargetUnknown || a.ListsAnswered != 0 {
					t.Errorf("%s: %+v, want unknown and not queried", a.Target, a)
				}
			}
		}},
	{name: "dnsbl.no-usable-list-one-zone", zones: "# mine\ndead.test\n", status: checks.StatusError, want: []string{"dnsbl.no-usable-list"},
		setup: func(w *mailtest.World) { w.AddDeadDNSBL("dead.test") }},
	{name: "dnsbl.no-usable-list-mixed", zones: "dead.test\nparked.test\nrefusing.test\nslow.test\n", status: checks.StatusError, want: []string{"dnsbl.no-usable-list"},
		setup: func(w *mailtest.World) {
			w.AddDeadDNSBL("dead.test")
			w.AddRewritingDNSBL("parked.test", "198.51.100.99")
			w.AddRefusingDNSBL("refusing.test", "127.255.255.254", "open resolver")
			w.AddDNSBL("slow.test")
			w.DNS.Script("2.0.0.127.slow.test", 0, mailtest.ServFail)
		}},
	{name: "dnsbl.no-usable-list-timeout", zones: "a.test\nb.test\n", status: checks.StatusError, want: []string{"dnsbl.no-usable-list"}, timeout: 300 * time.Millisecond,
		setup: func(w *mailtest.World) {
			for _, z := range []string{"a.test", "b.test"} {
				w.AddDNSBL(z)
				w.DNS.Script("2.0.0.127."+z, 0, mailtest.Timeout)
			}
		}},
	{name: "undecided-mx", zones: "bl.test\n", ips: []string{"203.0.113.7"}, status: checks.StatusError, err: "not decided: depends on mx", want: []string{"dnsbl.clean"},
		setup: func(w *mailtest.World) {
			w.AddDNSBL("bl.test")
			w.DNS.Script("shop.example", dns.TypeMX, mailtest.ServFail)
		},
		check: func(t *testing.T, o outcome) {
			// The --ip address is checked; nothing is said about MX.
			o.none(t, "dnsbl.no-addresses")
			if len(o.data.Addresses) != 1 {
				t.Errorf("addresses %+v", o.data.Addresses)
			}
		}},
}

// goText are fragments of Go error text and package prefixes that must
// never reach people.
var goText = []string{"dnsq:", "checks:", "dnsbl:", "mtasts:", "context deadline", "context canceled", "x509:", "dial tcp", "EOF", "\n"}

func TestFindings(t *testing.T) {
	for _, tc := range fcases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, worldZone)
			if tc.setup != nil {
				tc.setup(w)
			}
			domain := tc.domain
			if domain == "" {
				domain = "shop.example"
			}
			tg := checks.Target{Domain: domain}
			for _, ip := range tc.ips {
				tg.IPs = append(tg.IPs, netip.MustParseAddr(ip))
			}
			opts := checks.Options{Timeout: tc.timeout}
			if tc.zones != "" {
				opts.DNSBLZones = zonesFile(t, tc.zones)
			}
			o := runAny(t, w, tg, opts)
			for _, id := range tc.want {
				if len(o.findings(id)) == 0 {
					t.Errorf("missing finding %s:\n%s", id, o.dump())
				}
			}
			if o.res.Status != tc.status {
				t.Errorf("status %s, want %s:\n%s", o.res.Status, tc.status, o.dump())
			}
			if !strings.HasPrefix(o.res.Err, tc.err) || (tc.err == "") != (o.res.Err == "") {
				t.Errorf("error %q, want %q", o.res.Err, tc.err)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
			texts := []string{o.res.Err}
			for _, f := range o.res.Findings {
				texts = append(texts, f.Message, f.Fix)
			}
			for _, s := range texts {
				for _, bad := range goText {
					if strings.Contains(s, bad) {
						t.Errorf("%q contains %q", s, bad)
					}
				}
			}
			// The resolver's port and the zones file's path vary.
			out := policytest.Stable(&o.res)
			out = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAll(out, []byte("127.0.0.1:PORT"))
			if opts.DNSBLZones != "" {
				out = []byte(strings.ReplaceAll(string(out), opts.DNSBLZones, "zones.txt"))
			}
			golden.Check(t, "dnsbl/"+tc.name+".json", out)
		})
	}
}

// TestEveryFindingHasACase pins that each catalogue ID is exercised above.
func TestEveryFindingHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range fcases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, dnsbl.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

// TestCheckDeadline: lookups cut short by the check's own deadline are not
// DNS errors of the lists or addresses; the result says the check did not
// finish.
func TestCheckDeadline(t *testing.T) {
	w := mailtest.New(t, worldZone)
	w.AddDNSBL("bl.test")
	w.DNS.Script(mailtest.DNSBLName("192.0.2.10", "bl.test"), 0, mailtest.Timeout)
	o := runAny(t, w, checks.Target{Domain: "shop.example"}, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 300 * time.Millisecond, DNSBLZones: zonesFile(t, "bl.test\n")})
	if o.res.Status != checks.StatusError || !strings.Contains(o.res.Err, "did not finish") || len(o.res.Findings) != 0 {
		t.Errorf("status %s, error %q, findings:\n%s", o.res.Status, o.res.Err, o.dump())
	}
}
