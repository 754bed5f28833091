package send

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mxray/mxray/checks/smtpwire"
)

// ErrCertificate is returned (wrapped) when the server's certificate does
// not verify and Options.Insecure is not set.
var ErrCertificate = errors.New("send: the server's certificate does not verify")

// tlsProbe verifies the server's chain itself, so that the reason a chain
// is invalid is known (and recorded) also when the send goes on with
// --insecure.
type tlsProbe struct {
	name     string // the name to verify (a host name or an IP literal)
	roots    *x509.CertPool
	insecure bool
	// opportunistic goes on past a certificate that does not verify, as
	// an MTA does with STARTTLS to an MX (recorded as such, not as
	// --insecure).
	opportunistic bool
	now           func() time.Time

	mu        sync.Mutex
	chain     []*x509.Certificate
	verifyErr error
	verified  bool
}

func (p *tlsProbe) config() *tls.Config {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verified in VerifyConnection, with the reason kept
		VerifyConnection:   p.verify,
	}
	if net.ParseIP(p.name) == nil {
		cfg.ServerName = p.name
	}
	return cfg
}

func (p *tlsProbe) verify(cs tls.ConnectionState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chain = cs.PeerCertificates
	if len(cs.PeerCertificates) == 0 {
		p.verifyErr = errors.New("the server sent no certificate")
	} else {
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: p.roots, Intermediates: inter, DNSName: p.name, CurrentTime: p.now(),
		})
		p.verifyErr = err
	}
	if p.verifyErr == nil {
		p.verified = true
		return nil
	}
	if p.insecure || p.opportunistic {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrCertificate, p.verifyErr)
}

// info describes the handshake; state may be nil when it failed.
func (p *tlsProbe) info(state *tls.ConnectionState) *TLSInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	ti := &TLSInfo{ServerName: p.name, Verified: p.verified}
	if p.verifyErr != nil {
		ti.VerifyError = p.verifyErr.Error()
		ti.verifyWords = smtpwire.X509Words(p.verifyErr)
		ti.Insecure = p.insecure
		ti.Opportunistic = !p.insecure && p.opportunistic
	}
	if state != nil {
		ti.Version = tls.VersionName(state.Version)
		ti.CipherSuite = tls.CipherSuiteName(state.CipherSuite)
	}
	for _, c := range p.chain {
		ti.Chain = append(ti.Chain, certInfo(c))
	}
	return ti
}

// certError reports whether the handshake failed on our own verification.
func (p *tlsProbe) certError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.insecure || p.opportunistic {
		return nil
	}
	return p.verifyErr
}

// verifyError is why the certificate did not verify, whether or not the
// handshake went on; nil when it verified.
func (p *tlsProbe) verifyError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verified {
		return nil
	}
	if p.verifyErr == nil {
		return errors.New("the certificate was not checked")
	}
	return p.verifyErr
}

func certInfo(c *x509.Certificate) CertInfo {
	return CertInfo{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		DNSNames:  c.DNSNames,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:  c.NotAfter.UTC().Format(time.RFC3339),
		KeyType:   keyType(c.PublicKey),
	}
}

func keyType(k any) string {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}

// tlsNotes are the trace's human lines for a handshake.
func tlsNotes(ti *TLSInfo) []string {
	var out []string
	if ti.Version != "" {
		out = append(out, fmt.Sprintf("%s, %s", ti.Version, ti.CipherSuite))
	}
	for i, c := range ti.Chain {
		role := "leaf"
		if i > 0 {
			role = "chain"
		}
		line := fmt.Sprintf("%s %s (%s), issued by %s, valid %s to %s", role, c.Subject, c.KeyType, c.Issuer, c.NotBefore[:10], c.NotAfter[:10])
		if i == 0 && len(c.DNSNames) > 0 {
			line += ", names " + joinMax(c.DNSNames, 6)
		}
		out = append(out, line)
	}
	switch {
	case ti.Verified:
		out = append(out, "certificate verified for "+ti.ServerName)
	case ti.VerifyError != "" && ti.Insecure:
		out = append(out, "certificate does NOT verify: "+ti.words()+" (going on: --insecure)")
	case ti.VerifyError != "" && ti.Opportunistic:
		out = append(out, "certificate does NOT verify: "+ti.words()+" (going on: TLS to an MX is opportunistic, as mail servers use it: the message is encrypted but the server is not authenticated; --verify requires a valid certificate)")
	case ti.VerifyError != "":
		out = append(out, "certificate does NOT verify: "+ti.words())
	}
	return out
}

// words says why the certificate does not verify, in plain words.
func (ti *TLSInfo) words() string {
	if ti.verifyWords != "" {
		return ti.verifyWords
	}
	return ti.VerifyError
}

func joinMax(s []string, n int) string {
	if len(s) <= n {
		return fmt.Sprint(s)
	}
	return fmt.Sprint(s[:n]) + fmt.Sprintf(" and %d more", len(s)-n)
}
