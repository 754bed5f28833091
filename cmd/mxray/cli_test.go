package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/mxray/mxray/report"
)

// TestHelpWritesFlagsAsTyped: -h lists long flags with two dashes and the
// one-letter ones with one, as the README writes them.
func TestHelpWritesFlagsAsTyped(t *testing.T) {
	for _, cmd := range []string{"check", "demo", "send", "explain", "version"} {
		t.Run(cmd, func(t *testing.T) {
			r := runApp(t, nil, "", cmd, "-h")
			if r.code != report.ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, l := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(l, "  -") && !strings.HasPrefix(l, "  --") {
					name, _, _ := strings.Cut(strings.TrimPrefix(l, "  -"), " ")
					if len(name) != 1 {
						t.Errorf("long flag with one dash: %q", l)
					}
				}
			}
		})
	}
	r := runApp(t, nil, "", "check", "-h")
	for _, want := range []string{"  --json\n", "  --fail-on string\n", "  -v\n", "  -f string\n", `(default "fail")`, "(default 8)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check -h lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestExplainACheckListsItsIDs: "explain spf" lists the spf.* IDs.
func TestExplainACheckListsItsIDs(t *testing.T) {
	for _, arg := range []string{"spf", "SPF", "spf."} {
		r := runApp(t, nil, "", "explain", arg)
		if r.code != report.ExitOK {
			t.Fatalf("explain %s: exit %d: %s", arg, r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) < 5 || !strings.Contains(r.stdout, "spf.lookup-limit") {
			t.Fatalf("explain %s:\n%s", arg, r.stdout)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "spf.") {
				t.Errorf("explain %s lists %q", arg, l)
			}
		}
	}
}

// TestValuesIgnoreCase: --fail-on and --format values are case-insensitive.
func TestValuesIgnoreCase(t *testing.T) {
	t.Parallel()
	w := sharedDemoWorld(t)
	r := runApp(t, w, "", "check", "broken.example", "--only", "mx", "--resolver", w.DNS.Addr(), "--format", "JSON", "--fail-on", "WARN")
	if r.code != report.ExitFindings || !strings.HasPrefix(r.stdout, "{") {
		t.Fatalf("exit %d, stderr %q, stdout %.80q", r.code, r.stderr, r.stdout)
	}
	r = runApp(t, w, "", "check", "good.example", "--only", "mx", "--resolver", w.DNS.Addr(), "--format", " NDJson ", "--fail-on", "Fail")
	if r.code != report.ExitOK || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
	}
}

func TestReadVersion(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mxray/mxray", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mxray/mxray", Version: "v1.4.0"}}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want []string
	}{
		{"clone build", vcs, []string{"mxray devel\n", "revision:  0123456789abcdef, with uncommitted changes\n", "committed: 2026-12-01T10:00:00Z\n", "go:        go1.26.8 " + runtime.GOOS}},
		{"go install @latest", installed, []string{"mxray v1.4.0\n", "revision:  not recorded", "go:        go1.26.8"}},
		{"no build info", nil, []string{"mxray devel\n", "revision:  not recorded", "go:        " + runtime.Version()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			readVersion(tt.bi).write(&b)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestVersionOfARealBuild builds mxray as a clone user would, with version
// control stamping forced on (some machines set GOFLAGS=-buildvcs=false)
// and a release version set with -ldflags -X, and runs `mxray version` and
// `mxray --version`.
//
// The build is the longest wait of the package, so it starts before
// t.Parallel, while the tests that are not parallel run, and the test
// waits for it once its parallel turn comes.
func TestVersionOfARealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (or no git): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mxray")
	build := exec.Command(gobin, "build", "-buildvcs=true", "-ldflags=-X main.buildVersion=v9.9.9-test", "-o", bin, ".")
	var buildOut bytes.Buffer
	build.Stdout, build.Stderr = &buildOut, &buildOut
	if err := build.Start(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	var buildErr error
	built := make(chan struct{})
	go func() { buildErr = build.Wait(); close(built) }()
	t.Cleanup(func() { _ = build.Process.Kill(); <-built }) // a no-op once it ended
	t.Parallel()
	select {
	case <-built:
	case <-time.After(5 * time.Minute):
		t.Fatal("go build did not end within 5 minutes") // its output is still being written: not shown
	}
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut.String())
	}
	// Others may commit while this builds: the revision is HEAD before or after.
	rev2, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil && strings.Contains(string(out), "revision:  not recorded") {
			if st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !st.IsDir() {
				t.Skip("a git worktree: the go command stamps VCS data only where .git is a directory")
			}
		}
		if !strings.Contains(string(out), "revision:  "+strings.TrimSpace(string(rev))) && !strings.Contains(string(out), "revision:  "+strings.TrimSpace(string(rev2))) {
			t.Errorf("mxray %s does not name the revision %s:\n%s", arg, rev, out)
		}
		for _, want := range []string{"mxray v9.9.9-test\n", "committed: 20", "go:        " + runtime.Version()} {
			if !strings.Contains(string(out), want) {
				t.Errorf("mxray %s lacks %q:\n%s", arg, want, out)
			}
		}
	}
}
