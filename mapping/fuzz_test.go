package mapping

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the mapping decoder and checker: whatever
// the file holds, Load returns a mapping or errors, never panics, and does so
// in bounded time and memory. The seeds are the fixture and the inputs that
// once crashed it (empty entries, deep flow nesting).
func FuzzLoad(f *testing.F) {
	valid, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, seed := range []string{
		"value_maps: {x: }\n",
		"codesets: [ - ]\n",
		"codesets:\n  -\n",
		"sources: {s: }\n",
		"clients:\n  fields: {x: }\n",
		"clients:\n  source: s\n  fields:\n    family_name:\n",
		"organisation: {custodian: }\n",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path)
		if err == nil && m == nil {
			t.Fatal("no mapping and no error")
		}
	})
}
