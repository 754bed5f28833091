package dkim

// Common selectors probed under --dkim-probe full, with the provider or
// software that uses each. Selectors are arbitrary, so discovery can only
// guess: the user can always name theirs with --selector.
var commonSelectors = []string{
	// Generic and software defaults (cPanel, Plesk, OpenDKIM, rspamd,
	// Mail-in-a-Box, Postfix guides).
	"default", "dkim", "mail", "email", "smtp", "key1", "key2", "key3", "k1", "k2", "k3", "s1", "s2",
	"x", "dkim1", "dkim2", "sig1", "mx", "mta", "rsa", "ed25519",
	// Google Workspace; Microsoft 365 / Exchange Online; Yahoo.
	"google", "selector1", "selector2", "s1024", "s2048",
	// Mailchimp / Mandrill, Everlytic, MXvault (from the issue).
	"mandrill", "everlytickey1", "everlytickey2", "mxvault",
	// SendGrid, Mailgun, Postmark, Amazon SES (custom MAIL FROM setups),
	// SparkPost, Mailjet, Brevo (Sendinblue), MailerLite, Klaviyo.
	"smtpapi", "krs", "pic", "mailo", "pm", "amazonses", "scph0118", "mailjet", "brevo1", "brevo2",
	"mlsend", "mlsend2", "kl", "kl2",
	// Fastmail, Proton, Zoho, iCloud, Migadu, Tutanota.
	"fm1", "fm2", "fm3", "mesmtp", "protonmail", "protonmail2", "protonmail3", "zoho", "zmail",
	// HubSpot, Salesforce, Constant Contact, Zendesk, Freshdesk, Intercom.
	"hs1", "hs2", "sf1", "sf2", "ctct1", "ctct2", "zendesk1", "zendesk2", "fd", "fd2", "intercom",
	// Dated selectors as used by Gmail and others.
	"20230601", "20221208", "20210112", "20161025", "20150623",
}

// wildcardProbe is a selector nobody publishes: a key there means the zone
// has a wildcard under _domainkey, which makes every guess "succeed".
const wildcardProbe = "mxray-no-such-selector-9c1d"
