// Package msgspf is the msg-spf check: SPF (RFC 7208) for a message as its
// receiver evaluated it, with checks/spf's check_host() engine. The client
// address and HELO name come from the trusted Received hop (see
// message.Options.ReceivedBy); the identity is the Return-Path domain, or
// the HELO name when the Return-Path is null or absent (RFC 7208 §2.4).
//
// A temperror (a lookup that may succeed later) is undecided: status
// error, never a fail finding. A permerror is the domain's own fault and
// is reported apart (msg-spf.permerror).
package msgspf
