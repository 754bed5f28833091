package profile

import (
	"fmt"
	"slices"
	"strings"
)

// Provider is a mailbox provider with published sender rules. Its values
// are the words of --profile and of the check's JSON data.
type Provider string

// The providers.
const (
	Gmail     Provider = "gmail"
	Yahoo     Provider = "yahoo"
	Microsoft Provider = "microsoft" // Outlook.com, Hotmail, Live, MSN
	Apple     Provider = "apple"     // iCloud Mail
	LaPoste   Provider = "laposte"   // laposte.net
)

// Providers lists every provider, in report order.
var Providers = []Provider{Gmail, Yahoo, Microsoft, Apple, LaPoste}

// Name is the provider's name for people.
func (p Provider) Name() string {
	switch p {
	case Gmail:
		return "Gmail"
	case Yahoo:
		return "Yahoo"
	case Microsoft:
		return "Microsoft Outlook.com"
	case Apple:
		return "Apple iCloud"
	case LaPoste:
		return "La Poste"
	}
	return string(p)
}

// ParseProviders reads --profile values: each may be one provider or a
// comma-separated list, in any case, with "outlook" and "hotmail" for
// microsoft and "icloud" for apple. It returns the providers once each, in
// report order, or an error naming the unknown value and the known ones.
func ParseProviders(values []string) ([]Provider, error) {
	seen := map[Provider]bool{}
	for _, v := range values {
		for _, w := range strings.Split(v, ",") {
			w = strings.ToLower(strings.TrimSpace(w))
			if w == "" {
				continue
			}
			p := Provider(w)
			switch w {
			case "outlook", "hotmail", "outlook.com":
				p = Microsoft
			case "icloud":
				p = Apple
			case "la-poste", "laposte.net":
				p = LaPoste
			}
			if !slices.Contains(Providers, p) {
				if len(w) > 40 {
					w = w[:40] + "…"
				}
				return nil, fmt.Errorf("unknown provider %q: use gmail, yahoo, microsoft, apple or laposte", w)
			}
			seen[p] = true
		}
	}
	var out []Provider
	for _, p := range Providers {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// RuleID names a rule; the same rule of several providers has the same ID.
type RuleID string

// The rules.
const (
	RuleSPFOrDKIM      RuleID = "spf-or-dkim"           // SPF or DKIM passes
	RuleSPFAndDKIM     RuleID = "spf-and-dkim"          // SPF and DKIM pass
	RuleDMARCRecord    RuleID = "dmarc-record"          // a DMARC record, p=none at least
	RuleAlignment      RuleID = "alignment"             // From aligned with SPF or DKIM (DMARC passes)
	RuleReverseDNS     RuleID = "reverse-dns"           // the sending IP's PTR, forward-confirmed
	RuleTLS            RuleID = "tls"                   // the message travels over TLS
	RuleMessageFormat  RuleID = "message-format"        // RFC 5322: one From, a Message-ID, no duplicate fields
	RuleDomainsResolve RuleID = "domains-resolve"       // the MAIL FROM and From domains exist
	RuleNoNullMX       RuleID = "no-null-mx"            // no null MX on the sending domain
	RuleUnsubscribe    RuleID = "one-click-unsubscribe" // RFC 8058 for marketing mail
	RuleSpamRate       RuleID = "spam-rate"             // complaints below the provider's threshold
	RuleARC            RuleID = "arc"                   // forwarders and lists add ARC
)

// RuleIDs lists every rule ID, in report order.
var RuleIDs = []RuleID{RuleSPFOrDKIM, RuleSPFAndDKIM, RuleDMARCRecord, RuleAlignment, RuleReverseDNS, RuleTLS,
	RuleMessageFormat, RuleDomainsResolve, RuleNoNullMX, RuleUnsubscribe, RuleSpamRate, RuleARC}

// Scope says which senders a rule applies to.
type Scope string

// The scopes.
const (
	ScopeAll  Scope = "all"  // every sender
	ScopeBulk Scope = "bulk" // senders of about 5,000 messages a day or more to the provider
)

// Level says how strongly the provider asks for a rule.
type Level string

// The levels. A failing required rule is a fail finding, a failing
// recommended rule a warning.
const (
	LevelRequired    Level = "required"
	LevelRecommended Level = "recommended"
)

// Decider is what can decide a rule.
type Decider string

// The deciders.
const (
	ByDNS          Decider = "dns"           // the domain's DNS records
	ByIP           Decider = "ip"            // the sending addresses (--ip)
	ByMessage      Decider = "message"       // a message (analyze, receive)
	BySendingPath  Decider = "sending-path"  // how the message travelled (its inbound hop)
	ByProviderData Decider = "provider-data" // only the provider's own data (Postmaster Tools, feedback loops)
)

// Source is a page a rule or code was read from.
type Source struct {
	// Page is the provider's page (its address).
	Page string `json:"page"`
	// Copy is the date of the dated copy of the page that was read, when
	// it was read through an archived copy; "" when read directly.
	Copy string `json:"copy,omitempty"`
	// Read is the date mxray's rule was checked against the page.
	Read string `json:"read"`
}

// Rule is one provider's rule.
type Rule struct {
	ID       RuleID
	Provider Provider
	Title    string // one line, for people
	Scope    Scope
	Level    Level
	// Deciders are what can decide the rule, the most direct first.
	Deciders []Decider
	// Rejection are the replies the provider documents for the rule
	// ("550 5.7.26", "421 4.7.0 [TSS04]"); empty when it documents none.
	Rejection []string
	// Answer is the reply a failing rule's finding names ("Gmail would
	// answer 550 5.7.26"); AnswerSPF and AnswerDKIM replace it when the
	// SPF or the DKIM part failed. "" when the provider documents none.
	Answer, AnswerSPF, AnswerDKIM string
	Sources                       []Source
}

// read is the date the rules below were checked against the providers'
// pages.
const read = "2026-12-06"

// The providers' pages.
var (
	srcGmailGuidelines = Source{Page: "https://support.google.com/a/answer/81126", Copy: "2026-03-11", Read: read}
	srcGmailFAQ        = Source{Page: "https://support.google.com/a/answer/14229414", Copy: "2026-03-11", Read: read}
	srcGmailCodes      = Source{Page: "https://support.google.com/a/answer/3726730", Copy: "2026-02-15", Read: read}
	srcYahooRules      = Source{Page: "https://senders.yahooinc.com/best-practices/", Copy: "2025-04-10", Read: read}
	srcYahooCodes      = Source{Page: "https://senders.yahooinc.com/smtp-error-codes/", Copy: "2026-02-15", Read: read}
	srcYahooHelpTS03   = Source{Page: "https://help.yahoo.com/kb/SLN3436.html", Read: read}
	srcMicrosoftHVS    = Source{Page: "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730", Copy: "2025-08-02", Read: read}
	srcMicrosoft515    = Source{Page: "https://support.microsoft.com/en-us/topic/fix-ndr-error-550-5-7-515-in-outlook-com-34cfe8f8-6fbf-457e-9e8b-9e4dbaf4e0ef", Read: read}
	srcMicrosoftCodes  = Source{Page: "https://sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx", Copy: "2025-12-03", Read: read}
	srcApple           = Source{Page: "https://support.apple.com/en-us/102322", Copy: "2025-02-26", Read: read}
	srcLaPoste         = Source{Page: "https://postmaster.laposte.net/contents/quelles-sont-les-specifications-techniques-a-respecter-pour-emettre-des-emails-vers-laposte-net", Read: read}
)

var (
	dnsIPMsg = []Decider{ByDNS, ByIP, ByMessage}
	dnsOnly  = []Decider{ByDNS}
	ipOnly   = []Decider{ByIP, ByMessage}
	msgOnly  = []Decider{ByMessage}
	pathOnly = []Decider{BySendingPath, ByMessage}
	provOnly = []Decider{ByProviderData}
)

// rules is the table: every provider's rules, with their sources.
var rules = []Rule{
	// Gmail: sender guidelines (all senders; 5,000 a day or more) and its SMTP error list.
	{ID: RuleSPFOrDKIM, Provider: Gmail, Title: "SPF or DKIM passes", Scope: ScopeAll, Level: LevelRequired, Deciders: dnsIPMsg,
		Rejection: []string{"421 4.7.26", "550 5.7.26"}, Answer: "550 5.7.26", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleSPFAndDKIM, Provider: Gmail, Title: "SPF and DKIM both pass", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsIPMsg,
		Rejection: []string{"421 4.7.27", "550 5.7.27", "421 4.7.30", "550 5.7.30"}, Answer: "550 5.7.27", AnswerSPF: "550 5.7.27", AnswerDKIM: "550 5.7.30", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleDMARCRecord, Provider: Gmail, Title: "A DMARC record (p=none is enough)", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsOnly,
		Rejection: []string{"421 4.7.40", "550 5.7.40"}, Answer: "550 5.7.40", Sources: []Source{srcGmailGuidelines, srcGmailFAQ, srcGmailCodes}},
	{ID: RuleAlignment, Provider: Gmail, Title: "The From domain aligns with SPF or DKIM", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Rejection: []string{"421 4.7.32", "421 5.7.32", "550 5.7.26"}, Answer: "421 5.7.32", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleReverseDNS, Provider: Gmail, Title: "The sending IP has a PTR record that resolves back to it", Scope: ScopeAll, Level: LevelRequired, Deciders: ipOnly,
		Rejection: []string{"451 4.7.23", "550 5.7.25", "421 4.7.0"}, Answer: "550 5.7.25", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleTLS, Provider: Gmail, Title: "Mail is sent over TLS", Scope: ScopeAll, Level: LevelRequired, Deciders: pathOnly,
		Rejection: []string{"421 4.7.29", "550 5.7.29"}, Answer: "550 5.7.29", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleMessageFormat, Provider: Gmail, Title: "Messages follow RFC 5322 (one From, a Message-ID, no duplicate fields)", Scope: ScopeAll, Level: LevelRequired, Deciders: msgOnly,
		Rejection: []string{"550 5.7.1", "554 5.6.0"}, Answer: "550 5.7.1", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleUnsubscribe, Provider: Gmail, Title: "Marketing mail offers one-click unsubscribe (RFC 8058)", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Sources: []Source{srcGmailGuidelines, srcGmailFAQ}},
	{ID: RuleSpamRate, Provider: Gmail, Title: "The spam rate in Postmaster Tools stays below 0.3%", Scope: ScopeAll, Level: LevelRequired, Deciders: provOnly,
		Rejection: []string{"421 4.7.28", "550 5.7.28"}, Answer: "421 4.7.28", Sources: []Source{srcGmailGuidelines, srcGmailCodes}},
	{ID: RuleARC, Provider: Gmail, Title: "Forwarders and mailing lists add ARC headers", Scope: ScopeBulk, Level: LevelRecommended, Deciders: msgOnly,
		Sources: []Source{srcGmailGuidelines}},

	// Yahoo: sender requirements and its SMTP error codes.
	{ID: RuleSPFOrDKIM, Provider: Yahoo, Title: "SPF or DKIM passes", Scope: ScopeAll, Level: LevelRequired, Deciders: dnsIPMsg,
		Rejection: []string{"550 5.7.9", "554 5.7.9"}, Answer: "550 5.7.9", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleSPFAndDKIM, Provider: Yahoo, Title: "SPF and DKIM both pass", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsIPMsg,
		Rejection: []string{"554 5.7.9"}, Answer: "554 5.7.9", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleDMARCRecord, Provider: Yahoo, Title: "A DMARC record (p=none is enough; rua= recommended)", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsOnly,
		Rejection: []string{"554 5.7.9"}, Answer: "554 5.7.9", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleAlignment, Provider: Yahoo, Title: "The From domain aligns with SPF or DKIM (DMARC passes)", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Rejection: []string{"554 5.7.9"}, Answer: "554 5.7.9", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleReverseDNS, Provider: Yahoo, Title: "The sending IP has valid forward and reverse DNS, not a generic or dynamic name", Scope: ScopeAll, Level: LevelRequired, Deciders: ipOnly,
		Sources: []Source{srcYahooRules}},
	{ID: RuleMessageFormat, Provider: Yahoo, Title: "Messages follow RFC 5321 and RFC 5322", Scope: ScopeAll, Level: LevelRequired, Deciders: msgOnly,
		Rejection: []string{"554"}, Answer: "554", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleDomainsResolve, Provider: Yahoo, Title: "The MAIL FROM and From domains exist (Yahoo asks for their SOA)", Scope: ScopeAll, Level: LevelRequired, Deciders: dnsOnly,
		Rejection: []string{"451", "554"}, Answer: "554", Sources: []Source{srcYahooCodes}},
	{ID: RuleNoNullMX, Provider: Yahoo, Title: "The sending domain publishes no null MX", Scope: ScopeAll, Level: LevelRequired, Deciders: dnsOnly,
		Rejection: []string{"550", "554"}, Answer: "554", Sources: []Source{srcYahooCodes}},
	{ID: RuleUnsubscribe, Provider: Yahoo, Title: "Marketing mail offers one-click unsubscribe (RFC 8058)", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Sources: []Source{srcYahooRules}},
	{ID: RuleSpamRate, Provider: Yahoo, Title: "The complaint rate stays below 0.3%", Scope: ScopeAll, Level: LevelRequired, Deciders: provOnly,
		Rejection: []string{"421 4.7.0 [TSS04]"}, Answer: "421 4.7.0 [TSS04]", Sources: []Source{srcYahooRules, srcYahooCodes}},
	{ID: RuleARC, Provider: Yahoo, Title: "Forwarded mail carries ARC headers", Scope: ScopeAll, Level: LevelRecommended, Deciders: msgOnly,
		Sources: []Source{srcYahooCodes}},

	// Microsoft: Outlook.com's requirements for high-volume senders (enforced since 5 May 2025) and its postmaster codes.
	{ID: RuleSPFAndDKIM, Provider: Microsoft, Title: "SPF and DKIM both pass", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsIPMsg,
		Rejection: []string{"550 5.7.515"}, Answer: "550 5.7.515", Sources: []Source{srcMicrosoftHVS, srcMicrosoft515}},
	{ID: RuleDMARCRecord, Provider: Microsoft, Title: "A DMARC record (p=none is enough)", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsOnly,
		Rejection: []string{"550 5.7.515"}, Answer: "550 5.7.515", Sources: []Source{srcMicrosoftHVS, srcMicrosoft515}},
	{ID: RuleAlignment, Provider: Microsoft, Title: "The From domain aligns with SPF or DKIM (DMARC passes)", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Rejection: []string{"550 5.7.515"}, Answer: "550 5.7.515", Sources: []Source{srcMicrosoftHVS, srcMicrosoft515}},
	{ID: RuleReverseDNS, Provider: Microsoft, Title: "The sending IP is not a dynamic or residential address", Scope: ScopeAll, Level: LevelRecommended, Deciders: ipOnly,
		Rejection: []string{"550 DY-001"}, Answer: "550 DY-001", Sources: []Source{srcMicrosoftCodes}},
	{ID: RuleUnsubscribe, Provider: Microsoft, Title: "Marketing mail offers a working unsubscribe", Scope: ScopeBulk, Level: LevelRecommended, Deciders: msgOnly,
		Sources: []Source{srcMicrosoftHVS}},
	{ID: RuleSpamRate, Provider: Microsoft, Title: "Complaints and sender reputation stay low", Scope: ScopeAll, Level: LevelRequired, Deciders: provOnly,
		Rejection: []string{"421 RP-001", "421 RP-002", "421 RP-003", "550 SC-001", "550 SC-004"}, Answer: "550 SC-004", Sources: []Source{srcMicrosoftCodes}},

	// Apple: iCloud Mail's postmaster page (best practices for bulk senders).
	{ID: RuleSPFAndDKIM, Provider: Apple, Title: "SPF and DKIM authenticate bulk mail", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsIPMsg,
		Sources: []Source{srcApple}},
	{ID: RuleDMARCRecord, Provider: Apple, Title: "A DMARC policy is published", Scope: ScopeBulk, Level: LevelRequired, Deciders: dnsOnly,
		Sources: []Source{srcApple}},
	{ID: RuleReverseDNS, Provider: Apple, Title: "The sending IPs have reverse DNS", Scope: ScopeBulk, Level: LevelRequired, Deciders: ipOnly,
		Sources: []Source{srcApple}},
	{ID: RuleMessageFormat, Provider: Apple, Title: "Messages follow RFC 5322", Scope: ScopeBulk, Level: LevelRequired, Deciders: msgOnly,
		Sources: []Source{srcApple}},
	{ID: RuleARC, Provider: Apple, Title: "Forwarded mail carries ARC headers", Scope: ScopeBulk, Level: LevelRecommended, Deciders: msgOnly,
		Sources: []Source{srcApple}},

	// La Poste: laposte.net's technical rules for senders.
	{ID: RuleSPFOrDKIM, Provider: LaPoste, Title: "At least one of SPF or DKIM passes, aligned with the From domain", Scope: ScopeAll, Level: LevelRequired, Deciders: dnsIPMsg,
		Sources: []Source{srcLaPoste}},
	{ID: RuleDMARCRecord, Provider: LaPoste, Title: "A DMARC record, p=none at least, with a rua= address", Scope: ScopeAll, Level: LevelRecommended, Deciders: dnsOnly,
		Sources: []Source{srcLaPoste}},
	{ID: RuleAlignment, Provider: LaPoste, Title: "SPF and DKIM count only when aligned with the From domain", Scope: ScopeAll, Level: LevelRequired, Deciders: msgOnly,
		Sources: []Source{srcLaPoste}},
	{ID: RuleReverseDNS, Provider: LaPoste, Title: "The sending server has valid, consistent reverse DNS", Scope: ScopeAll, Level: LevelRequired, Deciders: ipOnly,
		Sources: []Source{srcLaPoste}},
}

// Rules returns every rule of every provider, in report order (provider,
// then rule).
func Rules() []Rule {
	var out []Rule
	for _, p := range Providers {
		out = append(out, RulesOf(p)...)
	}
	return out
}

// RulesOf returns the rules of provider p, in rule order.
func RulesOf(p Provider) []Rule {
	var out []Rule
	for _, id := range RuleIDs {
		for _, r := range rules {
			if r.Provider == p && r.ID == id {
				out = append(out, r)
			}
		}
	}
	return out
}

// FindingID is the finding a failing rule reports: profile.<provider>-<rule>.
func (r Rule) FindingID() string { return ID + "." + string(r.Provider) + "-" + string(r.ID) }
