package bounce

import (
	"regexp"
	"strings"
)

var (
	// statusRe finds enhanced status codes; a match followed by ".digit"
	// (an IP address or version) is dropped by findStatuses.
	statusRe = regexp.MustCompile(`(?:^|[^0-9A-Za-z.])([245]\.[0-9]{1,3}\.[0-9]{1,3})`)
	// replyRe finds SMTP reply codes where bounces quote them: at the
	// start of a line or after "said:", ">>>", "<<<", "was:", "error:".
	replyRe = regexp.MustCompile(`(?i)(?:^|\n|said|<<<|>>>|was|:|;|\(|')[ \t]*\(?([245][0-9][0-9])(?:[ \-,]|$)`)
	addrRe  = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9._%+\-=/'!#$&*?^{|}~]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}`)
)

// maxClassify bounds the text each recipient's classification reads.
const maxClassify = 4 << 10

// findStatuses returns the enhanced status codes in s with their offsets,
// dropping dotted numbers that go on (IP addresses, versions).
func findStatuses(s string) (codes []string, at []int) {
	for _, m := range statusRe.FindAllStringSubmatchIndex(s, 64) {
		end := m[3]
		if end+1 < len(s) && s[end] == '.' && s[end+1] >= '0' && s[end+1] <= '9' {
			continue
		}
		if end < len(s) && s[end] >= '0' && s[end] <= '9' {
			continue
		}
		codes = append(codes, s[m[2]:m[3]])
		at = append(at, m[2])
	}
	return codes, at
}

// bestStatus picks the code a failure report means: the first 4.x.x or
// 5.x.x one, preferring a specific code over a generic x.0.0.
func bestStatus(s string) string {
	codes, _ := findStatuses(s)
	best, success := "", ""
	for _, c := range codes {
		if c[0] == '2' {
			if success == "" {
				success = c
			}
			continue
		}
		if best == "" || isGeneric(best) && !isGeneric(c) {
			best = c
		}
	}
	if best == "" {
		return success // a delivery report
	}
	return best
}

// diagStatus picks the code a diagnostic text means: the last specific
// code, skipping x.4.7 ("delivery time expired", which the reporting MTA
// adds in front of the remote server's own reply).
func diagStatus(s string) string {
	codes, _ := findStatuses(s)
	best := ""
	for _, c := range codes {
		if c[0] == '2' {
			continue
		}
		switch {
		case best == "":
			best = c
		case isGeneric(best) || isExpired(best):
			best = c
		case !isGeneric(c) && !isExpired(c):
			best = c
		}
	}
	return best
}

// prefer chooses between a DSN's Status field and the code in its
// diagnostic text: the diagnostic's, unless it is generic (x.0.0) or the
// expiry code x.4.7, since the remote server's reply is more precise
// than the status the reporting MTA derived from it.
func prefer(status, diag string) string {
	switch {
	case diag == "":
		return status
	case status == "":
		return diag
	case isGeneric(diag) || isExpired(diag):
		return status
	}
	return diag
}

// weak reports whether a code says little: empty, generic (x.0.0), the
// expiry code x.4.7 or Sendmail's catch-all x.5.0.
func weak(c string) bool {
	return c == "" || isGeneric(c) || isExpired(c) || strings.HasSuffix(c, ".5.0")
}

func isExpired(c string) bool { return strings.HasSuffix(c, ".4.7") }

func isGeneric(c string) bool { return strings.HasSuffix(c, ".0.0") }

// replyFor returns the reply code written just before status in s
// ("421 4.4.2", "550-5.7.1"), or "".
func replyFor(s, status string) string {
	if status == "" {
		return ""
	}
	i := 0
	for n := 0; n < 16; n++ {
		j := strings.Index(s[i:], status)
		if j < 0 {
			return ""
		}
		at := i + j
		if at >= 4 {
			pre := s[at-4 : at]
			if (pre[3] == ' ' || pre[3] == '-') && pre[0] >= '2' && pre[0] <= '5' && isDigit(pre[1]) && isDigit(pre[2]) && (at == 4 || !isDigit(s[at-5])) {
				return pre[:3]
			}
		}
		i = at + len(status)
	}
	return ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func findReply(s string) string {
	for _, m := range replyRe.FindAllStringSubmatch(s, 16) {
		if m[1][0] != '2' {
			return m[1]
		}
	}
	return ""
}

func (p *parser) report() *Report {
	r := &Report{Format: FormatNone}
	text := p.text.String()
	switch {
	case p.arf != nil:
		r.Format = FormatFeedback
		r.FeedbackType = p.arf["feedback-type"]
		rcpt := addrOf(p.arf["original-rcpt-to"])
		if rcpt == "" && p.original != nil {
			rcpt = firstAddr(p.original.get("to"))
		}
		r.ReportingMTA = p.arf["reporting-mta"]
		r.Recipients = []Recipient{{Address: rcpt, Category: CategoryReputation, Diagnostic: unfold(p.arf["feedback-type"])}}
		return r
	}
	if len(p.dsn) == 0 && strings.Contains(asciiLower(text), "final-recipient:") {
		// DSN fields inside the text: a report whose MIME structure
		// is broken, or a DSN quoted by another MTA.
		p.dsn = parseDSN([]byte(text))
	}
	if len(p.dsn) > 0 {
		human := cutOriginal(text)
		humanStatus := diagStatus(human)
		r.Format = FormatDSN
		for _, g := range p.dsn {
			if r.ReportingMTA == "" && g["reporting-mta"] != "" {
				r.ReportingMTA = valueOf(g["reporting-mta"])
			}
		}
		for _, g := range p.dsn {
			final, orig := addrOf(g["final-recipient"]), addrOf(g["original-recipient"])
			if final == "" && orig == "" {
				continue
			}
			if final == "" {
				final = orig
			}
			if len(r.Recipients) >= MaxRecipients {
				break
			}
			rc := Recipient{Address: final, Action: Action(strings.ToLower(firstWord(g["action"]))), RemoteMTA: valueOf(g["remote-mta"])}
			if orig != "" && !strings.EqualFold(orig, final) {
				rc.OriginalAddress = orig
			}
			diag := valueOf(g["diagnostic-code"])
			if diag == "" {
				// Some MTAs put the reason only in the human-readable part.
				diag = textAbout(human, final)
			}
			rc.Diagnostic = diag
			rc.Status = prefer(firstStatus(g["status"]), diagStatus(diag))
			if ds := diagStatus(diag); weak(rc.Status) && (ds == "" || isGeneric(ds) || isExpired(ds)) {
				// The human-readable part may quote the remote server's
				// own, more precise reply (a transcript, an Exchange
				// "returned '441 4.4.1 ...'").
				if d := humanStatus; d != "" && !weak(d) {
					rc.Status = d
				}
			}
			rc.Reply = replyFor(diag, rc.Status)
			if rc.Reply == "" {
				rc.Reply = findReply(diag)
			}
			if rc.Reply == "" {
				rc.Reply = replyFor(human, rc.Status)
			}
			rc.Category = Classify(rc.Status, rc.Reply, clip(rc.Diagnostic, maxClassify)+" "+textAbout(human, final))
			r.Recipients = append(r.Recipients, rc)
		}
		if len(r.Recipients) > 0 {
			return r
		}
	}
	if f := p.sesNotification(text, r); f {
		return r
	}
	if p.original != nil && p.original.get("x-hmxmroriginalrecipient") != "" {
		// Outlook.com's junk-mail reporting program (JMRP): the
		// complained-about message, attached whole.
		r.Format = FormatFeedback
		r.FeedbackType = "abuse"
		r.Recipients = []Recipient{{Address: firstAddr(p.original.get("x-hmxmroriginalrecipient")), Category: CategoryReputation, Diagnostic: unfold(p.topHeader.get("subject"))}}
		return r
	}
	if p.isAutoReply(text) {
		r.Format = FormatAutoReply
		from := firstAddr(p.topHeader.get("from"))
		r.Recipients = []Recipient{{Address: from, Category: CategoryOther, Diagnostic: unfold(p.topHeader.get("subject"))}}
		return r
	}
	return p.textReport(r, text)
}

// textReport reads a bounce written in an MTA's own words.
func (p *parser) textReport(r *Report, text string) *Report {
	body := cutOriginal(text)
	status := bestStatus(body)
	reply := findReply(body)
	addrs := p.failedAddresses(body)
	if !p.looksLikeBounce() && !p.fromNullSender() {
		// Without a sign that a mail system wrote it (a MAILER-DAEMON or
		// postmaster sender, a bounce subject, X-Failed-Recipients, the
		// null Return-Path), a message with an address and a number in its
		// body is a message, not a bounce: reading it as one would report
		// a recipient "refused" and skip the message's own checks.
		return r
	}
	if status == "" && reply == "" && len(addrs) == 0 && !p.looksLikeBounce() {
		return r
	}
	r.Format = FormatText
	if len(addrs) == 0 && p.original != nil {
		if a := firstAddr(p.original.get("to")); a != "" {
			addrs = []string{a}
		}
	}
	if len(addrs) == 0 {
		addrs = []string{""}
	}
	if len(addrs) > MaxRecipients {
		addrs = addrs[:MaxRecipients]
	}
	segs := []string{body}
	if len(addrs) > 1 {
		segs = segments(body, addrs)
	}
	for i, a := range addrs {
		rc := Recipient{Address: a, Action: ActionFailed}
		seg := segs[min(i, len(segs)-1)]
		rc.Status = bestStatus(seg)
		rc.Reply = replyFor(seg, rc.Status)
		if rc.Reply == "" {
			rc.Reply = findReply(seg)
		}
		if rc.Status == "" && rc.Reply == "" {
			rc.Status, rc.Reply = status, reply
		}
		rc.Diagnostic = diagnosticLine(seg, rc.Status, rc.Reply)
		if strings.HasPrefix(rc.Status, "4") || rc.Status == "" && strings.HasPrefix(rc.Reply, "4") {
			rc.Action = ActionDelayed
		}
		rc.Category = Classify(rc.Status, rc.Reply, clip(seg, maxClassify))
		if rc.Status == "" && strings.HasSuffix(strings.ToLower(a), "@googlegroups.com") {
			// Google Groups refuses posts from non-members in the
			// group's own words, in the sender's language.
			rc.Category = CategoryPolicy
		}
		r.Recipients = append(r.Recipients, rc)
	}
	return r
}

// cutOriginal drops the returned message that text bounces append after
// a marker line.
func cutOriginal(text string) string {
	human, _ := splitOriginal(text)
	return human
}

// originalMarkers introduce the returned message in text bounces.
var originalMarkers = []string{
	"------ this is a copy of the message", "--- below this line is a copy of the message",
	"----- original message -----", "original message follows",
	"------ original message", "-----original message-----", "--- the header of the original message",
	"content-type: message/rfc822",
	"----- unsent message below -----", "--- original message ---", "----- message header follows -----",
}

// splitOriginal splits a text bounce at the first marker of the returned
// message: the bounce's own words, and what follows the marker's line.
func splitOriginal(text string) (human, original string) {
	low := asciiLower(text)
	cut := len(text)
	for _, m := range originalMarkers {
		if i := strings.Index(low, m); i > 0 && i < cut {
			cut = i
		}
	}
	if cut == len(text) {
		return text, ""
	}
	rest := text[cut:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = strings.TrimLeft(rest[i+1:], "\r\n")
	} else {
		rest = ""
	}
	return text[:cut], rest
}

// failedAddresses lists the recipients a text bounce names, in order:
// X-Failed-Recipients, then addresses in the text that are not the
// bounce's own parties.
func (p *parser) failedAddresses(body string) []string {
	skip := map[string]bool{}
	for _, h := range []string{"from", "to", "return-path", "reply-to", "sender", "delivered-to", "x-original-to"} {
		for _, v := range p.topHeader[h] {
			for _, a := range addrRe.FindAllString(v, 8) {
				skip[strings.ToLower(a)] = true
			}
		}
	}
	if p.original != nil {
		for _, v := range p.original["from"] {
			for _, a := range addrRe.FindAllString(v, 8) {
				skip[strings.ToLower(a)] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.Trim(a, ".<>")
		la := strings.ToLower(a)
		if seen[la] || len(out) >= MaxRecipients {
			return
		}
		local := strings.ToLower(strings.SplitN(a, "@", 2)[0])
		if local == "postmaster" || local == "mailer-daemon" || strings.HasPrefix(local, "mailer-daemon") {
			return
		}
		seen[la] = true
		out = append(out, a)
	}
	for _, v := range p.topHeader["x-failed-recipients"] {
		for _, a := range addrRe.FindAllString(v, MaxRecipients) {
			add(a)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, line := range strings.Split(body, "\n") {
		l := strings.ToLower(strings.TrimSpace(line))
		if strings.HasPrefix(l, "message-id") || strings.HasPrefix(l, "references") || strings.HasPrefix(l, "in-reply-to") ||
			strings.HasPrefix(l, "from:") || strings.HasPrefix(l, "return-path") || strings.HasPrefix(l, "mail from") ||
			strings.Contains(l, "mail from:") || strings.Contains(l, "envelope-from") || strings.HasPrefix(l, "sender:") {
			continue
		}
		for _, a := range addrRe.FindAllString(line, 8) {
			if !skip[strings.ToLower(a)] {
				add(a)
			}
		}
	}
	return out
}

// segments returns, for each address, the part of body about it: from
// its first mention to the next first mention of another address after
// it (the whole body when it is not found). Each address is searched
// once, so the work is linear in the body per address.
func segments(body string, addrs []string) []string {
	low := asciiLower(body)
	at := make([]int, len(addrs))
	for i, a := range addrs {
		at[i] = strings.Index(low, asciiLower(a))
	}
	out := make([]string, len(addrs))
	for i, start := range at {
		if start < 0 || addrs[i] == "" {
			out[i] = body
			continue
		}
		end := len(body)
		for j, o := range at {
			if j != i && o > start && o < end {
				end = o
			}
		}
		out[i] = body[start:end]
	}
	return out
}

// diagnosticLine returns the text around the code, unfolded and cut.
func diagnosticLine(s, status, reply string) string {
	i := -1
	if status != "" {
		i = strings.Index(s, status)
	}
	if i < 0 && reply != "" {
		i = strings.Index(s, reply)
	}
	if i < 0 {
		return clip(unfold(s), 300)
	}
	start := strings.LastIndex(s[:i], "\n") + 1
	return clip(unfold(s[start:]), 300)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// textAbout returns the human-readable text (body, the returned message
// cut off) about address a.
func textAbout(body, a string) string {
	i := strings.Index(asciiLower(body), asciiLower(a))
	if i < 0 || a == "" {
		return clip(unfold(body), 2000)
	}
	return clip(unfold(body[i:]), 600)
}

// fromNullSender reports the marks of a message a mail system sent about
// another: the null reverse-path (Return-Path: <>) or X-Failed-Recipients.
func (p *parser) fromNullSender() bool {
	rp := strings.TrimSpace(p.topHeader.get("return-path"))
	return rp == "<>" || p.topHeader.get("x-failed-recipients") != ""
}

func (p *parser) looksLikeBounce() bool {
	s := strings.ToLower(p.topHeader.get("subject") + " " + p.topHeader.get("from"))
	for _, w := range []string{"mailer-daemon", "postmaster", "undeliver", "delivery", "failure", "returned", "not delivered", "nondeliverable", "non-deliverable", "bounce", "failed", "error",
		"post_master", "notification", "エラー"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func (p *parser) isAutoReply(text string) bool {
	if p.looksLikeBounce() {
		return false
	}
	as := strings.ToLower(p.topHeader.get("auto-submitted"))
	subj := strings.ToLower(p.topHeader.get("subject"))
	if strings.HasPrefix(as, "auto-replied") || p.topHeader.get("x-autoreply") != "" || p.topHeader.get("x-autorespond") != "" ||
		strings.Contains(strings.ToLower(p.topHeader.get("precedence")), "auto_reply") {
		return true
	}
	for _, w := range []string{"out of office", "out of the office", "auto:", "automatic reply", "autoreply", "auto-reply", "vacation", "abwesenheit"} {
		if strings.Contains(subj, w) {
			return true
		}
	}
	return false
}

// addrOf reads an address-type field ("rfc822; user@example.com").
func addrOf(v string) string {
	if v == "" {
		return ""
	}
	if _, rest, ok := strings.Cut(v, ";"); ok {
		v = rest
	}
	v = strings.Trim(strings.TrimSpace(v), "<>\"")
	if a := addrRe.FindString(v); a != "" {
		return a
	}
	return v
}

// valueOf drops the type prefix of a typed field ("dns; mx.example").
func valueOf(v string) string {
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " \t") {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], "(;")
}

func firstStatus(s string) string {
	codes, _ := findStatuses(" " + s)
	if len(codes) > 0 {
		return codes[0]
	}
	return ""
}

func firstAddr(s string) string { return addrRe.FindString(s) }

// asciiLower lowercases ASCII letters only, so that offsets in the result
// are offsets in s (strings.ToLower may change the length).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var (
	sesType  = regexp.MustCompile(`"notificationType"\s*:\s*"(Bounce|Complaint|Delivery)"`)
	sesRcpts = regexp.MustCompile(`"(?:emailAddress|recipients)"\s*:\s*\[?\s*"([^"]{1,320})"`)
)

// sesNotification reads an Amazon SES notification (JSON sent by SNS):
// complaints are feedback and deliveries are not failures.
func (p *parser) sesNotification(text string, r *Report) bool {
	m := sesType.FindStringSubmatch(text)
	if m == nil || m[1] == "Bounce" {
		return false
	}
	addr := ""
	if a := sesRcpts.FindStringSubmatch(text); a != nil {
		addr = addrRe.FindString(a[1])
	}
	if m[1] == "Complaint" {
		r.Format = FormatFeedback
		r.FeedbackType = "abuse"
		r.Recipients = []Recipient{{Address: addr, Category: CategoryReputation, Diagnostic: "complaint"}}
		return true
	}
	r.Format = FormatText
	r.Recipients = []Recipient{{Address: addr, Action: ActionDelivered, Status: bestStatus(text), Category: CategoryOther, Diagnostic: "delivered"}}
	return true
}
