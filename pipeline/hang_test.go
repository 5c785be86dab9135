package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tempMapping copies mapping/testdata into a temporary folder (code-set paths
// made absolute) and lets the test change its files there.
func tempMapping(t *testing.T, change func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "mapping", "testdata")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	codesets, _ := filepath.Abs(filepath.Join("..", "samples", "codesets"))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".yaml") {
			data = []byte(strings.ReplaceAll(string(data), "../../samples/codesets", codesets))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
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
	m, schemas, err := Load(file, filepath.Join(sharedDir(), "sosmeta"))
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
