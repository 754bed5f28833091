package profile_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	gdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dkim"
	"github.com/mxray/mxray/checks/dmarc"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgarc"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgdmarc"
	"github.com/mxray/mxray/checks/msgspf"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/profile"
	"github.com/mxray/mxray/checks/ptr"
	"github.com/mxray/mxray/checks/spf"
)

// runMessage runs the profile check for a message target with the
// message checks available, as `mxray analyze` would.
func runMessage(t *testing.T, zone string, opts checks.Options, target checks.Target, setup func(w *mailtest.World)) *checks.Result {
	t.Helper()
	w := mailtest.New(t, policytest.Base+zone)
	if setup != nil {
		setup(w)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2e9
	}
	rep := policytest.Run(t, w, opts, target, []checks.Check{profile.Check{}},
		mx.Check{}, spf.Check{}, dkim.Check{}, dmarc.Check{}, ptr.Check{}, msgspf.Check{}, msgdkim.Check{}, msgdmarc.Check{}, msgarc.Check{})
	return policytest.Result(t, rep, profile.ID)
}

// signed returns msg signed by good.example's key s1, and the key's p=.
func signed(t *testing.T, msg string) ([]byte, string) {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	opts := &gdkim.SignOptions{Domain: "good.example", Selector: "s1", Signer: k, Hash: crypto.SHA256,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"}}
	if err := gdkim.Sign(&b, strings.NewReader(msg), opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), base64.StdEncoding.EncodeToString(der)
}

const plainMessage = "From: a@good.example\r\nTo: c@receiver.test\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@good.example>\r\nSubject: hello\r\n\r\nbody\r\n"

func hop(ip string) string {
	return "Return-Path: <bounce@good.example>\r\nReceived: from mail.good.example (mail.good.example [" + ip + "]) by mx.receiver.test with ESMTPS id 1; Mon, 1 Jan 2026 00:00:01 +0000\r\n"
}

// Without a trusted receiver's results, mxray's own verification of the
// message decides SPF, DKIM and alignment.
func TestMessageVerifiedByMxray(t *testing.T) {
	t.Parallel()
	raw, key := signed(t, plainMessage)
	raw = append([]byte(hop("192.0.2.7")), raw...)
	target := checks.Target{Domain: "good.example", Message: message.Parse(raw, message.Options{})}
	res := runMessage(t, goodRecords, checks.Options{Profiles: []string{"gmail"}, Bulk: true}, target, func(w *mailtest.World) {
		w.DNS.Add(txt("s1._domainkey.good.example", "v=DKIM1; k=rsa; p="+key))
	})
	if res.Status != checks.StatusPass {
		t.Fatalf("status %s, err %q, findings %v", res.Status, res.Err, policytest.IDs(res))
	}
	d := data(t, res)
	for _, id := range []profile.RuleID{profile.RuleSPFOrDKIM, profile.RuleSPFAndDKIM, profile.RuleAlignment, profile.RuleTLS, profile.RuleMessageFormat} {
		if r := rule(t, d, profile.Gmail, id); r.Status != profile.StatusPass || r.DecidedBy == profile.ByDNS {
			t.Errorf("%s: %s by %s (%s)", id, r.Status, r.DecidedBy, r.Note)
		}
	}
	if r := rule(t, d, profile.Gmail, profile.RuleAlignment); !strings.Contains(r.Note, "DMARC passes") {
		t.Errorf("alignment not decided by msg-dmarc: %q", r.Note)
	}
}

// An unsigned message from an address SPF does not authorise: Gmail
// would refuse it as unauthenticated, and it does not align.
func TestMessageUnauthenticated(t *testing.T) {
	t.Parallel()
	raw := []byte(hop("192.0.2.99") + plainMessage)
	target := checks.Target{Domain: "good.example", Message: message.Parse(raw, message.Options{})}
	res := runMessage(t, goodRecords, checks.Options{Profiles: []string{"gmail"}, Bulk: true}, target, nil)
	for _, id := range []string{"profile.gmail-spf-or-dkim", "profile.gmail-alignment"} {
		if !policytest.Has(res, id) {
			t.Errorf("findings %v, want %s", policytest.IDs(res), id)
		}
	}
	if f := policytest.Find(res, "profile.gmail-spf-or-dkim"); f != nil && !strings.Contains(f.Message, "550 5.7.26") {
		t.Errorf("message %q", f.Message)
	}
	if f := policytest.Find(res, "profile.gmail-alignment"); f != nil && !strings.Contains(f.Message, "DMARC fails") {
		t.Errorf("alignment not decided by msg-dmarc: %q", f.Message)
	}
	// The message has no ARC chain: direct mail, not decided.
	if r := rule(t, data(t, res), profile.Gmail, profile.RuleARC); r.Status != profile.StatusUnknown {
		t.Errorf("arc: %+v", r)
	}
}

// When msg-dmarc ran and could not decide (its DMARC lookup timed out),
// alignment stays unknown: the record may ask for strict alignment, so
// mxray's own relaxed reading must not pass it (found in review).
func TestAlignmentUndecidedWhenDMARCIs(t *testing.T) {
	t.Parallel()
	raw, key := signed(t, plainMessage)
	raw = append([]byte(hop("192.0.2.7")), raw...)
	target := checks.Target{Domain: "good.example", Message: message.Parse(raw, message.Options{})}
	// The DMARC lookup times out; 150 ms takes the same path as 2 s, and
	// any other lookup late on a loaded machine only leaves more undecided.
	opts := checks.Options{Profiles: []string{"gmail"}, Bulk: true, Timeout: 150 * time.Millisecond}
	res := runMessage(t, goodRecords, opts, target, func(w *mailtest.World) {
		w.DNS.Add(txt("s1._domainkey.good.example", "v=DKIM1; k=rsa; p="+key))
		w.DNS.Script("_dmarc.good.example", 0, mailtest.Timeout)
	})
	d := data(t, res)
	if r := rule(t, d, profile.Gmail, profile.RuleAlignment); r.Status == profile.StatusPass || r.Status == profile.StatusFail {
		t.Errorf("alignment %s (%s) while msg-dmarc could not decide: want unknown", r.Status, r.Note)
	}
}
