package demo

import (
	"crypto/ed25519"
	"crypto/sha256"

	"github.com/mxray/mxray/checks/mailtest"
	"github.com/mxray/mxray/checks/send"
)

// The demo's submission server: STARTTLS on port 587 with a certificate
// from the world's CA, AUTH PLAIN/LOGIN for one account. These are demo
// credentials for a server that exists only inside `mxray demo`.
const (
	SendServer   = "smtp.good.example:587"
	SendUser     = "demo@good.example"
	SendPassword = "demo-only-password"
	// SendSelector is the DKIM selector whose key 70-send.zone publishes.
	SendSelector = "mxray-demo"
)

// sendKey is the demo's DKIM key, derived from a fixed seed so that the
// zone file can publish its public half.
func sendKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("mxray demo DKIM key"))
	return ed25519.NewKeyFromSeed(seed[:])
}

// SendOptions are the options of a demo send: an authenticated, DKIM-signed
// message from demo@good.example to postmaster@good.example through the
// demo's submission server. Set OnStep to follow it.
func SendOptions() send.Options {
	return send.Options{
		From:     SendUser,
		To:       []string{"postmaster@good.example"},
		Server:   SendServer,
		AuthUser: SendUser,
		Password: SendPassword,
		HELO:     "demo.mxray.invalid",
		DKIM:     &send.DKIMOptions{Selector: SendSelector, Key: sendKey()},
	}
}

// serveSubmission starts the demo's submission server.
func serveSubmission(w *mailtest.World) error {
	cert, err := w.Cert(mailtest.CertValid, "smtp.good.example")
	if err != nil {
		return err
	}
	_, err = w.Submission(mailtest.SubmissionOptions{
		Hostname: "smtp.good.example",
		Cert:     cert,
		Users:    map[string]string{SendUser: SendPassword},
		Mailbox:  mailtest.NewMailbox(),
	}, "192.0.2.25:587")
	return err
}
