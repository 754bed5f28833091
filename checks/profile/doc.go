// Package profile grades a domain (and, for analyze and receive, a
// message) against the published sender rules of the large mailbox
// providers (Gmail, Yahoo, Microsoft's Outlook.com, Apple iCloud, La
// Poste), and explains the SMTP codes they answer with.
//
// Three parts, one job each:
//
//   - rules.go: the providers' rules as data (Rules, RulesOf), each with
//     its scope (all senders or bulk senders), what decides it, the codes
//     the provider documents for it, and the pages it was read from with
//     the date they were read.
//   - codes.go: enhanced status codes (the IANA registry of RFC 3463 and
//     its updates) and provider codes (550 5.7.515, TSS04, SC-001...), with
//     ExplainCode for `mxray explain <code>`.
//   - profile.go: the profile check (ID "profile"), which reads the typed
//     facts of the mx, spf, dkim, dmarc and ptr checks and reports, per
//     provider and rule, pass, fail, unknown or not-applicable. It runs
//     only when checks.Options.Profiles names a provider (--profile); the
//     bulk-sender rules are graded only with checks.Options.Bulk (--bulk),
//     and are otherwise not-applicable ("applies to bulk senders").
//
// A rule decided from DNS alone (decided_by "dns") says the domain is
// ready: a valid SPF record within the limits, a usable DKIM key. Whether
// a given server or message passes takes --ip or a message. A failing
// required rule is a fail finding, a failing recommended one a warning;
// the check is error when no rule could be decided, with the reason.
//
// For the CLI: ParseProviders turns --profile values (repeatable, comma
// lists, any case) into Options.Profiles; ExplainCode takes what the user
// pasted ("5.7.26", "550 5.7.515", "[TSS04]", "sc-001") and returns the
// Entry to print.
package profile
