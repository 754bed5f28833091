package smtp

import (
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
)

var _ checks.Describer = Data{}

// Describe implements checks.Describer: for each MX address, the banner,
// the EHLO exchange and its extensions, STARTTLS, and the timings.
func (d Data) Describe() []checks.Item {
	var items []checks.Item
	if d.HELO != "" {
		items = append(items, checks.Item{Label: "EHLO name sent", Value: d.HELO})
	}
	if d.Port25Blocked {
		items = append(items, checks.Item{Label: "port 25", Value: "probably blocked on this network: no address answered"})
	}
	if len(d.Hosts) == 0 {
		items = append(items, checks.Item{Label: "MX hosts", Value: "none tested"})
	}
	for _, h := range d.Hosts {
		if len(h.Addresses) == 1 && h.Addresses[0].Address == h.Name {
			// An address target: the address itself, no MX host.
			a := h.Addresses[0]
			items = append(items, checks.Item{Label: "address", Value: a.Address + " (" + string(a.Outcome) + ")"})
			items = append(items, a.describe(1)...)
			continue
		}
		items = append(items, checks.Item{Label: fmt.Sprintf("MX %d", h.Preference), Value: h.Name})
		if h.Error != "" {
			items = append(items, checks.Item{Depth: 1, Label: "lookup failed", Value: h.Error})
		}
		for _, a := range h.Addresses {
			items = append(items, checks.Item{Depth: 1, Label: "address", Value: a.Address + " (" + string(a.Outcome) + ")"})
			items = append(items, a.describe(2)...)
		}
	}
	return items
}

// describe lists one address's session.
func (a Address) describe(depth int) []checks.Item {
	var items []checks.Item
	add := func(label, value string) {
		items = append(items, checks.Item{Depth: depth, Label: label, Value: value})
	}
	if len(a.PTR) > 0 {
		v := strings.Join(a.PTR, ", ")
		if a.FCrDNS != nil {
			if *a.FCrDNS {
				v += " (resolves back)"
			} else {
				v += " (does not resolve back)"
			}
		}
		add("PTR", v)
	}
	for i, l := range a.Banner {
		label := ""
		if i == 0 {
			label = "banner"
		}
		add(label, l)
	}
	for _, st := range a.Stages {
		if st.Name != "ehlo" && st.Name != "ehlo_tls" {
			continue
		}
		if st.Reply != nil && len(st.Reply.Lines) > 0 {
			label := "EHLO reply"
			if st.Name == "ehlo_tls" {
				label = "EHLO reply after STARTTLS"
			}
			add(label, fmt.Sprintf("%d %s", st.Reply.Code, st.Reply.Lines[0]))
		}
	}
	if len(a.Extensions) > 0 {
		add("extensions", strings.Join(a.Extensions, " "))
	}
	if len(a.ExtensionsTLS) > 0 {
		add("extensions after STARTTLS", strings.Join(a.ExtensionsTLS, " "))
	}
	switch {
	case a.TLS != "":
		add("STARTTLS", "yes, "+a.TLS)
	case a.TLSError != "":
		add("STARTTLS", "failed: "+a.TLSError)
	case a.Outcome == OutcomeCompleted:
		add("STARTTLS", yesNo(a.STARTTLS))
	}
	for _, p := range []*Probe{a.VRFY, a.NullSender, a.Postmaster, a.Relay} {
		if p == nil {
			continue
		}
		v := "no reply"
		switch {
		case p.Reply == nil && p.Accepted:
			v = "accepted"
		case p.Reply != nil && len(p.Reply.Lines) > 0:
			v = fmt.Sprintf("%d %s", p.Reply.Code, p.Reply.Lines[0])
		case p.Reply != nil:
			v = fmt.Sprint(p.Reply.Code)
		case p.Error != "":
			v = p.Error
		}
		add(p.Command, v)
	}
	if a.Greylisted {
		add("greylisting", "yes")
	}
	var times []string
	for _, st := range a.Stages {
		times = append(times, fmt.Sprintf("%s %.0f ms", st.Name, st.DurationMs))
	}
	if len(times) > 0 {
		add("timings", strings.Join(times, ", "))
	}
	if a.Error != "" {
		add("error", a.Error)
	}
	return items
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
