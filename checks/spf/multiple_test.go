package spf

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
)

// multipleCases are domains that publish several SPF records. The domain
// gets spf.multiple (permerror) and every record is analysed on its own,
// with its own findings, so that whichever the owner keeps is known to
// be sound. The case name is the finding ID it exercises and the golden
// file's name (testdata/golden/spf/<name>.json, and <name>.data.json for
// the records in the data).
var multipleCases = []struct {
	name   string
	domain string
	zone   string
	want   []string // finding IDs that must be present
	status checks.Status
}{
	{name: "spf.multiple", domain: "two.example", want: []string{"spf.multiple"}, status: checks.StatusFail, zone: `
two.example. TXT "v=spf1 ip4:192.0.2.1 -all"
two.example. TXT "v=spf1 ip4:192.0.2.2 ~all"`},
	{name: "spf.multiple-loop", domain: "mloop.example", want: []string{"spf.multiple", "spf.loop"}, status: checks.StatusFail, zone: `
mloop.example. TXT "v=spf1 ip4:192.0.2.1 -all"
mloop.example. TXT "v=spf1 include:_spf.mloop.example -all"
_spf.mloop.example. TXT "v=spf1 include:mloop.example -all"`},
	{name: "spf.multiple-void-limit", domain: "mvoid.example", want: []string{"spf.multiple", "spf.void-limit"}, status: checks.StatusFail, zone: `
mvoid.example. TXT "v=spf1 a:nx1.mvoid.example a:nx2.mvoid.example exists:nx3.mvoid.example -all"
mvoid.example. TXT "v=spf1 mx -all"
mvoid.example. MX 10 mx.mvoid.example.
mx.mvoid.example. A 192.0.2.25`},
	{name: "spf.multiple-lookup-limit", domain: "mlimit.example", want: []string{"spf.multiple", "spf.lookup-limit", "spf.all-neutral"}, status: checks.StatusFail, zone: `
mlimit.example. TXT "v=spf1 ip4:192.0.2.1 ?all"
mlimit.example. TXT "v=spf1 include:l1.mlimit.example include:l2.mlimit.example include:l3.mlimit.example include:l4.mlimit.example include:l5.mlimit.example include:l6.mlimit.example -all"
l1.mlimit.example. TXT "v=spf1 a -all"
l2.mlimit.example. TXT "v=spf1 a -all"
l3.mlimit.example. TXT "v=spf1 a -all"
l4.mlimit.example. TXT "v=spf1 a -all"
l5.mlimit.example. TXT "v=spf1 a -all"
l6.mlimit.example. TXT "v=spf1 a -all"
l1.mlimit.example. A 192.0.2.1
l2.mlimit.example. A 192.0.2.2
l3.mlimit.example. A 192.0.2.3
l4.mlimit.example. A 192.0.2.4
l5.mlimit.example. A 192.0.2.5
l6.mlimit.example. A 192.0.2.6`},
	{name: "spf.multiple-syntax", domain: "msyn.example", want: []string{"spf.multiple", "spf.syntax", "spf.all-pass", "spf.include-no-record"}, status: checks.StatusFail, zone: `
msyn.example. TXT "v=spf1 ip4:192.0.2.1 foo:bar -all"
msyn.example. TXT "v=spf1 include:gone.msyn.example +all"
msyn.example. TXT "v=spf1 -all"`},
}

func TestMultipleRecords(t *testing.T) {
	for _, tc := range multipleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := mailtest.New(t, policytest.Base+tc.zone)
			res := runCheck(t, w, checks.Target{Domain: tc.domain})
			for _, id := range tc.want {
				if has(res.Findings, id) == nil {
					t.Errorf("missing finding %s; got %v", id, ids(res.Findings))
				}
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s; findings %v", res.Status, tc.status, ids(res.Findings))
			}
			d := res.Data.(Data)
			m := has(res.Findings, "spf.multiple")
			n := len(m.Evidence.Records)
			if len(d.Records) != n || d.Record != "" || d.Lookups != 0 {
				t.Fatalf("data: %d records analysed of %d, record %q, lookups %d", len(d.Records), n, d.Record, d.Lookups)
			}
			// Every finding but spf.multiple is about one record, and says
			// which: the subject for people, the message in words.
			for _, f := range res.Findings {
				if f.ID == "spf.multiple" || f.ID == "spf.dns-error" || !strings.HasPrefix(f.Subject, tc.domain) {
					continue
				}
				i := 0
				if _, err := fmt.Sscanf(strings.TrimPrefix(f.Subject, tc.domain), " (record %d of "+fmt.Sprint(n)+")", &i); err != nil || i < 1 || i > n {
					t.Errorf("%s: subject %q does not name the record", f.ID, f.Subject)
					continue
				}
				if want := fmt.Sprintf("%s's SPF record %d of %d", tc.domain, i, n); !strings.Contains(f.Message, want) && f.ID != "spf.loop" {
					t.Errorf("%s: message %q does not say %q", f.ID, f.Message, want)
				}
				if len(f.Evidence.Records) == 0 || f.Evidence.Records[0] != d.Records[i-1].Record && f.ID != "spf.loop" {
					t.Errorf("%s: evidence %v, want record %d %q", f.ID, f.Evidence.Records, i, d.Records[i-1].Record)
				}
			}
			for i, r := range d.Records {
				if r.Index != i+1 || r.Tree == nil || r.Record == "" {
					t.Errorf("record %d: %+v", i+1, r)
				}
				if i > 0 && d.Records[i-1].Record > r.Record {
					t.Errorf("records not in the order of their text: %q before %q", d.Records[i-1].Record, r.Record)
				}
			}
			for _, s := range texts(res) {
				for _, p := range plainProblems(s) {
					t.Errorf("%q: %s", s, p)
				}
			}
			policytest.Golden(t, "spf/"+tc.name, &res)
			b, err := json.MarshalIndent(d.Records, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "spf/"+tc.name+".data.json", append(b, '\n'))
		})
	}
}

// TestMultipleRecordsBounded: a hostile answer with many SPF records is
// analysed up to maxRecords records, with findings bounded.
func TestMultipleRecordsBounded(t *testing.T) {
	w := mailtest.New(t, policytest.Base)
	for i := range 40 {
		w.DNS.Add(&dns.TXT{Hdr: dns.RR_Header{Name: "many.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300},
			Txt: []string{fmt.Sprintf("v=spf1 ptr include:many.example a:nx%d.many.example +all", i)}})
	}
	res := runCheck(t, w, checks.Target{Domain: "many.example"})
	d := res.Data.(Data)
	if len(d.Records) != maxRecords {
		t.Errorf("%d records analysed, want %d", len(d.Records), maxRecords)
	}
	if f := has(res.Findings, "spf.multiple"); f == nil || !strings.Contains(f.Message, "publishes 40 SPF records") || !strings.Contains(f.Message, "first 10") {
		t.Errorf("spf.multiple: %+v", f)
	}
	if len(res.Findings) > 6*maxRecords+2 {
		t.Errorf("%d findings for %d analysed records", len(res.Findings), maxRecords)
	}
}
