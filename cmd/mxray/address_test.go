package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/report"
)

// addressZone is the world of the address-target tests: 192.0.2.25 is a
// mail server with forward-confirmed reverse DNS, 192.0.2.66 a listed
// sender whose PTR name does not resolve back, 2001:db8::25 an IPv6 mail
// server.
const addressZone = benchZone + `
mail.sender.example. IN A 192.0.2.25
mail.sender.example. IN AAAA 2001:db8::25
spam.sender.example. IN A 198.51.100.1
`

// addressWorld is the world of addressZone with its PTR records, two
// healthy blocklists (one listing 192.0.2.66) and an SMTP server on
// 192.0.2.25; it returns the --dnsbl-zones file naming the lists.
func addressWorld(t *testing.T) (*mailtest.World, string) {
	t.Helper()
	w, err := mailtest.NewWorld(addressZone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	for addr, name := range map[string]string{"192.0.2.25": "mail.sender.example", "2001:db8::25": "mail.sender.example", "192.0.2.66": "spam.sender.example"} {
		if err := w.PTR(addr, name); err != nil {
			t.Fatal(err)
		}
	}
	w.AddDNSBL("bl-one.lists.example").List("192.0.2.66", "listed for spam", "127.0.0.2")
	w.AddDNSBL("bl-two.lists.example")
	cert, err := w.Cert(mailtest.CertValid, "mail.sender.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: "mail.sender.example", TLS: cert}, "192.0.2.25:25"); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 25 at 2001:db8::25: the connection is
	// refused.
	if err := w.Refuse("[2001:db8::25]:25"); err != nil {
		t.Fatal(err)
	}
	zones := filepath.Join(t.TempDir(), "zones.txt")
	if err := os.WriteFile(zones, []byte("bl-one.lists.example\nbl-two.lists.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return w, zones
}

// addressDoc is the part of an address document the tests read.
type addressDoc struct {
	Domain *string `json:"domain"`
	Input  string  `json:"input"`
	Status string  `json:"status"`
	Error  string  `json:"error"`
	Target *struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
	} `json:"target"`
	Checks []struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		SkipReason string `json:"skip_reason"`
		Findings   []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Address  string `json:"address"`
		} `json:"findings"`
		Data json.RawMessage `json:"data"`
	} `json:"checks"`
}

func (d addressDoc) ids() []string {
	var ids []string
	for _, c := range d.Checks {
		ids = append(ids, c.ID)
	}
	return ids
}

func (d addressDoc) findings() []string {
	var ids []string
	for _, c := range d.Checks {
		for _, f := range c.Findings {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func checkAddressJSON(t *testing.T, w *mailtest.World, args ...string) (addressDoc, result) {
	t.Helper()
	r := runApp(t, w, "", append([]string{"check", "--json", "--resolver", w.DNS.Addr(), "--timeout", "2s"}, args...)...)
	validateJSON(t, compileSchema(t), r.stdout)
	var d addressDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return d, r
}

// TestAddressTarget checks an address end to end: the checks that
// examine an address and no other, the target object without a domain,
// the verdicts of each check on a clean mail server and on a listed
// sender, and the exit codes.
func TestAddressTarget(t *testing.T) {
	t.Parallel()
	w, zones := addressWorld(t)

	t.Run("clean mail server", func(t *testing.T) {
		d, r := checkAddressJSON(t, w, "192.0.2.25", "--dnsbl-zones", zones)
		if r.code != report.ExitOK {
			t.Fatalf("exit %d, want 0; stderr %q\n%s", r.code, r.stderr, r.stdout)
		}
		if d.Domain != nil {
			t.Errorf("an address document has domain %q", *d.Domain)
		}
		if d.Target == nil || d.Target.Kind != "address" || d.Target.Value != "192.0.2.25" {
			t.Fatalf("target = %+v, want kind address, value 192.0.2.25", d.Target)
		}
		if got, want := d.ids(), []string{"dnsbl", "ptr", "smtp"}; !slices.Equal(sortedCopy(got), want) {
			t.Fatalf("checks %v, want exactly %v", got, want)
		}
		for _, c := range d.Checks {
			if c.Status != "pass" {
				t.Errorf("check %s: status %s (%s), want pass", c.ID, c.Status, c.SkipReason)
			}
		}
		if got := d.findings(); !slices.Equal(got, []string{"dnsbl.clean", "ptr.ok"}) {
			t.Errorf("findings %v, want dnsbl.clean and ptr.ok", got)
		}
		var smtp struct {
			Hosts []struct {
				Name      string `json:"name"`
				Addresses []struct {
					Address  string   `json:"address"`
					Outcome  string   `json:"outcome"`
					STARTTLS bool     `json:"starttls"`
					Banner   []string `json:"banner"`
					Postmstr any      `json:"postmaster"`
				} `json:"addresses"`
			} `json:"hosts"`
		}
		for _, c := range d.Checks {
			if c.ID == "smtp" {
				if err := json.Unmarshal(c.Data, &smtp); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(smtp.Hosts) != 1 || len(smtp.Hosts[0].Addresses) != 1 {
			t.Fatalf("smtp data %+v, want the one address", smtp)
		}
		a := smtp.Hosts[0].Addresses[0]
		if a.Address != "192.0.2.25" || a.Outcome != "completed" || !a.STARTTLS || len(a.Banner) == 0 {
			t.Errorf("smtp session %+v, want a completed session with STARTTLS and the banner", a)
		}
		if a.Postmstr != nil {
			t.Errorf("an address target was probed for postmaster: %v", a.Postmstr)
		}
	})

	t.Run("listed sender", func(t *testing.T) {
		d, r := checkAddressJSON(t, w, "192.0.2.66", "--dnsbl-zones", zones, "--no-smtp")
		if r.code != report.ExitFindings {
			t.Fatalf("exit %d, want 1; stderr %q\n%s", r.code, r.stderr, r.stdout)
		}
		if got, want := d.findings(), []string{"dnsbl.listed", "ptr.fcrdns-mismatch"}; !slices.Equal(got, want) {
			t.Errorf("findings %v, want %v", got, want)
		}
		for _, c := range d.Checks {
			if c.ID == "smtp" && (c.Status != "skip" || !strings.Contains(c.SkipReason, "--no-smtp")) {
				t.Errorf("smtp: %s (%s), want skipped by --no-smtp", c.Status, c.SkipReason)
			}
			for _, f := range c.Findings {
				if f.Address != "192.0.2.66" {
					t.Errorf("finding %s names address %q, want 192.0.2.66", f.ID, f.Address)
				}
			}
		}
	})

	t.Run("blocklists only", func(t *testing.T) {
		d, r := checkAddressJSON(t, w, "192.0.2.66", "--only", "dnsbl", "--dnsbl-zones", zones)
		if r.code != report.ExitFindings || !slices.Equal(d.ids(), []string{"dnsbl"}) {
			t.Fatalf("exit %d, checks %v: want 1 and dnsbl alone\n%s", r.code, d.ids(), r.stdout)
		}
	})

	t.Run("an address that does not listen on port 25", func(t *testing.T) {
		// Nothing listens on port 25 at 2001:db8::25, as at a host that
		// only sends mail.
		d, r := checkAddressJSON(t, w, "[2001:db8::25]", "--only", "smtp,ptr")
		if r.code != report.ExitOK {
			t.Fatalf("exit %d, want 0 (nothing listening is fine for a sender)\n%s", r.code, r.stdout)
		}
		if d.Target == nil || d.Target.Value != "2001:db8::25" || d.Input != "[2001:db8::25]" {
			t.Errorf("target %+v input %q, want value 2001:db8::25 and input [2001:db8::25]", d.Target, d.Input)
		}
		var sev, st string
		for _, c := range d.Checks {
			if c.ID == "smtp" {
				st = c.Status
			}
			for _, f := range c.Findings {
				if f.ID == "smtp.connect-failed" {
					sev = f.Severity
				}
			}
		}
		if sev != "info" || st != "skip" {
			t.Errorf("smtp: status %q, smtp.connect-failed severity %q; want skip (nothing tested) and info on an address target\n%s", st, sev, r.stdout)
		}
	})

	t.Run("domain checks named with --only are skipped with the reason", func(t *testing.T) {
		d, r := checkAddressJSON(t, w, "192.0.2.66", "--only", "ptr,tls")
		if r.code != report.ExitFindings || !slices.Equal(d.ids(), []string{"tls", "ptr"}) {
			t.Fatalf("exit %d checks %v, want 1 with tls and ptr\n%s", r.code, d.ids(), r.stdout)
		}
		if c := d.Checks[0]; c.Status != "skip" || c.SkipReason != "checks a domain, not an address" {
			t.Errorf("tls: %s %q, want skipped because it checks a domain", c.Status, c.SkipReason)
		}
	})

	t.Run("nothing tested is no pass", func(t *testing.T) {
		domainLists := filepath.Join(t.TempDir(), "zones.txt")
		if err := os.WriteFile(domainLists, []byte("dbl.lists.example domain\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		d, r := checkAddressJSON(t, w, "192.0.2.25", "--only", "dnsbl", "--dnsbl-zones", domainLists)
		if r.code != report.ExitCouldNotRun || d.Status != "error" || d.Checks[0].Status != "skip" || d.Error != "nothing tested: every check was skipped" {
			t.Fatalf("exit %d status %s (dnsbl %s), want 3, error and a skipped dnsbl: a zones file without IP lists tests nothing\n%s", r.code, d.Status, d.Checks[0].Status, r.stdout)
		}
	})

	t.Run("text", func(t *testing.T) {
		r := runApp(t, w, "", "check", "192.0.2.66", "--resolver", w.DNS.Addr(), "--dnsbl-zones", zones, "--no-smtp")
		first, _, _ := strings.Cut(r.stdout, "\n")
		if !strings.HasPrefix(first, "192.0.2.66: FAIL") {
			t.Errorf("first line %q, want the address and its status", first)
		}
		if strings.Contains(r.stdout, "spf") || strings.Contains(r.stdout, "dmarc") {
			t.Errorf("domain checks in an address report:\n%s", r.stdout)
		}
	})
}

// TestAddressTargetUsage: what cannot be checked on an address is one
// line and exit 2, before any network work.
func TestAddressTargetUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "192.0.2.0/24"}, `"192.0.2.0/24" is an address range: give one address`},
		{[]string{"check", "fe80::1%eth0"}, "has a zone"},
		{[]string{"check", "192.0.2.7", "--only", "spf,dmarc"}, "none of the selected checks examines an address (those that do: dnsbl, ptr, smtp)"},
		{[]string{"check", "192.0.2.7", "--ip", "192.0.2.8"}, "--ip gives the sending addresses of a domain"},
		{[]string{"check", "192.0.2.7", "--selector", "s1"}, "--selector names DKIM keys of a domain"},
		{[]string{"check", "192.0.2.7", "--profile", "gmail"}, "mxray check DOMAIN --profile gmail --ip 192.0.2.7"},
		{[]string{"192.0.2.7"}, "did you mean mxray check 192.0.2.7?"},
		{[]string{"check", "10.0.0.1"}, "10.0.0.1 is a private address: hosts on the internet never see it"},
		{[]string{"check", "127.0.0.1"}, "a loopback address"},
		{[]string{"check", "100.64.0.1"}, "a shared (CGNAT) address"},
		{[]string{"check", "::"}, "the unspecified address"},
		{[]string{"check", "192.0.2.007"}, "leading zeros are not allowed"},
		{[]string{"check", "1.2.3"}, "an IPv4 address has four numbers, this has 3"},
		{[]string{"check", "1.2.3.4.5"}, "an IPv4 address has four numbers, this has 5"},
		{[]string{"check", "192.0.2.300"}, "each number of an IPv4 address is 0 to 255"},
		{[]string{"check", "2001:db8::1::2"}, "not a valid IPv6 address"},
		{[]string{"check", "192.0.2.7:25"}, `"192.0.2.7:25" has a port: give the address alone (mxray check 192.0.2.7)`},
		{[]string{"check", "[2001:db8::1]:25"}, "has a port"},
		{[]string{"check", "192.0.2.7."}, "without the trailing dot (mxray check 192.0.2.7)"},
		{[]string{"check", "[192.0.2.7"}, `"[192.0.2.7" is neither an IP address nor a domain`},
		{[]string{"check", "ex[ample.com"}, `'[' cannot appear in a host name`},
		{[]string{"check", "my_host.example.com"}, `'_' cannot appear in a host name`},
		{[]string{"check", "ab--cd.example"}, `hyphens in its third and fourth places`},
		{[]string{"check", "ab-.example"}, `starts or ends with a hyphen`},
		{[]string{"check", "1.2.3."}, "an IPv4 address has four numbers, this has 3"},
		{[]string{"check", "0.1.2.3"}, "not a public address"},
		{[]string{"check", "64:ff9b::a00:1"}, "not a public address"},
		{[]string{"check", "192.0.2.7%eth0"}, "has a zone"},
		{[]string{"check", "[IPv6:192.0.2.7]"}, "the IPv6: tag goes with an IPv6 address only"},
		{[]string{"check", "example.com:25"}, "a port (:25) does not belong in a domain"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runApp(t, nil, "", tt.args...)
			if r.code != report.ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Fatalf("exit %d stderr %q stdout %q: want exit 2 and one line containing %q", r.code, r.stderr, r.stdout, tt.want)
			}
		})
	}
}

// TestAddressesInBulk: -f mixes domains and addresses; each line gets the
// document of its kind, and an address line that cannot be checked an
// error document in its place.
func TestAddressesInBulk(t *testing.T) {
	t.Parallel()
	w, zones := addressWorld(t)
	in := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(in, []byte("192.0.2.25\nsender.example\n192.0.2.0/24\n::ffff:192.0.2.66\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runApp(t, w, "", "check", "-f", in, "--format", "ndjson", "--resolver", w.DNS.Addr(), "--dnsbl-zones", zones,
		"--only", "dnsbl,ptr,spf", "--timeout", "2s")
	s := compileSchema(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d documents, want 4\n%s\nstderr %s", len(lines), r.stdout, r.stderr)
	}
	var docs []addressDoc
	for _, l := range lines {
		validateJSON(t, s, l)
		var d addressDoc
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	if d := docs[0]; d.Target == nil || d.Target.Value != "192.0.2.25" || !slices.Equal(sortedCopy(d.ids()), []string{"dnsbl", "ptr", "spf"}) || d.Checks[0].Status != "skip" {
		t.Errorf("line 1: target %+v checks %v, want address 192.0.2.25 with dnsbl and ptr, and spf (named by --only) skipped", d.Target, d.ids())
	}
	if d := docs[1]; d.Target != nil || d.Domain == nil || *d.Domain != "sender.example" || !slices.Contains(d.ids(), "spf") {
		t.Errorf("line 2: target %+v checks %v, want the domain sender.example with spf", d.Target, d.ids())
	}
	if d := docs[2]; d.Status != "error" || len(d.Checks) != 0 {
		t.Errorf("line 3 (a range): status %s with %d checks, want an error document", d.Status, len(d.Checks))
	}
	if d := docs[3]; d.Target == nil || d.Target.Value != "192.0.2.66" || d.Status != "fail" {
		t.Errorf("line 4: target %+v status %s, want 192.0.2.66 (unmapped) failing", d.Target, d.Status)
	}
	if r.code != report.ExitFindings {
		t.Errorf("exit %d, want 1 (a listed address; the error document's 3 is less)", r.code)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestDomainsThatLookNumeric: real domains with digits or hex-looking
// labels stay domains; only a name whose last label is all digits is
// taken for an attempt at an address.
func TestDomainsThatLookNumeric(t *testing.T) {
	t.Parallel()
	var f checkFlags
	for _, d := range []string{"0xbeef.de", "0xc0ffee.cafe", "0x1.ca", "123.example.com", "1.1.1.1.example", "3com.com", "1e100.net", "xn--bcher-kva.example"} {
		tg, err := f.parseTarget(d)
		if err != nil || tg.Domain == "" || tg.Address.IsValid() {
			t.Errorf("%s: target %+v, error %v; want a domain", d, tg, err)
		}
	}
}

// TestAddressTUI: on a terminal, `mxray check ADDRESS` opens the
// dashboard with the address's checks alone, and the exit code is the
// report's.
func TestAddressTUI(t *testing.T) {
	t.Parallel()
	w, zones := addressWorld(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	a := newApp(pr, out, io.Discard)
	a.getenv = func(string) string { return "" }
	a.isTTY = func(io.Writer) bool { return true }
	a.dialer = w.Dialer
	done := make(chan report.Exit, 1)
	go func() {
		done <- a.run(context.Background(), []string{"check", "192.0.2.66", "--no-smtp", "--dnsbl-zones", zones, "--resolver", w.DNS.Addr()})
	}()
	waitOutput(t, out, "DNS queries", 20*time.Second) // the summary of a finished run
	if code := pressAndWait(t, pw, "q", done); code != report.ExitFindings {
		t.Errorf("exit %d, want 1 (listed, PTR not confirmed)", code)
	}
	s := out.String()
	for _, want := range []string{"192.0.2.66", "dnsbl", "ptr"} {
		if !strings.Contains(s, want) {
			t.Errorf("the dashboard does not show %q", want)
		}
	}
	for _, bad := range []string{"spf", "dmarc", "mtasts"} {
		if strings.Contains(s, bad) {
			t.Errorf("the dashboard of an address shows the domain check %q", bad)
		}
	}
}
