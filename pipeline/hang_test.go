package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
)

// tempMapping copies mapping/testdata into a temporary folder and lets the
// test change its files there.
func tempMapping(t testing.TB, change func(dir string)) string {
	t.Helper()
	dir := testenv.MappingFixture(t)
	if change != nil {
		change(dir)
	}
	return filepath.Join(dir, "valid.yaml")
}

// A dry-run whose first source fails before its first record stops with a
// source error; it used to hang for ever, the sign pool's workers ranging over
// a channel that close had already cleared. Repeated, since it was a race.
func TestDryRunWhoseFirstSourceFailsAtOnceDoesNotHang(t *testing.T) {
	file := tempMapping(t, func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "clients.csv"), nil, 0o600); err != nil { // zero bytes: no header
			t.Fatal(err)
		}
	})
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		r, err := Prepare(m, schemas, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := r.DryRun(context.Background()); done <- err }()
		select {
		case err := <-done:
			var serr *SourceError
			if !errors.As(err, &serr) {
				t.Fatalf("attempt %d: want a source error, got %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("attempt %d: the dry-run hung after its first source failed", i)
		}
		r.Close()
	}
}

// The case the hang was first seen in: a database mapping whose DSN
// variable is unset fails at its first source, with a message naming the
// variable, and the dry-run returns.
func TestDryRunWithUnsetDSNVariableStopsWithASourceError(t *testing.T) {
	t.Setenv("KANTAMIG_SOURCE_DSN", "")
	m, schemas, err := Load(dbMapping, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(m, schemas, Options{Workers: 2, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() { _, err := r.DryRun(context.Background()); done <- err }()
	select {
	case err := <-done:
		var serr *SourceError
		if !errors.As(err, &serr) || !strings.Contains(err.Error(), "KANTAMIG_SOURCE_DSN") {
			t.Fatalf("want a source error naming the variable, got %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the dry-run hung after its database source failed")
	}
}
