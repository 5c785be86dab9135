package transform

import (
	"path/filepath"
	"strings"
	"testing"
)

// A schema folder that cannot be read is named in the error, with what to
// do; it used to say "open .".
func TestAnUnreadableSchemaFolderIsNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-export")
	_, err := LoadSchemas(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "built in") {
		t.Fatalf("want an error naming %s, got %v", dir, err)
	}
}
