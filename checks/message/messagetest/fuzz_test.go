package messagetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/message"
	"github.com/mxray/mxray/checks/msgauthres"
	"github.com/mxray/mxray/checks/msgdkim"
	"github.com/mxray/mxray/checks/msgheaders"
	"github.com/mxray/mxray/checks/msgunsub"
)

// FuzzChecks runs the message checks that need no DNS answer over hostile
// messages: none may panic (the Runner would turn a panic into an error
// result, so the test looks for that) or report without bound.
func FuzzChecks(f *testing.F) {
	for _, name := range []string{"good", "bulk-one-click", "duplicate", "authres-disagrees", "from-multiple"} {
		f.Add(Raw(f, name))
	}
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=\r\nFrom: a@b\r\nList-Unsubscribe: <https://x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := message.Parse(raw, message.Options{Limits: message.Limits{MaxSize: 1 << 16}})
		env := &checks.Env{Now: func() time.Time { return time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC) }}
		r := &checks.Runner{Env: env, Checks: []checks.Check{msgheaders.Check{}, msgunsub.Check{}, msgdkim.Check{}, msgauthres.Check{}}}
		rep := r.Run(context.Background(), checks.Target{Domain: m.FromDomain, Message: m, AuthservIDs: []string{"mx.rcpt.example"}})
		for _, res := range rep.Results {
			if len(res.Findings) > 100 {
				t.Errorf("%s: %d findings", res.ID, len(res.Findings))
			}
			if strings.HasPrefix(res.Err, "internal error") {
				t.Errorf("%s: %s", res.ID, res.Err)
			}
		}
	})
}
