// Package all lists every check mxray knows, in report order. Adding a check
// means one package under checks/ and one line here.
package all
