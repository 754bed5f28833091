package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/mxray/mxray/report"
)

// Release builds may set these at link time; each one set replaces what
// the Go toolchain recorded in the binary:
//
//	go build -ldflags "-X main.buildVersion=v1.2.0 -X main.buildRevision=$(git rev-parse HEAD) -X main.buildTime=$(date -u +%FT%TZ)" ./cmd/mxray
var (
	buildVersion  string
	buildRevision string
	buildTime     string
)

// versionInfo is what `mxray version` prints: the module version, the
// version control revision, its time and whether the tree had uncommitted
// changes, and the Go toolchain. Fields the build did not record are "".
type versionInfo struct {
	Version   string // v1.2.0, a pseudo-version, or "devel"
	Revision  string // the commit hash
	Time      string // the commit time (RFC 3339)
	Modified  string // "true" or "false" as recorded; "" when unknown
	GoVersion string // go1.26.8
	Platform  string // linux/amd64
}

// readVersion collects the version from the build information (bi may be
// nil: a binary built without module support) and the -X overrides.
func readVersion(bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: "devel", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value
			}
		}
	}
	if buildVersion != "" {
		v.Version = buildVersion
	}
	if buildRevision != "" {
		v.Revision, v.Modified = buildRevision, ""
	}
	if buildTime != "" {
		v.Time = buildTime
	}
	return v
}

// write prints the version for people, one fact a line, saying what the
// build did not record rather than leaving it out silently.
func (v versionInfo) write(w io.Writer) {
	fmt.Fprintf(w, "mxray %s\n", v.Version)
	switch {
	case v.Revision == "":
		fmt.Fprintln(w, "  revision:  not recorded (built without version control data, e.g. by go install)")
	case v.Modified == "true":
		fmt.Fprintf(w, "  revision:  %s, with uncommitted changes\n", v.Revision)
	default:
		fmt.Fprintf(w, "  revision:  %s\n", v.Revision)
	}
	if v.Time != "" {
		fmt.Fprintf(w, "  committed: %s\n", v.Time)
	}
	fmt.Fprintf(w, "  go:        %s %s\n", v.GoVersion, v.Platform)
}

// version is the short version string (send's trace and Message-ID use it).
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return readVersion(bi).Version
}

const versionUsage = `Usage: mxray version

Prints the version of mxray, the version control revision it was built
from (and whether the tree had uncommitted changes), and the Go version.
`

func (a *app) version(args []string) (report.Exit, error) {
	fs := newFlagSet("version", a.stdout, versionUsage)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	if len(pos) > 0 {
		return 0, usagef("version takes no argument")
	}
	bi, _ := debug.ReadBuildInfo()
	readVersion(bi).write(a.stdout)
	return report.ExitOK, nil
}
