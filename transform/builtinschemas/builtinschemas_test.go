package builtinschemas

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// The built-in schemas are the national export the project works from,
// file for file and byte for byte: repack them (tools/embedsosmeta) when it
// changes.
func TestBuiltInSchemasAreTheSharedExport(t *testing.T) {
	dir := testenv.Sosmeta()
	if dir == "" {
		testenv.Missing(t, "../shared/sosmeta (the national export beside the project)")
	}
	fsys, err := FS()
	if err != nil {
		t.Fatal(err)
	}
	shared, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(shared) < 100 {
		t.Fatalf("the shared export: %d schemas, %v", len(shared), err)
	}
	built, err := fs.Glob(fsys, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(built) != len(shared) {
		t.Errorf("%d schemas built in, %d in %s: repack with go run ./tools/embedsosmeta", len(built), len(shared), dir)
	}
	for _, path := range shared {
		name := filepath.Base(path)
		want, _ := os.ReadFile(path)
		got, err := fs.ReadFile(fsys, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: built in %v, differs %v: repack with go run ./tools/embedsosmeta", name, err == nil, !bytes.Equal(got, want))
		}
	}
	if !strings.Contains(Name, "built into kantamig") {
		t.Errorf("Name %q does not say where the schemas come from", Name)
	}
}
