//go:build !race

package ptr_test

const raceEnabled = false
