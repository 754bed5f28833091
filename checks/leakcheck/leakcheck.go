package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests, then waits (a bounded poll, up to 5 s) for every
// goroutine the tests started to end. When some do not, it prints their
// stacks and exits 1, as a failing test does.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := wait(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines still running after the tests:\n\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// wait polls until only the test binary's own goroutines are left, and
// returns the stacks of the others when the deadline passes.
func wait(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		leaked := others()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of the goroutine list
	}
}

// others returns the stacks of the goroutines that are neither this one
// nor the runtime's or the testing package's own.
func others() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || ignorable(g) { // the first is this goroutine
			continue
		}
		out = append(out, g)
	}
	return strings.Join(out, "\n\n")
}

func ignorable(stack string) bool {
	for _, s := range []string{
		"testing.(*M).",
		"testing.(*T).Run",
		"testing.tRunner",
		"runtime.goexit0",
		"os/signal.signal_recv",
		"os/signal.loop",
		"runtime.ensureSigM",
		"created by runtime.gc",
		"runtime.forcegchelper",
		"runtime.bgsweep",
		"runtime.bgscavenge",
		"runtime.runfinq",
		// teatest waits for SIGINT in a goroutine of its own for every
		// test model, forever: the library's, not ours.
		"teatest.NewTestModel.func2",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return strings.TrimSpace(stack) == ""
}
