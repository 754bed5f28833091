package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/mxray/mxray/checks/mailtest"
)

// serveSMTP starts the MX servers of the demo world (port 25, routed from
// the addresses in the zones):
//   - good.example: mx1 (IPv4 and IPv6) and mx2 with STARTTLS and valid
//     certificates from the world's CA; mx1 is also DANE-authenticated
//     (a "3 1 1" TLSA record in the signed zone).
//   - broken.example: host.broken.example (the target of the MX alias
//     mail.broken.example) offers no STARTTLS, relays for anyone, answers
//     VRFY and rejects postmaster.
func serveSMTP(w *mailtest.World) error {
	for _, mx := range []struct {
		name   string
		routes []string
	}{
		{"mx1.good.example", []string{"192.0.2.10:25", "[2001:db8::10]:25"}},
		{"mx2.good.example", []string{"198.51.100.10:25"}},
	} {
		cert, err := w.Cert(mailtest.CertValid, mx.name)
		if err != nil {
			return err
		}
		if _, err := w.SMTP(mailtest.SMTPOptions{Hostname: mx.name, Domains: []string{"good.example"}, TLS: cert}, mx.routes...); err != nil {
			return err
		}
		if mx.name == "mx1.good.example" {
			spki := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
			rr := fmt.Sprintf("_25._tcp.%s. 300 IN TLSA 3 1 1 %s\n", mx.name, hex.EncodeToString(spki[:]))
			if err := w.DNS.AddZone(rr); err != nil {
				return err
			}
		}
	}
	_, err := w.SMTP(mailtest.SMTPOptions{
		Hostname:         "host.broken.example",
		Domains:          []string{"broken.example"},
		OpenRelay:        true,
		VRFY:             true,
		RejectPostmaster: true,
	}, "192.0.2.20:25")
	return err
}
