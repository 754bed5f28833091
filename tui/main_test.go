package tui

import (
	"testing"

	"github.com/mxray/mxray/checks/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
