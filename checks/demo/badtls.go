package demo

import (
	"fmt"

	"github.com/mxray/mxray/checks/mailtest"
)

// badTLSHost is one MX host of badtls.example and what is wrong with it.
type badTLSHost struct {
	name string
	addr string               // the routed "ip:25"
	cert mailtest.CertKind    // the certificate it presents, when tls is set
	tls  bool                 // offers STARTTLS
	opts mailtest.SMTPOptions // the scripted behaviour (Hostname, Domains and TLS are filled in)
}

// badTLSHosts are the MX hosts of badtls.example (zones/80-badtls.zone),
// each with one or two problems so that every finding of the smtp and tls
// checks names exactly one host.
var badTLSHosts = []badTLSHost{
	{name: "mx-expired.badtls.example", addr: "192.0.2.31:25", tls: true, cert: mailtest.CertExpired},
	{name: "mx-wrongname.badtls.example", addr: "192.0.2.32:25", tls: true, cert: mailtest.CertWrongName},
	{name: "mx-selfsigned.badtls.example", addr: "192.0.2.33:25", tls: true, cert: mailtest.CertSelfSigned},
	{name: "mx-expiring.badtls.example", addr: "192.0.2.34:25", tls: true, cert: mailtest.CertExpiring,
		opts: mailtest.SMTPOptions{Greylist: true}},
	{name: "mx-legacy.badtls.example", addr: "192.0.2.35:25", tls: true, cert: mailtest.CertWeakRSA,
		opts: mailtest.SMTPOptions{OldTLS: true}},
	{name: "mx-reject.badtls.example", addr: "192.0.2.37:25",
		opts: mailtest.SMTPOptions{Greeting: "554 mx-reject.badtls.example ESMTP no SMTP service here"}},
}

// serveBadTLS starts the MX servers of badtls.example:
//   - mx-expired: a certificate from the world's CA that expired yesterday;
//   - mx-wrongname: a certificate for another name (wrong-name.invalid);
//   - mx-selfsigned: a self-signed certificate;
//   - mx-expiring: a certificate that expires in 5 days, and greylisting
//     (the first RCPT of each client, sender and recipient gets 450);
//   - mx-legacy: a 1024-bit RSA key, and TLS 1.0 and 1.1 still accepted;
//   - mx-reject: greets with 554 and refuses every command.
//
// A tarpit (a server that never greets) is left out on purpose: it would
// cost every demo run the whole greeting timeout. The smtp and tls tests
// cover it (TestTarpitDoesNotSerialise).
//
// The hosts otherwise behave: they accept postmaster and the null sender,
// refuse relaying and VRFY, and their reverse DNS matches their greeting.
func serveBadTLS(w *mailtest.World) error {
	for _, h := range badTLSHosts {
		o := h.opts
		o.Hostname = h.name
		o.Domains = []string{"badtls.example"}
		if h.tls {
			cert, err := w.Cert(h.cert, h.name)
			if err != nil {
				return fmt.Errorf("badtls: %s: %w", h.name, err)
			}
			o.TLS = cert
		}
		if _, err := w.SMTP(o, h.addr); err != nil {
			return fmt.Errorf("badtls: %s: %w", h.name, err)
		}
	}
	return nil
}
