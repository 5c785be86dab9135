package style

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

const module = "github.com/kantamig/kantamig"

// groupOf says which group an import path belongs in: the standard
// library, other modules, this one.
func groupOf(path string) int {
	switch {
	case strings.HasPrefix(path, module):
		return 2
	case strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
		return 1
	}
	return 0
}

// Every file groups its imports as goimports does, with this module's own
// last: the standard library, then other modules, then kantamig's
// packages, each group apart from the next by a blank line, none mixed.
func TestImportsAreGrouped(t *testing.T) {
	root := testenv.Root()
	names := [...]string{"the standard library", "other modules", "kantamig's packages"}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "out" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		lastLine, lastGroup := 0, -1
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			line, group := fset.Position(imp.Pos()).Line, groupOf(p)
			newBlock := lastLine == 0 || line > lastLine+1
			switch {
			case lastGroup >= 0 && !newBlock && group != lastGroup:
				t.Errorf("%s:%d: %s is in the block of %s; put a blank line between groups", rel, line, p, names[lastGroup])
			case lastGroup >= 0 && group < lastGroup:
				t.Errorf("%s:%d: %s (%s) after %s; the order is %s", rel, line, p, names[group], names[lastGroup], strings.Join(names[:], ", "))
			}
			lastLine, lastGroup = line, group
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("%d files read", files)
	}
}
