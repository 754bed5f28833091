package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// GreylistPolicy is a greylisting policy service for a real Postfix, like
// postgrey: it speaks Postfix's SMTP access policy delegation protocol
// (one "name=value" attribute a line, an empty line ends a request) and
// answers each recipient whose (client, sender, recipient) triplet it has
// not let through yet with "action=DEFER_IF_PERMIT <Text>", which Postfix
// turns into "450 4.7.1 <recipient>: Recipient address rejected: <Text>"
// once the other restrictions have permitted it. An attempt made at least
// Delay after the triplet's first is let through, and the triplet after
// it. Use it in smtpd_recipient_restrictions after
// reject_unauth_destination:
//
//	check_policy_service inet:<Addr>
type GreylistPolicy struct {
	Addr string // "127.0.0.1:port"

	text  string
	delay time.Duration
	srv   *connServer

	mu       sync.Mutex
	first    map[string]time.Time
	passed   map[string]bool
	deferred int
}

// StartGreylistPolicy starts a greylisting policy service on loopback
// that defers with text (e.g. "Greylisted, see http://postgrey...") and
// lets a retry through after delay (0: the first retry). It stops when
// the test ends.
func StartGreylistPolicy(tb TB, text string, delay time.Duration) *GreylistPolicy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: policy service: %v", err)
	}
	p := &GreylistPolicy{Addr: l.Addr().String(), text: text, delay: delay, first: map[string]time.Time{}, passed: map[string]bool{}}
	p.srv = newConnServer(l)
	p.srv.start(p.session, nil)
	tb.Cleanup(p.Close)
	return p
}

// Close stops the service and waits for its connections.
func (p *GreylistPolicy) Close() { p.srv.Close() }

// Deferred returns how many recipients the service has deferred.
func (p *GreylistPolicy) Deferred() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deferred
}

// session answers the requests of one smtpd process, which keeps its
// connection open across requests.
func (p *GreylistPolicy) session(c net.Conn) {
	br := bufio.NewReader(c)
	attrs := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			k, v, _ := strings.Cut(line, "=")
			attrs[k] = v
			continue
		}
		action := "DUNNO"
		if attrs["request"] == "smtpd_access_policy" && attrs["protocol_state"] == "RCPT" &&
			p.deferKey(attrs["client_address"]+"|"+strings.ToLower(attrs["sender"])+"|"+strings.ToLower(attrs["recipient"])) {
			action = "DEFER_IF_PERMIT " + p.text
		}
		if _, err := fmt.Fprintf(c, "action=%s\n\n", action); err != nil {
			return
		}
		attrs = map[string]string{}
	}
}

func (p *GreylistPolicy) deferKey(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.passed[key] {
		return false
	}
	now := time.Now()
	first, seen := p.first[key]
	if seen && now.Sub(first) >= p.delay {
		p.passed[key] = true
		return false
	}
	if !seen {
		p.first[key] = now
	}
	p.deferred++
	return true
}
