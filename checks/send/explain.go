package send

import (
	"regexp"
	"strings"
)

// explanation is one known kind of rejection: it matches on the enhanced
// status code (exact, or a prefix ending in "."), on words of the reply
// text (lower case), or both.
type explanation struct {
	codes []string // "5.7.26", "4.7." (prefix)
	words []string // any of these in the lower-cased text
	both  bool     // require a code match and a word match
	say   string
}

// explanations are tried in order; the first match wins. Entries that name a
// provider say so, because the same enhanced code means different things
// elsewhere.
var explanations = []explanation{
	{words: []string{"spamhaus"}, say: "The receiver found the sending IP address on a Spamhaus blocklist (the reply names the list: SBL, XBL/CSS, PBL...). Look the address up at https://check.spamhaus.org, fix the cause (a compromised host, a dynamic or residential address that should relay through a smarthost), then request delisting. A reply mentioning \"open resolver\" or \"public resolver\" instead means the receiver's own DNS set-up is at fault, not your address."},
	{words: []string{"blocked using", "listed at", "listed on", "blocklist", "blacklist", "dnsbl", "rbl"}, say: "The receiver found the sending IP address on a DNS blocklist named in the reply. Look the address up on that list's website, fix the cause, and request delisting; `mxray check --ip ADDRESS` shows which lists carry it."},
	{codes: []string{"5.7.26"}, say: "Gmail: the message failed authentication: neither SPF nor DKIM passed in alignment with the From domain, and that domain's DMARC policy (or Gmail's sender requirements) asks for rejection. Sign with DKIM for the From domain (--dkim-key), publish SPF for the sending address, and check with `mxray check DOMAIN`."},
	{codes: []string{"5.7.27"}, say: "Gmail: the sending address is not allowed by the sender domain's SPF record. Add it to SPF, or send through a server SPF authorises."},
	{codes: []string{"5.7.25"}, say: "Gmail: the sending IP address has no reverse DNS (PTR) record, or it does not match forward DNS. Ask the owner of the address block to set a PTR whose name resolves back to the address."},
	{codes: []string{"4.7.23", "5.7.23"}, say: "SPF validation failed for the sender's domain at the receiver. Check the SPF record with `mxray check DOMAIN`."},
	{codes: []string{"4.7.26", "4.7.27", "4.7.30", "4.7.32", "4.7.40"}, say: "Gmail (temporary): the message does not meet the authentication requirements for senders: SPF and DKIM must pass, DKIM aligned with the From domain and DMARC published for bulk senders. Gmail is deferring now and will reject later; fix SPF/DKIM/DMARC (`mxray check DOMAIN`) and sign with --dkim-key."},
	{codes: []string{"4.7.28", "4.7.0", "5.7.28"}, words: []string{"rate", "unusual", "too many", "unsolicited"}, both: true, say: "The receiver is rate limiting this sender or address for now (an unusual volume or reputation). Send less, ramp up slowly, and try again later."},
	{codes: []string{"5.7.509", "5.7.515"}, say: "Microsoft: the sending domain does not pass DMARC (or its authentication requirements for high-volume senders). Align SPF or DKIM with the From domain."},
	{codes: []string{"5.7.606", "5.7.607", "5.7.608", "5.7.609"}, words: []string{"banned sending ip", "access denied"}, say: "Microsoft: the sending IP address is blocked. Request removal through the Office 365 delist portal (https://sender.office.com) once the cause is fixed."},
	{words: []string{"greylist", "graylist", "grey-list", "gray-list", "greylisted", "try again later"}, codes: []string{"4."}, both: true, say: "Greylisting: the receiver defers a first attempt from an unknown sender and accepts a retry after a few minutes. A real mail server queues and retries by itself; mxray does not queue, so run the same send again in about five minutes."},
	{codes: []string{"5.7.57", "5.7.0", "5.7.1"}, words: []string{"not authenticated", "authentication required", "must authenticate", "auth first"}, both: true, say: "The server wants AUTH before it takes mail from this sender. Use --auth-user (the password from MXRAY_PASSWORD, --password-file or a prompt), over --starttls or --tls."},
	{codes: []string{"5.7.0", "5.7.10", "5.7.11"}, words: []string{"starttls", "tls"}, both: true, say: "The server requires TLS first. Use --starttls (port 587) or --tls (port 465)."},
	{codes: []string{"5.7.8", "5.7.9", "5.7.139"}, say: "Authentication failed: the user name or the password is wrong, the account is locked, or the provider requires an app password (or OAuth) instead of the account password."},
	{words: []string{"relay access denied", "relaying denied", "relay not permitted", "not permitted to relay", "unable to relay", "relay denied"}, say: "The server does not take mail for that domain from you: it is not the recipient's MX and you did not authenticate. Send to the recipient domain's MX (leave out --server), or authenticate on your provider's submission server."},
	{codes: []string{"5.1.1", "5.1.0", "5.1.10"}, say: "The recipient address does not exist at this server (or the domain accepts no mail). Check the spelling of the address."},
	{codes: []string{"5.1.2"}, say: "The recipient's domain cannot be routed to: it does not exist or has no usable mail servers."},
	{codes: []string{"4.2.2", "5.2.2"}, say: "The recipient's mailbox is full."},
	{codes: []string{"5.3.4", "5.2.3"}, say: "The message is larger than the server accepts (see the SIZE in its EHLO reply)."},
	{codes: []string{"5.1.8", "5.1.7"}, say: "The server rejects the sender address: its domain may not resolve or may have no MX/A record, or the address is malformed. Use a sender in a domain that receives mail."},
	{words: []string{"reverse", "ptr", "rdns", "cannot find your hostname", "client host rejected"}, say: "The server checks the sending IP address's reverse DNS (PTR) and did not like it: the address has no PTR, or the name does not resolve back to it. Ask the owner of the address block to set a matching PTR."},
	{words: []string{"spf"}, say: "The server applied the sender domain's SPF record and the sending address is not allowed. Check it with `mxray check DOMAIN --ip ADDRESS`."},
	{words: []string{"dmarc"}, say: "The message failed the From domain's DMARC policy: neither SPF nor DKIM passed in alignment. Sign with DKIM for the From domain (--dkim-key)."},
	{words: []string{"helo", "ehlo"}, codes: []string{"5.", "4."}, both: true, say: "The server does not like the EHLO name. Send a fully qualified name that resolves to the sending address with --helo."},
}

// Explain returns a short explanation of a rejection, or "" when the reply
// matches no known pattern. Temporary (4xx) replies that match nothing get
// a general note.
func Explain(code int, enhanced, text string) string {
	lt := strings.ToLower(text)
	for _, e := range explanations {
		cm := matchCode(e.codes, enhanced)
		wm := matchWords(e.words, lt)
		switch {
		case e.both && cm && wm,
			!e.both && len(e.codes) > 0 && cm,
			!e.both && len(e.codes) == 0 && wm:
			return e.say
		}
	}
	switch {
	case code == 421:
		return "The server is closing the connection (overloaded, shutting down, or limiting connections from this address). Try again later."
	case code >= 400 && code < 500:
		return "A temporary failure: the server asks to try again later. A real mail server would queue the message and retry."
	case code == 554 && strings.Contains(lt, "no smtp service"), code == 554 && strings.Contains(lt, "no service"):
		return "The server refuses every connection from this address."
	}
	return ""
}

func matchCode(codes []string, enhanced string) bool {
	if enhanced == "" {
		return false
	}
	for _, c := range codes {
		if c == enhanced || strings.HasSuffix(c, ".") && strings.HasPrefix(enhanced, c) {
			return true
		}
	}
	return false
}

func matchWords(words []string, lt string) bool {
	for _, w := range words {
		if strings.Contains(lt, w) {
			return true
		}
	}
	return false
}

var queueIDPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)queued as ([A-Za-z0-9._-]+)`),                                    // Postfix, go-smtp based servers
	regexp.MustCompile(`(?i)\bid=([A-Za-z0-9._-]+)`),                                         // Exim: "OK id=1abc-000123-AB"
	regexp.MustCompile(`(?i)^OK\s+\d+\s+(\S+)\s+-\s+gsmtp`),                                  // Gmail: "OK  1700000000 a1b2c3.5 - gsmtp"
	regexp.MustCompile(`(?i)\[InternalId=(\d+)`),                                             // Exchange, Microsoft 365
	regexp.MustCompile(`(?i)^([A-Za-z0-9]{8,}) Message accepted for delivery`),               // Sendmail
	regexp.MustCompile(`(?i)(?:message|mail) (?:accepted|queued)[^<\[]*[<\[]([^>\]]+)[>\]]`), // "Message accepted <id>"
	regexp.MustCompile(`(?i)\bqueued?(?: id)?:?\s+([A-Za-z0-9][A-Za-z0-9._-]{5,})`),
	regexp.MustCompile(`(?i)^ok\s+([0-9a-z][0-9a-z._-]{9,})$`), // Amazon SES and others: "Ok 0100018b..."
}

// enhancedPrefix is an RFC 3463 code at the start of a reply's text.
var enhancedPrefix = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\s+`)

// QueueID extracts the queue id from the text of the reply to the end of
// DATA ("2.0.0 Ok: queued as 4F3A2B1C"), or "".
func QueueID(text string) string {
	text = enhancedPrefix.ReplaceAllString(strings.TrimSpace(text), "")
	for _, re := range queueIDPatterns {
		if m := re.FindStringSubmatch(text); m != nil {
			return strings.TrimRight(m[1], ".,;")
		}
	}
	return ""
}
