package tui

import (
	"context"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/send"
)

// t0 is the fixed start of every fixture run.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func fixedNow() time.Time { return t0 }

var fixtureChecks = []CheckInfo{
	{"dns", "DNS and DNSSEC"}, {"mx", "MX records"}, {"spf", "SPF record"},
	{"dkim", "DKIM keys"}, {"dmarc", "DMARC policy"}, {"mtasts", "MTA-STS policy"},
	{"tlsrpt", "TLS reporting"}, {"smtp", "SMTP handshake"}, {"tls", "TLS and DANE"},
	{"dnsbl", "Blocklists"},
}

// fixtureDefs stand in for the catalogue, so goldens do not change when a
// check's wording does.
var fixtureDefs = map[string]checks.Def{
	"spf.lookup-limit":  {ID: "spf.lookup-limit", Why: "Receivers stop after 10 DNS lookups and treat the record as a permanent error: SPF then fails for every message."},
	"smtp.open-relay":   {ID: "smtp.open-relay", Why: "An open relay is abused by spammers within hours and lands on every blocklist."},
	"dmarc.policy-none": {ID: "dmarc.policy-none", Why: "p=none only monitors: spoofed mail is still delivered."},
}

func fixtureExplain(id string) (checks.Def, bool) {
	d, ok := fixtureDefs[id]
	return d, ok
}

func q(name, typ, rcode string, ad bool, rtt float64) dnsq.Query {
	return dnsq.Query{Name: name, Type: typ, Server: "127.0.0.1:53", Proto: "udp", Rcode: rcode, AD: ad, Answers: 1, RTTMs: rtt}
}

// fixtureResults is a finished run against broken.example.
func fixtureResults() []checks.Result {
	res := func(id string, st checks.Status, startMs, durMs int, fs ...checks.Finding) checks.Result {
		title := id
		for _, c := range fixtureChecks {
			if c.ID == id {
				title = c.Title
			}
		}
		return checks.Result{ID: id, Title: title, Status: st, Findings: fs, Started: at(startMs), Duration: time.Duration(durMs) * time.Millisecond}
	}
	dns := res("dns", checks.StatusPass, 0, 12, checks.Finding{ID: "dns.dnssec-unsigned", Severity: checks.SevInfo, Subject: "broken.example", Message: "The zone is not DNSSEC-signed"})
	mx := res("mx", checks.StatusPass, 0, 18)
	mx.Data = map[string]any{"hosts": []any{
		map[string]any{"name": "mx1.broken.example", "preference": 10, "addresses": []any{"192.0.2.10", "2001:db8::10"}},
		map[string]any{"name": "mx2.broken.example", "preference": 20, "addresses": []any{"192.0.2.11"}},
	}}
	spf := res("spf", checks.StatusFail, 1, 143,
		checks.Finding{ID: "spf.lookup-limit", Severity: checks.SevFail, Subject: "broken.example",
			Message: "SPF needs 13 DNS lookups; receivers stop at 10 (includes: _spf.mail.example, spf.crm.example)",
			Fix:     "Remove include:spf.crm.example or replace it with its ip4: ranges, then publish: broken.example. TXT \"v=spf1 include:_spf.mail.example -all\"",
			Evidence: &checks.Evidence{
				DNS:     []dnsq.Query{q("broken.example.", "TXT", "NOERROR", false, 3.2), q("_spf.mail.example.", "TXT", "NOERROR", true, 4.1), q("spf.crm.example.", "TXT", "NOERROR", false, 12.8)},
				Records: []string{"v=spf1 include:_spf.mail.example include:spf.crm.example ~all"},
			}},
		checks.Finding{ID: "spf.all-neutral", Severity: checks.SevWarn, Subject: "broken.example", Message: "The record ends in ~all: spoofed mail is only soft-failed"},
	)
	spf.Data = map[string]any{
		"lookups": 13, "void_lookups": 1,
		"tree": map[string]any{
			"domain": "broken.example", "record": "v=spf1 a mx include:_spf.mail.example include:spf.crm.example ~all", "own_lookups": 4, "subtree_lookups": 13,
			"children": []any{
				map[string]any{"domain": "_spf.mail.example", "mechanism": "include:_spf.mail.example", "record": "v=spf1 include:_netblocks.mail.example a mx -all", "own_lookups": 3, "subtree_lookups": 5, "children": []any{
					map[string]any{"domain": "_netblocks.mail.example", "mechanism": "include:_netblocks.mail.example", "record": "v=spf1 a:x.mail.example a:y.mail.example -all", "own_lookups": 2, "subtree_lookups": 2},
				}},
				map[string]any{"domain": "spf.crm.example", "mechanism": "include:spf.crm.example", "record": "v=spf1 include:gone.crm.example exists:%{i}.crm.example a mx -all", "own_lookups": 4, "subtree_lookups": 4, "children": []any{
					map[string]any{"domain": "gone.crm.example", "mechanism": "include:gone.crm.example", "own_lookups": 0, "subtree_lookups": 0, "error": "the domain does not exist (NXDOMAIN)"},
				}},
			},
		},
	}
	dkim := res("dkim", checks.StatusError, 2, 2000)
	dkim.Err = "every selector query timed out"
	dmarc := res("dmarc", checks.StatusWarn, 2, 31, checks.Finding{ID: "dmarc.policy-none", Severity: checks.SevWarn, Subject: "_dmarc.broken.example", Message: "DMARC policy is p=none", Fix: "Publish _dmarc.broken.example. TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc@broken.example\""})
	mtasts := res("mtasts", checks.StatusPass, 3, 44)
	tlsrpt := res("tlsrpt", checks.StatusSkip, 0, 0)
	tlsrpt.Skip = "--only"
	smtp := res("smtp", checks.StatusFail, 20, 412,
		checks.Finding{ID: "smtp.open-relay", Severity: checks.SevFail, Subject: "mx2.broken.example [192.0.2.11]", Message: "The server accepted a recipient at a domain it does not serve",
			Evidence: &checks.Evidence{SMTP: []checks.Line{{Dir: checks.DirClient, Text: "RCPT TO:<relay-test@mxray.invalid>"}, {Dir: checks.DirServer, Text: "250 2.1.5 Ok"}}}})
	smtp.Data = map[string]any{"hosts": []any{
		map[string]any{"host": "mx1.broken.example", "addresses": []any{
			map[string]any{"address": "192.0.2.10", "stages": []any{
				map[string]any{"stage": "connect", "duration_ms": 2.0},
				map[string]any{"stage": "banner", "duration_ms": 41.0, "reply": map[string]any{"code": 220}},
				map[string]any{"stage": "ehlo", "duration_ms": 3.0},
				map[string]any{"stage": "starttls", "duration_ms": 9.0},
			}, "transcript": []any{
				map[string]any{"dir": "S", "text": "220 mx1.broken.example ESMTP"},
				map[string]any{"dir": "C", "text": "EHLO mxray.local"},
				map[string]any{"dir": "S", "text": "250-mx1.broken.example"},
				map[string]any{"dir": "S", "text": "250 STARTTLS"},
				map[string]any{"dir": "C", "text": "STARTTLS"},
				map[string]any{"dir": "S", "text": "220 2.0.0 Ready to start TLS"},
				map[string]any{"dir": "*", "text": "TLS 1.3 TLS_AES_128_GCM_SHA256"},
			}},
			map[string]any{"address": "2001:db8::10", "stages": []any{
				map[string]any{"stage": "connect", "duration_ms": 10001.0, "error": "timeout"},
			}},
		}},
		map[string]any{"host": "mx2.broken.example", "addresses": []any{
			map[string]any{"address": "192.0.2.11", "stages": []any{
				map[string]any{"stage": "connect", "duration_ms": 1.0},
				map[string]any{"stage": "banner", "duration_ms": 5.0},
				map[string]any{"stage": "ehlo", "duration_ms": 2.0},
			}},
		}},
	}}
	tls := res("tls", checks.StatusWarn, 20, 230,
		checks.Finding{ID: "tls.cert-expiring", Severity: checks.SevWarn, Subject: "mx1.broken.example [192.0.2.10]", Message: "The certificate expires in 6 days"},
		checks.Finding{ID: "tls.starttls-missing", Severity: checks.SevFail, Subject: "mx2.broken.example [192.0.2.11]", Message: "The server does not offer STARTTLS"},
		checks.Finding{ID: "tls.mtasts-would-fail", Severity: checks.SevWarn, Subject: "mx2.broken.example [192.0.2.11]", Message: "switching the MTA-STS policy to enforce would stop mail to mx2.broken.example [192.0.2.11]: it offers no STARTTLS"},
	)
	tls.Data = map[string]any{"hosts": []any{
		map[string]any{"name": "mx1.broken.example", "dane": "none", "addresses": []any{
			map[string]any{"address": "192.0.2.10", "outcome": "tls", "starttls": true},
		}},
		map[string]any{"name": "mx2.broken.example", "dane": "none", "addresses": []any{
			map[string]any{"address": "192.0.2.11", "outcome": "no-starttls"},
		}},
	}}
	dnsbl := res("dnsbl", checks.StatusFail, 25, 88,
		checks.Finding{ID: "dnsbl.listed", Severity: checks.SevFail, Subject: "192.0.2.11", Message: "192.0.2.11 is listed on Example Block List"})
	dnsbl.Data = map[string]any{"addresses": []any{
		map[string]any{"target": "192.0.2.10", "status": "clean", "zones": []any{
			map[string]any{"zone": "bl.example", "status": "clean"},
			map[string]any{"zone": "dead.example", "status": "unhealthy"},
		}},
		map[string]any{"target": "192.0.2.11", "status": "listed", "zones": []any{
			map[string]any{"zone": "bl.example", "status": "listed", "codes": []any{"127.0.0.2"}},
			map[string]any{"zone": "dead.example", "status": "unhealthy"},
		}},
		map[string]any{"target": "2001:db8::10", "status": "unknown", "zones": []any{
			map[string]any{"zone": "bl.example", "status": "error", "error": "timeout"},
		}},
	}}
	return []checks.Result{dns, mx, spf, dkim, dmarc, mtasts, tlsrpt, smtp, tls, dnsbl}
}

func fixtureReport() *checks.Report {
	return &checks.Report{Domain: "broken.example", Resolvers: []string{"127.0.0.1:53"}, StartedAt: t0, Duration: 2031 * time.Millisecond, Results: fixtureResults(), DNSQueries: 41}
}

// fixtureEvents are the events of the fixture run, in a fixed order.
func fixtureEvents() []checks.Event {
	var evs []checks.Event
	results := fixtureResults()
	for _, r := range results {
		if r.Status == checks.StatusSkip {
			continue
		}
		evs = append(evs, checks.Event{Kind: checks.EventStarted, CheckID: r.ID, At: r.Started})
	}
	for _, r := range results {
		if r.Status == checks.StatusSkip {
			continue
		}
		for i := range r.Findings {
			f := r.Findings[i]
			evs = append(evs, checks.Event{Kind: checks.EventFinding, CheckID: r.ID, Finding: &f, At: r.Started.Add(r.Duration / 2)})
		}
		rr := r
		evs = append(evs, checks.Event{Kind: checks.EventFinished, CheckID: r.ID, Result: &rr, At: r.Started.Add(r.Duration)})
	}
	return evs
}

// scriptedRun is a RunFunc that emits events, then either returns the
// report (filtered to ids) and err or, when block is set, waits for
// cancellation. A test may change its fields between runs, before the
// command that starts the next one runs.
type scriptedRun struct {
	events []checks.Event
	report *checks.Report
	err    error
	block  bool
	calls  chan []string // receives ids of every call (buffered)
}

func (s *scriptedRun) run(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
	if s.calls != nil {
		s.calls <- ids
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, e := range s.events {
		if ids == nil || want[e.CheckID] {
			emit(e)
		}
	}
	if s.block {
		<-ctx.Done()
		rep := &checks.Report{Domain: domain, StartedAt: t0}
		for _, c := range fixtureChecks {
			if ids == nil || want[c.ID] {
				rep.Results = append(rep.Results, checks.Result{ID: c.ID, Title: c.Title, Status: checks.StatusError, Err: "interrupted"}) // as the runner says
			}
		}
		return rep, nil
	}
	if s.report == nil {
		return nil, s.err
	}
	rep := *s.report
	if ids != nil {
		rep.Results = nil
		for _, r := range s.report.Results {
			if want[r.ID] {
				rep.Results = append(rep.Results, r)
			}
		}
	}
	return &rep, s.err
}

// withResult is the fixture report with res in place of the result of the
// same check.
func withResult(res checks.Result) *checks.Report {
	rep := fixtureReport()
	for i := range rep.Results {
		if rep.Results[i].ID == res.ID {
			rep.Results[i] = res
		}
	}
	return rep
}

// fixtureSteps is a delivered send with AUTH.
func fixtureSteps() []send.Step {
	return []send.Step{
		{Step: send.StepDNS, StartedMs: 0, DurationMs: 12, DNS: []send.DNSQuery{{Name: "good.example.", Type: "MX", Rcode: "NOERROR", RTTMs: 3, Answers: []string{"10 mx1.good.example."}}}},
		{Step: send.StepConnect, Host: "mx1.good.example:25", StartedMs: 12, DurationMs: 3, Info: []string{"connected to 192.0.2.20:25"}},
		{Step: send.StepBanner, Host: "mx1.good.example:25", StartedMs: 15, DurationMs: 40, Server: []string{"220 mx1.good.example ESMTP"}},
		{Step: send.StepEHLO, Host: "mx1.good.example:25", StartedMs: 55, DurationMs: 5, Client: []string{"EHLO mxray.local"}, Server: []string{"250-mx1.good.example", "250-STARTTLS", "250 AUTH PLAIN LOGIN"}},
		{Step: send.StepSTARTTLS, Host: "mx1.good.example:25", StartedMs: 60, DurationMs: 2, Client: []string{"STARTTLS"}, Server: []string{"220 2.0.0 Ready"}},
		{Step: send.StepTLS, Host: "mx1.good.example:25", StartedMs: 62, DurationMs: 25, TLS: &send.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "mx1.good.example", Verified: true}},
		{Step: send.StepAuth, Host: "mx1.good.example:25", StartedMs: 87, DurationMs: 6, Client: []string{"AUTH PLAIN ***"}, Server: []string{"235 2.7.0 Authentication successful"}},
		{Step: send.StepMail, Host: "mx1.good.example:25", StartedMs: 93, DurationMs: 2, Client: []string{"MAIL FROM:<demo@mxray.example>"}, Server: []string{"250 2.1.0 Ok"}},
		{Step: send.StepRcpt, Host: "mx1.good.example:25", StartedMs: 95, DurationMs: 3, Client: []string{"RCPT TO:<postmaster@good.example>"}, Server: []string{"250 2.1.5 Ok"}},
		{Step: send.StepData, Host: "mx1.good.example:25", StartedMs: 98, DurationMs: 1, Client: []string{"DATA"}, Server: []string{"354 End data with <CR><LF>.<CR><LF>"}},
		{Step: send.StepEOD, Host: "mx1.good.example:25", StartedMs: 99, DurationMs: 20, Client: []string{"."}, Server: []string{"250 2.0.0 Ok: queued as 4XyZ12"}},
		{Step: send.StepQuit, Host: "mx1.good.example:25", StartedMs: 119, DurationMs: 1, Client: []string{"QUIT"}, Server: []string{"221 2.0.0 Bye"}},
	}
}

func fixtureTrace() *send.Trace {
	return &send.Trace{Steps: fixtureSteps(), Result: send.ResultDelivered, QueueID: "4XyZ12", Server: "mx1.good.example:25", DurationMs: 120}
}
