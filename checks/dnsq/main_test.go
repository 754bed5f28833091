package dnsq_test

import (
	"testing"

	"github.com/mxray/mxray/checks/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
