package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/report"
)

// maxBulkDomains bounds the number of domains one invocation accepts.
const maxBulkDomains = 1_000_000

// maxLineLen bounds a line of a domains file; a longer line is an input
// error (its document quotes the first maxQuotedInput bytes).
const (
	maxLineLen     = 4096
	maxQuotedInput = 256
)

// windowPerWorker is the reorder window's size per --concurrency: at most
// this many documents per worker are in flight (checking, or done and
// waiting for a slower one before them).
const windowPerWorker = 4

// bulkDoc is one document of a bulk run: a domain's report, or an input
// line that is not a domain.
type bulkDoc struct {
	rep *checks.Report
	bad *report.InputError
}

// bulkInput is one line of the input: a domain to check, or an error.
type bulkInput struct {
	t    checks.Target
	bad  *report.InputError
	line int // 1-based line of the input (0: an argument)
}

// bulk checks several domains (arguments or -f) concurrently and writes
// one document each, in input order through a reorder window of
// windowPerWorker × --concurrency documents (--unordered: as they finish),
// so memory stays bounded whatever the input's length. A line that is not
// a domain becomes an error document and the batch goes on; the exit code
// is the worst of the documents (an error document counts as 3), or 2 when
// the input cannot be read or holds no domain at all.
func (a *app) bulk(ctx context.Context, f *checkFlags, r *runSpec, targets []checks.Target, out report.Options, failOn checks.Severity) (report.Exit, error) {
	r.decideFirst = true
	r.forBulk(r.smtpRate)
	out.Bulk = true
	stream := report.NewStream(a.stdout, out)
	code := report.ExitOK
	// A failure (stdout closed by "| head", a write error) stops the
	// batch: no domain is checked for output nobody can read.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
			stop()
		}
	}
	win := newWindow(windowPerWorker*f.concurrency, !f.unordered, func(d bulkDoc) {
		var err error
		if d.bad != nil {
			err = stream.AddInputError(*d.bad)
			code = report.WorseExit(code, report.ExitCouldNotRun)
		} else {
			err = stream.Add(d.rep)
			code = report.WorseExit(code, report.ExitCode(failOn, d.rep))
		}
		if err != nil {
			fail(err)
		}
	})
	if a.onWindow != nil {
		defer func() { a.onWindow(win.held()) }()
	}

	type job struct {
		seq int
		t   checks.Target
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range f.concurrency {
		wg.Go(func() {
			for j := range jobs {
				rep, err := r.run(ctx, j.t, nil)
				if isUntrusted(err) {
					// One document per domain, each saying why nothing
					// was decided; no network work after the decision.
					rep, err = undecidedReport(j.t, r.servers, err), nil
				}
				if err != nil {
					fail(err)
					win.drop(j.seq)
					continue
				}
				win.done(j.seq, bulkDoc{rep: rep})
			}
		})
	}
	send := func(in bulkInput) bool {
		seq, ok := win.reserve(ctx)
		if !ok {
			return false
		}
		if in.bad != nil {
			win.done(seq, bulkDoc{bad: in.bad})
			return true
		}
		select {
		case jobs <- job{seq: seq, t: in.t}:
			return true
		case <-ctx.Done():
			win.drop(seq)
			return false
		}
	}
	var readErr error
	if f.file == "" {
		for _, t := range targets {
			if !send(bulkInput{t: t}) {
				break
			}
		}
	} else {
		readErr = a.readInputs(ctx, f, windowPerWorker*f.concurrency, f.shard.filter(send))
	}
	close(jobs)
	wg.Wait()
	if err := stream.Close(); err != nil {
		fail(err)
	}
	if readErr != nil {
		return 0, readErr
	}
	if firstErr != nil {
		return 0, firstErr
	}
	if ctx.Err() != nil {
		return report.ExitInterrupted, nil
	}
	if err := r.gate.failed(); err != nil {
		fmt.Fprintf(a.stderr, "mxray check: %s\n", oneLine(err.Error()))
	}
	return code, nil
}

// readInputs reads the -f input: one domain a line, '#' comments, blank
// lines ignored. A line that is not a domain becomes an input error in its
// place. Input errors before the first domain are held (at most hold of
// them) so that an input with no domain at all is a usage error before
// any output. It returns a usage error when the input cannot be read or
// holds no domain.
func (a *app) readInputs(ctx context.Context, f *checkFlags, hold int, send func(bulkInput) bool) error {
	var in io.Reader
	name := f.file
	if f.file == "-" {
		in, name = a.stdin, "standard input"
	} else {
		file, err := os.Open(f.file)
		if err != nil {
			return usagef("-f %s: %s", f.file, plainFileError(err))
		}
		defer file.Close()
		in = file
	}
	br := bufio.NewReaderSize(in, 16<<10)
	var held []bulkInput
	var firstBad *report.InputError
	n, domains := 0, 0
	flush := func() bool {
		for _, h := range held {
			if !send(h) {
				return false
			}
		}
		held = nil
		return true
	}
	for ctx.Err() == nil {
		raw, long, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return usagef("%s line %d: cannot be read: %s", name, n+1, plainFileError(err))
		}
		n++
		line := raw
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark (Windows editors)
		}
		if i := strings.IndexByte(line, '#'); i >= 0 && !long {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		item := bulkInput{line: n}
		if long {
			item.bad = &report.InputError{Line: n, Input: quoteInput(line), Reason: fmt.Sprintf("the line is longer than %d bytes", maxLineLen), At: time.Now()}
		} else if t, err := f.parseTarget(line); err != nil {
			item.bad = &report.InputError{Line: n, Input: quoteInput(line), Reason: usageText(err), At: time.Now()}
		} else {
			item.t = t
		}
		if item.bad != nil {
			if firstBad == nil {
				firstBad = item.bad
			}
			if domains == 0 && len(held) < hold {
				held = append(held, item)
				continue
			}
		} else {
			if domains++; domains > maxBulkDomains {
				return usagef("%s: more than %d domains (split the input)", name, maxBulkDomains)
			}
		}
		if !flush() || !send(item) {
			return nil
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if domains == 0 {
		if firstBad != nil {
			return usagef("%s: no domain to check (line %d: %s)", name, firstBad.Line, firstBad.Reason)
		}
		return usagef("%s: no domain to check (one domain a line; # starts a comment)", name)
	}
	flush()
	return nil
}

// readLine reads one line without its line ending; a line longer than
// maxLineLen is returned cut, with long set, and the rest skipped.
func readLine(br *bufio.Reader) (line string, long bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if room := maxLineLen + 1 - len(buf); room > 0 {
			buf = append(buf, chunk[:min(len(chunk), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(buf) > 0) {
			return "", false, err
		}
		s := strings.TrimRight(string(buf), "\r\n")
		if len(s) > maxLineLen {
			return s[:maxQuotedInput], true, nil
		}
		return s, false, nil
	}
}

// quoteInput is an input line as an error document quotes it: valid UTF-8,
// at most maxQuotedInput bytes.
func quoteInput(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxQuotedInput {
		return s
	}
	cut := maxQuotedInput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// usageText is the message of a usage error (or any error) on one line.
func usageText(err error) string {
	var ue *usageError
	if errors.As(err, &ue) {
		return oneLine(ue.msg)
	}
	return oneLine(err.Error())
}

// plainFileError says why a file cannot be opened or read, without the Go
// error text around it ("open x: no such file or directory").
func plainFileError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
