package checks_test

import (
	"testing"

	"github.com/mxray/mxray/checks/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
