package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/dnsq"
)

// MaxPolicySize is the largest policy body accepted (RFC 8461 §3.3 lets
// senders cap it; 64 KiB is the common limit).
const MaxPolicySize = 64 << 10

// MaxFetchTime bounds a whole policy fetch, whatever the run's timeout.
const MaxFetchTime = 15 * time.Second

// Fetch reasons, in FetchResult.Reason.
const (
	ReasonDNS         = "dns"          // mta-sts.<domain> does not resolve
	ReasonConnect     = "connect"      // no TCP connection to port 443
	ReasonTLS         = "tls"          // the certificate does not validate, or the handshake failed
	ReasonTimeout     = "timeout"      // the server did not answer in time
	ReasonRedirect    = "redirect"     // a 3xx answer (RFC 8461 §3.3 forbids following it)
	ReasonStatus      = "status"       // an answer other than 200
	ReasonContentType = "content-type" // not text/plain
	ReasonSize        = "size"         // the body exceeds MaxPolicySize
	ReasonRead        = "read"         // the body could not be read
)

// FetchResult is the outcome of fetching a policy.
type FetchResult struct {
	URL         string `json:"url"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Location    string `json:"location,omitempty"`
	Bytes       int    `json:"bytes"`
	Reason      string `json:"reason,omitempty"` // empty on success
	Error       string `json:"error,omitempty"`
	// Why is Error told for people, without volatile details.
	Why        string `json:"-"`
	DurationMs int64  `json:"duration_ms"`
	Body       string `json:"-"`
}

// PolicyURL returns the policy URL for domain.
func PolicyURL(domain string) string {
	return "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
}

// Fetch gets the policy strictly per RFC 8461 §3.3: HTTPS with a validated
// certificate, no redirects (the client never follows them), status 200,
// media type text/plain, at most MaxPolicySize bytes, within a short
// timeout.
func Fetch(ctx context.Context, env *checks.Env, domain string) *FetchResult {
	return FetchURL(ctx, env, PolicyURL(domain))
}

// FetchURL is Fetch for an explicit URL.
func FetchURL(ctx context.Context, env *checks.Env, url string) *FetchResult {
	r := &FetchResult{URL: url}
	start := time.Now()
	defer func() { r.DurationMs = time.Since(start).Milliseconds() }()
	timeout := min(2*env.Timeout(), MaxFetchTime)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Reason, r.Error = ReasonConnect, err.Error()
		return r
	}
	req.Header.Set("User-Agent", "mxray (MTA-STS policy check)")
	client := env.HTTP
	if client == nil {
		client = checks.NewHTTPClient(env)
	}
	resp, err := client.Do(req)
	if err != nil {
		r.Reason, r.Error, r.Why = classify(ctx, err), err.Error(), describe(err)
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	r.ContentType = resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Location = resp.Header.Get("Location")
		r.Reason, r.Error = ReasonRedirect, fmt.Sprintf("HTTP %d redirect to %q; RFC 8461 §3.3 forbids following redirects", resp.StatusCode, r.Location)
		return r
	case resp.StatusCode != http.StatusOK:
		r.Reason, r.Error = ReasonStatus, fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		return r
	}
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "text/plain" {
		r.Reason, r.Error = ReasonContentType, fmt.Sprintf("Content-Type is %q, not text/plain", r.ContentType)
		return r
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	r.Bytes = len(body)
	if len(body) > MaxPolicySize {
		r.Reason, r.Error = ReasonSize, fmt.Sprintf("the body is larger than %d bytes", MaxPolicySize)
		return r
	}
	if err != nil {
		r.Reason, r.Error = classifyRead(ctx, err), err.Error()
		return r
	}
	r.Body = string(body)
	return r
}

func classifyRead(ctx context.Context, err error) string {
	if c := classify(ctx, err); c == ReasonTimeout {
		return c
	}
	return ReasonRead
}

// classify turns a client error into a fetch reason.
func classify(ctx context.Context, err error) string {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var re tls.RecordHeaderError
	var ae tls.AlertError
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &cve), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci), errors.As(err, &re), errors.As(err, &ae):
		return ReasonTLS
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil, errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	case errors.As(err, &dnsErr), isResolveError(err):
		return ReasonDNS
	}
	return ReasonConnect
}

func isResolveError(err error) bool {
	var le *dnsq.LookupError
	return errors.As(err, &le) || errors.Is(err, checks.ErrNoAddress)
}

// describe explains a client error without volatile details (clock times,
// ports).
func describe(err error) string {
	var he x509.HostnameError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var ne net.Error
	switch {
	case errors.As(err, &he):
		return "the certificate is not valid for the host name (" + strings.TrimPrefix(he.Error(), "x509: ") + ")"
	case errors.As(err, &ua):
		return "the certificate is not signed by a trusted certificate authority"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "the certificate has expired or is not yet valid"
	case errors.As(err, &ci):
		return "the certificate is invalid (" + strings.TrimPrefix(ci.Error(), "x509: ") + ")"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the server did not answer in time"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}
