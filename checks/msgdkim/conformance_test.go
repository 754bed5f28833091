package msgdkim_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/conformance"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgdkim"
)

// zoneOf turns "name record" lines into zone text, with an SOA for each
// top-level domain so the test server answers NXDOMAIN beside them.
func zoneOf(recs map[string]string) string {
	var b strings.Builder
	tlds := map[string]bool{}
	for name, rec := range recs {
		labels := strings.Split(strings.TrimSuffix(name, "."), ".")
		tlds[labels[len(labels)-1]] = true
		var chunks []string
		for len(rec) > 255 {
			chunks = append(chunks, rec[:255])
			rec = rec[255:]
		}
		chunks = append(chunks, rec)
		fmt.Fprintf(&b, "%s. TXT \"%s\"\n", strings.TrimSuffix(name, "."), strings.Join(chunks, "\" \""))
	}
	head := "$ORIGIN .\n$TTL 300\n. IN SOA a.root.example. h.example. 1 3600 600 86400 300\n"
	for tld := range tlds {
		head += tld + ". IN SOA a.root.example. h.example. 1 3600 600 86400 300\n"
	}
	return head + b.String()
}

// verify runs msg-dkim over raw in a world serving recs.
func verify(t *testing.T, raw []byte, recs map[string]string, setup func(w *mailtest.World)) *checks.Result {
	return verifyWithin(t, raw, recs, setup, time.Second)
}

// verifyWithin is verify with each lookup bounded by timeout.
func verifyWithin(t *testing.T, raw []byte, recs map[string]string, setup func(w *mailtest.World), timeout time.Duration) *checks.Result {
	t.Helper()
	w := mailtest.New(t, zoneOf(recs))
	if setup != nil {
		setup(w)
	}
	m := message.Parse(raw, message.Options{})
	rep := policytest.Run(t, w, checks.Options{Timeout: timeout}, checks.Target{Domain: m.FromDomain, Message: m}, []checks.Check{msgdkim.Check{}})
	return policytest.Result(t, rep, msgdkim.ID)
}

// TestStalwart: the six messages of stalwartlabs/mail-auth that must
// verify (RFC 8463's example, real ietf.org, facebookmail.com and
// topicbox.com mail), each with its key records at the top of the file.
func TestStalwart(t *testing.T) {
	dir := conformance.Dir(t, "dkim/stalwart-mail-auth")
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("%03d.txt", i)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
			head, msg, _ := bytes.Cut(b, []byte("\n\n"))
			recs := map[string]string{}
			for _, line := range strings.Split(string(head), "\n") {
				if n, r, ok := strings.Cut(line, " "); ok {
					recs[n] = r
				}
			}
			res := verify(t, msg, recs, nil)
			d := res.Data.(*msgdkim.Data)
			// 005's signature expired (x=) in 2022, after the message
			// arrived: it can no longer be verified, which is not a fail.
			want, status := msgdkim.ReasonNone, checks.StatusPass
			if name == "005.txt" {
				want, status = msgdkim.ReasonExpiredSince, checks.StatusError
			}
			for _, s := range d.Signatures {
				if s.Reason != want {
					t.Errorf("d=%s s=%s: %s (%s)", s.Domain, s.Selector, s.Reason, s.Detail)
				}
			}
			if res.Status != status {
				t.Errorf("status %s (%s), findings %v", res.Status, res.Err, policytest.IDs(res))
			}
		})
	}
}

// TestRFC8463: the RFC's example, signed with Ed25519 and RSA: both pass.
func TestRFC8463(t *testing.T) {
	dir := conformance.Dir(t, "dkim/rfc")
	raw, err := os.ReadFile(filepath.Join(dir, "rfc8463-appendix-a3-signed.eml"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(dir, "rfc8463-keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]string{}
	for _, line := range strings.Split(string(keys), "\n") {
		if n, r, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
			recs[n] = r
		}
	}
	res := verify(t, raw, recs, nil)
	d := res.Data.(*msgdkim.Data)
	if len(d.Signatures) != 2 || !d.Signatures[0].Pass || !d.Signatures[1].Pass {
		t.Errorf("%+v", d.Signatures)
	}
}

// TestMailDKIM: cases of Mail::DKIM's verifier corpus whose keys go-msgauth
// can use (its test keys are mostly 512-bit RSA, which RFC 8301 forbids:
// those are the key-too-small lint), each with the reason mxray gives.
// Mail::DKIM's "invalid" and "fail" map to the reasons below; its DNS
// errors are undecided here (status error), never a verdict.
func TestMailDKIM(t *testing.T) {
	dir := conformance.Dir(t, "dkim/mail-dkim")
	recs := map[string]string{}
	var timeouts, servfails []string
	b, err := os.ReadFile(filepath.Join(dir, "FAKE_DNS.dat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		name, rec, _ := strings.Cut(line, " ")
		rec = strings.TrimSpace(rec)
		switch rec {
		case "NXDOMAIN":
		case "~~Query timed out~~":
			timeouts = append(timeouts, name)
		case "~~SERVFAIL~~":
			servfails = append(servfails, name)
		case `""`:
			recs[name] = ""
		default:
			recs[name] = rec
		}
	}
	setup := func(w *mailtest.World) {
		for _, n := range timeouts {
			w.DNS.Script(dns.Fqdn(n), dns.TypeTXT, mailtest.Timeout)
		}
		for _, n := range servfails {
			w.DNS.Script(dns.Fqdn(n), dns.TypeTXT, mailtest.ServFail)
		}
	}
	for _, tc := range []struct {
		file   string
		reason msgdkim.Reason // of the first signature; ReasonNone = pass
		status checks.Status
	}{
		{"goodkey_ed25519.txt", msgdkim.ReasonNone, checks.StatusPass},
		{"badkey1_ed25519.txt", msgdkim.ReasonKeyInvalid, checks.StatusFail},
		{"badkey2_ed25519.txt", msgdkim.ReasonSignature, checks.StatusFail},
		{"badkey3_ed25519.txt", msgdkim.ReasonBodyHash, checks.StatusFail},
		{"badkey4_ed25519.txt", msgdkim.ReasonKeyMissing, checks.StatusFail},
		{"badkey5_ed25519.txt", msgdkim.ReasonKeyInvalid, checks.StatusFail},
		{"badkey_1.txt", msgdkim.ReasonMalformed, checks.StatusFail}, // v=0.5, a pre-RFC draft
		// A DNS failure is undecided; the rsa-sha1 lint stands on its own.
		{"badkey_14.txt", msgdkim.ReasonDNS, checks.StatusFail},
		{"badkey_15.txt", msgdkim.ReasonDNS, checks.StatusFail},
		{"ignore_1.txt", msgdkim.ReasonMalformed, checks.StatusFail},
		{"ignore_2.txt", msgdkim.ReasonMalformed, checks.StatusFail},
		{"ignore_8.txt", msgdkim.ReasonMalformed, checks.StatusFail},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(dir, "corpus", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			// A key lookup meant to fail (time out, SERVFAIL) is bounded
			// short: a lookup late on a loaded machine fails towards the
			// same undecided reason.
			timeout := time.Second
			if tc.reason == msgdkim.ReasonDNS {
				timeout = 150 * time.Millisecond
			}
			res := verifyWithin(t, raw, recs, setup, timeout)
			d := res.Data.(*msgdkim.Data)
			if len(d.Signatures) == 0 {
				t.Fatal("no signature read")
			}
			if s := d.Signatures[0]; s.Reason != tc.reason {
				t.Errorf("reason %q (%s), want %q", s.Reason, s.Detail, tc.reason)
			}
			if res.Status != tc.status {
				t.Errorf("status %s (%s), want %s; findings %v", res.Status, res.Err, tc.status, policytest.IDs(res))
			}
		})
	}
}
