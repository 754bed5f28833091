// Package dnsbl implements the "dnsbl" check: are the domain's mail
// addresses, the sending IPs given with --ip, or the domain itself on a
// blocklist?
//
// A DNS blocklist (RFC 5782) is a DNS zone: to ask whether 192.0.2.7 is
// listed on zen.spamhaus.org, look up the A record of
// 7.2.0.192.zen.spamhaus.org (IPv6 addresses are written as 32 reversed
// nibbles). NXDOMAIN means not listed; an address in 127.0.0.0/8 means
// listed, the code saying why, and a TXT record at the same name often gives
// a reason and a link. Domain lists (Spamhaus DBL, SURBL, URIBL) are asked
// the same way with the domain instead of the reversed address.
//
// Blocklist checks mislead when they trust every answer. This check does
// not: it probes every zone each run with the RFC 5782 test entries
// (127.0.0.2 must be listed, 127.0.0.1 must not; TEST and INVALID for domain
// lists) and ignores a zone that fails; it decodes refusal codes such as
// Spamhaus's 127.255.255.254 ("query via public resolver") as refusals,
// never as listings; it treats any answer outside 127.0.0.0/8 as a resolver
// that rewrites NXDOMAIN; and a zone that times out or fails leaves the
// address unknown, never clean. Every (zone, address) question is asked
// concurrently through the run's DNS client.
//
// The built-in list (lists.json, embedded) records for every zone its type,
// weight (a scoring list fails the check, an informational one warns), the
// meaning of its return codes, its removal page, and the date it was last
// reviewed; lists that shut down are kept out of it. --dnsbl-zones replaces
// it with a zones file (see ParseZones).
package dnsbl
