package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/all"
	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/report"
)

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// ipFlag is a repeatable IP address flag.
type ipFlag []netip.Addr

func (l *ipFlag) String() string {
	s := make([]string, len(*l))
	for i, a := range *l {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

func (l *ipFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil || a.Zone() != "" {
			return fmt.Errorf("%q is not an IP address", p)
		}
		*l = append(*l, a.Unmap())
	}
	return nil
}

// checkFlags are the flags of `check` (and, in part, `demo`).
type checkFlags struct {
	jsonOut      bool
	format       string
	only, skip   listFlag
	resolvers    listFlag
	timeout      time.Duration
	checkTimeout time.Duration
	greeting     time.Duration
	failOn       string
	noColor      bool
	noTUI        bool
	verbose      bool
	file         string
	concurrency  int
	unordered    bool
	selectors    listFlag
	dkimProbe    string
	ips          ipFlag
	helo         string
	noSMTP       bool
	dnsblZones   string
	shard        shardFlag
	profiles     listFlag
	bulkSender   bool

	// noAddressCheck is set when --only/--skip leave no check that
	// examines an address (see checkFlags.addressSelection): an address
	// target is then a usage error.
	noAddressCheck string
}

func (f *checkFlags) register(fs *flag.FlagSet, bulk bool) {
	fs.BoolVar(&f.jsonOut, "json", false, "print the mxray/v1 JSON document (same as --format json)")
	fs.StringVar(&f.format, "format", "", "output format: text, json, ndjson, markdown, junit")
	fs.Var(&f.only, "only", "run only these checks (comma-separated IDs: "+strings.Join(checkIDs(), ",")+")")
	fs.Var(&f.skip, "skip", "skip these checks (comma-separated IDs)")
	fs.DurationVar(&f.timeout, "timeout", checks.DefaultTimeout, "bound on every single network wait (DNS query, connect, reply)")
	fs.DurationVar(&f.checkTimeout, "check-timeout", checks.DefaultCheckTimeout, "bound on each whole check")
	fs.DurationVar(&f.greeting, "greeting-timeout", checks.DefaultGreetingTimeout, "bound on the wait for an SMTP server's 220 greeting (RFC 5321 allows 5m)")
	fs.StringVar(&f.failOn, "fail-on", "fail", "exit 1 when a finding is at least this severe: warn or fail")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour in text output (NO_COLOR is honoured too)")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print the report instead of opening the terminal UI")
	fs.BoolVar(&f.verbose, "verbose", false, "show evidence (DNS queries, records, SMTP lines) and why each finding matters")
	fs.BoolVar(&f.verbose, "v", false, "short for --verbose")
	fs.Var(&f.selectors, "selector", "DKIM selectors to check, besides the common ones (repeatable, comma-separated)")
	fs.StringVar(&f.dkimProbe, "dkim-probe", "", "DKIM selectors to guess: provider (those of the mail providers the domain's SPF and MX records name),\ncommon (those and a dozen generic ones), full (about 70 common ones), off (only --selector);\ndefault full for one domain, provider with several")
	fs.Var(&f.ips, "ip", "a sending IP address to evaluate with SPF, blocklists and reverse DNS (repeatable)")
	fs.StringVar(&f.helo, "helo", "", "HELO/EHLO name: mxray greets servers with it and SPF evaluates it")
	fs.BoolVar(&f.noSMTP, "no-smtp", false, "do not connect to port 25 (skips the smtp and tls checks)")
	fs.StringVar(&f.dnsblZones, "dnsbl-zones", "", "file of DNSBL zones to use instead of the built-in list")
	fs.Var(&f.profiles, "profile", "grade against mailbox providers' sender rules: gmail, yahoo, microsoft, apple, laposte\n(repeatable, comma-separated)")
	fs.BoolVar(&f.bulkSender, "bulk", false, "with --profile: the domain sends in bulk (5,000 or more messages a day to a provider),\nso the bulk-sender rules are graded instead of shown")
	if bulk {
		fs.Var(&f.resolvers, "resolver", "DNS resolver IP[:port] (repeatable; default: /etc/resolv.conf)")
		fs.StringVar(&f.file, "f", "", "read domains from this file, one per line ('-' for standard input)")
		fs.IntVar(&f.concurrency, "concurrency", 8, "with several domains: how many to check at once")
		fs.BoolVar(&f.unordered, "unordered", false, "with several domains: print each report when it is done, not in input order")
		fs.Var(&f.shard, "shard", "with -f: check only share `i/n` of the domains: those whose index among the file's domains is i modulo n (i counts from 0, like JOB_COMPLETION_INDEX)")
	}
}

func checkIDs() []string {
	var ids []string
	for _, c := range all.Checks() {
		ids = append(ids, c.ID())
	}
	return ids
}

// parseInterleaved parses flags that may appear before or after positional
// arguments ("check example.com --json"). A "--" ends flag parsing.
func parseInterleaved(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagSet is a flag.FlagSet whose errors are returned, not printed, with
// the usage text printed only for -h.
type flagSet struct {
	*flag.FlagSet
	help func()
}

func newFlagSet(name string, out io.Writer, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, help: func() {
		fmt.Fprint(out, usage)
		printDefaults(out, fs)
	}}
}

// dashes is how a flag is written in help and messages: one dash for a
// one-letter flag (-v, -f), two for the others (--json), as the README
// writes them.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printDefaults lists the flags as flag.PrintDefaults does, but with the
// dashes people type (see dashes).
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		name, usage := flag.UnquoteUsage(f)
		b.WriteString("  " + dashes(f.Name))
		if name != "" {
			b.WriteString(" " + name)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch def := f.DefValue; {
		case def == "" || def == "false" || def == "0" || def == "0s":
		case name == "string":
			fmt.Fprintf(&b, " (default %q)", def)
		default:
			fmt.Fprintf(&b, " (default %s)", def)
		}
		fmt.Fprintln(w, b.String())
	})
}

// flagError turns a flag package error into a usage error in plain words
// (with a suggestion for a mistyped flag), or prints the usage and returns
// errHelp for -h.
func flagError(fs *flagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fs.help()
		return errHelp
	}
	msg := err.Error()
	see := fmt.Sprintf("see mxray %s -h", fs.Name())
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		if s := suggestFlag(fs.FlagSet, name); s != "" {
			return usagef("unknown flag %s (did you mean %s? %s)", dashes(name), s, see)
		}
		return usagef("unknown flag %s (%s)", dashes(name), see)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return usagef("%s needs a value (%s)", dashes(strings.TrimLeft(name, "-")), see)
	}
	// invalid value "x" for flag -timeout: <reason>
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			val, tail := rest[:i], rest[i+len(" for flag -"):]
			name, reason, _ := strings.Cut(tail, ": ")
			kind := ""
			if fl := fs.Lookup(name); fl != nil {
				kind, _ = flag.UnquoteUsage(fl)
			}
			return usagef("%s %s: %s (%s)", dashes(name), val, plainFlagReason(kind, reason), see)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if i := strings.Index(rest, " for -"); i >= 0 {
			val, tail := rest[:i], rest[i+len(" for -"):]
			name, _, _ := strings.Cut(tail, ": ")
			return usagef("%s takes no value (or true/false), not %s (%s)", dashes(name), val, see)
		}
	}
	return usagef("%s (%s)", msg, see)
}

// plainFlagReason rewrites the strconv and time parse errors the flag
// package passes on into plain words; kind is the flag's value type name
// ("duration", "int"), reason the flag package's.
func plainFlagReason(kind, reason string) string {
	switch {
	case kind == "duration":
		return "not a duration (e.g. 500ms, 10s, 2m)"
	case strings.Contains(reason, "parse error"), strings.Contains(reason, "invalid syntax"):
		return "not a number"
	case strings.Contains(reason, "value out of range"):
		return "out of range"
	}
	return reason
}

// suggestFlag returns the defined flag closest to a mistyped name, as it
// is written ("--json"), or "".
func suggestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if best := closest(strings.ToLower(name), names); best != "" {
		return dashes(best)
	}
	return ""
}

// closest returns the candidate nearest to s by edit distance, when it is
// near enough to be a typo (at most 2 edits, and fewer than half of s), or
// a candidate s is a prefix of when that is unique; else "".
func closest(s string, candidates []string) string {
	best, bestD := "", 99
	for _, c := range candidates {
		if d := levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= 2 && bestD*2 < max(len(s), 2)+1 {
		return best
	}
	var pre []string
	for _, c := range candidates {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			pre = append(pre, c)
		}
	}
	if len(pre) == 1 {
		return pre[0]
	}
	return ""
}

var errHelp = errors.New("help")

// normalizeDomain validates a domain as typed and returns its A-label form.
func normalizeDomain(in string) (string, error) {
	s := strings.TrimSpace(in)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", usagef("empty domain")
	}
	if !utf8.ValidString(s) {
		return "", usagef("invalid domain %q: not valid UTF-8 text", in)
	}
	if strings.Contains(s, "@") {
		return "", usagef("%q looks like an email address: give the domain after the @", in)
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/ ") {
		return "", usagef("invalid domain %q: give a bare domain name such as example.com", in)
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", usagef("%q is an IP address: give a domain name", in)
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", usagef("invalid domain %q: %s", in, idnaWhy(s))
	}
	ascii = strings.ToLower(ascii)
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", usagef("invalid domain %q: a domain needs at least two labels", in)
	}
	for _, l := range labels {
		if l == "" {
			return "", usagef("invalid domain %q: empty label", in)
		}
	}
	if _, err := dnsq.CheckName(ascii); err != nil {
		return "", usagef("invalid domain %q: %v", in, err)
	}
	return ascii, nil
}

// parseTarget validates one target as typed (an argument of check, a
// line of -f, a queue job): an address (192.0.2.7, 2001:db8::1,
// [2001:db8::1], IPv6:2001:db8::1) or a domain.
func (f *checkFlags) parseTarget(in string) (checks.Target, error) {
	a, isAddr, err := parseAddress(in)
	switch {
	case err != nil:
		return checks.Target{}, err
	case isAddr:
		return f.addressTarget(a, in)
	}
	d, err := normalizeDomain(in)
	if err != nil {
		return checks.Target{}, err
	}
	return f.target(d, in)
}

// parseAddress reports whether in is written as an IP address, and
// returns it unmapped (::ffff:192.0.2.7 is 192.0.2.7). What looks like an
// address but cannot be checked as typed (a range, a port, a zone, a
// trailing dot, leading zeros, too few or too many parts, a private
// address) is a usage error that says so, rather than a domain that
// cannot exist: no top-level domain is all digits.
func parseAddress(in string) (addr netip.Addr, ok bool, err error) {
	s := strings.TrimSpace(in)
	if p, perr := netip.ParsePrefix(strings.Trim(s, "[]")); perr == nil {
		return addr, true, usagef("%q is an address range: give one address (e.g. mxray check %s)", in, p.Addr())
	}
	if ap, perr := netip.ParseAddrPort(s); perr == nil {
		return addr, true, usagef("%q has a port: give the address alone (mxray check %s); the banner is read on port 25", in, ap.Addr().Unmap())
	}
	tagged := false
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1] // an SMTP address literal: [192.0.2.7], [IPv6:2001:db8::1]
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s, tagged = s[5:], true
	}
	if dot := strings.TrimSuffix(s, "."); dot != s {
		if a, perr := netip.ParseAddr(dot); perr == nil {
			return addr, true, usagef("%q: write the address without the trailing dot (mxray check %s)", in, a.Unmap())
		}
	}
	host, zone, hasZone := strings.Cut(s, "%")
	a, perr := netip.ParseAddr(host)
	switch {
	case perr != nil && looksNumeric(s):
		return addr, true, usagef("%q is neither an IP address nor a domain (%s)", in, numericWhy(s))
	case perr != nil:
		return addr, false, nil
	case hasZone:
		return addr, true, usagef("%q has a zone (%%%s): give an address without one; a link-local address has no reputation to check", in, zone)
	case tagged && !a.Is6():
		return addr, true, usagef("%q: the IPv6: tag goes with an IPv6 address only (write [%s])", in, a)
	}
	a = a.Unmap()
	if !checks.PublicAddress(a) {
		return addr, true, usagef("%s is %s: hosts on the internet never see it, so it has no reverse DNS or blocklist entries that matter; give the public address your mail leaves from", a, addressKind(a))
	}
	return a, true, nil
}

// looksNumeric reports whether s is made only of digits and dots, or of
// hex digits and colons with at least one colon: an attempt at an IP
// address rather than a domain, since no top-level domain is all digits.
func looksNumeric(s string) bool {
	s = strings.TrimSuffix(s, ".") // a root dot changes nothing
	if s == "" {
		return false
	}
	if strings.Contains(s, ":") {
		return strings.Trim(s, "0123456789abcdefABCDEF:.") == ""
	}
	last := s[strings.LastIndexByte(s, '.')+1:]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// numericWhy says why s, which looksNumeric, is no IP address.
func numericWhy(s string) string {
	if strings.Contains(s, ":") {
		return "not a valid IPv6 address"
	}
	parts := strings.Split(strings.TrimSuffix(s, "."), ".")
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "a domain's last label is never all digits"
		}
	}
	for _, p := range parts {
		if len(p) > 1 && p[0] == '0' {
			return "leading zeros are not allowed: some tools read them as octal"
		}
	}
	if len(parts) != 4 {
		return fmt.Sprintf("an IPv4 address has four numbers, this has %d", len(parts))
	}
	return "each number of an IPv4 address is 0 to 255"
}

// addressKind names the kind of a non-public address.
func addressKind(a netip.Addr) string {
	switch {
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsMulticast():
		return "a multicast address"
	case netip.MustParsePrefix("100.64.0.0/10").Contains(a):
		return "a shared (CGNAT) address"
	}
	return "not a public address"
}

// addressTarget is the target of an address (mxray check 192.0.2.7).
// The flags that describe a domain are usage errors with it.
func (f *checkFlags) addressTarget(a netip.Addr, input string) (checks.Target, error) {
	switch {
	case f.noAddressCheck != "":
		return checks.Target{}, usagef("%s: %s", input, f.noAddressCheck)
	case len(f.ips) > 0:
		return checks.Target{}, usagef("--ip gives the sending addresses of a domain; to check an address, give it as the target (mxray check %s)", a)
	case len(f.selectors) > 0:
		return checks.Target{}, usagef("--selector names DKIM keys of a domain; %s is an address", a)
	case len(f.profiles) > 0:
		return checks.Target{}, usagef("--profile grades a domain's mail against a provider's rules; for the address itself, give it to the domain's check: mxray check DOMAIN --profile %s --ip %s", strings.Join(f.profiles, ","), a)
	}
	t, err := f.target("", input)
	if err != nil {
		return t, err
	}
	t.Address = a
	return t, nil
}

// addressSelection notes whether the selected checks examine addresses:
// when none does (--only spf), an address target is a usage error.
func (f *checkFlags) addressSelection(sel []checks.Check) {
	f.noAddressCheck = ""
	if len(addressChecks(sel)) == 0 {
		var ids []string
		for _, c := range all.Checks() {
			if checks.ChecksAddress(c) {
				ids = append(ids, c.ID())
			}
		}
		slices.Sort(ids)
		f.noAddressCheck = "none of the selected checks examines an address (those that do: " + strings.Join(ids, ", ") + ")"
	}
}

// addressChecks keeps the checks that examine an address target, in
// order.
func addressChecks(sel []checks.Check) []checks.Check {
	var out []checks.Check
	for _, c := range sel {
		if checks.ChecksAddress(c) {
			out = append(out, c)
		}
	}
	return out
}

// idnaWhy says in plain words why s is no domain name, for an input
// IDNA refused: the first character a domain cannot hold, else what IDNA
// checks.
func idnaWhy(s string) string {
	if host, port, ok := strings.Cut(s, ":"); ok && host != "" && port != "" && strings.Trim(port, "0123456789") == "" {
		return "a port (:" + port + ") does not belong in a domain"
	}
	for _, r := range s {
		switch {
		case r < 0x80 && !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			return fmt.Sprintf("%q cannot appear in a host name", r)
		case r >= 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r):
			return fmt.Sprintf("%q (U+%04X) cannot appear in a domain name", r, r)
		}
	}
	for _, l := range strings.Split(s, ".") {
		switch {
		case strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-"):
			return fmt.Sprintf("the label %q starts or ends with a hyphen", l)
		case len(l) >= 4 && l[2:4] == "--" && !strings.EqualFold(l[:2], "xn"):
			return fmt.Sprintf("the label %q has hyphens in its third and fourth places, which are kept for encoded names (xn--)", l)
		case strings.HasPrefix(strings.ToLower(l), "xn--"):
			return fmt.Sprintf("the label %q is not a valid encoded (xn--) name", l)
		}
	}
	return "not a valid internationalised domain name (a label breaks the IDNA rules, e.g. it mixes scripts or joins characters that may not meet)"
}

// selection resolves --only and --skip against the registry.
func (f *checkFlags) selection() ([]checks.Check, error) {
	known := map[string]bool{}
	for _, id := range checkIDs() {
		known[id] = true
	}
	for _, id := range append(append([]string(nil), f.only...), f.skip...) {
		if !known[id] {
			if s := closest(strings.ToLower(id), checkIDs()); s != "" {
				return nil, usagef("unknown check %q (did you mean %s? known: %s)", id, s, strings.Join(checkIDs(), ", "))
			}
			return nil, usagef("unknown check %q (known: %s)", id, strings.Join(checkIDs(), ", "))
		}
	}
	only := map[string]bool{}
	for _, id := range f.only {
		only[id] = true
	}
	skip := map[string]bool{}
	for _, id := range f.skip {
		skip[id] = true
	}
	var sel []checks.Check
	for _, c := range all.Checks() {
		if (len(only) > 0 && !only[c.ID()]) || skip[c.ID()] {
			continue
		}
		sel = append(sel, c)
	}
	if len(sel) == 0 {
		return nil, usagef("--only and --skip leave no check to run")
	}
	return sel, nil
}

// output resolves the output options.
func (a *app) output(f *checkFlags) (report.Options, error) {
	opts := report.Options{Format: report.FormatText, Verbose: f.verbose, Explain: all.Lookup}
	if f.format != "" {
		ff, err := report.ParseFormat(f.format)
		if err != nil {
			var names []string
			for _, x := range report.Formats() {
				names = append(names, string(x))
			}
			if s := closest(strings.ToLower(strings.TrimSpace(f.format)), names); s != "" {
				return opts, usagef("unknown format %q (did you mean %s? want one of %s)", f.format, s, strings.Join(names, ", "))
			}
			return opts, usagef("unknown format %q (want one of %s)", f.format, strings.Join(names, ", "))
		}
		opts.Format = ff
	}
	if f.jsonOut {
		if f.format != "" && opts.Format != report.FormatJSON {
			return opts, usagef("--json conflicts with --format %s", f.format)
		}
		opts.Format = report.FormatJSON
	}
	tty := a.isTTY(a.stdout)
	opts.Color = opts.Format == report.FormatText && !f.noColor && a.getenv("NO_COLOR") == "" && tty
	if opts.Format == report.FormatText && tty && a.width != nil {
		// On a terminal, text wraps to its width; piped, long lines stay
		// whole for grep and files.
		opts.Width = a.width(a.stdout)
	}
	return opts, nil
}

// settings are what every command that runs checks (check, analyze,
// receive) resolves from its flags: the output, the --fail-on threshold
// and the run's options.
type settings struct {
	out    report.Options
	failOn checks.Severity
	opts   checks.Options
}

// settings resolves them, in that order: the first bad flag is the one
// reported.
func (a *app) settings(f *checkFlags) (settings, error) {
	var s settings
	var err error
	if s.out, err = a.output(f); err != nil {
		return s, err
	}
	if s.failOn, err = f.failOnSeverity(); err != nil {
		return s, err
	}
	s.opts, err = f.options()
	return s, err
}

func (f *checkFlags) failOnSeverity() (checks.Severity, error) {
	switch strings.ToLower(strings.TrimSpace(f.failOn)) {
	case "warn":
		return checks.SevWarn, nil
	case "fail":
		return checks.SevFail, nil
	}
	return "", usagef("--fail-on %q: want warn or fail", f.failOn)
}

func (f *checkFlags) options() (checks.Options, error) {
	if f.shard.set() && f.file == "" {
		return checks.Options{}, usagef("--shard works with -f FILE (each machine reads the same file)")
	}
	if err := durationFlag("timeout", f.timeout, time.Millisecond, time.Hour, "5s"); err != nil {
		return checks.Options{}, err
	}
	if err := durationFlag("check-timeout", f.checkTimeout, time.Millisecond, 24*time.Hour, "2m"); err != nil {
		return checks.Options{}, err
	}
	if err := durationFlag("greeting-timeout", f.greeting, time.Millisecond, 10*time.Minute, "30s"); err != nil {
		return checks.Options{}, err
	}
	opts := checks.Options{Timeout: f.timeout, CheckTimeout: f.checkTimeout, GreetingTimeout: f.greeting, NoSMTP: f.noSMTP, DNSBLZones: f.dnsblZones,
		DKIMProbe: checks.DKIMProbe(f.dkimProbe), Profiles: f.profiles, Bulk: f.bulkSender}
	if f.bulkSender && len(f.profiles) == 0 {
		return opts, usagef("--bulk grades the bulk-sender rules of a --profile: give --profile too")
	}
	for _, c := range all.Checks() {
		if v, ok := c.(checks.Validator); ok {
			if err := v.Validate(opts); err != nil {
				return opts, usagef("%v", err)
			}
		}
	}
	return opts, nil
}

func (f *checkFlags) target(domain, input string) (checks.Target, error) {
	t := checks.Target{Domain: domain, Input: input, Selectors: f.selectors, IPs: f.ips}
	if f.helo != "" {
		h, err := normalizeDomain(f.helo)
		if err != nil {
			return t, usagef("--helo: %v", err)
		}
		t.HELO = h
	}
	for _, s := range f.selectors {
		if _, err := dnsq.CheckName(s + "._domainkey.x"); err != nil || strings.ContainsAny(s, " /@") {
			return t, usagef("--selector %q is not a valid selector", s)
		}
	}
	return t, nil
}

// durationFlag checks that a duration flag lies within [lo, hi].
func durationFlag(name string, d, lo, hi time.Duration, example string) error {
	if d < lo || d > hi {
		return usagef("--%s %s: want a duration between %s and %s, e.g. %s", name, d, fmtLimit(lo), fmtLimit(hi), example)
	}
	return nil
}

// fmtLimit prints a limit the way people write it (1ms, 1h, 10m).
func fmtLimit(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
