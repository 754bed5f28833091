package message

import (
	"net/mail"
	"net/netip"
	"strings"
	"time"
)

// Received is one parsed Received field (RFC 5321 §4.4). Receivers write
// many dialects (Postfix, Exim, Sendmail, Microsoft, Google): the parser
// reads the clauses it knows and keeps the rest in Raw.
type Received struct {
	// Raw is the field's value, unfolded.
	Raw string `json:"raw"`
	// From is the from clause's first word: usually the client's HELO
	// name, or its address literal.
	From string `json:"from,omitempty"`
	// HELO is the name the client gave in HELO/EHLO: helo= in the from
	// clause's comment when there is one (Exim), else From.
	HELO string `json:"helo,omitempty"`
	// ReverseName is the client's reverse DNS name from the TCP-info
	// comment, "" when absent or "unknown".
	ReverseName string `json:"reverse_name,omitempty"`
	// ClientIP is the connecting client's address, from the TCP-info
	// comment ("(host [192.0.2.1])") or the from clause's address literal;
	// invalid when the field names none.
	ClientIP netip.Addr `json:"client_ip,omitzero"`
	By       string     `json:"by,omitempty"`   // the receiving host
	With     string     `json:"with,omitempty"` // the protocol (ESMTPS, SMTP...)
	ID       string     `json:"id,omitempty"`   // the receiver's queue ID
	For      string     `json:"for,omitempty"`  // the recipient, without <>
	// Date is the date after the last semicolon as written; Time its
	// parsed value, zero when it cannot be read.
	Date string `json:"date,omitempty"`
	// Time is Date parsed; absent when it cannot be read.
	Time time.Time `json:"time,omitzero"`
}

// maxClauseWords bounds the words kept per clause: a hostile field cannot
// make the parser build long lists.
const maxClauseWords = 8

type token struct {
	text    string
	comment bool
}

// ParseReceived parses one Received field's value (folded or not).
func ParseReceived(v string) Received {
	v = Unfold(v)
	r := Received{Raw: v}
	clauses, date := cutDate(v)
	r.Date = strings.TrimSpace(date)
	if r.Date != "" {
		if t, err := mail.ParseDate(r.Date); err == nil {
			r.Time = t
		}
	}
	type clause struct {
		words    []string
		comments []string
	}
	got := map[string]*clause{}
	var cur *clause
	for _, tk := range tokenize(clauses) {
		if tk.comment {
			if cur != nil && len(cur.comments) < maxClauseWords {
				cur.comments = append(cur.comments, tk.text)
			}
			continue
		}
		kw := strings.ToLower(tk.text)
		switch kw {
		case "from", "by", "via", "with", "id", "for":
			if cur == nil || len(cur.words) > 0 {
				if _, seen := got[kw]; !seen {
					cur = &clause{}
					got[kw] = cur
					continue
				}
			}
		}
		if cur != nil && len(cur.words) < maxClauseWords {
			cur.words = append(cur.words, tk.text)
		}
	}
	first := func(kw string) string {
		if c := got[kw]; c != nil && len(c.words) > 0 {
			return c.words[0]
		}
		return ""
	}
	r.From, r.By, r.With, r.ID = first("from"), first("by"), first("with"), first("id")
	r.For = strings.Trim(first("for"), "<>")
	r.HELO = r.From
	if c := got["from"]; c != nil {
		r.ClientIP, r.ReverseName = tcpInfo(c.comments)
		for _, w := range c.words {
			// "from [192.0.2.1]", "from unknown [192.0.2.1]" (Sendmail)
			if r.ClientIP.IsValid() {
				break
			}
			r.ClientIP = literal(w)
		}
		if !r.ClientIP.IsValid() {
			r.ClientIP, _ = tcpInfo(nil, c.comments...)
		}
		for _, cm := range c.comments {
			for _, w := range strings.Fields(cm) {
				if len(w) > 5 && strings.EqualFold(w[:5], "helo=") {
					r.HELO = strings.Trim(w[5:], "()[],;")
				}
			}
		}
	}
	return r
}

// cutDate splits the value at its last semicolon outside comments.
func cutDate(v string) (clauses, date string) {
	depth, last := 0, -1
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ';':
			if depth == 0 {
				last = i
			}
		}
	}
	if last < 0 {
		return v, ""
	}
	return v[:last], v[last+1:]
}

// tokenize splits v into words and top-level comments (nested comments
// stay inside their outer comment's text); an angle address is one word.
func tokenize(v string) []token {
	var out []token
	i := 0
	for i < len(v) {
		c := v[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			depth, j := 0, i
			for ; j < len(v); j++ {
				if v[j] == '\\' {
					j++
					continue
				}
				if v[j] == '(' {
					depth++
				} else if v[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			end := min(j, len(v))
			out = append(out, token{text: v[i+1 : end], comment: true})
			i = end + 1
		case c == '<':
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				out = append(out, token{text: v[i:]})
				return out
			}
			out = append(out, token{text: v[i : i+j+1]})
			i += j + 1
		default:
			j := i
			for j < len(v) && !strings.ContainsRune(" \t\r\n(<", rune(v[j])) {
				j++
			}
			out = append(out, token{text: v[i:j]})
			i = j
		}
	}
	return out
}

// tcpInfo finds the client address in the from clause's comments, a
// bracketed address ("host [192.0.2.1]", "[IPv6:2001:db8::1]"); the word
// before the bracket is the reverse DNS name. When comments is nil it
// looks for a bare address ("(2001:db8::1)", Microsoft) in bareIn
// instead; ParseReceived tries that last, after the clause's own words.
func tcpInfo(comments []string, bareIn ...string) (netip.Addr, string) {
	for _, cm := range bareIn {
		for _, w := range strings.Fields(cm) {
			if ip := bare(w); ip.IsValid() {
				return ip, ""
			}
		}
	}
	for _, cm := range comments {
		open := strings.IndexByte(cm, '[')
		if open < 0 {
			continue
		}
		end := strings.IndexByte(cm[open:], ']')
		if end < 0 {
			continue
		}
		ip := literal(cm[open : open+end+1])
		if !ip.IsValid() {
			continue
		}
		name := ""
		if ws := strings.Fields(cm[:open]); len(ws) > 0 {
			name = strings.TrimSuffix(ws[len(ws)-1], ".")
			if strings.EqualFold(name, "unknown") || strings.Contains(name, "=") {
				name = ""
			}
		}
		return ip, name
	}
	return netip.Addr{}, ""
}

// literal parses an address literal "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func literal(s string) netip.Addr {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return netip.Addr{}
	}
	return bare(s[1 : len(s)-1])
}

// bare parses an IP address with optional IPv6: prefix and punctuation.
func bare(s string) netip.Addr {
	s = strings.Trim(s, "[](),;")
	if len(s) > 6 && strings.EqualFold(s[:5], "IPv6:") {
		s = s[5:]
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}
	}
	return ip.Unmap()
}
