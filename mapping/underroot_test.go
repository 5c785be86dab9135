package mapping

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A file a source names is read under file_root only: Windows separators
// are read as separators; a path out of the folder, as .., absolute, or
// through a link, is refused as outside, and a missing file is missing.
func TestReadUnderRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "jako")
	if err := os.MkdirAll(filepath.Join(root, "2004"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{filepath.Join(root, "2004", "a.rtf"): "sisällä", filepath.Join(dir, "ulkona.pdf"): "ulkona"} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "ulkona.pdf"), filepath.Join(root, "linkki.pdf")); err != nil {
		t.Fatal(err)
	}
	if data, err := readUnderRoot(root, `2004\a.rtf`); err != nil || string(data) != "sisällä" {
		t.Errorf(`2004\a.rtf: %q, %v`, data, err)
	}
	for path, how := range map[string]string{
		`..\ulkona.pdf`: "leads outside the folder",
		"2004/../../x":  "leads outside the folder",
		"/etc/passwd":   "is an absolute path",
		"linkki.pdf":    "is a link that leads outside the folder",
	} {
		var outside *outsideRoot
		if _, err := readUnderRoot(root, path); !errors.As(err, &outside) || outside.how != how {
			t.Errorf("%s: %v, want outside: %s", path, err, how)
		}
	}
	if _, err := readUnderRoot(root, "2004/puuttuu.pdf"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
