// Package tlsrpt implements the "tlsrpt" check: the SMTP TLS Reporting
// record at _smtp._tls.<domain> (RFC 8460 §3). A missing record matters more
// when the domain deploys MTA-STS or DANE, so the check awaits the mtasts
// fact and looks for TLSA records of the MX hosts.
package tlsrpt
