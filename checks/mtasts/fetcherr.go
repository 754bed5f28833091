package mtasts

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// ExplainFetchError turns the error of an HTTPS request to host into a fetch
// reason (one of the Reason* words) and a plain-words explanation for
// people: no Go error text ("Get \"https://...\": dial tcp ..."), no package
// prefixes ("x509:", "tls:"), nothing that varies between runs (times,
// ports). timeout is the per-wait timeout the client applied.
//
// A failed DNS lookup of the host gives ReasonDNS and the lookup's own text;
// callers tell such an undecided lookup (a *dnsq.LookupError: timeout,
// SERVFAIL) from a host that has no address (checks.ErrNoAddress) with
// errors.As.
func ExplainFetchError(err error, host string, timeout time.Duration) (reason, why string) {
	if les := LookupErrors(err); len(les) > 0 {
		texts := make([]string, len(les))
		for i, le := range les {
			texts[i] = le.Error()
		}
		return ReasonDNS, strings.Join(texts, "; ")
	}
	if errors.Is(err, checks.ErrFetchNotAllowed) {
		// The HTTP client's backstop: callers validate URLs first.
		return ReasonNotAllowed, "mxray fetches only https URLs that name a host by DNS name, on port 443"
	}
	if errors.Is(err, checks.ErrNoAddress) {
		return ReasonDNS, host + " has no A or AAAA record"
	}
	if why := certProblem(err); why != "" {
		return ReasonTLS, why
	}
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	var ne net.Error
	switch {
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return ReasonTLS, "the server answered in plain HTTP, not HTTPS"
	case errors.As(err, &rh):
		return ReasonTLS, "the server did not answer with TLS"
	case errors.As(err, &ae):
		return ReasonTLS, "the server aborted the TLS handshake (" + strings.TrimPrefix(ae.Error(), "tls: ") + ")"
	case errors.Is(err, context.Canceled):
		return ReasonTimeout, "interrupted"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout, "no answer within " + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnect, "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return ReasonConnect, "the server reset the connection"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return ReasonConnect, "no route to the host"
	case errors.Is(err, syscall.ENETUNREACH):
		return ReasonConnect, "the network is unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonConnect, "the server closed the connection without a complete answer"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return ReasonConnect, "could not connect to " + host + " on port 443"
	}
	if strings.Contains(err.Error(), "tls: ") {
		return ReasonTLS, "the TLS handshake failed"
	}
	if oe != nil {
		return ReasonConnect, "the connection broke"
	}
	return ReasonConnect, "the request failed"
}

// certProblem explains a certificate verification error, or returns "".
func certProblem(err error) string {
	var he x509.HostnameError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var sr x509.SystemRootsError
	var ia x509.InsecureAlgorithmError
	var cv *tls.CertificateVerificationError
	switch {
	case errors.As(err, &he):
		if he.Certificate == nil || len(he.Certificate.DNSNames)+len(he.Certificate.IPAddresses) == 0 {
			return "the certificate names no host in its subject alternative names"
		}
		names := append([]string(nil), he.Certificate.DNSNames...)
		for _, ip := range he.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) > 5 {
			names = append(names[:5], "…")
		}
		return "the certificate is not valid for " + he.Host + " (it is for " + strings.Join(names, ", ") + ")"
	case errors.As(err, &ua):
		if ua.Cert != nil && bytes.Equal(ua.Cert.RawIssuer, ua.Cert.RawSubject) {
			return "the certificate is self-signed, not issued by a trusted certificate authority"
		}
		return "the certificate is signed by an unknown authority"
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			return "the certificate has expired or is not yet valid"
		case x509.NotAuthorizedToSign, x509.CANotAuthorizedForThisName, x509.CANotAuthorizedForExtKeyUsage, x509.TooManyIntermediates:
			return "the certificate chain is invalid"
		case x509.IncompatibleUsage:
			return "the certificate is not issued for web servers"
		}
		return "the certificate is invalid"
	case errors.As(err, &sr):
		return "no trusted root certificates are available on this system"
	case errors.As(err, &ia):
		return "the certificate is signed with an insecure algorithm"
	case errors.As(err, &cv):
		return "the certificate could not be verified"
	}
	return ""
}

// LookupErrors returns the DNS lookup errors in err's tree (errors.Join
// holds one per address type), or nil.
func LookupErrors(err error) []*dnsq.LookupError {
	var out []*dnsq.LookupError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if le, ok := e.(*dnsq.LookupError); ok {
			out = append(out, le)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	// Concurrent lookups finish in any order: A before AAAA, always.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Type < out[j].Type
	})
	return out
}
