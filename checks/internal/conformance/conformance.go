package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Env names the variable that overrides the conformance data directory.
const Env = "MXRAY_CONFORMANCE"

// Root returns $MXRAY_CONFORMANCE, or ../shared/conformance relative to
// the repository root (the directory holding go.mod above the test's
// working directory). It fails the test when there is no go.mod.
func Root(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(Env); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("conformance: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ExpectEnv names the variable that makes missing conformance data a test
// failure instead of a skip (CI sets it, as it sets MXRAY_EXPECT_POSTFIX),
// so that the conformance figures in the README are something CI checks.
const ExpectEnv = "MXRAY_EXPECT_CONFORMANCE"

// Dir returns the directory sub (slash-separated) of the conformance data.
// When it is absent the test skips with a message naming the path and
// MXRAY_CONFORMANCE, or fails when MXRAY_EXPECT_CONFORMANCE=1.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	p := filepath.Join(Root(tb), filepath.FromSlash(sub))
	if _, err := os.Stat(p); err != nil {
		Missing(tb, "conformance data not found at %s (set %s to the directory holding %s): %v", p, Env, sub, err)
	}
	return p
}

// Missing skips the test for missing conformance data with the message, or
// fails it when MXRAY_EXPECT_CONFORMANCE=1.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv(ExpectEnv) == "1" {
		tb.Fatalf(ExpectEnv+"=1 but "+format, args...)
	}
	tb.Skipf("skipping: "+format, args...)
}

// CheckdmarcCase is one test of checkdmarc's suite
// (checkdmarc/checkdmarc-cases.json): the library calls it makes and the
// assertions on their results.
type CheckdmarcCase struct {
	// Test names the upstream test ("Class.method").
	Test string `json:"test"`
	// UsesMocks: the test mocks DNS or HTTP, so its calls' results depend
	// on data the case does not carry.
	UsesMocks bool               `json:"uses_mocks"`
	Calls     []CheckdmarcCall   `json:"calls"`
	Checks    []CheckdmarcAssert `json:"checks"`
}

// CheckdmarcCall is one call to a checkdmarc function.
type CheckdmarcCall struct {
	Function string            `json:"function"`
	Args     []json.RawMessage `json:"args"`
	// Raises is the exception the call raises ("" when it returns).
	Raises string `json:"raises"`
}

// CheckdmarcAssert is one assertion of a checkdmarc test.
type CheckdmarcAssert struct {
	// Assert is the assertion's source text.
	Assert string `json:"assert"`
	// Raises is the exception the assertion expects, if any.
	Raises string `json:"raises"`
}

// Checkdmarc returns checkdmarc's test cases, skipping the test where the
// checkdmarc directory is absent and failing it when the case file there
// cannot be read.
func Checkdmarc(tb testing.TB) []CheckdmarcCase {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(Dir(tb, "checkdmarc"), "checkdmarc-cases.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Cases []CheckdmarcCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		tb.Fatal(err)
	}
	return file.Cases
}
