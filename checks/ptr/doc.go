// Package ptr implements the "ptr" check: the reverse DNS of the sending
// addresses given with --ip. Receivers judge a sending address first by
// its PTR record: there must be one, its name must resolve back to the
// address (forward-confirmed reverse DNS, FCrDNS), and the name should
// not be one a provider generates for a whole range of consumer addresses
// (see Generic).
//
// The check asks only DNS, never port 25, so --no-smtp does not skip it.
// Every address is looked up at once, and every PTR name's A or AAAA as
// soon as its PTR answer is in: the check takes as long as its longest
// chain, two round trips. A lookup that fails (timeout, SERVFAIL) leaves
// the address undecided (ptr.dns-error), never "missing".
//
// The MX addresses' reverse DNS is the smtp check's (smtp.ptr-missing,
// smtp.fcrdns-mismatch), which can reuse Generic.
package ptr
