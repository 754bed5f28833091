package bounce

import (
	"regexp"
	"strings"
)

// Category is what a bounce says must change, in a word. The values are
// the words of the msg-bounce.<category> finding IDs.
type Category string

// The categories.
const (
	// CategoryAuthentication: the receiver wants SPF and DKIM that pass
	// (Gmail 5.7.26 "unauthenticated", Microsoft 5.7.515, Yahoo 5.7.9).
	CategoryAuthentication Category = "authentication"
	// CategoryDMARC: the message failed the From domain's DMARC policy.
	CategoryDMARC Category = "dmarc"
	// CategorySPF: SPF failed or the record is broken.
	CategorySPF Category = "spf"
	// CategoryDKIM: a DKIM signature was missing or did not verify.
	CategoryDKIM Category = "dkim"
	// CategoryPTR: the sending IP has no reverse DNS, or it does not
	// match forward DNS.
	CategoryPTR Category = "ptr"
	// CategoryTLS: the receiver requires TLS, or the TLS handshake failed.
	CategoryTLS Category = "tls"
	// CategoryBlocklist: the sending IP or domain is on a blocklist.
	CategoryBlocklist Category = "blocklist"
	// CategoryReputation: the receiver distrusts the sender (spam
	// complaints, low reputation, a feedback report).
	CategoryReputation Category = "reputation"
	// CategoryRate: too many messages or connections.
	CategoryRate Category = "rate"
	// CategoryContent: the message itself was refused (spam or virus
	// content, size, malformed headers).
	CategoryContent Category = "content"
	// CategoryMailbox: the recipient address does not work (unknown,
	// full, disabled, its domain does not exist).
	CategoryMailbox Category = "mailbox"
	// CategoryPolicy: a local policy refused the message (relaying
	// denied, sender rejected, filtered).
	CategoryPolicy Category = "policy"
	// CategoryOther: a delay, timeout, network or server problem, an
	// auto-reply, or a reason the text does not say.
	CategoryOther Category = "other"
)

// Categories lists every category, in the order of their findings.
var Categories = []Category{
	CategoryAuthentication, CategoryDMARC, CategorySPF, CategoryDKIM, CategoryPTR, CategoryTLS,
	CategoryBlocklist, CategoryReputation, CategoryRate, CategoryContent, CategoryMailbox,
	CategoryPolicy, CategoryOther,
}

// Fix says, in plain words, what the sender should change for a bounce
// of this category.
func (c Category) Fix() string {
	switch c {
	case CategoryAuthentication:
		return "Publish an SPF record that lists every server sending for your domain and sign all mail with DKIM under your From domain; large mailbox providers refuse unauthenticated mail. Run 'mxray check' on the From domain and 'mxray analyze' on a sent message."
	case CategoryDMARC:
		return "Make SPF or DKIM pass for a domain aligned with the From domain (same organisational domain); a DMARC policy of quarantine or reject makes receivers refuse mail where neither aligns. Forwarded mail needs ARC or a DKIM signature that survives forwarding."
	case CategorySPF:
		return "Fix the SPF record of the envelope sender's domain: include the sending server's IP, keep it under 10 DNS lookups, and publish exactly one v=spf1 record."
	case CategoryDKIM:
		return "Sign every message with DKIM, publish the selector's public key in DNS (at least 1024-bit RSA, 2048 recommended), and make sure nothing changes the message after signing."
	case CategoryPTR:
		return "Give the sending IP address a reverse DNS (PTR) name that resolves back to the same address, preferably a name in your domain, not a generic ISP name."
	case CategoryTLS:
		return "Enable STARTTLS with a current TLS version on the sending server, and check that its certificate and the receiver's MTA-STS or DANE policy agree."
	case CategoryBlocklist:
		return "Look up the sending IP and domain on the blocklist the bounce names, stop whatever caused the listing (a compromised account, an open relay, purchased lists), then request delisting."
	case CategoryReputation:
		return "Lower complaint and bounce rates: send only to people who asked, honour unsubscribes at once (one-click List-Unsubscribe), remove dead addresses, and warm up new IPs and domains slowly."
	case CategoryRate:
		return "Send more slowly: fewer connections and messages per minute to that receiver, and retry deferred mail later instead of at once."
	case CategoryContent:
		return "Change the message: remove spammy or malicious content and links, keep it under the receiver's size limit, and make the headers valid (one From, a Message-ID, a valid Date)."
	case CategoryMailbox:
		return "Check the recipient address for typos and remove addresses that do not exist or are disabled from your lists; a full mailbox may accept mail later."
	case CategoryPolicy:
		return "The receiver's policy refused the message: read the bounce text for the rule, and contact the receiver's postmaster if the sender should be allowed."
	default:
		return "Read the diagnostic text; a temporary failure is retried by the sending server, and a timeout usually means the receiving server was unreachable."
	}
}

// rule maps text to a category.
type rule struct {
	cat Category
	re  *regexp.Regexp
}

// senderRules: the first rules of textRules are about the sender (its
// authentication, IP, volume, envelope) and outrank a mailbox status
// code.
const senderRules = 15

// textRules are tried in order on the lowercased diagnostic text; the
// first that matches decides. Specific causes come before the generic
// words they share ("spf" before "rejected").
var textRules = []rule{
	{CategoryDMARC, regexp.MustCompile(`dmarc`)},
	// Microsoft's and Yahoo's own reason tokens (their postmaster pages).
	{CategoryBlocklist, regexp.MustCompile(`\bou-00[12]\b|\bsc-003\b`)},
	{CategoryPTR, regexp.MustCompile(`\bdy-00[12]\b`)},
	{CategoryRate, regexp.MustCompile(`\brp-00[1-3]\b`)},
	{CategoryReputation, regexp.MustCompile(`\bsc-00[124]\b|\[ts0[1-4]\]|\[tss0[1-9]\]`)},
	{CategoryContent, contentRule},
	{CategoryPTR, regexp.MustCompile(`reverse dns|reverse lookup|\bptr\b|\brdns\b|reverse (mapping|address|hostname)|does not have a (valid )?(reverse|ptr)|fcrdns|(hostname|host name) (does not|doesn't|didn't) match|resolve your address|cannot find your hostname|unverifyable sending ip|unverifiable sending ip|ip name lookup failed|reverse-dns`)},
	{CategorySPF, regexp.MustCompile(`\bspf\b|sender policy framework|not (a )?permitted sender`)},
	{CategoryDKIM, regexp.MustCompile(`\bdkim\b|domainkeys|signature (did not|does not|failed to) verify`)},
	{CategoryAuthentication, regexp.MustCompile(`unauthenticated|not authenticated|authentication (is )?required|authentication fail|failed authentication|not pass authentication|sender authentication|\bauth(entication)? (error|failure)`)},
	{CategoryTLS, regexp.MustCompile(`\btls\b|starttls|encryption required|\bssl\b|certificate`)},
	{CategoryBlocklist, regexp.MustCompile(`blacklist|blocklist|block list|black list|\brbl\b|dnsbl|spamhaus|spamcop|sorbs|barracuda|\blisted (on|in|at|by)\b|uceprotect|abuseat|\bcbl\b|mailspike|\bpsbl\b|denylist|deny list|\(bl\)`)},
	{CategoryReputation, regexp.MustCompile(`reputation|poor (sender|ip)|low (sender|ip)|complaints|bulk mail|unsolicited|sending ip is not trusted|\[tss0`)},
	{CategoryRate, regexp.MustCompile(`too many (connections|messages|recipients|emails|mails)|rate limit|ratelimit|rate-limit|at a rate|slow down|throttl|too fast|sending limit|exceeded the rate|connection limit|too many concurrent|daily relay quota|unusual rate`)},
	{CategoryPolicy, regexp.MustCompile(`relay(ing)? (denied|not permitted|access denied|prohibited)|no relaying|not permitted to relay|unable to relay|sender address rejected|domain of sender|sender (domain|address) (is )?(invalid|not)|violation|not authorized|delivery not authorized|from: domain is invalid|may not exist, or you don't have permission|client host rejected`)},
	{CategoryMailbox, regexp.MustCompile(`user unknown|unknown user|no such (user|mailbox|address|recipient|domain)|mailbox (unavailable|not found|full|is full|disabled|inactive|does not exist|quota)|quota|recipient (address )?rejected: user unknown|does not exist|doesn't exist|invalid (recipient|mailbox|address|final delivery)|unknown (recipient|address|local)|not (a )?valid (recipient|mailbox|user)|no valid recipients|account (is )?(disabled|suspended|inactive|expired|locked)|temporary locked|disabled|host (or domain name )?not found|host unknown|unknown host|unrouteable|domain (not found|does not exist)|name service error|nxdomain|user not found|recipient not found|not our customer|insufficient (system )?storage|has moved|no longer|unknown or illegal alias|not listed in public name|not accepting network messages|does not accept mail|null mx|no mx|not-listed-in|recipient address rejected|doesn't have an? [^ ]+ account|not recognized|mailfolder is full|recipient's mailbox|mailbox exceeded`)},
	{CategoryContent, regexp.MustCompile(`content (rejected|filter|policy)|message content|message (is )?too (big|large)|size (limit|exceed)|exceeds? (the )?(maximum|size)|message size|too large|headers? (is |are )?(invalid|malformed)|attachment|line too long`)},
	{CategoryOther, regexp.MustCompile(`expired|timed out|timeout|connection refused|could not connect|unable to connect|deferred|disk space|try again later|temporar`)},
	{CategoryPolicy, regexp.MustCompile(`relay|policy|not allowed|prohibited|refused|rejected|denied|blocked|filter|not accepted|access denied|administrative|forbidden|restricted`)},
}

// contentRule: the message itself is refused (malformed, spam, virus).
var contentRule = regexp.MustCompile(`duplicate header|multiple addresses in from|header error|not (rfc|rfc5322|rfc 5322)[- ]?compliant|\bspam\b|spam detected|virus|malware|infected|phish`)

// codeCategory maps an enhanced status code to a category (RFC 3463,
// RFC 7372 and the large providers' documented codes). strong means the
// code decides over most text.
func codeCategory(status string) (c Category, strong bool) {
	if len(status) < 5 {
		return "", false
	}
	switch status[2:] { // "7.26"
	case "7.26", "7.27", "7.30", "7.515", "7.9", "7.8":
		// Gmail/Microsoft/Yahoo authentication codes; the text may name
		// DMARC, SPF or DKIM more precisely.
		return CategoryAuthentication, true
	case "7.24":
		return CategorySPF, true // Gmail: suspicious SPF
	case "7.40", "7.32", "7.31":
		return CategoryDMARC, true // Gmail: no DMARC record, From not aligned
	case "7.25", "7.23":
		return CategoryPTR, true // Gmail: no PTR, or PTR and A disagree
	case "7.29", "7.10", "7.11", "7.5":
		return CategoryTLS, true
	case "7.28":
		return CategoryReputation, true
	case "1.1", "1.0", "1.2", "1.3", "1.6", "1.10", "2.1", "2.2", "4.4", "3.2":
		return CategoryMailbox, false
	case "1.7", "1.8":
		return CategoryPolicy, false // the sender's address
	case "3.4", "6.0", "6.1", "7.7", "2.3":
		return CategoryContent, false
	case "7.100":
		return CategoryRate, false
	}
	return "", false
}

// Classify decides the category of a failure from its enhanced status
// code, SMTP reply code and diagnostic text.
func Classify(status, reply, text string) Category {
	low := normalizeText(text)
	if c, strong := codeCategory(status); strong {
		if c == CategoryAuthentication {
			for _, r := range textRules {
				if (r.cat == CategoryDMARC || r.cat == CategorySPF || r.cat == CategoryDKIM) && r.re.MatchString(low) {
					return r.cat
				}
			}
			// Yahoo's 5.7.9 also answers malformed headers.
			if contentRule.MatchString(low) {
				return CategoryContent
			}
		}
		return c
	} else if c != "" {
		// A mailbox, content or rate code: text about the sender
		// outranks it (a 5.1.1 sent because the sender is listed).
		for _, r := range textRules[:senderRules] {
			if r.re.MatchString(low) {
				return r.cat
			}
		}
		return c
	}
	for _, r := range textRules {
		if r.re.MatchString(low) {
			return r.cat
		}
	}
	if strings.HasPrefix(status, "5.7") || status == "" && strings.HasPrefix(reply, "55") {
		return CategoryPolicy
	}
	return CategoryOther
}

// replyPrefix matches the reply codes that multi-line SMTP replies repeat
// at each line ("550-5.7.1 ... 550 5.7.1 ..."), which cut phrases apart.
var replyPrefix = regexp.MustCompile(`(^|\s)[245][0-9][0-9][ -]([245]\.[0-9]{1,3}\.[0-9]{1,3}\s)?`)

// normalizeText lowercases text, folds whitespace and drops repeated
// reply codes, so that the rules match phrases however they were wrapped.
func normalizeText(text string) string {
	low := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	low = replyPrefix.ReplaceAllString(low, " ")
	// "not listed in" is a directory lookup (Lotus Notes), not a
	// blocklist listing.
	return strings.ReplaceAll(low, "not listed in", "not-listed-in")
}
