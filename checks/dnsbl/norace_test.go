//go:build !race

package dnsbl_test

const raceEnabled = false
