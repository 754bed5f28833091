package send

import (
	"strings"
	"sync"

	"github.com/emersion/go-sasl"

	"github.com/mxray/mxray/checks"
)

// Masked is what a trace shows in place of an AUTH payload.
const Masked = "***"

// loginClient is the LOGIN mechanism (draft-murchison-sasl-login): the
// server asks "Username:" and "Password:" in 334 challenges. Unlike
// go-sasl's, it sends no initial response (some servers refuse one) and
// accepts the prompts in any case.
type loginClient struct {
	user, pass string
	step       int
}

func (c *loginClient) Start() (string, []byte, error) { return sasl.Login, nil, nil }

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	ch := strings.ToLower(strings.TrimSpace(string(challenge)))
	c.step++
	switch {
	case strings.HasPrefix(ch, "user"):
		return []byte(c.user), nil
	case strings.HasPrefix(ch, "pass"):
		return []byte(c.pass), nil
	case c.step == 1:
		return []byte(c.user), nil
	case c.step == 2:
		return []byte(c.pass), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}

// filter state: what the client is sending now.
const (
	sendCommands = iota // commands: recorded as they are
	sendAuth            // AUTH exchange: client payloads masked
	sendBody            // message content: not recorded
)

// lineFilter rewrites transcript lines: AUTH payloads become ***, the
// message content is dropped (counted) until the final ".".
type lineFilter struct {
	mu      sync.Mutex
	state   int
	dropped int
}

func (f *lineFilter) set(state int) {
	f.mu.Lock()
	f.state = state
	f.dropped = 0
	f.mu.Unlock()
}

// droppedLines returns how many content lines were left out.
func (f *lineFilter) droppedLines() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped
}

func (f *lineFilter) filter(dir checks.Direction, line string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if dir != checks.DirClient {
		return line, true
	}
	switch f.state {
	case sendAuth:
		return maskAuth(line), true
	case sendBody:
		if line == "." {
			f.state = sendCommands
			return line, true
		}
		f.dropped++
		return "", false
	}
	// Outside the AUTH exchange an AUTH command is still masked (belt and
	// braces: nothing else sends one).
	if strings.HasPrefix(strings.ToUpper(line), "AUTH ") {
		return maskAuth(line), true
	}
	return line, true
}

// maskAuth masks one client line of an AUTH exchange: "AUTH PLAIN <ir>"
// keeps the mechanism, any other line is a payload.
func maskAuth(line string) string {
	f := strings.Fields(line)
	if len(f) >= 2 && strings.EqualFold(f[0], "AUTH") {
		if len(f) == 2 {
			return "AUTH " + f[1]
		}
		return "AUTH " + f[1] + " " + Masked
	}
	if line == "*" { // the client cancels the exchange (RFC 4954 §4)
		return line
	}
	return Masked
}
