package all_test

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/bimi"
	"github.com/mxray/mxray/checks/demo"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/dnsbl"
	"github.com/mxray/mxray/checks/dnscheck"
	"github.com/mxray/mxray/checks/mtasts"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/smtp"
	"github.com/mxray/mxray/checks/spf"
	"github.com/mxray/mxray/checks/tlscheck"
	"github.com/mxray/mxray/checks/tlsrpt"
)

// want is one line Describe must list: a label and a part of its value.
type want struct{ label, value string }

// TestDescribe runs every check against the demo world and asserts that
// each check's data lists what it read: the record, the answer, the
// certificate or the banner a verdict was concluded from.
func TestDescribe(t *testing.T) {
	w, err := demo.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ips := map[string][]netip.Addr{
		"good.example":   {netip.MustParseAddr("192.0.2.10")},
		"broken.example": {netip.MustParseAddr("192.0.2.20")},
	}
	items := map[string][]checks.Item{} // "<domain> <check>"
	for _, d := range []string{"good.example", "broken.example", "nomail.example", "badtls.example"} {
		env, err := w.Env(checks.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rep := (&checks.Runner{Env: env, Checks: all.Checks()}).Run(context.Background(), checks.Target{Domain: d, IPs: ips[d], HELO: "demo.mxray.invalid"})
		env.DNS.Close()
		for _, r := range rep.Results {
			items[d+" "+r.ID] = checks.DescribeData(r.Data)
		}
	}
	tests := []struct {
		name string // "<domain> <check>"
		want []want
	}{
		{"good.example dns", []want{{"name servers", "ns1.good.example, ns2.good.example"}, {"DNSSEC", "secure"}, {"decided by", "good.example NS: NOERROR with AD"}}},
		{"nomail.example dns", []want{{"DNSSEC", "insecure"}, {"decided by", "without AD"}}},
		{"good.example mx", []want{{"MX 10", "mx1.good.example"}, {"address", "192.0.2.10"}, {"address", "2001:db8::10"}, {"MX 20", "mx2.good.example"}}},
		{"broken.example mx", []want{{"MX 0", "null MX, beside other MX"}, {"alias of", "host.broken.example"}, {"address", "none"}}},
		{"nomail.example mx", []want{{"MX 0", "null MX: the domain accepts no mail"}}},
		{"good.example spf", []want{{"record", "v=spf1 mx ip4:192.0.2.0/24 include:_spf.mailprovider.example -all"}, {"DNS lookups", "2 of 10"},
			{"include:_spf.mailprovider.example", "running count 2→2 of 10"}, {"decided by", "mx"}, {"evaluation", "pass for 192.0.2.10"}}},
		{"broken.example spf", []want{{"DNS lookups", "15 of 10"}, {"void lookups", "4 of 2"}, {"11th lookup", "include:_spf.helpdesk.example"},
			{"3rd void lookup", "a:out.bulk.example"}, {"evaluation", "permerror for 192.0.2.20"}}},
		{"good.example dkim", []want{{"selector selector1", "key found"}, {"key", "rsa 2048 bits"}, {"record", "v=DKIM1; k=rsa; p=MIIB"}, {"selectors probed", "selector1"}}},
		{"broken.example dkim", []want{{"key", "rsa 1024 bits"}, {"flags", "t=y"}, {"key", "revoked"}}},
		{"good.example dmarc", []want{{"record", "v=DMARC1; p=reject"}, {"found at", "_dmarc.good.example"}, {"_dmarc.good.example", "v=DMARC1"}, {"policy", "reject"}, {"rua", "mailto:dmarc-reports@good.example"}}},
		{"broken.example dmarc", []want{{"external destination", "not authorised"}, {"testing", "t=y"}}},
		{"nomail.example dmarc", []want{{"external destination", "authorised by nomail.example._report._dmarc.good.example"}}},
		{"good.example mtasts", []want{{"TXT record", "v=STSv1; id="}, {"fetch", "HTTP 200"}, {"mode", "enforce"}, {"max_age", "604800 seconds"}, {"mx", "mx1.good.example"}, {"MX host mx2.good.example", "covered by"}}},
		{"broken.example mtasts", []want{{"mode", "testing"}, {"MX host nowhere.broken.example", "not covered"}}},
		{"good.example tlsrpt", []want{{"record", "v=TLSRPTv1; rua=mailto:tls-reports@good.example"}, {"DANE deployed", "yes (mx1.good.example)"}}},
		{"good.example bimi", []want{{"record", "v=BIMI1"}, {"found at", "default._bimi.good.example"}, {"fetch", "HTTP 200"}, {"SVG", "baseProfile tiny-ps"}, {"title", "Good Example Inc."}}},
		{"broken.example bimi", []want{{"problem", "<script>"}}},
		{"good.example smtp", []want{{"EHLO name sent", "demo.mxray.invalid"}, {"banner", "mx1.good.example ESMTP"}, {"extensions", "STARTTLS"},
			{"STARTTLS", "yes, TLS 1."}, {"MAIL FROM:<>", "accepted"}, {"timings", "banner"}, {"PTR", "mx1.good.example (resolves back)"}}},
		{"broken.example smtp", []want{{"STARTTLS", "no"}, {"RCPT TO:<postmaster@broken.example>", "550"}}},
		{"good.example tls", []want{{"TLS", "TLS 1.3"}, {"certificate", "CN=mx1.good.example"}, {"names", "mx1.good.example"}, {"issuer", "mxray test"},
			{"not after", "UTC"}, {"TLSA", "3 1 1 "}, {"TLSA match", "3 1 1 "}, {"DANE", "applies"}}},
		{"badtls.example tls", []want{{"expired", "days ago"}, {"name matches", "no"}, {"issuer trusted (PKIX)", "self-signed"}, {"old protocols accepted", "TLS 1.1"}}},
		{"broken.example dnsbl", []want{{"address 192.0.2.20", "listed"}, {"zen.spamhaus.org", "listed (127.0.0.4"}, {"domain broken.example", "listed"}, {"not asked nowhere.broken.example", "no A or AAAA"}}},
		{"good.example dnsbl", []want{{"address 192.0.2.10", "clean"}, {"zen.spamhaus.org", "clean"}}},
		{"good.example ptr", []want{{"address 192.0.2.10", "ok"}, {"PTR mx1.good.example", "resolves back"}, {"forward-confirmed", "yes"}}},
		{"broken.example ptr", []want{{"PTR dsl-192-0-2-20.isp.example", "does not resolve back"}, {"looks generic", "192-0-2-20"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := items[tc.name]
			for _, w := range tc.want {
				if !hasItem(got, w) {
					t.Errorf("no item %q containing %q in\n%s", w.label, w.value, dump(got))
				}
			}
		})
	}
}

func hasItem(items []checks.Item, w want) bool {
	for _, it := range items {
		if it.Label == w.label && strings.Contains(it.Value, w.value) {
			return true
		}
	}
	return false
}

func dump(items []checks.Item) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(strings.Repeat("  ", it.Depth) + it.Label + ": " + it.Value + "\n")
	}
	return b.String()
}

// dataValues are a zero value of every check's data type.
var dataValues = []any{dnscheck.Data{}, mx.Data{}, spf.Data{}, dkim.Data{}, dmarc.Data{}, mtasts.Data{},
	tlsrpt.Data{}, bimi.Data{}, smtp.Data{}, tlscheck.Data{}, dnsbl.Data{}, ptr.Data{}, profile.Data{}}

// TestDescribePartial calls Describe on zero values and on values whose
// every pointer is set and every slice holds one zero element (nested a
// few levels): data cut short must never crash a renderer. A nil pointer
// goes through checks.DescribeData, which yields nothing.
func TestDescribePartial(t *testing.T) {
	if len(dataValues) != len(all.Checks()) {
		t.Fatalf("%d data values for %d checks", len(dataValues), len(all.Checks()))
	}
	for _, v := range dataValues {
		typ := reflect.TypeOf(v)
		t.Run(typ.String(), func(t *testing.T) {
			d, ok := v.(checks.Describer)
			if !ok {
				t.Fatalf("%s does not implement checks.Describer", typ)
			}
			d.Describe()
			filled := fill(typ, 4).Interface().(checks.Describer)
			if len(filled.Describe()) == 0 {
				t.Errorf("a filled %s describes nothing", typ)
			}
			if items := checks.DescribeData(reflect.Zero(reflect.PointerTo(typ)).Interface()); items != nil {
				t.Errorf("nil *%s describes %v", typ, items)
			}
		})
	}
}

// fill returns a value of typ whose pointers are set and slices hold one
// element, down to depth levels.
func fill(typ reflect.Type, depth int) reflect.Value {
	v := reflect.New(typ).Elem()
	if depth == 0 {
		return v
	}
	switch typ.Kind() {
	case reflect.Pointer:
		v.Set(fill(typ.Elem(), depth-1).Addr())
	case reflect.Slice:
		s := reflect.MakeSlice(typ, 1, 1)
		s.Index(0).Set(fill(typ.Elem(), depth-1))
		v.Set(s)
	case reflect.Struct:
		for i := range typ.NumField() {
			if typ.Field(i).IsExported() {
				v.Field(i).Set(fill(typ.Field(i).Type, depth-1))
			}
		}
	}
	return v
}
