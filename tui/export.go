package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// The export prompt: one key picks the format.
var exportFormats = []struct {
	key    string
	format report.Format
	ext    string
}{
	{"t", report.FormatText, "txt"},
	{"m", report.FormatMarkdown, "md"},
	{"j", report.FormatJSON, "json"},
}

// exportPrompt is the status line while the prompt waits for a key.
func exportPrompt() string {
	return "export the report as: t text  m markdown  j JSON  (esc cancels)"
}

// exportDoneMsg says where the report was written, or why not.
type exportDoneMsg struct {
	path string
	err  error
}

// copyDoneMsg says whether the clipboard took the text.
type copyDoneMsg struct {
	what string
	n    int
	err  error
}

// export answers the export prompt with key km: the format it names is
// written in a command (Update does no I/O); any other key cancels.
func (m *Model) export(km tea.KeyMsg) tea.Cmd {
	rep := m.Report()
	if rep == nil {
		return nil
	}
	for _, f := range exportFormats {
		if km.String() != f.key {
			continue
		}
		dir := m.opts.ExportDir
		if dir == "" {
			dir = "."
		}
		base := fmt.Sprintf("mxray-%s-%s", fileSafe(rep.Name()), m.c.now().UTC().Format("20060102-150405"))
		opts := report.Options{Format: f.format, Verbose: true, Explain: m.opts.Explain}
		ext := f.ext
		m.flash = "writing the report" + m.c.g.Ellipsis
		return func() tea.Msg {
			path, err := writeNew(dir, base, ext, func(file *os.File) error { return report.Write(file, opts, rep) })
			return exportDoneMsg{path: path, err: err}
		}
	}
	m.flash = "export cancelled"
	return nil
}

// maxExportTries bounds the names tried when the first one exists.
const maxExportTries = 100

// writeNew writes a new file dir/base.ext (base-2.ext, base-3.ext... when
// it exists: never over a file) with write, and returns its path.
func writeNew(dir, base, ext string, write func(*os.File) error) (string, error) {
	for i := 1; i <= maxExportTries; i++ {
		name := base + "." + ext
		if i > 1 {
			name = fmt.Sprintf("%s-%d.%s", base, i, ext)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", &fileError{op: "create", path: path, err: err}
		}
		if err := write(f); err != nil {
			f.Close()
			os.Remove(path)
			return "", &fileError{op: "write", path: path, err: err}
		}
		if err := f.Close(); err != nil {
			return "", &fileError{op: "write", path: path, err: err}
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return path, nil
	}
	return "", fmt.Errorf("%s.%s and %d other names are taken in %s", base, ext, maxExportTries-1, dir)
}

// fileError is a file that could not be written, in plain words.
type fileError struct {
	op, path string
	err      error
}

func (e *fileError) Error() string {
	why := "the system refused"
	switch {
	case errors.Is(e.err, fs.ErrPermission):
		why = "no permission"
	case errors.Is(e.err, fs.ErrNotExist):
		why = "the directory does not exist"
	}
	return fmt.Sprintf("cannot %s %s: %s", e.op, e.path, why)
}

func (e *fileError) Unwrap() error { return e.err }

// fileSafe keeps a domain's letters, digits, dots and dashes for a file
// name (an IDN's A-label form is all of these), at most 100 bytes.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "report"
	}
	return out
}

// copyFix copies a finding's fix (or, without one, its first record) to
// the clipboard through Options.Copy, in a command.
func (m *Model) copyFix(f checks.Finding) tea.Cmd {
	text, what := f.Fix, "the fix of "+clean(f.ID)
	if text == "" && f.Evidence != nil && len(f.Evidence.Records) > 0 {
		text, what = f.Evidence.Records[0], "the record of "+clean(f.ID)
	}
	if text == "" {
		m.flash = clean(f.ID) + " has no fix or record to copy"
		return nil
	}
	cp := m.opts.Copy
	if cp == nil {
		m.flash = "copying needs a terminal that takes OSC 52"
		return nil
	}
	return func() tea.Msg {
		return copyDoneMsg{what: what, n: utf8.RuneCountInString(text), err: cp(text)}
	}
}

// doneFlash is the status line's message for the end of an export or a
// copy.
func doneFlash(msg tea.Msg) string {
	switch msg := msg.(type) {
	case exportDoneMsg:
		if msg.err != nil {
			return "export failed: " + clean(msg.err.Error())
		}
		return "report written to " + clean(msg.path)
	case copyDoneMsg:
		if msg.err != nil {
			return "copy failed: " + clean(msg.err.Error())
		}
		return fmt.Sprintf("copied %s (%d characters) to the clipboard", msg.what, msg.n)
	}
	return ""
}
