// Package bimi implements the "bimi" check: the BIMI assertion record at
// default._bimi.<domain> (falling back to the organisational domain), the
// logo it points to (fetched over HTTPS with a size cap and checked against
// SVG Tiny PS), the presence of a mark certificate (a=), and the DMARC
// enforcement BIMI requires (from the dmarc check's fact).
package bimi
