// Package bounce decodes bounces: RFC 3464 delivery status notifications
// (multipart/report; report-type=delivery-status) and the non-standard
// bounces that MTAs and providers write in their own words (Postfix,
// Exim, qmail, Sendmail, Exchange and Office 365, Gmail, Yahoo, Amazon
// SES...). It also recognises RFC 5965 feedback reports and RFC 3834
// auto-replies so that they are not mistaken for bounces.
//
// Parse returns, per failed recipient, the address, action, enhanced
// status code (e.g. 5.7.26), SMTP reply code, diagnostic text and remote
// MTA, and a Category (authentication, dmarc, spf, dkim, ptr, tls,
// blocklist, reputation, rate, content, mailbox, policy, other) whose Fix
// says what the sender should change.
//
// Every input is hostile: the message size, MIME nesting depth, part
// count, text scanned and recipients reported are bounded, and Parse never
// panics. Text fields are the message's own: escape them (checks/safetext)
// before display.
package bounce
