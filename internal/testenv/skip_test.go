package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTB records what Optional does with a test of a given name.
type fakeTB struct {
	testing.TB
	name           string
	fatal, skipped string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
}
func (f *fakeTB) Skip(args ...any) { f.skipped = fmt.Sprint(args...) }

// A test on the list skips with its reason and says so in the skip log;
// one that is not on the list fails: no skip goes unseen.
func TestOnlyListedTestsMaySkip(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips.txt")
	t.Setenv("KANTAMIG_SKIP_LOG", log)
	listed := &fakeTB{name: "TestMSSQLIntegration/sub"}
	Optional(listed)
	if listed.fatal != "" || !strings.Contains(listed.skipped, "KANTAMIG_MSSQL_DSN") {
		t.Errorf("listed test: fatal %q, skipped %q", listed.fatal, listed.skipped)
	}
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), "TestMSSQLIntegration/sub: SQL Server cannot run here") {
		t.Errorf("skip log: %q", data)
	}
	other := &fakeTB{name: "TestSomethingElse"}
	Optional(other)
	if !strings.Contains(other.fatal, "not in testenv.AllowedSkips") {
		t.Errorf("unlisted test: fatal %q, skipped %q", other.fatal, other.skipped)
	}
}
