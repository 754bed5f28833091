package tlscheck

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: for each MX address, the TLS
// version and cipher, the certificate (subject, names, issuer, expiry),
// the chain, and the host's TLSA records with the one that matched.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	if d.MTASTS != "" {
		items = append(items, checks.Item{Label: "MTA-STS mode", Value: d.MTASTS})
	}
	if len(d.Hosts) == 0 {
		items = append(items, checks.Item{Label: "MX hosts", Value: "none tested"})
	}
	for _, h := range d.Hosts {
		items = append(items, checks.Item{Label: fmt.Sprintf("MX %d", h.Preference), Value: h.Name})
		if h.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "lookup failed", Value: h.Error})
		}
		dane := h.DANE
		if h.TLSASecure {
			dane += " (TLSA validated by DNSSEC)"
		}
		items = append(items, checks.Item{Depth: 1, Label: "DANE", Value: dane})
		for _, r := range h.TLSA {
			items = append(items, checks.Item{Depth: 2, Label: "TLSA", Value: r})
		}
		if h.MTASTS != nil {
			v := h.MTASTS.Verdict
			if h.MTASTS.WouldFail != "" {
				v += ": " + h.MTASTS.WouldFail
			}
			items = append(items, checks.Item{Depth: 1, Label: "MTA-STS", Value: v})
		}
		for _, a := range h.Addresses {
			items = append(items, checks.Item{Depth: 1, Label: "address", Value: a.Address + " (" + a.Outcome + ")"})
			items = append(items, a.describe(2)...)
		}
	}
	return items
}

// describe lists one address's handshake and certificate chain.
func (a Address) describe(depth int) []checks.Item {
	var items []checks.Item
	add := func(dep int, label, value string) {
		items = append(items, checks.Item{Depth: dep, Label: label, Value: value})
	}
	if a.Version != "" {
		v := a.Version
		if a.Cipher != "" {
			v += ", " + a.Cipher
		}
		if a.HandshakeMs > 0 {
			v += fmt.Sprintf(", handshake %.0f ms", a.HandshakeMs)
		}
		add(depth, "TLS", v)
	} else if a.Outcome == "no-starttls" {
		add(depth, "STARTTLS", "not offered")
	}
	for i, c := range a.Chain {
		label := fmt.Sprintf("chain %d", i)
		if i == 0 {
			label = "certificate"
		}
		add(depth, label, c.Subject)
		if len(c.DNSNames) > 0 {
			add(depth+1, "names", strings.Join(c.DNSNames, ", "))
		}
		add(depth+1, "issuer", c.Issuer)
		add(depth+1, "not after", c.NotAfter.UTC().Format("2006-01-02 15:04 MST"))
		if i == 0 {
			add(depth+1, "key", c.Key)
		}
	}
	if len(a.Chain) > 0 {
		trust := "yes"
		if !a.Trusted {
			trust = "no"
			if a.TrustError != "" {
				trust += ": " + a.TrustError
			}
		}
		add(depth, "issuer trusted (PKIX)", trust)
		add(depth, "name matches", yesNo(a.NameMatch))
		switch d := a.ExpiresDays; {
		case d == nil:
		case *d < 0:
			add(depth, "expired", fmt.Sprintf("%d days ago", -*d))
		default:
			add(depth, "expires in", fmt.Sprintf("%d days", *d))
		}
	}
	if a.DANEMatch != "" {
		add(depth, "TLSA match", a.DANEMatch)
	}
	if len(a.OldProtocols) > 0 {
		add(depth, "old protocols accepted", strings.Join(a.OldProtocols, ", "))
	}
	if a.MTASTSWouldFail != "" {
		add(depth, "MTA-STS senders refuse it", a.MTASTSWouldFail)
	}
	if a.Error != "" {
		add(depth, "error", a.Error)
	}
	return items
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
