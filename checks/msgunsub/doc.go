// Package msgunsub is the msg-unsubscribe check: bulk mail (a List-Id,
// Precedence: bulk or list, or any List-Unsubscribe) must offer a
// List-Unsubscribe (RFC 2369) with one-click unsubscription (RFC 8058: an
// https URI and exactly `List-Unsubscribe-Post: List-Unsubscribe=One-Click`),
// both fields covered by a passing DKIM signature, as Gmail and Yahoo
// require of bulk senders. The check reads the fields only: it never
// fetches or POSTs an unsubscribe URI.
package msgunsub
