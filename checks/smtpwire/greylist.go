package smtpwire

import (
	"math/rand/v2"
	"strings"
)

// ProbeSender returns a sender address for a probe that greylisting must
// see as new: a local part never used before ("mxray" and 12 random
// letters) at domain (the probe's HELO name). Greylisters remember a
// (client, sender, recipient) triplet once its retry succeeds and never
// defer it again, so a fixed sender would show greylisting on the first
// run and never after. The local part has letters only and no delimiter:
// some greylisters turn digits into one placeholder, and some cut a local
// part at "+" or "-", which would make every probe the same sender again.
func ProbeSender(domain string) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString("mxray")
	for range 12 {
		b.WriteByte(letters[rand.IntN(len(letters))])
	}
	return b.String() + "@" + domain
}

// greylistWords are what greylisters write in their deferrals: postgrey
// ("Greylisted, see https://postgrey.schweikert.ch/..."), sqlgrey
// ("Temporary failure: greylisted"), milter-greylist ("Greylisting in
// action"), Exim's greylistd and others ("graylisted").
var greylistWords = []string{"greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list", "postgrey", "sqlgrey"}

// SaysGreylisting reports whether a 4xx reply says in its text that the
// server greylists. Many greylisters say only "try again later" (rspamd,
// OpenBSD spamd), as do rate limits and failing lookups: such a reply is
// greylisting only by the pattern of its retries (the caller's to judge).
func SaysGreylisting(r *Reply) bool {
	if !r.Transient() {
		return false
	}
	t := strings.ToLower(r.Text())
	for _, w := range greylistWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// AboutSender reports whether a reply refuses or defers the sender's
// address rather than the recipient or the client: an RFC 3463 code for
// the sender's mailbox or system (X.1.7, X.1.8), or the words Postfix,
// Exim and others use for it ("Sender address rejected", "sender verify",
// "sender domain"). A probe's own sender is then at fault (e.g. its
// domain does not resolve), which says nothing about greylisting.
func AboutSender(r *Reply) bool {
	if r == nil {
		return false
	}
	if p := strings.Split(r.Enhanced, "."); len(p) == 3 && p[1] == "1" && (p[2] == "7" || p[2] == "8") {
		return true
	}
	t := strings.ToLower(r.Text())
	for _, w := range []string{"sender address", "sender verif", "sender domain", "sender's domain", "unverified sender", "sender rejected"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
