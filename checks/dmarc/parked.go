package dmarc

import (
	"context"
	"fmt"
	"strings"

	"github.com/mxray/mxray/checks"
	"github.com/mxray/mxray/checks/mx"
	"github.com/mxray/mxray/checks/spf"
)

// refParked is the guidance a parked domain follows.
const refParked = "M3AAWG Protecting Parked Domains BCP (2015), RFC 7505, RFC 7208 §8.4, RFC 7489 §6.3"

// parkedOutcome is what judgeParked found.
type parkedOutcome struct {
	null   bool // the mx check decided that the domain publishes a null MX and no other MX
	judged bool // dmarc.parked or dmarc.parked-incomplete was reported
	parked bool // dmarc.parked was reported
}

// judgeParked decides whether the domain, which the DMARC verdict v is
// about, is a parked domain (RFC 7505 null MX, SPF -all, DMARC p=reject)
// and says so, or names what it lacks. It awaits the mx and spf facts; when
// either check decided nothing, it judges nothing (and reports nothing).
func judgeParked(ctx context.Context, out *checks.Out, domain string, v *verdict) parkedOutcome {
	var p parkedOutcome
	mf, err := mx.FactKey.Await(ctx, out)
	if err != nil || !mf.Null || len(mf.Hosts) > 0 {
		return p // not decided, or the domain receives mail (null MX beside others is mx.null-mixed)
	}
	p.null = true
	sf, err := spf.FactKey.Await(ctx, out)
	if err != nil {
		return p // whether SPF says "no sender" is not decided: neither is parked
	}
	p.judged = true

	dmarcLack, dmarcFix := dmarcLacks(domain, v)
	if sf.NoSenders && dmarcLack == "" {
		p.parked = true
		out.Add(checks.Finding{ID: "dmarc.parked", Subject: domain, Evidence: parkedEvidence(v, sf),
			Message: fmt.Sprintf("%s sends and receives no mail; SPF, DMARC and null MX say so: %q, %s and MX 0 .", domain, sf.Record, policyWords(v)),
			Fix:     fmt.Sprintf("Nothing to do. If %s is to send or receive mail one day, replace these records first.", domain)})
		return p
	}
	orMail := fmt.Sprintf("If it does send mail, replace the null MX with MX records for a host that receives its replies and bounces: nobody can answer mail from %s now, and receivers may refuse it (RFC 7505 §4.2).", domain)
	if !sf.NoSenders {
		lack, publish := "", fmt.Sprintf("`%s. IN TXT \"v=spf1 -all\"`", domain)
		fix := fmt.Sprintf("If %s sends no mail, publish %s. %s", domain, publish, orMail)
		switch sf.Status {
		case spf.StatusMissing:
			lack = "it publishes no SPF record"
		case spf.StatusMultiple:
			lack = "it publishes several SPF records, which receivers treat as an error (permerror)"
			fix = fmt.Sprintf("If %s sends no mail, replace its SPF records with the one record %s. %s", domain, publish, orMail)
		case spf.StatusInvalid:
			lack = "its SPF record does not parse, which receivers treat as an error (permerror)"
			fix = fmt.Sprintf("If %s sends no mail, replace its SPF record with %s. %s", domain, publish, orMail)
		default:
			lack = fmt.Sprintf("its SPF record is %q, not \"v=spf1 -all\"", clip(sf.Record, 120))
			fix = fmt.Sprintf("If %s sends no mail, replace its SPF record with %s. %s", domain, publish, orMail)
		}
		ev := &checks.Evidence{}
		if sf.Record != "" {
			ev.Records = []string{sf.Record}
		}
		out.Add(checks.Finding{ID: "dmarc.parked-incomplete", Subject: domain, Evidence: ev,
			Message: fmt.Sprintf("%s publishes a null MX, so it receives no mail, but SPF does not say that it sends none: %s", domain, lack),
			Fix:     fix})
	}
	if dmarcLack != "" {
		out.Add(checks.Finding{ID: "dmarc.parked-incomplete", Subject: "_dmarc." + domain, Evidence: parkedEvidence(v, nil),
			Message: fmt.Sprintf("%s publishes a null MX, so it receives no mail, but DMARC does not tell receivers to refuse mail in its name: %s", domain, dmarcLack),
			Fix:     fmt.Sprintf("If %s sends no mail, %s. %s", domain, dmarcFix, orMail)})
	}
	return p
}

// dmarcLacks says, in plain words, what keeps the DMARC verdict v from
// locking a parked domain down, with the record that would ("" when
// nothing does: p=reject applies to all mail).
func dmarcLacks(domain string, v *verdict) (lack, fix string) {
	name := "_dmarc." + domain
	publish := func(value string) string { return fmt.Sprintf("publish `%s. IN TXT \"%s\"`", name, value) }
	switch v.status {
	case StatusMissing:
		return "it publishes no DMARC record", publish("v=DMARC1; p=reject")
	case StatusMultiple:
		return fmt.Sprintf("%s holds several DMARC records, so receivers apply none", v.recName),
			fmt.Sprintf("keep one record at %s: %s", v.recName, publish("v=DMARC1; p=reject"))
	case StatusInvalid:
		return fmt.Sprintf("receivers ignore the DMARC record at %s", v.recName), publish("v=DMARC1; p=reject")
	}
	rec := v.rec
	var lacks []string
	switch {
	case v.policy != PolicyReject:
		lacks = append(lacks, fmt.Sprintf("its DMARC policy is %s, not reject", policyText(rec, v.inherited)))
	case rec.HasPct && rec.Pct < 100:
		lacks = append(lacks, fmt.Sprintf("its DMARC policy applies to only %d%% of failing mail (pct=%d)", rec.Pct, rec.Pct))
	}
	if rec.Testing {
		lacks = append(lacks, "its DMARC record is in test mode (t=y), so receivers apply one step less than reject")
	}
	if len(lacks) == 0 {
		return "", ""
	}
	if v.inherited {
		return strings.Join(lacks, ", and ") + fmt.Sprintf(" (the record at %s applies)", v.recName), publish("v=DMARC1; p=reject")
	}
	return strings.Join(lacks, ", and "), publish(lockedRecord(rec).Render())
}

// lockedRecord is rec with the policy of a parked domain: p=reject for all
// mail, no weaker sp=/np=, no pct=, no t=y. Its other tags stay.
func lockedRecord(rec *Record) *Record {
	c := *rec
	c.P, c.HasP = PolicyReject, true
	c.HasSP, c.SP = false, PolicyReject
	c.HasNP, c.NP = false, PolicyReject
	c.HasPct, c.Pct, c.Testing = false, 100, false
	return &c
}

// policyWords names the DMARC policy of a parked domain in its finding.
func policyWords(v *verdict) string {
	if v.inherited {
		return fmt.Sprintf("%s at %s", policyText(v.rec, true), v.recName)
	}
	return "p=" + string(v.policy)
}

// parkedEvidence is the DMARC lookups with the records the verdict rests on.
func parkedEvidence(v *verdict, sf *spf.Fact) *checks.Evidence {
	ev := &checks.Evidence{}
	if v.recEv != nil {
		ev.DNS = v.recEv.DNS
	}
	if sf != nil && sf.Record != "" {
		ev.Records = append(ev.Records, sf.Record)
	}
	if v.recEv != nil {
		ev.Records = append(ev.Records, v.recEv.Records...)
	}
	return ev
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
