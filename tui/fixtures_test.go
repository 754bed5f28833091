package tui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/smtpwire"
	"github.com/mxray/mxray/checks/tlscheck"
)

// The fixtures are real runs: every check of checks/all against the demo
// mail world (checks/demo on loopback), once per test binary, with the
// times that change from run to run (durations, round trips, ports) set
// to fixed values so that goldens are stable. The TUI is tested on the
// data production emits, not on a shape written by hand.

// t0 is the fixed start of every fixture run.
var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func fixedNow() time.Time { return t0 }

// fixtureChecks are the dashboard rows: every check, in mxray's order.
var fixtureChecks = func() []CheckInfo {
	var out []CheckInfo
	for _, c := range all.Checks() {
		out = append(out, CheckInfo{ID: c.ID(), Title: c.Title(), Needs: c.Needs()})
	}
	return out
}()

// jTo is the j presses that move the dashboard's cursor from the first
// check to check id.
func jTo(id string) []string {
	for i, c := range fixtureChecks {
		if c.ID == id {
			return times("j", i)
		}
	}
	panic("no check " + id)
}

// fixtureDefs stand in for the catalogue, so goldens do not change when a
// check's wording does.
var fixtureDefs = map[string]checks.Def{
	"spf.all-pass":      {ID: "spf.all-pass", Why: "+all lets every server on the internet pass SPF for the domain: the record protects nothing."},
	"spf.lookup-limit":  {ID: "spf.lookup-limit", Why: "Receivers stop after 10 DNS lookups and treat the record as a permanent error: SPF then fails for every message."},
	"smtp.open-relay":   {ID: "smtp.open-relay", Why: "An open relay is abused by spammers within hours and lands on every blocklist."},
	"dmarc.policy-none": {ID: "dmarc.policy-none", Why: "p=none only monitors: spoofed mail is still delivered."},
}

func fixtureExplain(id string) (checks.Def, bool) {
	d, ok := fixtureDefs[id]
	return d, ok
}

// realRuns are the demo world's domains, each checked once.
var realRuns struct {
	once sync.Once
	reps map[string]*checks.Report
	err  error
}

// realReport returns a copy of the normalised report of a real run of
// every check against a domain of the demo world. It panics when the
// world cannot run: no test of the package means anything then.
func realReport(domain string) *checks.Report {
	realRuns.once.Do(func() { realRuns.reps, realRuns.err = runDemoWorld() })
	if realRuns.err != nil {
		panic(fmt.Sprintf("the demo world: %v", realRuns.err))
	}
	rep, ok := realRuns.reps[domain]
	if !ok {
		panic("no run of " + domain)
	}
	return copyReport(rep)
}

// runDemoWorld starts the demo world, checks its domains and stops it
// (no goroutine outlives the fixture: leakcheck).
func runDemoWorld() (map[string]*checks.Report, error) {
	w, err := demo.Start()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	out := map[string]*checks.Report{}
	for _, run := range []struct {
		key, domain string
		profiles    []string
	}{
		{"broken.example", "broken.example", nil},
		{"good.example", "good.example", nil},
		{"badtls.example", "badtls.example", nil},
		// mxray check broken.example --profile gmail,yahoo,microsoft
		{profileRun, "broken.example", []string{"gmail", "yahoo", "microsoft"}},
	} {
		d := run.domain
		env, err := w.Env(checks.Options{Timeout: 5 * time.Second, Profiles: run.profiles}) // loopback: a margin for a loaded machine
		if err != nil {
			return nil, err
		}
		r := &checks.Runner{Env: env, Checks: all.Checks(), Registry: all.Checks()}
		rep := r.Run(context.Background(), checks.Target{Domain: d})
		env.DNS.Close()
		if env.HTTP != nil {
			env.HTTP.CloseIdleConnections()
		}
		for _, res := range rep.Results {
			if res.Err != "" {
				return nil, fmt.Errorf("%s: the %s check could not decide: %s", d, res.ID, res.Err)
			}
		}
		normalise(rep)
		out[run.key] = rep
	}
	return out, nil
}

// normalise fixes what changes from run to run: start times, durations,
// round trips, the DNS server's port, the session timings.
func normalise(rep *checks.Report) {
	rep.StartedAt, rep.Duration, rep.DNSQueries = t0, 2031*time.Millisecond, 41
	rep.Resolvers = []string{"127.0.0.1:53"}
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Started = at(i)
		r.Duration = time.Duration(10*(i+1)) * time.Millisecond
		if r.Status == checks.StatusSkip {
			r.Duration = 0
		}
		for j := range r.Findings {
			normEvidence(r.Findings[j].Evidence)
		}
		switch d := r.Data.(type) {
		case smtp.Data:
			for h := range d.Hosts {
				for a := range d.Hosts[h].Addresses {
					ad := &d.Hosts[h].Addresses[a]
					ad.BannerMs = 40
					normSession(ad.Stages, ad.Transcript)
				}
			}
		case tlscheck.Data:
			for h := range d.Hosts {
				for a := range d.Hosts[h].Addresses {
					ad := &d.Hosts[h].Addresses[a]
					ad.HandshakeMs = 20
					normSession(ad.Stages, ad.Transcript)
				}
			}
		}
	}
}

// stageMs are the fixed durations of the session's stages.
var stageMs = map[string]float64{"connect": 2, "banner": 41, "ehlo": 3, "starttls": 9, "tls_handshake": 20}

func normSession(stages []smtpwire.Stage, entries []smtpwire.Entry) {
	start := 0.0
	for i := range stages {
		ms, ok := stageMs[stages[i].Name]
		if !ok {
			ms = 1
		}
		stages[i].StartMs, stages[i].DurationMs = start, ms
		start += ms
	}
	for i := range entries {
		entries[i].AtMs = 0
	}
}

func normEvidence(ev *checks.Evidence) {
	if ev == nil {
		return
	}
	for i := range ev.DNS {
		ev.DNS[i].RTTMs = 1
		if ev.DNS[i].Server != "" {
			ev.DNS[i].Server = "127.0.0.1:53"
		}
	}
}

// copyReport copies a report deep enough that a test may change its
// results and findings; the data is shared (tests give a result new data
// rather than change it).
func copyReport(rep *checks.Report) *checks.Report {
	cp := *rep
	cp.Results = append([]checks.Result(nil), rep.Results...)
	for i := range cp.Results {
		cp.Results[i].Findings = append([]checks.Finding(nil), cp.Results[i].Findings...)
	}
	return &cp
}

// profileRun names the run of broken.example with the Gmail, Yahoo and
// Microsoft profiles.
const profileRun = "broken.example --profile gmail,yahoo,microsoft"

// profileReport is a finished run of every check against broken.example
// with the Gmail, Yahoo and Microsoft profiles.
func profileReport() *checks.Report { return realReport(profileRun) }

// fixtureReport is a finished run of every check against broken.example.
func fixtureReport() *checks.Report { return realReport("broken.example") }

// goodReport is a finished run of every check against good.example.
func goodReport() *checks.Report { return realReport("good.example") }

// fixtureEvents are the events of the fixture run, in a fixed order.
func fixtureEvents() []checks.Event { return eventsOf(fixtureReport()) }

// eventsOf replays a report as the runner's events: every check starts,
// then each reports its findings and finishes, in order.
func eventsOf(rep *checks.Report) []checks.Event {
	var evs []checks.Event
	for _, r := range rep.Results {
		if r.Status == checks.StatusSkip {
			continue
		}
		evs = append(evs, checks.Event{Kind: checks.EventStarted, CheckID: r.ID, At: r.Started})
	}
	for _, r := range rep.Results {
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

// resultOf returns a pointer to check id's result in rep.
func resultOf(tb testing.TB, rep *checks.Report, id string) *checks.Result {
	tb.Helper()
	for i := range rep.Results {
		if rep.Results[i].ID == id {
			return &rep.Results[i]
		}
	}
	tb.Fatalf("no result of %s", id)
	return nil
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

func q(name, typ, rcode string, ad bool, rtt float64) dnsq.Query {
	return dnsq.Query{Name: name, Type: typ, Server: "127.0.0.1:53", Proto: "udp", Rcode: rcode, AD: ad, Answers: 1, RTTMs: rtt}
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
