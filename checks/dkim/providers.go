package dkim

import "strings"

// provider is a mail provider whose DKIM selectors can be inferred from
// the domain's own records: an SPF include (or redirect) of one of its
// domains, or an MX host under one of them. Selectors are fixed by the
// provider for all its customers, which is what makes them guessable.
type provider struct {
	// Name is the provider's name as people know it.
	Name string
	// Selectors are the selectors the provider signs customers' mail
	// with; none when they are per customer and random (Note says so).
	Selectors []string
	// SPF are the domains whose include: names the provider: the domain
	// itself or any name under it.
	SPF []string
	// MX are the domains under which the provider's MX hosts are named.
	MX []string
	// Note says what a user should know, e.g. that the selectors cannot
	// be guessed.
	Note string
	// Sources are the documentation pages that name the selectors, the
	// SPF include and the MX hosts.
	Sources []string
}

// providers is the table of the mail providers mxray recognises, each with
// the pages its entries come from. An entry's selectors are probed in
// every --dkim-probe mode but off, when the domain's SPF record (or a
// record it includes) or its MX hosts name the provider.
var providers = []provider{
	{Name: "Google Workspace", Selectors: []string{"google"},
		SPF: []string{"_spf.google.com"}, MX: []string{"google.com", "googlemail.com"},
		Sources: []string{
			"https://support.google.com/a/answer/11611356 (the prefix selector defaults to google)",
			"https://support.google.com/a/answer/2716802 (SPF: include:_spf.google.com)",
			"https://useboring-mxrecordchecker-app.pages.dev/guides/mx-records-by-email-provider (MX aspmx.l.google.com, alt1-4.aspmx.l.google.com)",
			"https://mtempmail.com/fa/tools/mx-record-lookup (MX *.google.com, *.googlemail.com)",
		}},
	{Name: "Microsoft 365", Selectors: []string{"selector1", "selector2"},
		SPF: []string{"spf.protection.outlook.com"}, MX: []string{"mail.protection.outlook.com"},
		Sources: []string{
			"https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure (hostnames selector1._domainkey and selector2._domainkey, the same for all organizations)",
			"https://gist.github.com/arjancornelissen/811af8d12b76373dec0b4a7362a5723e (MX <domain>.mail.protection.outlook.com, SPF include:spf.protection.outlook.com)",
		}},
	{Name: "SendGrid", Selectors: []string{"s1", "s2"},
		SPF: []string{"sendgrid.net"}, MX: []string{"sendgrid.net"},
		Sources: []string{
			"https://www.suped.com/knowledge/email-deliverability/technical/why-does-sendgrid-require-two-domain-keys (selectors s1 and s2, for key rotation)",
			"https://pastebin.com/q2sppdZL (CNAMEs s1._domainkey and s2._domainkey to s1/s2.domainkey.u<id>.wl<n>.sendgrid.net)",
			"https://mailflowauthority.com/email-authentication/fastmail-email-auth (SPF include:sendgrid.net)",
			"https://useboring-mxrecordchecker-app.pages.dev/guides/mx-records-by-email-provider (MX mx.sendgrid.net)",
		}},
	{Name: "Mailchimp", Selectors: []string{"k1", "k2"},
		SPF: []string{"servers.mcsv.net", "mcsv.net"},
		Sources: []string{
			"https://phishfence.io/learn/dmarc-mailchimp (CNAMEs k1._domainkey and k2._domainkey)",
			"https://netdig.tools/tools/mailchimp-dns-records (k1._domainkey to dkim.mcsv.net; SPF include:servers.mcsv.net)",
		}},
	{Name: "Mailchimp Transactional (Mandrill)", Selectors: []string{"mte1", "mte2"},
		SPF: []string{"spf.mandrillapp.com", "mandrillapp.com"},
		Sources: []string{
			"https://mxio.io/providers/mandrill (selectors mte1 and mte2, CNAMEs to dkim1/dkim2.mandrillapp.com; SPF include:spf.mandrillapp.com)",
			"https://sendmarc.com/spf/spf-mandrill (SPF include:spf.mandrillapp.com)",
		}},
	{Name: "Mailgun", Selectors: []string{"pdk1", "pdk2", "k1", "mx"},
		SPF: []string{"mailgun.org"}, MX: []string{"mailgun.org"},
		Note: "Mailgun domains may choose their own selector; these are its defaults",
		Sources: []string{
			"https://documentation.mailgun.com/docs/mailgun/user-manual/domains/dkim_security (Automatic Sender Security: pdk1._domainkey and pdk2._domainkey)",
			"https://help.hoopai.com/marketing/mailgun-setup (k1._domainkey TXT; MX mxa.mailgun.org and mxb.mailgun.org)",
			"https://spfwise.com/en/article/mailgun-spf-dkim-dmarc-setup (mx._domainkey TXT; SPF include:mailgun.org)",
		}},
	{Name: "Amazon SES", SPF: []string{"amazonses.com"},
		Note: "Amazon SES (Easy DKIM) names its selectors with random tokens per domain, so they cannot be guessed: pass them with --selector",
		Sources: []string{
			"https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html (CNAME records built from per-domain DKIM tokens, pointing at keys hosted by Amazon SES)",
			"https://rubydoc.info/gems/aws-sdk-ses/Aws/SES/Types/VerifyDomainDkimResponse (dkim_tokens: the character strings the CNAME records are made of)",
		}},
	{Name: "Zoho Mail", Selectors: []string{"zmail", "zoho"},
		SPF:  []string{"zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zoho.com.cn", "zohomail.com"},
		MX:   []string{"zoho.com"},
		Note: "Zoho domains choose their own selector; zmail is the usual default",
		Sources: []string{
			"https://domainsecurityscanner.com/guides/zoho-mail (default selector zmail; SPF include:zoho.com, zoho.eu or zoho.in)",
			"https://help.zoho.com/portal/en/kb/meeting/user-guide/settings/email-management/articles/domain-verification (zoho._domainkey)",
			"https://mxio.io/providers/zoho-mail (regional SPF includes spf.zoho.com, .eu, .in, .com.au, .com.cn)",
			"https://spfwise.com/en/article/zoho-mail-spf-dkim-dmarc-setup (SPF include:zohomail.com)",
			"https://mtempmail.com/fa/tools/mx-record-lookup (MX mx.zoho.com, mx2.zoho.com)",
		}},
	{Name: "Fastmail", Selectors: []string{"fm1", "fm2", "fm3"},
		SPF: []string{"spf.messagingengine.com", "messagingengine.com"}, MX: []string{"messagingengine.com"},
		Sources: []string{
			"https://www.fastmail.help/hc/en-us/articles/360060591153 (three CNAMEs for the selectors fm1, fm2 and fm3)",
			"https://mailflowauthority.com/email-authentication/fastmail-email-auth (SPF include:spf.messagingengine.com)",
			"https://useboring-mxrecordchecker-app.pages.dev/guides/mx-records-by-email-provider (MX in1-smtp.messagingengine.com)",
		}},
	{Name: "Proton Mail", Selectors: []string{"protonmail", "protonmail2", "protonmail3"},
		SPF: []string{"_spf.protonmail.ch", "protonmail.ch"}, MX: []string{"protonmail.ch"},
		Sources: []string{
			"https://domainsecurityscanner.com/guides/proton-mail (CNAMEs for the selectors protonmail, protonmail2 and protonmail3; SPF include:_spf.protonmail.ch)",
			"https://mxrecordchecker.com/resources/protonmail-mx-records (MX mail.protonmail.ch and mailsec.protonmail.ch)",
		}},
	{Name: "Brevo (Sendinblue)", Selectors: []string{"mail"},
		SPF: []string{"spf.brevo.com", "spf.sendinblue.com"},
		Sources: []string{
			"https://developers.brevo.com/docs/domain-authentication-and-verification (dkim_record host_name mail._domainkey)",
			"https://wiredepth.com/docs/deauthorize/brevo (SPF include:spf.brevo.com, or spf.sendinblue.com for older setups; selector mail)",
		}},
}

// match returns the providers that name names: name is the domain or a
// name under it. Names are lower case without a trailing dot.
func match(name string, domains func(*provider) []string) []*provider {
	var out []*provider
	for i := range providers {
		p := &providers[i]
		for _, d := range domains(p) {
			if name == d || strings.HasSuffix(name, "."+d) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func spfDomains(p *provider) []string { return p.SPF }
func mxDomains(p *provider) []string  { return p.MX }

// commonProbe are the generic selectors of --dkim-probe common: the
// defaults of signing software and the providers whose selectors are
// the most widespread.
var commonProbe = []string{
	"default", "dkim", "mail", "email", "smtp", "selector1", "selector2", "s1", "s2", "k1", "k2", "google", "key1",
}
