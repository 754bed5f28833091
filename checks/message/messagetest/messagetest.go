package messagetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/internal/policytest"
	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/message"
)

// Dir returns the corpus directory, <repo>/testdata/messages.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "messages")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("messagetest: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Raw returns the bytes of the corpus message name (without .eml).
func Raw(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), name+".eml"))
	if err != nil {
		tb.Fatalf("messagetest: %v (run go test ./checks/message/messagetest -update to write the corpus)", err)
	}
	return b
}

// Zone returns the zone text that publishes the corpus keys.
func Zone(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), "zone.txt"))
	if err != nil {
		tb.Fatalf("messagetest: %v", err)
	}
	return string(b)
}

// Case is one run of message checks over a corpus message.
type Case struct {
	Message     string   // corpus name, without .eml
	AuthservIDs []string // checks.Target.AuthservIDs
	ReceivedBy  string   // message.Options.ReceivedBy
	// Setup changes the world before the run (e.g. scripts a SERVFAIL).
	Setup func(w *mailtest.World)
}

// Run runs the checks cs (registry resolving their Needs) over the case's
// message in a world serving the corpus zone, at policytest.Now.
func Run(tb testing.TB, c Case, cs []checks.Check, registry ...checks.Check) *checks.Report {
	tb.Helper()
	w := mailtest.New(tb, policytest.Base+Zone(tb))
	if c.Setup != nil {
		c.Setup(w)
	}
	m := message.Parse(Raw(tb, c.Message), message.Options{ReceivedBy: c.ReceivedBy})
	t := checks.Target{Domain: m.FromDomain, Input: m.FromDomain, Message: m, AuthservIDs: c.AuthservIDs}
	return policytest.Run(tb, w, checks.Options{Timeout: 2e9}, t, cs, registry...)
}
