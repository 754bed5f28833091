package smtp_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/smtp"
)

// runs runs the smtp check n times in a row against one world (the same
// servers, which remember what they saw), each run with a fresh Env.
func runs(t *testing.T, w *mailtest.World, n int) []checks.Result {
	t.Helper()
	var out []checks.Result
	for range n {
		env, err := w.Env(checks.Options{Timeout: time.Second, GreetingTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r := checks.Runner{Env: env, Checks: []checks.Check{smtp.Check{}}, Registry: []checks.Check{mx.Check{}}}
		out = append(out, r.Run(context.Background(), checks.Target{Domain: "d.test", HELO: "probe.mxray.test"}).Results[0])
		env.DNS.Close()
	}
	return out
}

// probeSender matches the probe's new sender, which differs on every run.
var probeSender = regexp.MustCompile(`mxray[a-z]{12}@`)

// stable renders a result for a golden: the probe's sender is replaced.
func stable(res *checks.Result) []byte {
	return probeSender.ReplaceAll(policytest.Stable(res), []byte("mxrayNEWSENDER@"))
}

// TestGreylisting: a greylister is recognised on every run, by the words
// of its reply, by a retry it accepts, or by the new sender it defers
// where the null sender was not; a deferral nothing recognises is
// smtp.deferred (warn); one about the probe's own sender is neither.
func TestGreylisting(t *testing.T) {
	t.Parallel()
	const generic = "451 4.7.1 Try again later"
	tests := []struct {
		name string // the golden's name: testdata/golden/smtp/<name>.json (of the last run)
		// server starts the MX's server in w.
		smtpOpts *mailtest.SMTPOptions
		grey     *mailtest.GreylistOptions
		hostile  *mailtest.HostileOptions
		runs     int
		// want are the findings of every run; why the Greylisting reason
		// of the first recognised deferral in each run ("" = none).
		want []string
		why  []string
		// message is a fragment of the last run's first finding's message.
		message string
	}{
		{name: "smtp.greylisted", smtpOpts: &mailtest.SMTPOptions{Greylist: true}, runs: 3,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyReply, smtp.GreyReply, smtp.GreyReply},
			message: `deferred RCPT TO:<postmaster@d.test> from <mxrayNEWSENDER@probe.mxray.test> with "450 4.7.1 <postmaster@d.test>: Recipient address rejected: Greylisted, try again later", which says greylisting`},
		{name: "smtp.greylisted-postgrey", grey: &mailtest.GreylistOptions{Delay: time.Hour}, runs: 2,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyReply, smtp.GreyReply},
			message: "which says greylisting (the retry at once was deferred too, as greylisters do until their delay has passed); whether it accepts RCPT TO:<postmaster@d.test> is not known"},
		{name: "smtp.greylisted-retry", grey: &mailtest.GreylistOptions{Reply: generic}, runs: 2,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyRetry, smtp.GreyRetry},
			message: "and accepted the same command sent again at once: greylisting"},
		{name: "smtp.greylisted-new-sender", grey: &mailtest.GreylistOptions{Reply: generic, Delay: time.Hour, Known: []string{""}}, runs: 2,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyNewSender, smtp.GreyNewSender},
			message: "after it accepted the same recipient from the null sender"},
		{name: "smtp.greylisted-mail", grey: &mailtest.GreylistOptions{Stage: mailtest.GreylistAtMAIL, Reply: "451 4.7.1 Greylisting in action, please come back later"}, runs: 2,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyReply, smtp.GreyReply}, message: "deferred MAIL FROM:<mxrayNEWSENDER@probe.mxray.test> with"},
		{name: "smtp.greylisted-vrfy", grey: &mailtest.GreylistOptions{Stage: mailtest.GreylistAtVRFY, Reply: "450 4.7.1 <%s>: greylisted, come back later", Delay: time.Hour}, runs: 1,
			want: []string{"smtp.greylisted:info"}, why: []string{smtp.GreyReply}, message: "deferred VRFY postmaster@d.test with"},
		// A greylister that neither says so nor accepts the retry, and
		// has not let the null sender through either: nothing tells it
		// from any other temporary failure.
		{name: "smtp.deferred-unrecognised-greylisting", grey: &mailtest.GreylistOptions{Reply: generic, Delay: time.Hour}, runs: 2,
			want: []string{"smtp.deferred:warn"}, why: []string{"", ""}},
		{name: "smtp.deferred", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
			Replies: map[string]mailtest.HostileReply{"RCPT": {Text: "451 4.3.0 <postmaster@d.test>: Temporary lookup failure\r\n"}}}, runs: 1,
			want: []string{"smtp.deferred:warn"}, why: []string{""},
			message: `deferred RCPT TO:<postmaster@d.test> from <> with "451 4.3.0 <postmaster@d.test>: Temporary lookup failure", and again when sent at once; neither the reply nor the retry shows greylisting`},
		{name: "smtp.deferred-mail", hostile: &mailtest.HostileOptions{Greeting: mailtest.HostileReply{Text: "220 mx.d.test ESMTP\r\n"},
			Replies: map[string]mailtest.HostileReply{"MAIL": {Text: "452 4.3.1 Insufficient system storage\r\n"}}}, runs: 1,
			want: []string{"smtp.deferred:warn"}, why: []string{""}, message: "deferred MAIL FROM:<> with"},
		// The probe's own sender deferred for its domain says nothing.
		{name: "sender-domain-deferred", grey: &mailtest.GreylistOptions{Stage: mailtest.GreylistNever,
			SenderReply: "450 4.1.8 <%s>: Sender address rejected: Domain not found"}, runs: 1,
			want: nil, why: []string{""}},
		// A server that refuses the null sender only at RCPT: not a
		// postmaster problem.
		{name: "smtp.null-sender-rejected-rcpt", grey: &mailtest.GreylistOptions{Stage: mailtest.GreylistNever,
			NullSenderReply: "554 5.7.1 <>: Sender address rejected: Access denied"}, runs: 1,
			want: []string{"smtp.null-sender-rejected:warn"}, why: []string{""},
			message: `accepted MAIL FROM:<> but rejected RCPT TO:<postmaster@d.test> from the null sender with "554 5.7.1 <>: Sender address rejected: Access denied", and accepted it from an ordinary sender`},
		// Postmaster refused whoever sends: postmaster-rejected, as before.
		{name: "postmaster-rejected-both-senders", smtpOpts: &mailtest.SMTPOptions{RejectPostmaster: true}, runs: 1,
			want: []string{"smtp.postmaster-rejected:warn"}, why: []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, zone)
			if err := w.PTR("192.0.2.10", "mx.d.test"); err != nil {
				t.Fatal(err)
			}
			var err error
			switch {
			case tc.smtpOpts != nil:
				o := *tc.smtpOpts
				o.Hostname, o.Domains = "mx.d.test", []string{"d.test"}
				_, err = w.SMTP(o, "192.0.2.10:25")
			case tc.grey != nil:
				o := *tc.grey
				o.Hostname, o.Domains = "mx.d.test", []string{"d.test"}
				_, err = w.GreylistSMTP(o, "192.0.2.10:25")
			default:
				_, err = w.HostileSMTP(*tc.hostile, "192.0.2.10:25")
			}
			if err != nil {
				t.Fatal(err)
			}
			results := runs(t, w, tc.runs)
			senders := map[string]bool{}
			for i, res := range results {
				if got := ids(res); strings.Join(got, ",") != strings.Join(tc.want, ",") || res.Err != "" {
					t.Errorf("run %d: findings %v (error %q), want %v\n%s", i+1, got, res.Err, tc.want, dump(t, res))
				}
				a := res.Data.(smtp.Data).Hosts[0].Addresses[0]
				why := ""
				for _, d := range a.Deferrals {
					if d.Greylisting != "" {
						why = d.Greylisting
						break
					}
				}
				if why != tc.why[i] || a.Greylisted != (why != "") {
					t.Errorf("run %d: greylisting %q (greylisted %t), want %q\n%+v", i+1, why, a.Greylisted, tc.why[i], a.Deferrals)
				}
				if !probeSender.MatchString(a.Sender+"@") || senders[a.Sender] {
					t.Errorf("run %d: probe sender %q (seen before: %t)", i+1, a.Sender, senders[a.Sender])
				}
				senders[a.Sender] = true
				for _, f := range res.Findings {
					if f.Evidence == nil || len(f.Evidence.SMTP) == 0 {
						t.Errorf("%s has no transcript", f.ID)
					}
					for _, g := range goText {
						if strings.Contains(f.Message, g) {
							t.Errorf("Go error text %q in %s: %s", g, f.ID, f.Message)
						}
					}
				}
			}
			last := results[len(results)-1]
			if tc.message != "" && !slices.ContainsFunc(last.Findings, func(f checks.Finding) bool {
				return strings.Contains(probeSender.ReplaceAllString(f.Message, "mxrayNEWSENDER@"), tc.message)
			}) {
				t.Errorf("no message has %q:\n%s", tc.message, dump(t, last))
			}
			golden.Check(t, "smtp/"+tc.name+".json", stable(&last))
		})
	}
}

// The greylisting probe never sends DATA, and its transactions are the
// ones the package documents: the null sender's, then the new sender's.
func TestGreylistingTranscript(t *testing.T) {
	t.Parallel()
	w := mailtest.New(t, zone)
	if _, err := w.GreylistSMTP(mailtest.GreylistOptions{Hostname: "mx.d.test", Domains: []string{"d.test"}, Known: []string{""}}, "192.0.2.10:25"); err != nil {
		t.Fatal(err)
	}
	res := runs(t, w, 1)[0]
	a := res.Data.(smtp.Data).Hosts[0].Addresses[0]
	var cmds []string
	for _, e := range a.Transcript {
		if e.Dir == checks.DirClient {
			cmds = append(cmds, probeSender.ReplaceAllString(e.Text, "NEW@"))
		}
	}
	want := []string{"EHLO probe.mxray.test", "VRFY postmaster@d.test", "VRFY mxray-no-such-user-7f3a@d.test",
		"MAIL FROM:<> BODY=8BITMIME", "RCPT TO:<postmaster@d.test>", "RCPT TO:<mxray-relay-probe@example.net>", "RSET",
		"EHLO probe.mxray.test", "MAIL FROM:<NEW@probe.mxray.test> BODY=8BITMIME", "RCPT TO:<postmaster@d.test>", "RCPT TO:<postmaster@d.test>",
		"RSET", "QUIT"}
	if !slices.Equal(cmds, want) {
		t.Errorf("commands\n got %q\nwant %q", cmds, want)
	}
	if a.PostmasterNewSender == nil || !a.PostmasterNewSender.Accepted || !a.Postmaster.Accepted {
		t.Errorf("postmaster %+v, from the new sender %+v", a.Postmaster, a.PostmasterNewSender)
	}
}
