package kanta

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/codes.md from the built-in code sets")

// builtinCodesDoc is docs/codes.md: every built-in code set with its
// codes and their names, and which a document may carry.
func builtinCodesDoc() string {
	var b strings.Builder
	b.WriteString(`# The code sets built into kantamig

kantamig carries only national codes into documents: a code it has confirmed from the national sources in
hand (DOMAIN.md), or one a national export the mapping loads names (codesets:). These are the confirmed
ones it knows without an export; everything else is a placeholder, which only a test rehearsal sends
(` + "`kantamig codes -m MAPPING`" + ` says which exports a mapping still needs). A set whose version is not
known takes its version from its export. Generated from ` + "`kanta.BuiltinCodeSets`" + ` (go test ./kanta
-run TestBuiltinCodesAreDocumented -update-docs); a test holds the two together.
`)
	cs := BuiltinCodeSets()
	for _, name := range cs.Names() {
		c := cs.Get(name)
		version := c.Version
		if version == "" {
			version = "not known: load the national export"
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s, OID %s, version %s.\n\n", name, c.Title, c.OID, version)
		if name == SetSpecificDocumentType {
			b.WriteString("The specific types the national Sosmeta schemas are named by are added to these: 198 in all with the schemas built in.\n\n")
		}
		if c.Len() == 0 {
			b.WriteString("No code is built in.\n")
			continue
		}
		b.WriteString("| code | name | a document may carry it |\n|---|---|---|\n")
		for _, code := range c.Codes() {
			display, _ := c.Display(code)
			may := "yes"
			if why := c.Placeholder(code); why != "" {
				may = "no: " + why
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", code, display, may)
		}
	}
	return b.String()
}

// docs/codes.md lists every built-in code set, code and name, as the code
// has them.
func TestBuiltinCodesAreDocumented(t *testing.T) {
	want := builtinCodesDoc()
	if *updateDocs {
		if err := os.WriteFile("../docs/codes.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile("../docs/codes.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != want {
		t.Errorf("docs/codes.md differs from the built-in code sets: go test ./kanta -run TestBuiltinCodesAreDocumented -update-docs")
	}
}
