// Package msgdmarc is the msg-dmarc check: DMARC (RFC 9989, RFC 7489) for
// a message's RFC5322.From domain. It discovers the record that applies
// as the dmarc check does (the RFC 9989 DNS tree walk decides; RFC 7489
// discovery runs beside it and is shown when it finds another record),
// and aligns with the From domain the SPF domain that msg-spf evaluated
// and the d= of every DKIM signature that msg-dkim verified, relaxed or
// strict as the record's aspf= and adkim= say. Relaxed alignment compares
// organisational domains from the public suffix list (dmarc.OrgDomain).
//
// A DNS failure during discovery, or an SPF or DKIM result that is not
// decided, leaves DMARC undecided (status error) unless an aligned pass
// already decides it: never a fail. The check publishes a typed Fact for
// msg-authres and the profile check.
package msgdmarc
