package mtasts

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/tagval"
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

// ReasonNotAllowed: the URL is not one mxray fetches (see FetchableURL).
const ReasonNotAllowed = "not-allowed"

// FetchResult is the outcome of fetching a policy.
type FetchResult struct {
	// URL is the policy URL: https://mta-sts.<domain>/.well-known/mta-sts.txt.
	URL string `json:"url"`
	// Status is the HTTP status code; absent when no response came.
	Status int `json:"status,omitempty"`
	// ContentType is the response's Content-Type; absent when none.
	ContentType string `json:"content_type,omitempty"`
	// Location is a redirect's target (senders must not follow it); absent otherwise.
	Location string `json:"location,omitempty"`
	// Bytes is the size of the body read, in bytes.
	Bytes  int    `json:"bytes"`
	Reason string `json:"reason,omitempty"` // empty on success
	// Error says why the fetch failed, in plain words without details
	// that vary between runs.
	Error string `json:"error,omitempty"`
	// DurationMs is the fetch's duration in milliseconds.
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

// FetchURL is Fetch for an explicit URL. A URL that FetchableURL refuses is
// never requested: the result's Reason is ReasonNotAllowed.
func FetchURL(ctx context.Context, env *checks.Env, url string) *FetchResult {
	if _, err := FetchableURL(url); err != nil {
		return &FetchResult{URL: url, Reason: ReasonNotAllowed, Error: err.Error()}
	}
	return fetch(ctx, env, url)
}

// fetch gets a URL that FetchableURL allows.
func fetch(ctx context.Context, env *checks.Env, url string) *FetchResult {
	r := &FetchResult{URL: url}
	start := time.Now()
	defer func() { r.DurationMs = time.Since(start).Milliseconds() }()
	timeout := min(2*env.Timeout(), MaxFetchTime)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Reason, r.Error = ReasonConnect, "it is not a valid URL"
		return r
	}
	req.Header.Set("User-Agent", "mxray (MTA-STS policy check)")
	client := env.HTTP
	if client == nil {
		client = checks.NewHTTPClient(env)
	}
	resp, err := client.Do(req)
	if err != nil {
		r.Reason, r.Error = ExplainFetchError(err, req.URL.Hostname(), env.Timeout())
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	r.ContentType = resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Location = resp.Header.Get("Location")
		r.Reason, r.Error = ReasonRedirect, fmt.Sprintf("HTTP %d redirect to \"%s\"; RFC 8461 §3.3 forbids following redirects", resp.StatusCode, tagval.Clean(r.Location))
		return r
	case resp.StatusCode != http.StatusOK:
		r.Reason, r.Error = ReasonStatus, fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		return r
	}
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "text/plain" {
		r.Reason, r.Error = ReasonContentType, fmt.Sprintf("Content-Type is \"%s\", not text/plain", tagval.Clean(r.ContentType))
		return r
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	r.Bytes = len(body)
	if len(body) > MaxPolicySize {
		r.Reason, r.Error = ReasonSize, fmt.Sprintf("the body is larger than %d bytes", MaxPolicySize)
		return r
	}
	if err != nil {
		r.Reason, r.Error = ExplainFetchError(err, req.URL.Hostname(), env.Timeout())
		if r.Reason != ReasonTimeout {
			r.Reason = ReasonRead
		}
		return r
	}
	r.Body = string(body)
	return r
}
