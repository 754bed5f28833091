package tui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadsTypedData: the TUI reads the checks' typed data and the
// findings' host and address fields. No non-test file turns data into
// generic maps or parses a finding's subject (issue 15: a domain named
// mxroute.example once left an MTA-STS warning green because a subject
// was guessed at).
func TestReadsTypedData(t *testing.T) {
	forbidden := []struct {
		re  *regexp.Regexp
		why string
	}{
		{regexp.MustCompile(`map\[string\](any|interface\{\})`), "generic JSON maps instead of the checks' types"},
		{regexp.MustCompile(`json\.(Unmarshal|Marshal|NewDecoder)`), "a JSON round trip of the checks' data"},
		{regexp.MustCompile(`((strings|netip|strconv|regexp|net)\.[A-Za-z]+|fmt\.Sscan[a-z]*)\([^\n]*\.Subject\b`), "a finding's subject parsed"},
		{regexp.MustCompile(`\.Subject\b[^\n]*\b(Contains|HasPrefix|HasSuffix|Index|Cut|Split|Fields)\b`), "a finding's subject parsed"},
		{regexp.MustCompile(`\b(firstStr|firstNum|genericJSON|aboutRow|looksLikeOtherHost|parseSPFNode)\b`), "the key guessing issue 15 removed"},
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		n++
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, fb := range forbidden {
				if fb.re.MatchString(line) {
					t.Errorf("%s:%d: %s: %s", f, i+1, fb.why, strings.TrimSpace(line))
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d source files found: run from the package directory", n)
	}
}
