package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/safetext"
	"github.com/mxray/mxray/report"
)

// app is the command line program with its I/O, so tests can run it in
// process with their own streams, environment and network.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTTY          func(w io.Writer) bool
	// width is the terminal's width in columns (0: unknown), asked only
	// when isTTY says stdout is a terminal.
	width func(w io.Writer) int
	// dialer, when set, replaces the network dialer (tests route SMTP to
	// loopback servers with it).
	dialer checks.Dialer
	// resolvConf is the resolver configuration file for the system resolver.
	resolvConf string
	// onWindow, when set, is told the most documents a bulk run's reorder
	// window held done-but-unwritten at once (tests bound it).
	onWindow func(held int)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin: stdin, stdout: stdout, stderr: stderr,
		getenv:     os.Getenv,
		isTTY:      isTerminal,
		width:      terminalWidth,
		resolvConf: "/etc/resolv.conf",
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of the terminal w writes to, 0 when unknown.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	return 0
}

// usageError is bad user input: printed as one line, exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const mainUsage = `mxray diagnoses email deliverability for a domain.

Usage:
  mxray check DOMAIN... [flags]  run the checks (mxray check -h for flags)
  mxray check -f FILE [flags]    check every domain listed in FILE, one a line
  mxray demo [DOMAIN] [flags]    run the checks against the built-in offline mail world
  mxray send --from A --to B     deliver a test message and trace every step (mxray send -h)
  mxray worker --nats URL        check domains from a NATS JetStream queue (mxray worker -h)
  mxray submit --nats URL -f F   queue F's domains for the workers; --wait prints the results
  mxray analyze FILE|-           judge one message or bounce: DKIM, SPF, ARC, header, unsubscribe
  mxray receive [--count N]      accept mail over SMTP (a test inbox) and analyze each message
  mxray explain [ID|CHECK]       explain a finding ID, list a check's IDs (or all of them)
  mxray version                  print the version, the commit and the Go version

Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage error, 3 could not decide.
`

func (a *app) run(ctx context.Context, args []string) report.Exit {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, mainUsage)
		return report.ExitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	var code report.Exit
	switch cmd {
	case "check":
		code, err = a.check(ctx, rest)
	case "send":
		code, err = a.send(ctx, rest)
	case "demo":
		code, err = a.demo(ctx, rest)
	case "worker":
		code, err = a.worker(ctx, rest)
	case "submit":
		code, err = a.submit(ctx, rest)
	case "analyze", "analyse":
		code, err = a.analyze(ctx, rest)
	case "receive":
		code, err = a.receive(ctx, rest)
	case "explain":
		code, err = a.explain(rest)
	case "version", "--version", "-version":
		code, err = a.version(rest)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(a.stdout, mainUsage)
		return report.ExitOK
	default:
		err = unknownCommand(cmd)
		cmd = "" // the message names it; "mxray chek: unknown command" would say it twice
	}
	if err != nil {
		label := strings.TrimSpace("mxray " + cmd)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(a.stderr, "%s: %s\n", label, oneLine(ue.msg))
			return report.ExitUsage
		}
		fmt.Fprintf(a.stderr, "%s: %s\n", label, oneLine(err.Error()))
		return report.ExitCouldNotRun
	}
	return code
}

// oneLine keeps an error message on a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// commands are the subcommands, in the order the usage lists them.
var commands = []string{"check", "demo", "send", "analyze", "receive", "worker", "submit", "explain", "version", "help"}

// unknownCommand explains an unknown first argument: a mistyped command
// gets the nearest one, a domain gets the check command line, a flag gets
// "flags come after the command".
func unknownCommand(cmd string) error {
	if strings.HasPrefix(cmd, "-") {
		return usagef("unknown flag %s before the command (flags follow it: mxray check DOMAIN %s; see mxray help)", safetext.Line(cmd), safetext.Line(cmd))
	}
	if s := closest(strings.ToLower(cmd), commands); s != "" {
		return usagef("unknown command %q (did you mean %s? see mxray help)", cmd, s)
	}
	if a, ok, err := parseAddress(cmd); ok && err == nil {
		return usagef("unknown command %q (did you mean mxray check %s?)", cmd, a)
	}
	if strings.Contains(cmd, ".") {
		if d, err := normalizeDomain(cmd); err == nil {
			return usagef("unknown command %q (did you mean mxray check %s?)", cmd, d)
		}
		if strings.Contains(cmd, "@") {
			return usagef("unknown command %q (to check a mail address's domain: mxray check DOMAIN; see mxray help)", cmd)
		}
	}
	return usagef("unknown command %q (want check, send, analyze, receive, demo, worker, submit, explain or version; see mxray help)", cmd)
}
