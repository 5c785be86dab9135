package entity

import (
	"os"
	"strings"
	"testing"
)

// The documents that list the kinds by name list each, in order: a new
// kind is not done until the docs say it.
func TestTheDocsListEveryKind(t *testing.T) {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k.Entity)
	}
	list := "(" + strings.Join(names, ", ") + ")"
	for _, file := range []string{"../docs/mapping.md", "../docs/report.schema.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), list) {
			t.Errorf("%s does not list the kinds as %s", file, list)
		}
	}
	doc, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		if !strings.Contains(string(doc), "| `"+k.Key+"` |") && !strings.Contains(string(doc), "`"+k.Key+"`, ") {
			t.Errorf("docs/mapping.md's table of top-level keys lacks %s", k.Key)
		}
		if k.Carrier != "" && !strings.Contains(string(doc), "**"+string(k.Entity)+"** (the `"+k.Key+"` section") {
			t.Errorf("docs/mapping.md has no table of %s's fields", k.Entity)
		}
	}
}
