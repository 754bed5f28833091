package report

import (
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// Hand-made reports with fixed times, covering every status, severity,
// evidence kind and awkward character the encoders must handle.

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// healthyReport: everything passes; one info finding; data maps.
func healthyReport() *checks.Report {
	return &checks.Report{
		Domain:     "good.example",
		Input:      "good.example",
		Resolvers:  []string{"127.0.0.1:53"},
		StartedAt:  t0,
		Duration:   812 * time.Millisecond,
		DNSQueries: 12,
		Results: []checks.Result{
			{
				ID: "mx", Title: "MX records", Status: checks.StatusPass,
				Started: t0, Duration: 12300 * time.Microsecond,
				Data: map[string]any{
					"hosts": []map[string]any{
						{"name": "mx1.good.example", "preference": 10, "addrs": []string{"192.0.2.10", "2001:db8::10"}},
					},
				},
			},
			{
				ID: "spf", Title: "SPF record", Status: checks.StatusPass,
				Started: t0, Duration: 143 * time.Millisecond,
				Findings: []checks.Finding{{
					ID: "spf.lookups", Severity: checks.SevInfo, Subject: "good.example",
					Message: "SPF needs 3 DNS lookups of the 10 allowed",
				}},
				Data: map[string]any{"record": "v=spf1 mx -all", "lookups": 3},
			},
			{
				ID: "dmarc", Title: "DMARC policy", Status: checks.StatusPass,
				Started: t0, Duration: 20 * time.Millisecond,
			},
		},
	}
}

// problemReport: fail, warn, error and skip checks; DNS and SMTP evidence;
// a message with characters that need escaping in every format.
func problemReport() *checks.Report {
	spfTXT := dnsq.Query{Name: "bad.example.", Type: "TXT", Server: "127.0.0.1:53", Proto: "udp", Rcode: "NOERROR", AD: true, Answers: 2, RTTMs: 12.34}
	incl := dnsq.Query{Name: "_spf.bad.example.", Type: "TXT", CD: true, Server: "127.0.0.1:53", Proto: "tcp", Rcode: "TIMEOUT", RTTMs: 2000, Err: "dnsq: timeout"}
	return &checks.Report{
		Domain:     "bad.example",
		Resolvers:  []string{"127.0.0.1:53", "[::1]:53"},
		StartedAt:  t0.Add(1500 * time.Millisecond), // sub-second start: encoded as whole seconds
		Duration:   10*time.Second + 250*time.Millisecond,
		DNSQueries: 41,
		Results: []checks.Result{
			{
				ID: "mx", Title: "MX records", Status: checks.StatusPass,
				Started: t0, Duration: 8 * time.Millisecond,
				Data: map[string]any{"hosts": []string{"mx1.bad.example"}},
			},
			{
				ID: "spf", Title: "SPF record", Status: checks.StatusFail,
				Started: t0, Duration: 143 * time.Millisecond,
				Findings: []checks.Finding{
					{
						ID: "spf.lookup-limit", Severity: checks.SevFail, Subject: "bad.example",
						Message:  "SPF needs 13 DNS lookups; receivers stop at 10",
						Fix:      "Flatten or remove includes so that at most 10 lookups remain.",
						Evidence: &checks.Evidence{DNS: []dnsq.Query{spfTXT, incl}, Records: []string{`"v=spf1 include:_spf.bad.example include:a.example include:b.example ~all"`}},
					},
					{
						ID: "spf.multiple-records", Severity: checks.SevFail, Subject: "bad.example",
						Message: "2 SPF records | one says \"a|mx\" <the other> & more\nsecond line with `code` and *stars*",
						Fix:     "Merge them into one TXT record:\n  v=spf1 mx -all",
					},
					{
						ID: "spf.softfail-all", Severity: checks.SevWarn, Subject: "bad.example",
						Message: "~all only marks spoofed mail; -all rejects it",
					},
				},
				Data: map[string]any{"lookups": 13, "records": []string{"v=spf1 a|mx -all", "v=spf1 <x> & y"}},
			},
			{
				ID: "dmarc", Title: "DMARC policy", Status: checks.StatusWarn,
				Started: t0, Duration: 20 * time.Millisecond,
				Findings: []checks.Finding{{
					ID: "dmarc.policy-none", Severity: checks.SevWarn, Subject: "_dmarc.bad.example",
					Message: "p=none asks receivers to deliver spoofed mail",
				}},
			},
			{
				ID: "smtp", Title: "SMTP on port 25", Status: checks.StatusError,
				Started: t0, Duration: 10 * time.Second,
				Err: "dial tcp 192.0.2.10:25: i/o timeout",
				Findings: []checks.Finding{{
					ID: "smtp.banner-timeout", Severity: checks.SevError, Subject: "mx1.bad.example",
					Message: "no banner within 10s",
					Evidence: &checks.Evidence{SMTP: []checks.Line{
						{Dir: checks.DirInfo, Text: "connected to 192.0.2.10:25"},
						{Dir: checks.DirServer, Text: "220-mx1.bad.example ESMTP \x1b[31mred\x1b[0m"},
						{Dir: checks.DirClient, Text: "EHLO mxray.test"},
					}},
				}},
			},
			{
				ID: "dnsbl", Title: "DNS blocklists", Status: checks.StatusSkip,
				Skip: "--no-smtp",
			},
		},
	}
}

// unicodeReport: a Unicode input domain and subject; one check with a typed
// nil data pointer that must be omitted.
func unicodeReport() *checks.Report {
	var noData *struct{ X int }
	return &checks.Report{
		Domain:     "xn--bcher-kva.example",
		Input:      "bücher.example",
		Resolvers:  []string{"127.0.0.1:53"},
		StartedAt:  t0,
		Duration:   1234 * time.Millisecond,
		DNSQueries: 1,
		Results: []checks.Result{{
			ID: "dmarc", Title: "DMARC policy", Status: checks.StatusWarn,
			Started: t0, Duration: 1200 * time.Millisecond,
			Data: noData,
			Findings: []checks.Finding{{
				ID: "dmarc.missing", Severity: checks.SevWarn, Subject: "_dmarc.bücher.example",
				Message: "Keine DMARC-Richtlinie für bücher.example",
				Evidence: checks.DNSEvidence(dnsq.Query{
					Name: "_dmarc.xn--bcher-kva.example.", Type: "TXT", Server: "127.0.0.1:53", Proto: "udp", Rcode: "NXDOMAIN", RTTMs: 0.8,
				}),
			}},
		}},
	}
}

// fixtures are the named reports golden files are made of.
var fixtures = []struct {
	name string
	rep  func() *checks.Report
}{
	{"healthy", healthyReport},
	{"problems", problemReport},
	{"unicode", unicodeReport},
}

// catalogue is a small stand-in for the checks' finding catalogue.
var catalogue = map[string]checks.Def{
	"spf.lookup-limit": {
		ID: "spf.lookup-limit", Severity: checks.SevFail, Title: "SPF needs more than 10 DNS lookups",
		Why: "Receivers stop evaluating SPF after 10 lookups and treat the result as a permanent error,\nso mail fails SPF.",
		Fix: "Flatten includes.", Ref: "RFC 7208 section 4.6.4",
	},
	"dmarc.policy-none": {
		ID: "dmarc.policy-none", Severity: checks.SevWarn, Title: "DMARC policy is none",
		Why: "With p=none receivers deliver mail that fails DMARC.",
		Fix: "Move to p=quarantine, then p=reject, once reports are clean.",
	},
}

func explain(id string) (checks.Def, bool) {
	d, ok := catalogue[id]
	return d, ok
}
