package bimi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/internal/conformance"
)

// TestConformanceCheckdmarc runs checkdmarc's BIMI record cases that need
// no mocked HTTP.
func TestConformanceCheckdmarc(t *testing.T) {
	cases := conformance.Checkdmarc(t)
	disagree := map[string]string{
		"TestParseBimiRecord.testValidAvp": "checkdmarc accepts `v=BIMI1; avp=brand`; mxray reports a record with neither l= nor a= as invalid (l= carries the logo; a declination record writes `l=` explicitly)",
	}
	pass, fail, dis, na := 0, 0, 0, 0
	for _, tc := range cases {
		for _, call := range tc.Calls {
			if call.Function != "parse_bimi_record" {
				continue
			}
			var rec string
			if tc.UsesMocks || json.Unmarshal(call.Args[0], &rec) != nil {
				na++
				continue
			}
			r := bimi.Parse(rec)
			ok := bimi.IsBIMI(rec) && len(r.Problems) == 0
			want := call.Raises == ""
			switch {
			case ok == want:
				pass++
			case disagree[tc.Test] != "" || (want && len(r.Problems) == 1 && strings.Contains(r.Problems[0], "no l= tag")):
				dis++
				t.Logf("disagreement: %s: %q: checkdmarc accepts a record without l=; mxray requires l= (or a=), since without it there is no logo: %v", tc.Test, rec, r.Problems)
			default:
				fail++
				t.Errorf("%s: %q: ok %v, checkdmarc raises %q; problems %v", tc.Test, rec, ok, call.Raises, r.Problems)
			}
		}
	}
	t.Logf("CONFORMANCE checkdmarc (BIMI records): %d passed, %d failed, %d known disagreements, %d not applicable (mocked HTTP)", pass, fail, dis, na)
}
