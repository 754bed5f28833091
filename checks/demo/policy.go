package demo

import "github.com/mxray/mxray/checks/mailtest"

// policyIP is where the demo's HTTPS server answers (MTA-STS policies and
// BIMI logos; the A records are in zones/50-policy.zone).
const policyIP = "192.0.2.80"

const goodLogo = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 64 64">
  <title>Good Example Inc.</title>
  <rect width="64" height="64" fill="#0b5394"/>
  <circle cx="32" cy="32" r="20" fill="#ffffff"/>
</svg>
`

const brokenLogo = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" viewBox="0 0 64 80">
  <script>track()</script>
  <image xlink:href="https://cdn.broken.example/logo.png" width="64" height="80"/>
</svg>
`

// servePolicies starts the HTTPS server of the policy checks: the MTA-STS
// policies of good.example (enforce) and broken.example (testing, short
// max_age, an MX missing), and both domains' BIMI logos.
func servePolicies(w *mailtest.World) error {
	s, err := w.StartHTTPS(policyIP)
	if err != nil {
		return err
	}
	const path = "/.well-known/mta-sts.txt"
	s.Handle("mta-sts.good.example", path, mailtest.Response{Body: []byte(
		"version: STSv1\r\nmode: enforce\r\nmx: mx1.good.example\r\nmx: mx2.good.example\r\nmax_age: 604800\r\n")})
	s.Handle("mta-sts.broken.example", path, mailtest.Response{Body: []byte(
		"version: STSv1\nmode: testing\nmx: mail.broken.example\nmx: host.broken.example\nmax_age: 3600\n")})
	s.Handle("bimi.good.example", "/logo.svg", mailtest.Response{Body: []byte(goodLogo), ContentType: "image/svg+xml"})
	s.Handle("bimi.broken.example", "/logo.svg", mailtest.Response{Body: []byte(brokenLogo), ContentType: "image/svg+xml"})
	return nil
}
