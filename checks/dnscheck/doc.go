// Package dnscheck implements the "dns" check: the domain exists, has name
// servers, and its DNSSEC status as reported by the resolver (AD bit), and
// tells resolver trouble apart from problems of the domain.
package dnscheck
