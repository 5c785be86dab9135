// Command mappingschema writes the mapping file's JSON Schema
// (mapping.Schema) to docs/mapping.schema.json, from the repository's root:
//
//	go run ./tools/mappingschema
//
// mapping's tests fail when the published file differs from it.
package main

import (
	"fmt"
	"os"

	"github.com/kantamig/kantamig/mapping"
)

func main() {
	data, err := mapping.Schema()
	if err == nil {
		err = os.WriteFile(mapping.SchemaFile, append(data, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mappingschema:", err)
		os.Exit(1)
	}
}
