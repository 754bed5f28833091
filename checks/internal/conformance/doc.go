// Package conformance finds the shared conformance data (the openspf
// suites, the DMARC, DKIM, MTA-STS, TLS-RPT and PSL cases) for the
// conformance tests of the checks. The data is never copied into the
// project: it lives in $MXRAY_CONFORMANCE, by default ../shared/conformance
// beside the repository root, and a test skips with a message where it is
// absent.
package conformance
