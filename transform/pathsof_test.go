package transform_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/builtinschemas"
)

// explain --type lists a document type's structured: paths, sorted, with
// its Finnish name; a type without a schema is an error naming those with
// one. Type 10001 is a request for a statement whose national schema has a
// signature section (allekirjoitus) with its signer's name.
func TestPathsOfADocumentType(t *testing.T) {
	fsys, err := builtinschemas.FS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := transform.LoadSchemasFS(fsys, "built-in")
	if err != nil {
		t.Fatal(err)
	}
	name, paths, err := s.PathsOf("10001")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "Lausuntopyyntö") || !slices.IsSorted(paths) || !slices.Contains(paths, "allekirjoitus") {
		t.Errorf("type 10001: %q, %d paths: %v", name, len(paths), paths[:min(5, len(paths))])
	}
	for _, p := range paths {
		if strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") {
			t.Errorf("a path with an empty part: %q", p)
		}
	}
	if _, _, err := s.PathsOf("99999"); err == nil || !strings.Contains(err.Error(), "10001") {
		t.Errorf("an unknown type: %v", err)
	}
}
