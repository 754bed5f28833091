// Package msgarc is the msg-arc check: the Authenticated Received Chain of
// a message (RFC 8617), validated with checks/arc through the run's DNS
// client. A passing chain says which intermediaries (lists, forwarders)
// handled the message and what authentication results it had before they
// changed it: its oldest passing instance and that instance's
// ARC-Authentication-Results are reported.
package msgarc
