package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// codes tells a team which national exports turn a test rehearsal into a
// migration.
func TestCodesSaysWhatToFetch(t *testing.T) {
	mapping := filepath.Join(testenv.MappingFixture(t), "valid.yaml")
	code, out, stderr := runCLI(t, "codes", "-m", mapping)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"FETCH case-name (1.2.246.537.6.1265", "fetch the national code server's (Koodistopalvelu) export of classification 1.2.246.537.6.1501",
		"ready sex", "to fetch before this test rehearsal can be a migration"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
