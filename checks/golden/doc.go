// Package golden compares test output with golden files kept under the
// repository's top-level testdata/golden directory. Run the tests with
// -update to rewrite the files after an intended change.
package golden
