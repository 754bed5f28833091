package smtp_test

import (
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/golden"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/smtp"
)

// TestPTRGeneric: an MX address whose PTR name looks like a provider's
// generated name for a consumer or dynamic address is smtp.ptr-generic
// (warn), whatever else holds (the name resolves back and the greeting
// matches it); a name chosen for the server is not.
func TestPTRGeneric(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ptr string
		want      []string
		why       string // a fragment of Address.PTRGeneric
	}{
		{name: "smtp.ptr-generic", ptr: "192-0-2-10.dyn.broadband.d.test", want: []string{"smtp.ptr-generic:warn"}, why: `it contains the address as "192-0-2-10"`},
		{name: "octets reversed, dotted", ptr: "10.2.0.192.pool.d.test", want: []string{"smtp.ptr-generic:warn"}, why: `"10.2.0.192"`},
		{name: "hex", ptr: "c000020a.cust.d.test", want: []string{"smtp.ptr-generic:warn"}, why: `"c000020a"`},
		{name: "end of the address and a word", ptr: "host-2-10.cust.d.test", want: []string{"smtp.ptr-generic:warn"}, why: `"2-10" and the word "host"`},
		{name: "dsl pool", ptr: "dsl-42.pool.d.test", want: []string{"smtp.ptr-generic:warn"}, why: `"dsl"`},
		{name: "a mail server's name", ptr: "mx.d.test"},
		{name: "a numbered mail server", ptr: "mail2.d.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The PTR name resolves back and is the greeting's name: only
			// its look is at fault.
			w := mailtest.New(t, zone+tc.ptr+". IN A 192.0.2.10\n")
			if err := w.PTR("192.0.2.10", tc.ptr); err != nil {
				t.Fatal(err)
			}
			if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: tc.ptr, Domains: []string{"d.test"}}, "192.0.2.10:25"); err != nil {
				t.Fatal(err)
			}
			res := runs(t, w, 1)[0]
			if got := ids(res); strings.Join(got, ",") != strings.Join(tc.want, ",") || res.Err != "" {
				t.Fatalf("findings %v (error %q), want %v\n%s", got, res.Err, tc.want, dump(t, res))
			}
			a := res.Data.(smtp.Data).Hosts[0].Addresses[0]
			if !strings.Contains(a.PTRGeneric, tc.why) || (a.PTRGeneric == "") != (tc.why == "") {
				t.Errorf("ptr_generic %q, want %q", a.PTRGeneric, tc.why)
			}
			if a.FCrDNS == nil || !*a.FCrDNS {
				t.Errorf("fcrdns %v", a.FCrDNS)
			}
			for _, f := range res.Findings {
				if f.Evidence == nil || len(f.Evidence.DNS) == 0 {
					t.Errorf("%s has no DNS evidence", f.ID)
				}
			}
			if strings.HasPrefix(tc.name, "smtp.") {
				golden.Check(t, "smtp/"+tc.name+".json", stable(&res))
			}
		})
	}
}
