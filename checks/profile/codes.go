package profile

import (
	"fmt"
	"regexp"
	"strings"
)

// Entry explains one code: what the enhanced status code registry says
// it means, and what the providers that use it mean by it.
type Entry struct {
	// Code is the code looked up, normalised: "5.7.26", "TSS04", "SC-001".
	Code string `json:"code"`
	// Class is what the code's first digit says: "success", "persistent
	// transient failure" or "permanent failure"; "" for a provider token.
	Class string `json:"class,omitempty"`
	// Meaning is the registry's meaning of the code's subject and detail
	// (X.7.26: multiple authentication checks failed); "" when the
	// registry does not list it (e.g. Microsoft's 5.7.515).
	Meaning string `json:"meaning,omitempty"`
	// Ref is the RFC that registered the code; "" when Meaning is "".
	Ref string `json:"ref,omitempty"`
	// Rule is the provider rule the registry meaning points to (X.7.23,
	// SPF validation failed: spf-or-dkim); "" when none.
	Rule RuleID `json:"rule,omitempty"`
	// Checks are the mxray checks that find the cause of the registry
	// meaning; absent when none does.
	Checks []string `json:"checks,omitempty"`
	// Fix is what to do about the registry meaning; "" when it depends on
	// the receiver (read Uses).
	Fix string `json:"fix,omitempty"`
	// Uses are what providers answer with this code, and why.
	Uses []Use `json:"uses,omitempty"`
}

// Use is what one provider means by a code.
type Use struct {
	Provider Provider `json:"provider"`
	// Reply is the reply as the provider writes it: "550 5.7.26",
	// "421 4.7.0 [TSS04]", "550 SC-001".
	Reply string `json:"reply"`
	// Meaning says why the provider answers it, in plain words.
	Meaning string `json:"meaning"`
	// Rule is the provider rule the reply enforces; "" when it enforces
	// none of the rules graded by the profile check.
	Rule RuleID `json:"rule,omitempty"`
	// Checks are the mxray checks that find the cause.
	Checks []string `json:"checks,omitempty"`
	// Fix is what to do about it.
	Fix    string `json:"fix"`
	Source Source `json:"source"`
}

// registry is the IANA registry of enumerated status codes (subject.detail,
// the class being the first digit), assembled from RFC 3463 and the RFCs
// that added codes to it.
var registry = map[string][2]string{
	"0.0":  {"Other undefined status", "RFC 3463"},
	"1.0":  {"Other address status", "RFC 3463"},
	"1.1":  {"Bad destination mailbox address", "RFC 3463"},
	"1.2":  {"Bad destination system address", "RFC 3463"},
	"1.3":  {"Bad destination mailbox address syntax", "RFC 3463"},
	"1.4":  {"Destination mailbox address ambiguous", "RFC 3463"},
	"1.5":  {"Destination address valid", "RFC 3463"},
	"1.6":  {"Destination mailbox has moved, no forwarding address", "RFC 3463"},
	"1.7":  {"Bad sender's mailbox address syntax", "RFC 3463"},
	"1.8":  {"Bad sender's system address", "RFC 3463"},
	"1.9":  {"Message relayed to a non-compliant mailer", "RFC 3886"},
	"1.10": {"Recipient address has a null MX", "RFC 7505"},
	"2.0":  {"Other or undefined mailbox status", "RFC 3463"},
	"2.1":  {"Mailbox disabled, not accepting messages", "RFC 3463"},
	"2.2":  {"Mailbox full", "RFC 3463"},
	"2.3":  {"Message length exceeds administrative limit", "RFC 3463"},
	"2.4":  {"Mailing list expansion problem", "RFC 3463"},
	"3.0":  {"Other or undefined mail system status", "RFC 3463"},
	"3.1":  {"Mail system full", "RFC 3463"},
	"3.2":  {"System not accepting network messages", "RFC 3463"},
	"3.3":  {"System not capable of selected features", "RFC 3463"},
	"3.4":  {"Message too big for system", "RFC 3463"},
	"3.5":  {"System incorrectly configured", "RFC 3463"},
	"3.6":  {"Requested priority was changed", "RFC 6710"},
	"4.0":  {"Other or undefined network or routing status", "RFC 3463"},
	"4.1":  {"No answer from host", "RFC 3463"},
	"4.2":  {"Bad connection", "RFC 3463"},
	"4.3":  {"Directory server failure", "RFC 3463"},
	"4.4":  {"Unable to route", "RFC 3463"},
	"4.5":  {"Mail system congestion", "RFC 3463"},
	"4.6":  {"Routing loop detected", "RFC 3463"},
	"4.7":  {"Delivery time expired", "RFC 3463"},
	"5.0":  {"Other or undefined protocol status", "RFC 3463"},
	"5.1":  {"Invalid command", "RFC 3463"},
	"5.2":  {"Syntax error", "RFC 3463"},
	"5.3":  {"Too many recipients", "RFC 3463"},
	"5.4":  {"Invalid command arguments", "RFC 3463"},
	"5.5":  {"Wrong protocol version", "RFC 3463"},
	"5.6":  {"Authentication exchange line is too long", "RFC 4954"},
	"6.0":  {"Other or undefined media error", "RFC 3463"},
	"6.1":  {"Media not supported", "RFC 3463"},
	"6.2":  {"Conversion required and prohibited", "RFC 3463"},
	"6.3":  {"Conversion required but not supported", "RFC 3463"},
	"6.4":  {"Conversion with loss performed", "RFC 3463"},
	"6.5":  {"Conversion failed", "RFC 3463"},
	"6.6":  {"Message content not available", "RFC 4468"},
	"6.7":  {"Non-ASCII addresses not permitted for that sender or recipient", "RFC 6531"},
	"6.8":  {"UTF-8 string reply is required, but not permitted by the SMTP client", "RFC 6531"},
	"6.9":  {"UTF-8 header message cannot be transferred to one or more recipients", "RFC 6531"},
	"6.10": {"UTF-8 string reply is required, but not permitted by the SMTP client (listed twice in the registry)", "RFC 6531"},
	"7.0":  {"Other or undefined security status", "RFC 3463"},
	"7.1":  {"Delivery not authorized, message refused", "RFC 3463"},
	"7.2":  {"Mailing list expansion prohibited", "RFC 3463"},
	"7.3":  {"Security conversion required but not possible", "RFC 3463"},
	"7.4":  {"Security features not supported", "RFC 3463"},
	"7.5":  {"Cryptographic failure", "RFC 3463"},
	"7.6":  {"Cryptographic algorithm not supported", "RFC 3463"},
	"7.7":  {"Message integrity failure", "RFC 3463"},
	"7.8":  {"Authentication credentials invalid", "RFC 4954"},
	"7.9":  {"Authentication mechanism is too weak", "RFC 4954"},
	"7.10": {"Encryption needed", "RFC 5248"},
	"7.11": {"Encryption required for requested authentication mechanism", "RFC 4954"},
	"7.12": {"A password transition is needed", "RFC 4954"},
	"7.13": {"User account disabled", "RFC 5248"},
	"7.14": {"Trust relationship required", "RFC 5248"},
	"7.15": {"Priority level is too low", "RFC 6710"},
	"7.16": {"Message is too big for the specified priority", "RFC 6710"},
	"7.17": {"Mailbox owner has changed", "RFC 7293"},
	"7.18": {"Domain owner has changed", "RFC 7293"},
	"7.19": {"RRVS test cannot be completed", "RFC 7293"},
	"7.20": {"No passing DKIM signature found", "RFC 7372"},
	"7.21": {"No acceptable DKIM signature found", "RFC 7372"},
	"7.22": {"No valid author-matched DKIM signature found", "RFC 7372"},
	"7.23": {"SPF validation failed", "RFC 7372"},
	"7.24": {"SPF validation error", "RFC 7372"},
	"7.25": {"Reverse DNS validation failed", "RFC 7372"},
	"7.26": {"Multiple authentication checks failed", "RFC 7372"},
	"7.27": {"Sender address has a null MX", "RFC 7505"},
	"7.28": {"Mail flood detected", "IANA SMTP enhanced status codes registry"},
	"7.29": {"ARC validation failure", "RFC 8617"},
	"7.30": {"REQUIRETLS support required", "RFC 8689"},
}

// hint is what mxray knows of a registry code's cause.
type hint struct {
	rule   RuleID
	checks []string
	fix    string
}

// hints map registry codes (subject.detail) to the rules and checks
// behind them.
var hints = map[string]hint{
	"1.10": {"", []string{"mx"}, "The recipient's domain publishes a null MX: it receives no mail. Check the address, or ask the recipient for another."},
	"7.20": {RuleSPFOrDKIM, []string{"dkim"}, fixDKIM},
	"7.21": {RuleSPFOrDKIM, []string{"dkim"}, fixDKIM},
	"7.22": {RuleAlignment, []string{"dkim", "dmarc"}, fixAlign},
	"7.23": {RuleSPFOrDKIM, []string{"spf"}, fixSPF},
	"7.24": {RuleSPFOrDKIM, []string{"spf"}, fixSPF},
	"7.25": {RuleReverseDNS, []string{"ptr"}, fixPTR},
	"7.26": {RuleSPFOrDKIM, []string{"spf", "dkim", "dmarc"}, fixAuth},
	"7.27": {RuleNoNullMX, []string{"mx"}, ruleFixNoNullMX},
	"7.29": {RuleARC, nil, "If the message was forwarded, have the forwarder add a valid ARC set (RFC 8617); otherwise make SPF or DKIM pass for the From domain."},
	"7.30": {"", nil, "The message asked for REQUIRETLS (RFC 8689) and a server on the way does not support it: send it without REQUIRETLS, or through servers that support it."},
}

// Fixes shared by several codes.
const (
	fixAuth         = "Publish an SPF record that lists every server sending as the domain, sign every message with DKIM (a 2048-bit key), and check with `mxray check <domain> --ip <sending IP>`, or `mxray analyze` on a message the provider received."
	fixSPF          = "Add the sending server (or your provider's include) to the domain's SPF record, keep it within 10 DNS lookups, and check with `mxray check <domain> --ip <sending IP>`."
	fixDKIM         = "Sign every message with DKIM for the From domain (a key of 1024 bits at least, 2048 recommended) and publish the key; check with `mxray check <domain> --selector <selector>`."
	fixDMARC        = "Publish `_dmarc.<domain>. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc@<domain>\"` and move to quarantine or reject once the reports show only your own servers."
	fixAlign        = "Make the From domain match the SPF domain (the MAIL FROM, or bounce, domain) or the DKIM d= domain, at least at the organisational domain: configure your email service to sign with your own domain and use a bounce domain under it."
	fixPTR          = "Ask whoever holds the sending address for a PTR record naming your mail server, a name of your own that resolves back to the address (check with `mxray check <domain> --ip <address>`)."
	fixTLS          = "Have the sending server use STARTTLS when the receiver offers it (Postfix: smtp_tls_security_level = may); check the inbound hop of a received message with `mxray analyze`."
	fixFormat       = "Send messages with exactly one From field holding one address, a Message-ID, and each single-instance field (Date, Subject, To...) once; check with `mxray analyze`."
	fixSpam         = "Send only to people who asked for your mail, honour unsubscribes within two days, remove addresses that bounce, and watch the provider's own data: Google Postmaster Tools, Yahoo's Complaint Feedback Loop, Microsoft SNDS."
	fixReputable    = "Fix the cause (an infected host, an open relay, a poor list), then ask the provider to review the address through its sender support form."
	ruleFixNoNullMX = "Replace the null MX of a domain that sends mail with MX records for a host that receives its replies and bounces."
)

// uses are the provider codes: what each provider answers, read from its
// own pages.
var uses = []Use{
	{Provider: Gmail, Reply: "451 4.7.23", Rule: RuleReverseDNS, Checks: []string{"ptr"}, Fix: fixPTR, Source: srcGmailCodes,
		Meaning: "Gmail slows down mail from an address whose PTR record is missing or does not resolve back to it."},
	{Provider: Gmail, Reply: "550 5.7.25", Rule: RuleReverseDNS, Checks: []string{"ptr"}, Fix: fixPTR, Source: srcGmailCodes,
		Meaning: "Gmail refuses mail from an address whose PTR record is missing or does not resolve back to it."},
	{Provider: Gmail, Reply: "421 4.7.0", Rule: RuleReverseDNS, Checks: []string{"ptr", "dnsbl"}, Fix: fixPTR, Source: srcGmailCodes,
		Meaning: "Gmail's general temporary block: among others a sending address without a forward-confirmed PTR record, a recipient domain that requires TLS, or a sender of low reputation. The reply's text says which."},
	{Provider: Gmail, Reply: "550 5.7.1", Rule: RuleMessageFormat, Checks: []string{"ptr"}, Fix: fixFormat, Source: srcGmailCodes,
		Meaning: "Gmail's general refusal: among others a message that breaks RFC 5322 (no From or several, several addresses in From, no valid Message-ID, duplicate fields), mail over IPv6 without a PTR record and authentication, or content judged unsolicited. The reply's text says which."},
	{Provider: Gmail, Reply: "554 5.6.0", Rule: RuleMessageFormat, Fix: fixFormat, Source: srcGmailCodes,
		Meaning: "Gmail refuses a message it cannot read as a well-formed message (RFC 5322)."},
	{Provider: Gmail, Reply: "451 4.7.24", Rule: RuleSPFOrDKIM, Checks: []string{"spf"}, Fix: fixSPF, Source: srcGmailCodes,
		Meaning: "Gmail slows down mail whose SPF record has entries it finds suspicious."},
	{Provider: Gmail, Reply: "550 5.7.24", Rule: RuleSPFOrDKIM, Checks: []string{"spf"}, Fix: fixSPF, Source: srcGmailCodes,
		Meaning: "Gmail refuses mail whose SPF record has entries it finds suspicious."},
	{Provider: Gmail, Reply: "451 4.7.26", Rule: RuleAlignment, Checks: []string{"dns", "spf", "dkim", "dmarc"}, Fix: "Make the domain's name servers answer reliably (TXT queries for SPF, _domainkey and _dmarc names, over UDP and TCP), then resend.", Source: srcGmailCodes,
		Meaning: "The domain's DMARC policy refuses unauthenticated mail, and a temporary DNS failure kept Gmail from authenticating this message."},
	{Provider: Gmail, Reply: "421 4.7.26", Rule: RuleSPFOrDKIM, Checks: []string{"spf", "dkim"}, Fix: fixAuth, Source: srcGmailCodes,
		Meaning: "Gmail slows down mail that neither SPF nor DKIM authenticates: every sender must pass one of them."},
	{Provider: Gmail, Reply: "550 5.7.26", Rule: RuleSPFOrDKIM, Checks: []string{"spf", "dkim", "dmarc"}, Fix: fixAuth, Source: srcGmailCodes,
		Meaning: "Gmail refuses unauthenticated mail: neither SPF nor DKIM passed, or SPF failed against a -all record, or the From domain's DMARC policy rejects mail that does not align."},
	{Provider: Gmail, Reply: "421 4.7.27", Rule: RuleSPFAndDKIM, Checks: []string{"spf"}, Fix: fixSPF, Source: srcGmailCodes,
		Meaning: "Gmail slows down a bulk sender's mail that does not pass SPF: bulk senders must pass SPF and DKIM."},
	{Provider: Gmail, Reply: "550 5.7.27", Rule: RuleSPFAndDKIM, Checks: []string{"spf"}, Fix: fixSPF, Source: srcGmailCodes,
		Meaning: "Gmail refuses a bulk sender's mail that does not pass SPF."},
	{Provider: Gmail, Reply: "421 4.7.28", Rule: RuleSpamRate, Fix: fixSpam, Source: srcGmailCodes,
		Meaning: "Gmail sees an unusual rate of (unsolicited) mail from the address, network, DKIM or SPF domain or a URL domain, and slows it down."},
	{Provider: Gmail, Reply: "550 5.7.28", Rule: RuleSpamRate, Fix: fixSpam, Source: srcGmailCodes,
		Meaning: "Gmail refuses mail from an address sending an unusual rate of unsolicited mail."},
	{Provider: Gmail, Reply: "421 4.7.29", Rule: RuleTLS, Fix: fixTLS, Source: srcGmailCodes,
		Meaning: "Gmail slows down mail that did not arrive over TLS."},
	{Provider: Gmail, Reply: "550 5.7.29", Rule: RuleTLS, Fix: fixTLS, Source: srcGmailCodes,
		Meaning: "Gmail refuses mail that did not arrive over TLS."},
	{Provider: Gmail, Reply: "421 4.7.30", Rule: RuleSPFAndDKIM, Checks: []string{"dkim"}, Fix: fixDKIM, Source: srcGmailCodes,
		Meaning: "Gmail slows down a bulk sender's mail that does not pass DKIM: bulk senders must pass SPF and DKIM."},
	{Provider: Gmail, Reply: "550 5.7.30", Rule: RuleSPFAndDKIM, Checks: []string{"dkim"}, Fix: fixDKIM, Source: srcGmailCodes,
		Meaning: "Gmail refuses a bulk sender's mail that does not pass DKIM."},
	{Provider: Gmail, Reply: "421 4.7.31", Rule: RuleDMARCRecord, Checks: []string{"dmarc"}, Fix: fixDMARC, Source: srcGmailFAQ,
		Meaning: "Named in Gmail's sender FAQ for bulk mail from a domain without a DMARC record; the error list itself uses 4.7.40."},
	{Provider: Gmail, Reply: "421 4.7.32", Rule: RuleAlignment, Checks: []string{"dmarc", "spf", "dkim"}, Fix: fixAlign, Source: srcGmailCodes,
		Meaning: "Gmail slows down a bulk sender's mail whose From domain aligns with neither the SPF nor the DKIM domain."},
	{Provider: Gmail, Reply: "421 5.7.32", Rule: RuleAlignment, Checks: []string{"dmarc", "spf", "dkim"}, Fix: fixAlign, Source: srcGmailCodes,
		Meaning: "Gmail blocks a bulk sender's mail whose From domain aligns with neither the SPF nor the DKIM domain (Gmail's list pairs this permanent code with a 421 reply)."},
	{Provider: Gmail, Reply: "421 4.7.40", Rule: RuleDMARCRecord, Checks: []string{"dmarc"}, Fix: fixDMARC, Source: srcGmailCodes,
		Meaning: "Gmail slows down a bulk sender's mail when the sending domain has no DMARC record, or one without a policy."},
	{Provider: Gmail, Reply: "550 5.7.40", Rule: RuleDMARCRecord, Checks: []string{"dmarc"}, Fix: fixDMARC, Source: srcGmailCodes,
		Meaning: "Gmail refuses a bulk sender's mail when the sending domain has no DMARC record, or one without a policy."},

	{Provider: Yahoo, Reply: "421 4.7.0 [TSS04]", Rule: RuleSpamRate, Fix: fixSpam, Source: srcYahooCodes,
		Meaning: "Yahoo defers mail for a while: unusual volume, complaints from its users, content that looks like spam, or a poor reputation of the address or its network."},
	{Provider: Yahoo, Reply: "421 4.7.1 [TS03]", Rule: RuleSpamRate, Fix: fixSpam, Source: srcYahooHelpTS03,
		Meaning: "Yahoo defers all mail from the address: it sees a volume typical of unsolicited bulk mail."},
	{Provider: Yahoo, Reply: "550 5.7.9", Rule: RuleSPFOrDKIM, Checks: []string{"spf", "dkim", "dmarc"}, Fix: fixAuth, Source: srcYahooCodes,
		Meaning: "Yahoo refuses mail that fails its authentication checks: every sender must pass SPF or DKIM, bulk senders both, with a DMARC policy."},
	{Provider: Yahoo, Reply: "554 5.7.9", Rule: RuleSPFOrDKIM, Checks: []string{"spf", "dkim", "dmarc"}, Fix: fixAuth, Source: srcYahooCodes,
		Meaning: "Yahoo refuses mail that fails authentication against the sending domain's DMARC or DKIM policy."},

	{Provider: Microsoft, Reply: "550 5.7.515", Rule: RuleSPFAndDKIM, Checks: []string{"spf", "dkim", "dmarc"}, Fix: fixAuth + " Publish a DMARC record (p=none at least) and make SPF or DKIM align with the From domain.", Source: srcMicrosoft515,
		Meaning: "Outlook.com refuses mail from a domain sending 5,000 or more messages a day that does not meet its authentication level: SPF and DKIM must both pass, a DMARC record (p=none at least) must exist, and SPF or DKIM must align with the From domain."},
	{Provider: Microsoft, Reply: "550 SC-001", Rule: RuleSpamRate, Checks: []string{"dnsbl"}, Fix: fixReputable, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com blocks the address for policy reasons, often because part of its network is on Microsoft's block list."},
	{Provider: Microsoft, Reply: "550 SC-002", Fix: "Stop sending to guessed or harvested addresses; send only to addresses that asked for your mail.", Source: srcMicrosoftCodes,
		Meaning: "Outlook.com blocks the address for namespace mining: mail to many addresses that do not exist."},
	{Provider: Microsoft, Reply: "550 SC-003", Checks: []string{"smtp"}, Fix: "Close the open relay or open proxy, then ask Microsoft to review the address.", Source: srcMicrosoftCodes,
		Meaning: "Outlook.com blocks the address because it appears to be an open relay or open proxy."},
	{Provider: Microsoft, Reply: "550 SC-004", Rule: RuleSpamRate, Fix: fixSpam, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com blocks the address because of complaints from its users."},
	{Provider: Microsoft, Reply: "550 DY-001", Rule: RuleReverseDNS, Checks: []string{"ptr"}, Fix: fixPTR + " A consumer connection cannot send directly: relay through your provider's or an email service's servers.", Source: srcMicrosoftCodes,
		Meaning: "Outlook.com does not accept mail straight from an address it takes for a dynamic or residential one."},
	{Provider: Microsoft, Reply: "421 RP-001", Rule: RuleSpamRate, Fix: fixSpam, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com limits the rate of mail from the address because of its reputation; retry later."},
	{Provider: Microsoft, Reply: "421 RP-002", Rule: RuleSpamRate, Fix: fixSpam, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com limits the rate of mail from the address because of its reputation; retry later."},
	{Provider: Microsoft, Reply: "421 RP-003", Rule: RuleSpamRate, Fix: fixSpam, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com limits the rate of mail from the address because of its reputation; retry later."},
	{Provider: Microsoft, Reply: "550 OU-001", Checks: []string{"dnsbl"}, Fix: "Find out why the address is listed (the listing's lookup page says), fix it and ask for removal.", Source: srcMicrosoftCodes,
		Meaning: "Outlook.com refuses mail from an address listed by Spamhaus."},
	{Provider: Microsoft, Reply: "550 OU-002", Checks: []string{"dnsbl"}, Fix: fixReputable, Source: srcMicrosoftCodes,
		Meaning: "Outlook.com refuses mail from an address of poor reputation."},
}

var (
	reEnhanced = regexp.MustCompile(`^([245])\.(\d{1,3})\.(\d{1,3})$`)
	reBasic    = regexp.MustCompile(`^[245]\d\d$`)
	reToken    = regexp.MustCompile(`^(TSS?\d\d|[A-Z]{2}-?\d{3})$`)
)

// maxExplainInput bounds the text ExplainCode reads: a pasted reply line
// is short.
const maxExplainInput = 1000

// ExplainCode explains a code as a user gives it: an enhanced status code
// ("5.7.26"), a reply with one ("550 5.7.515", "550-5.7.26"), or a
// provider token alone or in a reply ("TSS04", "[TSS04]", "SC-001",
// "550 SC-001"), in any case. A token wins over an enhanced code in the
// same text ("421 4.7.0 [TSS04]" explains TSS04). It returns false when
// the text holds no code it knows.
func ExplainCode(text string) (Entry, bool) {
	if len(text) > maxExplainInput {
		text = text[:maxExplainInput]
	}
	var reply, enhanced, token string
	words := strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ';' || r == ',' || r == '"' || r == '\'' || r == '[' || r == ']' || r == '(' || r == ')' || r == '#' || r == '<' || r == '>'
	})
	for i, w := range words {
		if i >= 64 {
			break
		}
		w = strings.ToUpper(strings.TrimSuffix(w, "."))
		if len(w) >= 4 && (w[3] == '-' || w[3] == ' ') && reBasic.MatchString(w[:3]) {
			// "550-5.7.26": a continuation line's reply code.
			if reply == "" {
				reply = w[:3]
			}
			w = w[4:]
		}
		switch {
		case reply == "" && enhanced == "" && token == "" && reBasic.MatchString(w):
			reply = w
		case enhanced == "" && reEnhanced.MatchString(w):
			m := reEnhanced.FindStringSubmatch(w)
			enhanced = m[1] + "." + trimZeros(m[2]) + "." + trimZeros(m[3])
		case token == "" && reToken.MatchString(w):
			if !strings.HasPrefix(w, "TS") && !strings.Contains(w, "-") {
				w = w[:2] + "-" + w[2:]
			}
			token = w
		}
	}
	if token != "" {
		if e, ok := explainToken(token, reply); ok {
			return e, true
		}
	}
	if enhanced != "" {
		return explainEnhanced(enhanced, reply)
	}
	return Entry{}, false
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// replyWords splits a use's reply into its basic code, enhanced code and
// token.
func replyWords(reply string) (basic, enhanced, token string) {
	for _, w := range strings.Fields(reply) {
		w = strings.Trim(w, "[]")
		switch {
		case reBasic.MatchString(w):
			basic = w
		case reEnhanced.MatchString(w):
			enhanced = w
		default:
			token = w
		}
	}
	return basic, enhanced, token
}

func explainToken(token, reply string) (Entry, bool) {
	e := Entry{Code: token}
	for _, u := range uses {
		if _, _, t := replyWords(u.Reply); t == token {
			e.Uses = append(e.Uses, u)
		}
	}
	return e, len(e.Uses) > 0
}

func explainEnhanced(code, reply string) (Entry, bool) {
	e := Entry{Code: code, Class: className(code[0])}
	if m, ok := registry[code[2:]]; ok {
		e.Meaning, e.Ref = m[0], m[1]
		if h, ok := hints[code[2:]]; ok {
			e.Rule, e.Checks, e.Fix = h.rule, h.checks, h.fix
		}
	}
	var exact []Use
	for _, u := range uses {
		b, c, t := replyWords(u.Reply)
		if c != code || t != "" {
			continue
		}
		e.Uses = append(e.Uses, u)
		if b == reply {
			exact = append(exact, u)
		}
	}
	if reply != "" && len(exact) > 0 {
		e.Uses = exact
	}
	return e, e.Meaning != "" || len(e.Uses) > 0
}

func className(c byte) string {
	switch c {
	case '2':
		return "success"
	case '4':
		return "persistent transient failure"
	case '5':
		return "permanent failure"
	}
	return ""
}

// Codes returns every provider code use, in table order.
func Codes() []Use { return append([]Use(nil), uses...) }

// Text renders the entry for people, as `mxray explain <code>` prints it:
// the registry meaning, then each provider's use with its rule, the
// checks that find the cause, the fix and the source. Plain text, no
// network data (the entry comes from the tables).
func (e Entry) Text() string {
	var b strings.Builder
	b.WriteString(e.Code)
	switch {
	case e.Meaning != "":
		fmt.Fprintf(&b, " (%s): %s, %s\n", e.Class, e.Meaning, e.Ref)
	case e.Class != "":
		fmt.Fprintf(&b, " (%s): not in the registry of enhanced status codes; a provider's own code\n", e.Class)
	default:
		b.WriteString(": a provider's own code\n")
	}
	if e.Rule != "" || e.Fix != "" {
		writeCause(&b, "", e.Rule, e.Checks, e.Fix)
	}
	for _, u := range e.Uses {
		fmt.Fprintf(&b, "\n%s answers %s: %s\n", u.Provider.Name(), u.Reply, u.Meaning)
		writeCause(&b, u.Provider, u.Rule, u.Checks, u.Fix)
		fmt.Fprintf(&b, "  source: %s (read %s)\n", u.Source.Page, u.Source.Read)
	}
	return b.String()
}

func writeCause(b *strings.Builder, p Provider, rule RuleID, checks []string, fix string) {
	if rule != "" {
		title := ""
		for _, r := range rules {
			if r.ID == rule && (p == "" || r.Provider == p) {
				title = r.Title
				break
			}
		}
		if title != "" {
			fmt.Fprintf(b, "  rule: %s (%s)\n", rule, title)
		} else {
			fmt.Fprintf(b, "  rule: %s\n", rule)
		}
	}
	if len(checks) > 0 {
		ip := ""
		for _, c := range checks {
			if c == "ptr" || c == "dnsbl" {
				ip = " --ip <sending address>" // they judge the sending address
			}
		}
		fmt.Fprintf(b, "  found by: mxray check <domain> --only %s%s\n", strings.Join(checks, ","), ip)
	}
	if fix != "" {
		fmt.Fprintf(b, "  fix: %s\n", fix)
	}
}
