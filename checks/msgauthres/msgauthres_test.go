package msgauthres_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/message/messagetest"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgauthres"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgspf"
)

const rcpt = "mx.rcpt.example"

var cases = []struct {
	name     string // golden file name; also the finding ID the case exercises
	message  string // corpus message
	authserv []string
	want     []string
	status   checks.Status
	setup    func(w *mailtest.World)
}{
	{name: "pass", message: "good", authserv: []string{rcpt}, status: checks.StatusPass},
	{name: "none", message: "unsigned", authserv: []string{rcpt}, status: checks.StatusPass},
	{name: "msg-authres.untrusted", message: "good", want: []string{"msg-authres.untrusted"}, status: checks.StatusPass},
	{name: "msg-authres.disagrees", message: "authres-disagrees", authserv: []string{"MX.rcpt.example."}, want: []string{"msg-authres.disagrees"}, status: checks.StatusWarn},
	{name: "msg-authres.disagrees-spf", message: "authres-spf-disagrees", authserv: []string{rcpt}, want: []string{"msg-authres.disagrees"}, status: checks.StatusWarn},
	{name: "pass-arc", message: "authres-arc", authserv: []string{"mx.final.example"}, status: checks.StatusPass},
	{name: "msg-authres.disagrees-arc", message: "authres-arc-disagrees", authserv: []string{"mx.final.example"}, want: []string{"msg-authres.disagrees"}, status: checks.StatusWarn},
	// The forged field of evil.example is never trusted: no disagreement.
	{name: "msg-authres.untrusted-forged", message: "authres-disagrees", authserv: []string{"other.example"}, want: []string{"msg-authres.untrusted"}, status: checks.StatusPass},
	{name: "dkim-undecided", message: "good", authserv: []string{rcpt}, status: checks.StatusError,
		setup: func(w *mailtest.World) { w.DNS.Script("s1._domainkey.sender.example.", dns.TypeTXT, mailtest.ServFail) }},
}

func TestFindings(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := messagetest.Run(t, messagetest.Case{Message: tc.message, AuthservIDs: tc.authserv, Setup: tc.setup}, []checks.Check{msgauthres.Check{}}, msgdkim.Check{}, msgspf.Check{}, msgarc.Check{})
			res := policytest.Result(t, rep, msgauthres.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			policytest.Golden(t, "msg-authres/"+tc.name, res)
		})
	}
}

func TestRows(t *testing.T) {
	rep := messagetest.Run(t, messagetest.Case{Message: "good", AuthservIDs: []string{rcpt}}, []checks.Check{msgauthres.Check{}}, msgdkim.Check{})
	d := policytest.Result(t, rep, msgauthres.ID).Data.(*msgauthres.Data)
	if len(d.Rows) != 3 {
		t.Fatalf("rows %+v", d.Rows)
	}
	if r := d.Rows[0]; r.Method != "dkim" || r.Theirs != "pass" || r.Ours != "pass" || r.Agrees == nil || !*r.Agrees {
		t.Errorf("dkim row %+v", r)
	}
	// msg-spf is not in this run: the receiver's spf result stands alone.
	if r := d.Rows[1]; r.Method != "spf" || r.Ours != "" || r.Agrees != nil {
		t.Errorf("spf row without msg-spf %+v", r)
	}
	rep = messagetest.Run(t, messagetest.Case{Message: "good", AuthservIDs: []string{rcpt}}, []checks.Check{msgauthres.Check{}}, msgdkim.Check{}, msgspf.Check{})
	d = policytest.Result(t, rep, msgauthres.ID).Data.(*msgauthres.Data)
	if r := d.Rows[1]; r.Method != "spf" || r.Ours != "pass" || r.Agrees == nil || !*r.Agrees {
		t.Errorf("spf row %+v", r)
	}
	if r := d.Rows[2]; r.Method != "dmarc" || r.Ours != "" {
		t.Errorf("dmarc row (msg-dmarc is not in this run) %+v", r)
	}
	if len(d.Describe()) < 4 {
		t.Errorf("Describe: %+v", d.Describe())
	}
}

// TestDMARC compares a receiver's dmarc= with msg-dmarc's result: the
// receiver passed a message that mxray finds failing (SPF fails, nothing
// signs, p=reject), and one both pass.
func TestDMARC(t *testing.T) {
	for _, tc := range []struct {
		name    string // golden file name
		results string // the receiver's Authentication-Results
		corpus  string
		want    []string
		status  checks.Status
		ours    msgauthres.Value
	}{
		{name: "msg-authres.disagrees-dmarc", results: "spf=fail smtp.mailfrom=bounce@spf-fail.example; dmarc=pass header.from=sender.example",
			corpus: "spf-fail", want: []string{"msg-authres.disagrees"}, status: checks.StatusWarn, ours: "fail"},
		{name: "pass-dmarc", results: "dkim=pass header.d=sender.example; dmarc=pass header.from=sender.example",
			corpus: "good", status: checks.StatusPass, ours: "pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+messagetest.Zone(t)+"_dmarc.sender.example. TXT \"v=DMARC1; p=reject\"\n")
			raw := append([]byte("Authentication-Results: "+rcpt+"; "+tc.results+"\r\n"), messagetest.Raw(t, tc.corpus)...)
			m := message.Parse(raw, message.Options{})
			target := checks.Target{Domain: m.FromDomain, Message: m, AuthservIDs: []string{rcpt}}
			rep := policytest.Run(t, w, checks.Options{Timeout: 2e9}, target, []checks.Check{msgauthres.Check{}},
				msgdmarc.Check{}, msgdkim.Check{}, msgspf.Check{}, msgarc.Check{})
			res := policytest.Result(t, rep, msgauthres.ID)
			for _, id := range tc.want {
				if !policytest.Has(res, id) {
					t.Errorf("missing finding %s; got %v", id, policytest.IDs(res))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v, error %q", res.Status, tc.status, policytest.IDs(res), res.Err)
			}
			found := false
			for _, r := range res.Data.(*msgauthres.Data).Rows {
				if r.Method == "dmarc" {
					found = true
					if r.Ours != tc.ours || r.Agrees == nil {
						t.Errorf("dmarc row %+v, want ours %s", r, tc.ours)
					}
				}
			}
			if !found {
				t.Error("no dmarc row")
			}
			policytest.Golden(t, "msg-authres/"+tc.name, res)
		})
	}
}

func TestNoMessage(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	rep := policytest.Run(t, w, checks.Options{}, checks.Target{Domain: "x.example"}, []checks.Check{msgauthres.Check{}}, msgdkim.Check{})
	if res := policytest.Result(t, rep, msgauthres.ID); res.Status != checks.StatusSkip {
		t.Errorf("status %s without a message, want skip", res.Status)
	}
}

func TestEveryFindingHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, id := range policytest.Catalogue(t, msgauthres.Check{}) {
		if !covered[id] {
			t.Errorf("finding %s has no test case", id)
		}
	}
}
