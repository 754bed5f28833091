package arc

import (
	"context"
	"strings"
	"testing"

	"github.com/mxray/mxray/checks/internal/mailcanon"
)

// FuzzVerify checks that Verify never panics on hostile bytes, always sets
// a status, gives a failure exactly when the status is not pass or none,
// and says it in plain words.
func FuzzVerify(f *testing.F) {
	testKeys(f)
	f.Add([]byte(baseMessage))
	f.Add(sealer{"fwd.example", "rsa", rsaKey}.seal(f, []byte(baseMessage), CVNone))
	f.Add([]byte("ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x; s=y; b=\r\nARC-Message-Signature: i=1; h=; bh=; b=\r\nARC-Authentication-Results: i=1; x\r\n\r\n"))
	f.Add([]byte("ARC-Seal:\r\n\r\n"))
	f.Add([]byte("ARC-Authentication-Results: i=999999999999999999999; a\r\n"))
	rec := keyRecord(f, rsaKey.Public())
	lookup := func(_ context.Context, name string) ([]string, error) { return []string{rec}, nil }
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := Verify(context.Background(), raw, lookup)
		if err != nil {
			t.Fatalf("error with a live context: %v", err)
		}
		switch res.Status {
		case StatusNone, StatusPass:
			if res.Failure != nil {
				t.Fatalf("status %s with a failure %+v", res.Status, res.Failure)
			}
		case StatusFail, StatusTempError, StatusPermError:
			if res.Failure == nil || res.Failure.Detail == "" {
				t.Fatalf("status %s without a failure", res.Status)
			}
			if strings.Contains(res.Failure.Detail, "%!") {
				t.Fatalf("detail %q", res.Failure.Detail)
			}
		default:
			t.Fatalf("status %q", res.Status)
		}
		if res.Instances > MaxInstances+1 || len(res.Sets) > MaxInstances {
			t.Fatalf("%d instances", res.Instances)
		}
	})
}

// FuzzParseAAR checks the ARC-Authentication-Results prefix parser.
func FuzzParseAAR(f *testing.F) {
	for _, s := range []string{" i=1; mx.example; spf=pass", "i=1 mx;", " mx.example; i=1;", "i=0;", "i=;", "i = 50 ;x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, text, err := parseAAR(s)
		if err != nil {
			return
		}
		if n < 1 || n > 999 {
			t.Fatalf("instance %d from %q", n, s)
		}
		if strings.ContainsAny(text, "\r\n\t") {
			t.Fatalf("text %q keeps folding", text)
		}
	})
}

// FuzzSeal checks that Seal never panics on a hostile message and that
// whatever it seals verifies: a first set always passes, whatever the
// body and header bytes.
func FuzzSeal(f *testing.F) {
	testKeys(f)
	f.Add([]byte(baseMessage))
	f.Add([]byte("From: a\r\n\r\n"))
	f.Add([]byte("Subject:  x \t\r\n\ty\r\nFrom: a\r\nFrom: b\r\n\r\n \r\n\t\r\n"))
	f.Add([]byte("Authentication-Results: mx.fwd.example; spf=pass\r\n\r\nbody"))
	rec := keyRecord(f, edKey.Public())
	lookup := func(_ context.Context, name string) ([]string, error) { return []string{rec}, nil }
	opts := SealOptions{Domain: "fwd.example", Selector: "ed", Key: edKey, AuthServID: "mx.fwd.example"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := Seal(raw, opts)
		if err != nil {
			return
		}
		msg := append(out, mailcanon.NormalizeNewlines(raw)...)
		res, err := Verify(context.Background(), msg, lookup)
		if err != nil {
			t.Fatal(err)
		}
		// A message whose own header fields look like ARC sets is not a
		// first sealing; only judge the clean case.
		if res.Instances == 1 && res.Status != StatusPass {
			t.Fatalf("sealed message: %s %+v", res.Status, res.Failure)
		}
	})
}
