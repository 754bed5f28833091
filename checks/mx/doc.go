// Package mx implements the "mx" check: the domain's MX records (RFC 5321
// §5.1), null MX (RFC 7505), implicit MX, and the addresses of every MX
// host. Its published fact (*Fact) lets per-MX checks start as soon as the
// MX answer is in.
package mx
