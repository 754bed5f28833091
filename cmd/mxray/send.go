package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/send"
	"github.com/mxray/mxray/report"
)

const sendUsage = `Usage: mxray send --from ADDRESS --to ADDRESS [flags]

Delivers one test message and traces every step: DNS, connect, banner, EHLO,
STARTTLS and the TLS handshake, AUTH, MAIL, RCPT, DATA and the reply that
carries the queue id. Without --server the message goes straight to the MX
hosts of the recipient's domain, in preference order.

  mxray send --from me@example.com --to you@example.net
  mxray send --server smtp.example.com --starttls --auth-user me@example.com --from me@example.com --to you@example.net
  mxray send --server 192.0.2.7 --tls --tls-name smtp.example.com ...   (by address, verified for the name)
  mxray send ... --dkim-key key.pem --dkim-selector s1      (RSA or Ed25519)
  mxray send ... --quit-after rcpt                          (test without sending)

Without a port, --server uses 587 with --starttls, 465 with --tls, else 25.
Direct delivery uses TLS like a mail server: opportunistically, going on
(and saying so) when an MX's certificate does not verify; --verify requires
a valid certificate, as a send through --server does unless --insecure.
The EHLO name is --helo, else this machine's fully qualified name, else its
address on the connection ([192.0.2.1]).

The password for --auth-user comes from the MXRAY_PASSWORD environment
variable, from --password-file, or from a prompt on a terminal; never from a
flag. AUTH payloads are shown as *** in every trace.

Exit codes: 0 delivered (or stopped by --quit-after), 1 rejected or not sent,
2 usage error, 3 could not connect or timed out.

Flags:
`

// headerFlag is a repeatable flag whose values are kept whole (header
// values contain commas).
type headerFlag []string

func (h *headerFlag) String() string { return strings.Join(*h, "; ") }

func (h *headerFlag) Set(v string) error {
	*h = append(*h, v)
	return nil
}

type sendFlags struct {
	from                 string
	to                   listFlag
	server               string
	starttls, tls, noTLS bool
	insecure, verify     bool
	tlsName              string
	authUser, authMech   string
	passwordFile         string
	allowPlaintextAuth   bool
	helo                 string
	headers              headerFlag
	bodyFile, emlFile    string
	dkimKey, dkimSel     string
	dkimDomain           string
	quitAfter            string
	timeout              time.Duration
	greeting             time.Duration
	resolvers            listFlag
	caFile               string
	jsonOut              bool
	noTUI, noColor       bool
}

func (f *sendFlags) register(fs *flagSet) {
	fs.StringVar(&f.from, "from", "", "envelope sender and From: address (required)")
	fs.Var(&f.to, "to", "recipient address (repeatable, comma-separated; required)")
	fs.StringVar(&f.server, "server", "", "send through this server (host[:port]; without a port 587 with --starttls, 465 with --tls, else 25) instead of the recipient's MX")
	fs.BoolVar(&f.starttls, "starttls", false, "require STARTTLS (the default on port 587; on port 25 it is used when offered)")
	fs.BoolVar(&f.tls, "tls", false, "implicit TLS from the first byte (the default on port 465)")
	fs.BoolVar(&f.noTLS, "no-tls", false, "never use TLS")
	fs.BoolVar(&f.insecure, "insecure", false, "go on when the server's certificate does not verify, with --server and without (the trace still says why)")
	fs.BoolVar(&f.verify, "verify", false, "direct delivery: require the MX's certificate to verify (default: opportunistic TLS, as mail servers do)")
	fs.StringVar(&f.tlsName, "tls-name", "", "with --server: send this name in SNI and verify the certificate against it (for a server given by address)")
	fs.StringVar(&f.authUser, "auth-user", "", "authenticate as this user (password: MXRAY_PASSWORD, --password-file or a prompt)")
	fs.StringVar(&f.authMech, "auth-mech", "", "AUTH mechanism: PLAIN or LOGIN (default: PLAIN when offered)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the AUTH password from the first line of this file ('-' for standard input)")
	fs.BoolVar(&f.allowPlaintextAuth, "allow-plaintext-auth", false, "allow AUTH on a connection without TLS (the password crosses the network readable)")
	fs.StringVar(&f.helo, "helo", "", "EHLO name (default: this machine's fully qualified name, else its address literal, e.g. [192.0.2.1])")
	fs.Var(&f.headers, "header", "set a header field, 'Name: value' (repeatable; replaces a field of the same name)")
	fs.StringVar(&f.bodyFile, "body-file", "", "use this file as the body of the test message")
	fs.StringVar(&f.emlFile, "eml", "", "send this whole message file as is (line endings become CRLF)")
	fs.StringVar(&f.dkimKey, "dkim-key", "", "DKIM-sign with this PEM private key (RSA or Ed25519)")
	fs.StringVar(&f.dkimSel, "dkim-selector", "", "DKIM selector (required with --dkim-key)")
	fs.StringVar(&f.dkimDomain, "dkim-domain", "", "DKIM signing domain (default: the domain of --from)")
	fs.StringVar(&f.quitAfter, "quit-after", "", "stop with QUIT after: "+strings.Join(send.QuitAfterStages, "|"))
	fs.DurationVar(&f.timeout, "timeout", checks.DefaultTimeout, "bound on every single wait: DNS query, connect, TLS handshake, each reply (the greeting: --greeting-timeout)")
	fs.DurationVar(&f.greeting, "greeting-timeout", checks.DefaultGreetingTimeout, "bound on the wait for the server's 220 greeting (RFC 5321 allows 5m)")
	fs.Var(&f.resolvers, "resolver", "DNS resolver IP[:port] (repeatable; default: /etc/resolv.conf)")
	fs.StringVar(&f.caFile, "ca-file", "", "trust only the CA certificates in this PEM file (default: the system roots)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the trace as mxray/v1 JSON")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print the trace instead of opening the terminal UI")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour in the terminal UI (NO_COLOR is honoured too)")
}

// passwordFlag reports an attempt to give the password as a flag.
func passwordFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		n := strings.TrimLeft(a, "-")
		if a != n && (n == "password" || strings.HasPrefix(n, "password=") || n == "pass" || strings.HasPrefix(n, "pass=")) {
			return true
		}
	}
	return false
}

func (a *app) send(ctx context.Context, args []string) (report.Exit, error) {
	if passwordFlag(args) {
		return 0, usagef("there is no --password flag: a password on the command line ends up in shell history and process lists; set MXRAY_PASSWORD, use --password-file, or let mxray prompt")
	}
	var f sendFlags
	fs := newFlagSet("send", a.stdout, sendUsage)
	f.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if err = flagError(fs, err); errors.Is(err, errHelp) {
			return report.ExitOK, nil
		}
		return 0, err
	}
	// Bare addresses are recipients: "mxray send --from a@x you@y".
	f.to = append(f.to, pos...)
	o, err := a.sendOptions(&f)
	if err != nil {
		return 0, err
	}
	if err := durationFlag("timeout", f.timeout, time.Millisecond, time.Hour, "5s"); err != nil {
		return 0, err
	}
	if err := durationFlag("greeting-timeout", f.greeting, time.Millisecond, 10*time.Minute, "30s"); err != nil {
		return 0, err
	}
	servers, err := a.servers(f.resolvers)
	if err != nil {
		return 0, err
	}
	env, err := a.sendEnv(&f, servers)
	if err != nil {
		return 0, err
	}
	defer env.DNS.Close()
	// Behind a resolver that cannot be trusted, "the domain does not exist"
	// would be a lie: decide first, as check does, whenever DNS is used.
	if hint, usesDNS := sendDNSName(o); usesDNS {
		if err := newTrustGate().decide(ctx, env.DNS, hint); err != nil {
			return 0, err
		}
	}
	if !f.jsonOut && !f.noTUI && a.isTTY(a.stdout) {
		title := o.Server
		if title == "" {
			title = o.To[0][strings.LastIndexByte(o.To[0], '@')+1:]
		}
		tr, err := a.sendTUI(ctx, f.noColor, title, env, o)
		if tr == nil {
			if err == nil {
				err = errors.New("the send did not start")
			}
			return 0, err
		}
		// Leave the whole trace in the terminal's scrollback.
		fmt.Fprintf(a.stdout, "mxray send %s: %s → %s\n\n", o.RunID, o.From, strings.Join(o.To, ", "))
		for _, s := range tr.Steps {
			report.WriteTraceStep(a.stdout, s)
		}
		report.WriteTraceResult(a.stdout, tr)
		return sendExitCode(tr.Result), nil
	}
	var mu sync.Mutex
	if !f.jsonOut {
		fmt.Fprintf(a.stdout, "mxray send %s: %s → %s", o.RunID, o.From, strings.Join(o.To, ", "))
		if o.Server != "" {
			fmt.Fprintf(a.stdout, " via %s", o.Server)
		}
		fmt.Fprintln(a.stdout)
		fmt.Fprintln(a.stdout)
		o.OnStep = func(s send.Step) {
			mu.Lock()
			defer mu.Unlock()
			report.WriteTraceStep(a.stdout, s)
		}
	}
	tr := send.Send(ctx, env, o)
	if f.jsonOut {
		if err := report.WriteTraceJSON(a.stdout, tr); err != nil {
			return 0, err
		}
	} else {
		mu.Lock()
		report.WriteTraceResult(a.stdout, tr)
		mu.Unlock()
	}
	return sendExitCode(tr.Result), nil
}

// sendDNSName returns the name a send looks up first (the server's host or
// the first recipient's domain), and false when it needs no DNS at all (a
// --server given as an IP address).
func sendDNSName(o send.Options) (string, bool) {
	if o.Server != "" {
		host, _, err := net.SplitHostPort(o.Server)
		if err != nil {
			host = o.Server
		}
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			return "", false
		}
		return host, true
	}
	if len(o.To) == 0 {
		return "", false
	}
	return o.To[0][strings.LastIndexByte(o.To[0], '@')+1:], true
}

// sendExitCode maps a send's result to the documented exit codes.
func sendExitCode(r send.Result) report.Exit {
	switch r {
	case send.ResultDelivered, send.ResultStopped:
		return report.ExitOK
	case send.ResultUnreachable:
		return report.ExitCouldNotRun
	}
	return report.ExitFindings
}

// sendOptions turns the flags into send.Options, reading the files and the
// password. Every problem is a usage error.
func (a *app) sendOptions(f *sendFlags) (send.Options, error) {
	o := send.Options{
		From: f.from, To: f.to, Server: f.server, Insecure: f.insecure, Verify: f.verify, TLSName: f.tlsName,
		AuthUser: f.authUser, AuthMech: strings.ToUpper(f.authMech), AllowPlaintextAuth: f.allowPlaintextAuth,
		HELO: f.helo, Headers: f.headers, QuitAfter: f.quitAfter,
		RunID: send.NewRunID(), Version: version(),
	}
	n := 0
	for _, b := range []bool{f.starttls, f.tls, f.noTLS} {
		if b {
			n++
		}
	}
	if n > 1 {
		return o, usagef("--starttls, --tls and --no-tls exclude each other")
	}
	switch {
	case f.starttls:
		o.TLS = send.TLSStartTLS
	case f.tls:
		o.TLS = send.TLSImplicit
	case f.noTLS:
		o.TLS = send.TLSNone
	}
	if f.server == "" && f.tls {
		// Direct MX delivery is on port 25, where implicit TLS does not exist.
		return o, usagef("--tls needs --server (MX hosts speak STARTTLS on port 25, not implicit TLS)")
	}
	if o.HELO == "" {
		o.FQDN = machineFQDN()
	}
	if f.bodyFile != "" && f.emlFile != "" {
		return o, usagef("--body-file and --eml exclude each other")
	}
	var err error
	if f.bodyFile != "" {
		if o.Body, err = readSmallFile(f.bodyFile, "--body-file"); err != nil {
			return o, err
		}
	}
	if f.emlFile != "" {
		if o.EML, err = readSmallFile(f.emlFile, "--eml"); err != nil {
			return o, err
		}
	}
	if f.dkimKey != "" || f.dkimSel != "" || f.dkimDomain != "" {
		if f.dkimKey == "" {
			return o, usagef("--dkim-selector and --dkim-domain need --dkim-key")
		}
		pemBytes, err := readSmallFile(f.dkimKey, "--dkim-key")
		if err != nil {
			return o, err
		}
		k, err := send.ParseKey(pemBytes)
		if err != nil {
			return o, usagef("--dkim-key %s: %s", f.dkimKey, strings.TrimPrefix(err.Error(), send.ErrKey.Error()+": "))
		}
		o.DKIM = &send.DKIMOptions{Key: k, Selector: f.dkimSel, Domain: strings.TrimSuffix(strings.ToLower(f.dkimDomain), ".")}
	}
	if f.authUser == "" && f.passwordFile != "" {
		return o, usagef("--password-file needs --auth-user")
	}
	if f.authUser != "" {
		if o.Password, err = a.password(f); err != nil {
			return o, err
		}
	}
	if err := send.Validate(o); err != nil {
		return o, usagef("%s", strings.TrimPrefix(err.Error(), send.ErrUsage.Error()+": "))
	}
	if o.Server != "" {
		// host:port from here on (the title, the trace's header, the DNS
		// name looked up first).
		host, port, _ := send.ServerAddress(o.Server, o.TLS)
		o.Server = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return o, nil
}

// maxInputFile bounds the files send reads (message, body, key, password).
const maxInputFile = 25 << 20

func readSmallFile(name, flag string) ([]byte, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxInputFile+1))
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	if len(b) > maxInputFile {
		return nil, usagef("%s %s: larger than %d MB", flag, name, maxInputFile>>20)
	}
	return b, nil
}

// password returns the AUTH password: --password-file, then MXRAY_PASSWORD,
// then a no-echo prompt when standard input is a terminal.
func (a *app) password(f *sendFlags) (string, error) {
	if f.passwordFile != "" {
		var b []byte
		var err error
		if f.passwordFile == "-" {
			b, err = io.ReadAll(io.LimitReader(a.stdin, 64<<10))
			if err != nil {
				return "", usagef("--password-file -: %v", err)
			}
		} else if b, err = readSmallFile(f.passwordFile, "--password-file"); err != nil {
			return "", err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return "", usagef("--password-file %s: the first line is empty", f.passwordFile)
		}
		return line, nil
	}
	if p := a.getenv("MXRAY_PASSWORD"); p != "" {
		return p, nil
	}
	if fh, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(fh.Fd())) {
		fmt.Fprintf(a.stderr, "Password for %s: ", f.authUser)
		b, err := term.ReadPassword(int(fh.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if len(b) == 0 {
			return "", usagef("empty password")
		}
		return string(b), nil
	}
	return "", usagef("--auth-user needs a password: set MXRAY_PASSWORD, use --password-file, or run on a terminal to be prompted")
}

func (a *app) sendEnv(f *sendFlags, servers []string) (*checks.Env, error) {
	var pool *x509.CertPool
	if f.caFile != "" {
		b, err := readSmallFile(f.caFile, "--ca-file")
		if err != nil {
			return nil, err
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, usagef("--ca-file %s: no PEM certificate in it", f.caFile)
		}
	}
	return newEnv(servers, checks.Options{Timeout: f.timeout, GreetingTimeout: f.greeting}, a.dialer, pool)
}
