package mtasts_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
)

// TestConformanceSnawoot serves postfix-mta-sts-resolver's test policies
// from the fake world's HTTPS server and runs the whole check on each.
func TestConformanceSnawoot(t *testing.T) {
	t.Parallel()
	dir := conformance.Dir(t, "mta-sts/snawoot")
	raw, err := os.ReadFile(filepath.Join(dir, "mta-sts-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Policies []struct {
			Domain      string `json:"domain"`
			TXT         string `json:"txt_at__mta-sts"`
			Status      int    `json:"https_status"`
			ContentType string `json:"content_type"`
			Body        string `json:"policy_body"`
			Valid       bool   `json:"policy_valid"`
			Why         string `json:"why"`
		} `json:"policies"`
		TXT []struct {
			Record string `json:"record"`
			Valid  bool   `json:"valid"`
			Why    string `json:"why"`
		} `json:"txt_records"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	pass, fail := 0, 0
	for _, pc := range file.Policies {
		t.Run(pc.Domain, func(t *testing.T) {
			d := strings.TrimSuffix(pc.Domain, ".loc") + ".example"
			zone := fmt.Sprintf("%s. MX 10 mail.%s.\nmail.%s. A 192.0.2.10\n_mta-sts.%s. TXT %q\n", d, d, d, d, pc.TXT)
			w := mailtest.New(t, policytest.Base+zone)
			s, err := w.StartHTTPS("192.0.2.80")
			if err != nil {
				t.Fatal(err)
			}
			host := "mta-sts." + d
			_ = s.AddHost(host)
			body := strings.ReplaceAll(pc.Body, "mail.loc", "mail."+d)
			s.Handle(host, "/.well-known/mta-sts.txt", mailtest.Response{Status: pc.Status, ContentType: pc.ContentType, Body: []byte(body)})
			rep := policytest.Run(t, w, checks.Options{Timeout: 2 * time.Second}, checks.Target{Domain: d}, []checks.Check{mtasts.Check{}}, mx.Check{})
			res := policytest.Result(t, rep, "mtasts")
			data := res.Data.(*mtasts.Data)
			got := data.Policy != nil && !data.Policy.Fatal && (data.TXT != nil && !data.TXT.Fatal)
			if got == pc.Valid {
				pass++
			} else {
				fail++
				t.Errorf("%s (%s): valid %v, want %v; findings %v", pc.Domain, pc.Why, got, pc.Valid, policytest.IDs(res))
			}
		})
	}
	for _, tc := range file.TXT {
		r := mtasts.ParseTXT(tc.Record)
		got := mtasts.IsSTSRecord(tc.Record) && !r.Fatal
		if got == tc.Valid {
			pass++
		} else {
			fail++
			t.Errorf("TXT %q (%s): valid %v, want %v", tc.Record, tc.Why, got, tc.Valid)
		}
	}
	t.Logf("CONFORMANCE mta-sts/snawoot: %d passed, %d failed", pass, fail)
}

// TestConformanceCheckdmarc runs checkdmarc's MTA-STS record, policy and mx
// pattern cases.
func TestConformanceCheckdmarc(t *testing.T) {
	t.Parallel()
	cases := conformance.Checkdmarc(t)
	disagree := map[string]string{
		"Test.testParseMtaStsPolicyUnexpectedKey": "checkdmarc rejects an unknown policy key; RFC 8461 §3.2 allows extension fields (sts-policy-ext), which senders ignore, so mxray accepts it",
	}
	pass, fail, dis := 0, 0, 0
	for _, tc := range cases {
		for i, call := range tc.Calls {
			var arg string
			if len(call.Args) > 0 {
				_ = json.Unmarshal(call.Args[0], &arg)
			}
			var got, want bool
			switch call.Function {
			case "parse_mta_sts_record":
				got = mtasts.IsSTSRecord(arg) && !mtasts.ParseTXT(arg).Fatal && len(mtasts.ParseTXT(arg).Problems) == 0
				want = call.Raises == ""
			case "parse_mta_sts_policy":
				p := mtasts.ParsePolicy(arg)
				got, want = !p.Fatal, call.Raises == ""
				if got && strings.Contains(arg, "max_age: 86400\r\n") && p.MaxAge != 86400 {
					got = false
				}
			case "mx_in_mta_sts_patterns":
				var pats []string
				_ = json.Unmarshal(call.Args[1], &pats)
				f := &mtasts.Fact{MX: pats}
				got = f.Covers(arg)
				want = i < len(tc.Checks) && strings.Contains(tc.Checks[i].Assert, "assertTrue")
			default:
				continue
			}
			switch {
			case got == want:
				pass++
			case disagree[tc.Test] != "":
				dis++
				t.Logf("disagreement: %s: %s", tc.Test, disagree[tc.Test])
			default:
				fail++
				t.Errorf("%s: %s(%q): ok %v, checkdmarc %v (%s)", tc.Test, call.Function, arg, got, want, call.Raises)
			}
		}
	}
	t.Logf("CONFORMANCE checkdmarc (MTA-STS): %d passed, %d failed, %d known disagreements", pass, fail, dis)
}
