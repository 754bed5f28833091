package main

import (
	"errors"
	"strings"

	"github.com/mxray/mxray/checks/dnsq"
	"github.com/mxray/mxray/checks/smtp"
)

// bulkInFlight bounds the DNS questions a bulk run has on the wire at
// once, over all its domains: what one resolver answers without dropping
// (the single-domain bound of dnsq).
const bulkInFlight = 256

// rateFlag is --smtp-rate: how often a bulk run may connect to one MX
// address (N/s, N/m or N/h).
type rateFlag struct{ r smtp.Rate }

func (f *rateFlag) String() string {
	if f == nil || f.r.N == 0 {
		return smtp.DefaultRate.String()
	}
	return f.r.String()
}

// Set reads a rate; the error says in plain words what is wanted.
func (f *rateFlag) Set(v string) error {
	r, err := smtp.ParseRate(v)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), smtp.ErrRate.Error()+": "))
	}
	f.r = r
	return nil
}

// rate is the rate given, or the default.
func (f *rateFlag) rate() smtp.Rate {
	if f.r.N == 0 {
		return smtp.DefaultRate
	}
	return f.r
}

// forBulk makes r check many domains politely and quickly: one bound on
// the DNS questions in flight for all the domains (each has its own
// client, a fresh cache; 256 of them with 256 questions each would flood
// the resolver until its answers became timeouts), and one smtp.Cache, so
// that each MX address is tested once per run (not once per domain that
// uses it) and connections to it are spaced by rate.
func (r *runSpec) forBulk(rate smtp.Rate) {
	r.shared = dnsq.NewInFlight(bulkInFlight)
	r.smtpCache = smtp.NewCache(smtp.DefaultCacheSize, rate)
}
