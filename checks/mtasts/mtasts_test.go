package mtasts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
)

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.%[1]s\r\nmx: *.mail.%[1]s\r\nmax_age: 604800\r\n"

// zone returns MX records for d (mx1.d and a.mail.d) and the TXT record.
func zone(d, txt string) string {
	z := d + `. MX 10 mx1.` + d + `.
` + d + `. MX 20 a.mail.` + d + `.
mx1.` + d + `. A 192.0.2.10
a.mail.` + d + `. A 192.0.2.11
`
	if txt != "" {
		z += `_mta-sts.` + d + `. TXT "` + txt + `"` + "\n"
	}
	return z
}

func policy(d string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(goodPolicy, "%[1]s", d), "\r\n", "\n"))
}

type tcase struct {
	name    string
	domain  string
	txt     string
	extra   string
	script  map[string]mailtest.Behaviour // DNS misbehaviour by name (all types)
	serve   func(s *mailtest.HTTPSServer, host string)
	want    []string
	status  checks.Status
	timeout time.Duration
	noFetch bool // the HTTPS server must see no connection at all
	check   func(t *testing.T, res *checks.Result)
}

var cases = []tcase{
	{name: "pass", domain: "good.example", txt: "v=STSv1; id=2026112201", status: checks.StatusPass,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("good.example")})
		},
		check: func(t *testing.T, res *checks.Result) {
			d := res.Data.(*mtasts.Data)
			if d.Policy == nil || d.Policy.Mode != "enforce" || len(d.MX) != 2 || !d.MX[0].Covered || !d.MX[1].Covered {
				t.Errorf("data %+v", d)
			}
		}},
	{name: "mtasts.missing", domain: "none.example", want: []string{"mtasts.missing"}, status: checks.StatusPass},
	{name: "mtasts.txt-syntax", domain: "txt.example", txt: "v=STSv1; id=not-alnum!", want: []string{"mtasts.txt-syntax"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("txt.example")})
		}},
	{name: "mtasts.txt-syntax-multiple", domain: "multi.example", txt: "v=STSv1; id=1", extra: `_mta-sts.multi.example. TXT "v=STSv1; id=2"`, want: []string{"mtasts.txt-syntax"}, status: checks.StatusFail},
	{name: "mtasts.txt-syntax-hostile", domain: "hostile.example", txt: `v=STSv1; id=a\000b; id=c; id=d`, want: []string{"mtasts.txt-syntax"}, status: checks.StatusFail},
	{name: "mtasts.txt-syntax-version", domain: "ver.example", txt: "v=STSV1; id=1", want: []string{"mtasts.txt-syntax"}, status: checks.StatusFail},
	{name: "mtasts.policy-fetch-failed-dns", domain: "nohost.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail},
	{name: "mtasts.policy-fetch-failed-tls", domain: "cert.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("cert.example")})
			s.SetCert(h, mailtest.CertWrongName)
		}},
	{name: "mtasts.policy-fetch-failed-expired", domain: "expired.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("expired.example")})
			s.SetCert(h, mailtest.CertExpired)
		}},
	{name: "mtasts.policy-fetch-failed-redirect", domain: "redir.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Redirect(h, "/.well-known/mta-sts.txt", "https://www.redir.example/mta-sts.txt")
		}},
	{name: "mtasts.policy-fetch-failed-status", domain: "404.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {}},
	{name: "mtasts.policy-fetch-failed-type", domain: "html.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("html.example"), ContentType: "text/html; charset=utf-8"})
		}},
	{name: "mtasts.policy-fetch-failed-size", domain: "huge.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{BodySize: 10 << 20})
		},
		check: func(t *testing.T, res *checks.Result) {
			if d := res.Data.(*mtasts.Data); d.Fetch.Bytes != mtasts.MaxPolicySize+1 {
				t.Errorf("read %d bytes of a 10 MB body, want the cap %d+1", d.Fetch.Bytes, mtasts.MaxPolicySize)
			}
		}},
	{name: "mtasts.policy-fetch-failed-timeout", domain: "slow.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail, timeout: 300 * time.Millisecond,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Hang: true})
		}},
	{name: "mtasts.policy-fetch-failed-handshake", domain: "hang.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail, timeout: 300 * time.Millisecond,
		serve: func(s *mailtest.HTTPSServer, h string) { s.HangTLS(h) }},
	{name: "mtasts.policy-syntax", domain: "syn.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-syntax"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte("version: STSv1\nmode: enforce\nmode: testing\nmx mx1.syn.example\nmax_age: 99999999999\n")})
		}},
	{name: "mtasts.mx-mismatch", domain: "mismatch.example", txt: "v=STSv1; id=1", want: []string{"mtasts.mx-mismatch", "mtasts.mx-unused"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) {
			// *.mismatch.example does not cover a.mail.mismatch.example: a
			// wildcard matches exactly one label.
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte("version: STSv1\nmode: enforce\nmx: *.mismatch.example\nmx: old.mismatch.net\nmax_age: 604800\n")})
		}},
	{name: "mtasts.mode-testing", domain: "testing.example", txt: "v=STSv1; id=1", want: []string{"mtasts.mode-testing"}, status: checks.StatusPass,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte(strings.Replace(string(policy("testing.example")), "enforce", "testing", 1))})
		}},
	{name: "mtasts.mode-none", domain: "modenone.example", txt: "v=STSv1; id=1", want: []string{"mtasts.mode-none"}, status: checks.StatusWarn,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte("version: STSv1\nmode: none\nmax_age: 604800\n")})
		}},
	{name: "mtasts.max-age-short", domain: "short.example", txt: "v=STSv1; id=1", want: []string{"mtasts.max-age-short"}, status: checks.StatusWarn,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: []byte(strings.Replace(string(policy("short.example")), "604800", "3600", 1))})
		}},
	{name: "mtasts.policy-fetch-failed-refused", domain: "refused.example", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-fetch-failed"}, status: checks.StatusFail,
		serve: func(s *mailtest.HTTPSServer, h string) { s.Close() }},
	{name: "mtasts.policy-url-not-allowed", domain: "shop.1", txt: "v=STSv1; id=1", want: []string{"mtasts.policy-url-not-allowed"}, status: checks.StatusError, noFetch: true,
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("shop.1")})
		}},
	{name: "mtasts.dns-error", domain: "err.example", want: []string{"mtasts.dns-error"}, status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"_mta-sts.err.example": mailtest.ServFail}},
	{name: "mtasts.dns-error-timeout", domain: "slowdns.example", want: []string{"mtasts.dns-error"}, status: checks.StatusError, timeout: 150 * time.Millisecond,
		script: map[string]mailtest.Behaviour{"_mta-sts.slowdns.example": mailtest.Timeout}},
	{name: "mtasts.dns-error-cname-loop", domain: "loop.example", want: []string{"mtasts.dns-error"}, status: checks.StatusError,
		extra:  "_mta-sts.loop.example. CNAME sts.loop.example.\nsts.loop.example. CNAME _mta-sts.loop.example.\n",
		script: map[string]mailtest.Behaviour{"_mta-sts.loop.example": mailtest.LenientLoop}},
	{name: "mtasts.dns-error-policy-host", domain: "hostfail.example", txt: "v=STSv1; id=1", want: []string{"mtasts.dns-error"}, status: checks.StatusError, noFetch: true,
		script: map[string]mailtest.Behaviour{"mta-sts.hostfail.example": mailtest.ServFail},
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("hostfail.example")})
		}},
	{name: "undecided-mx", domain: "nomx.example", txt: "v=STSv1; id=1", status: checks.StatusError,
		script: map[string]mailtest.Behaviour{"nomx.example": mailtest.ServFail},
		serve: func(s *mailtest.HTTPSServer, h string) {
			s.Handle(h, "/.well-known/mta-sts.txt", mailtest.Response{Body: policy("nomx.example")})
		},
		check: func(t *testing.T, res *checks.Result) {
			if !strings.HasPrefix(res.Err, "not decided: depends on mx") || len(res.Findings) != 0 {
				t.Errorf("err %q, findings %v: want only the dependency reason", res.Err, policytest.IDs(res))
			}
		}},
}

// goText are fragments of Go error text and package prefixes that must
// never reach people.
var goText = []string{"dnsq:", "checks:", "mtasts:", "context deadline", "context canceled", "x509:", "tls:", "dial tcp", "Get \"", "EOF", "mailtest"}

// plainWords fails the test when a finding or the result's error carries Go
// error text.
func plainWords(t *testing.T, res *checks.Result) {
	t.Helper()
	texts := []string{res.Err}
	for _, f := range res.Findings {
		texts = append(texts, f.Message, f.Fix)
	}
	if d, ok := res.Data.(*mtasts.Data); ok && d.Fetch != nil {
		texts = append(texts, d.Fetch.Error)
	}
	for _, s := range texts {
		for _, bad := range goText {
			if strings.Contains(s, bad) {
				t.Errorf("%q contains %q", s, bad)
			}
		}
	}
}

func TestFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+zone(tc.domain, tc.txt)+tc.extra)
			for name, b := range tc.script {
				w.DNS.Script(name, 0, b)
			}
			var srv *mailtest.HTTPSServer
			if tc.serve != nil {
				s, err := w.StartHTTPS("192.0.2.80")
				if err != nil {
					t.Fatal(err)
				}
				host := "mta-sts." + tc.domain
				if err := s.AddHost(host); err != nil {
					t.Fatal(err)
				}
				tc.serve(s, host)
				srv = s
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			rep := policytest.Run(t, w, checks.Options{Timeout: timeout}, checks.Target{Domain: tc.domain}, []checks.Check{mtasts.Check{}}, mx.Check{})
			res := policytest.Result(t, rep, "mtasts")
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, policytest.IDs(res))
			}
			if tc.check != nil {
				tc.check(t, res)
			}
			if tc.noFetch && (srv.Connections() != 0 || srv.AllRequests() != 0) {
				t.Errorf("the HTTPS server saw %d connections and %d requests; want none", srv.Connections(), srv.AllRequests())
			}
			plainWords(t, res)
			policytest.Golden(t, "mtasts/"+tc.name, res)
		})
	}
}

func TestEveryFindingHasACase(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, mtasts.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}

func TestMatchMX(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, host string
		want          bool
	}{
		{"mx1.example.com", "mx1.example.com", true},
		{"mx1.example.com", "MX1.Example.COM.", true},
		{"*.example.com", "mx1.example.com", true},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "example.com", false},
		{"*.mail.example.com", "mx.mail.example.com", true},
		{"mx1.example.com", "mx2.example.com", false},
		{"*.example.com", "*.example.com", false},
	} {
		if got := mtasts.MatchMX(tc.pattern, tc.host); got != tc.want {
			t.Errorf("MatchMX(%q, %q) = %v", tc.pattern, tc.host, got)
		}
	}
	f := &mtasts.Fact{Mode: "enforce", MX: []string{"*.example.com"}}
	if !f.Enforced() || !f.Covers("mx.example.com") || f.Covers("mx.example.net") {
		t.Error("Fact methods")
	}
}

// TestCheckDeadline: lookups and fetches cut short by the check's own
// deadline are not the domain's DNS errors or fetch failures; the result
// says the check did not finish.
func TestCheckDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, slow string }{
		{"txt", "_mta-sts.d.example"},
		{"policy host", "mta-sts.d.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+zone("d.example", "v=STSv1; id=1"))
			w.DNS.Script(tc.slow, 0, mailtest.Timeout)
			rep := policytest.Run(t, w, checks.Options{Timeout: 10 * time.Second, CheckTimeout: 150 * time.Millisecond}, checks.Target{Domain: "d.example"}, []checks.Check{mtasts.Check{}}, mx.Check{})
			res := policytest.Result(t, rep, "mtasts")
			if res.Status != checks.StatusError || !strings.Contains(res.Err, "did not finish") || len(res.Findings) != 0 {
				t.Errorf("status %s, error %q, findings %v", res.Status, res.Err, policytest.IDs(res))
			}
			plainWords(t, res)
		})
	}
}
