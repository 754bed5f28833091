package tui

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/smtpwire"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tlscheck"
	"github.com/mxray/mxray/report"
)

// hostile are strings a record, banner or host name could carry to drive
// the terminal or reorder and hide text.
var hostile = []string{
	"\x1b[2J\x1b]0;pwned\x07",           // clear screen, set the title
	"mx\u202e" + "elpmaxe.com",          // RIGHT-TO-LEFT OVERRIDE
	"a\u2066b\u2067c\u2068d\u2069e",     // isolates
	"\u202a\u202b\u202c\u202d",          // embeddings, pop
	"\u200e\u200f\u061c",                // marks
	"zero\u200bwidth\u200c\u200d\ufeff", // zero-width space, (non-)joiner, BOM
	"\u2028line\u2029para",              // line and paragraph separators
	"\x9b31m\x9d0;x\x9c",                // C1 CSI, OSC, ST
	"tag\U000e0041\U000e007f",           // tag characters
	"bad \xff\xfe utf-8 \xc3",           // not UTF-8
	"tab\there\r\nnew\x00nul\x7f",       // C0, DEL
	"priv\ue000\U000f0000 unassigned\U000e0080\u0378",
	"soft\u00adhyphen\u034fcgj\u115ffill\u3164",
	"vs\ufe0f\U000e0100",
	"wide 漢字 and emoji 👩\u200d👩\u200d👧",
	strings.Repeat("long-label.", 40) + "example",
}

// forbidden reports a rune no screen may contain: controls (the line
// breaks of the layout aside), format characters (the bidi controls among
// them), separators, private-use and unassigned code points, and the
// replacement character that stands for bytes that were not UTF-8.
func forbidden(r rune) bool {
	switch {
	case r == '\n':
		return false
	case r == 0x1b, unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == utf8.RuneError:
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

func checkText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s: not UTF-8: %q", what, s)
	}
	for i, r := range s {
		if forbidden(r) {
			t.Fatalf("%s: %U at byte %d reached the screen: %q", what, r, i, s)
		}
	}
}

func TestCleanEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcödé, 漢字":     "plain text, ünïcödé, 漢字",
		"mx\u202eelpmaxe":             `mx\u202eelpmaxe`,
		"\u2066x\u2069":               `\u2066x\u2069`,
		"\u200e\u200f\u061c":          `\u200e\u200f\u061c`,
		"\x1b[31m":                    `\x1b[31m`,
		"\u009b31m":                   `\u009b31m`,
		"\x9b31m":                     `\x9b31m`,
		"a\tb":                        "a b",
		"\xff":                        `\xff`,
		"\ufffd":                      `\ufffd`,
		"\U000e0041":                  `\U000e0041`,
		"\u2028":                      `\u2028`,
		"zw\u200bj":                   `zw\u200bj`,
		`already \u202e escaped text`: `already \u202e escaped text`,
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range hostile {
		checkText(t, "clean", clean(s))
	}
}

// FuzzClean: whatever the input, clean returns UTF-8 without a control,
// format (bidi) or invisible character, as wide as at most maxEscape
// columns per input byte, and cleaning again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := clean(s)
		checkText(t, "clean", out)
		if w := ansi.StringWidth(out); w > maxEscape*len(s) {
			t.Fatalf("clean(%q) is %d wide for %d bytes", s, w, len(s))
		}
		if again := clean(out); again != out {
			t.Fatalf("clean is not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}

// hostileReport puts s wherever the network's text reaches the screen:
// subjects, messages, fixes, records, DNS names, transcripts, host names,
// SPF records, reasons.
func hostileReport(s string) *checks.Report {
	rep := fixtureReport()
	for i := range rep.Results {
		r := &rep.Results[i]
		for j := range r.Findings {
			f := &r.Findings[j]
			f.Subject += s
			f.Host, f.Address = f.Host+s, f.Address+s
			f.Message = s + " " + f.Message + " " + s
			f.Fix += s
			f.Evidence = &checks.Evidence{
				DNS:     []dnsq.Query{{Name: s, Type: "TXT", Rcode: s, Server: s, Err: s, RTTMs: 1}},
				Records: []string{s, "v=spf1 " + s},
				SMTP:    []checks.Line{{Dir: checks.DirServer, Text: "220 " + s}, {Dir: checks.DirClient, Text: s}},
			}
		}
		switch r.ID {
		case "mx":
			r.Data = mx.Data{Hosts: []mx.Host{
				{Name: s, Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.10")}},
				{Name: "mx2." + s, Error: s},
			}}
		case "smtp":
			r.Data = smtp.Data{Hosts: []smtp.Host{{Name: s, Addresses: []smtp.Address{{
				Address: "192.0.2.10", Outcome: smtp.Outcome(s), Error: s,
				Stages:     []smtpwire.Stage{{Name: "connect", DurationMs: 1, Error: s}},
				Transcript: []smtpwire.Entry{{Dir: checks.DirServer, Text: s}, {Dir: checks.DirInfo, Text: s}},
			}}}}}
		case "tls":
			r.Data = tlscheck.Data{MTASTS: s, Hosts: []tlscheck.Host{{Name: s, DANE: s, MTASTS: &tlscheck.HostMTASTS{Verdict: tlscheck.STSWouldFail, WouldFail: s},
				Addresses: []tlscheck.Address{{Address: "192.0.2.10", Outcome: "tls", TrustError: s, MTASTSWouldFail: s}}}}}
		case "mtasts":
			r.Data = &mtasts.Data{TXT: &mtasts.TXT{Raw: s}, Policy: &mtasts.Policy{Mode: mtasts.Mode(s), MX: []string{s}}, MX: []mtasts.MXMatch{{Host: s, Pattern: s}}}
		case "spf":
			r.Data = spf.Data{Domain: s, Record: "v=spf1 " + s, Lookups: 11, LookupLimit: 10, VoidLimit: 2,
				Tree: &spf.Node{Domain: s, Record: "v=spf1 " + s, LimitTerm: s, Children: []*spf.Node{
					{Domain: s, Mechanism: "include:" + s, Error: s, VoidLimitTerm: s},
				}}}
		case "dnsbl":
			r.Data = dnsbl.Data{Addresses: []dnsbl.TargetData{{Target: "192.0.2.10", Queried: false, Zones: []dnsbl.ZoneResult{{Zone: s, Status: dnsbl.Status(s)}}}},
				Skipped: []dnsbl.Skipped{{Target: "192.0.2.11", Reason: s}}}
		case "dkim":
			r.Err = "not decided: " + s
		case "tlsrpt":
			r.Skip = s
		}
	}
	return rep
}

// hostileProfileReport is the profile run with s wherever the profile
// check's data reaches the screen (the data is copied, not changed).
func hostileProfileReport(s string) *checks.Report {
	rep := profileReport()
	for i := range rep.Results {
		r := &rep.Results[i]
		d, ok := r.Data.(*profile.Data)
		if !ok {
			continue
		}
		cp := profile.Data{Bulk: d.Bulk}
		for _, pr := range d.Providers {
			np := profile.ProviderResult{Provider: pr.Provider + profile.Provider(s), Name: pr.Name + s}
			for _, rr := range pr.Rules {
				rr.Title += s
				rr.Note = s + " " + rr.Note
				rr.Rejection = append(append([]string(nil), rr.Rejection...), s)
				rr.Evidence.Findings = append(append([]string(nil), rr.Evidence.Findings...), s)
				rr.Evidence.Data = append(append([]string(nil), rr.Evidence.Data...), s)
				rr.Source = append(append([]profile.Source(nil), rr.Source...), profile.Source{Page: s, Copy: s, Read: s})
				np.Rules = append(np.Rules, rr)
			}
			np.Rules = append(np.Rules, profile.RuleResult{ID: profile.RuleID(s), Title: s, Status: profile.Status(s), Scope: profile.Scope(s), Level: profile.Level(s), DecidedBy: profile.Decider(s), Note: s})
			cp.Providers = append(cp.Providers, np)
		}
		r.Data = &cp
	}
	return rep
}

// screens opens every screen of a model that holds a finished run.
var screens = map[string]func(Model) Model{
	"dashboard":   func(m Model) Model { return m },
	"detail":      func(m Model) Model { return press(m, "j", "j", "enter") },
	"not-decided": func(m Model) Model { return press(m, "j", "j", "j", "enter") },
	"matrix-last": func(m Model) Model { return press(m, "tab", "tab", "G") },
	"all":         func(m Model) Model { return press(m, "/", "enter") },
	"spf":         func(m Model) Model { return press(m, "tab", "j") },
	"matrix":      func(m Model) Model { return press(m, "tab", "tab") },
	"transcript":  func(m Model) Model { return press(m, "tab", "tab", "enter") },
	"help":        func(m Model) Model { return press(m, "?") },
}

// checkScreen asserts the layout of a view: exactly the terminal's height,
// no line wider than it, and no forbidden rune.
func checkScreen(t *testing.T, name string, m Model) {
	t.Helper()
	v := m.View()
	checkText(t, name, v)
	lines := strings.Split(v, "\n")
	if len(lines) != m.height {
		t.Fatalf("%s at %dx%d: %d lines\n%s", name, m.width, m.height, len(lines), v)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Fatalf("%s at %dx%d: line %d is %d wide: %q", name, m.width, m.height, i, w, l)
		}
	}
}

// FuzzScreens: hostile text anywhere in a run's results or the resolver
// error never breaks the layout nor reaches the screen unescaped.
func FuzzScreens(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, uint8(i*13), uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, s string, w, h uint8) {
		sr := &scriptedRun{report: hostileReport(s)}
		m := New(context.Background(), testOptions(Options{Domain: s, Resolvers: []string{s}, Run: sr.run, AutoStart: true}))
		next, _ := m.Update(tea.WindowSizeMsg{Width: 20 + int(w)%140, Height: 8 + int(h)%40})
		m = drive(t, next.(Model), m.Init())
		for name, open := range screens {
			checkScreen(t, name, open(m))
		}
		// The multi-domain list with hostile names, inputs and reasons.
		lr := func(ctx context.Context, domain string, ids []string, emit func(checks.Event)) (*checks.Report, error) {
			rep := hostileReport(s)
			rep.Domain = domain
			if len(domain)%2 == 0 {
				return nil, fmt.Errorf("run: %s", s)
			}
			return rep, nil
		}
		lm := New(context.Background(), testOptions(Options{Run: lr, Domains: []DomainInput{{Name: s}, {Name: s + "x", Input: s}, {Input: s, Err: s}}}))
		next, _ = lm.Update(tea.WindowSizeMsg{Width: 20 + int(w)%140, Height: 8 + int(h)%40})
		lm = drive(t, next.(Model), lm.Init())
		checkScreen(t, "domains", lm)
		checkScreen(t, "domain opened", press(lm, "enter"))
		// The Profiles pane with hostile profile data.
		size := tea.WindowSizeMsg{Width: 20 + int(w)%140, Height: 8 + int(h)%40}
		psr := &scriptedRun{report: hostileProfileReport(s)}
		pm := New(context.Background(), testOptions(Options{Domain: s, Run: psr.run, AutoStart: true}))
		next, _ = pm.Update(size)
		pm = drive(t, next.(Model), pm.Init())
		checkScreen(t, "profiles", press(pm, "tab", "tab", "tab"))
		checkScreen(t, "profiles failing", press(pm, "tab", "tab", "tab", "n", "l", "G"))
		checkScreen(t, "profiles explained", press(pm, "tab", "tab", "tab", "G", "enter", "G"))
		// A message run with a hostile message: its dashboard and Headers pane.
		raw := "From: " + s + " <a@" + s + ">\r\nSubject: " + s + "\r\nReceived: from " + s + " ([192.0.2.1]) by " + s + "; " + s + "\r\nList-Id: " + s + "\r\n\r\nbody\r\n"
		msg := message.Parse([]byte(raw), message.Options{})
		hm := New(context.Background(), testOptions(Options{Domain: s, Message: &report.MessageInfo{Message: msg}}))
		next, _ = hm.Update(size)
		hm = next.(Model)
		checkScreen(t, "message dashboard", hm)
		checkScreen(t, "headers", press(hm, "tab"))
		checkScreen(t, "headers last", press(hm, "tab", "G", "N"))
		ue := &dnsq.UntrustedError{Servers: []string{s, s}, Unreachable: len(s)%2 == 0, Reason: s,
			Queries: []dnsq.Query{{Name: s, Type: s, Rcode: s, Server: s, Err: s}}}
		for _, err := range []error{ue, fmt.Errorf("%s: %w", s, ue), fmt.Errorf("run: %s", s)} {
			em := runAgain(t, m, sr, hostileReport(s), err)
			checkScreen(t, "error", em)
			checkScreen(t, "error scrolled", press(em, "pgdown", "j"))
		}
	})
}

// FuzzHangingWords: the data section's wrapping never makes a line wider
// than the screen, and keeps every character of the text.
func FuzzHangingWords(f *testing.F) {
	for _, s := range hostile {
		f.Add(clean(s), uint8(30))
	}
	f.Add("v=spf1 mx ip4:192.0.2.0/24 include:_spf.mailprovider.example -all", uint8(40))
	f.Fuzz(func(t *testing.T, s string, w uint8) {
		s = clean(s)
		width := 20 + int(w)%120
		out := hangingWords(s, width, "  label ", "      ")
		for i, l := range strings.Split(out, "\n") {
			if lw := ansi.StringWidth(l); lw > width {
				t.Fatalf("line %d is %d wide (max %d): %q", i, lw, width, l)
			}
		}
		if got, want := strings.Join(strings.Fields(out), ""), "label"+strings.Join(strings.Fields(s), ""); got != want {
			t.Fatalf("text changed: %q -> %q", s, out)
		}
	})
}
