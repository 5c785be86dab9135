package mapping

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kantamig/kantamig/internal/testenv"
)

// asJSON reads a mapping file's YAML as the value an editor checks.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The published schema is the one the decoder's types make (run `go run
// ./tools/mappingschema` after changing them); every sample mapping passes
// it and names it for editors; a misspelt key, target field or source kind,
// and a field of the wrong shape, fail it, as check fails them.
func TestTheMappingSchemaIsTheDecoders(t *testing.T) {
	want, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join("..", SchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(have)) != strings.TrimSpace(string(want)) {
		t.Fatalf("%s differs from mapping.Schema(): run `go run ./tools/mappingschema` and commit it", SchemaFile)
	}
	s := testenv.JSONSchema(t, filepath.Join("..", SchemaFile))
	samples, _ := filepath.Glob(filepath.Join("..", "mappings", "*.yaml"))
	samples = slices.DeleteFunc(samples, func(p string) bool { return strings.HasSuffix(p, ".test.yaml") })
	samples = append(samples, filepath.Join("testdata", "valid.yaml"))
	for _, path := range samples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(asJSON(t, data)); err != nil {
			t.Errorf("%s does not pass the schema: %v", path, err)
		}
		if strings.HasPrefix(path, filepath.Join("..", "mappings")) && !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../docs/mapping.schema.json\n") {
			t.Errorf("%s does not name the schema in its first line", path)
		}
	}
	valid, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, broken := range []struct{ from, to string }{
		{"cutoff: 2024-01-01", "cut_off: 2024-01-01"},                  // a top-level key
		{"    family_name: suku", "    family_nam: suku"},              // a client's target field
		{"    name: {from: nimi, map: nimi}", "    name: {frm: nimi}"}, // a field's option
		{"kind: csv, file: clients.csv", "kind: cvs, file: clients.csv"},
		{"    text: txt", "    text: [txt]"}, // a field is a column or options, not a list
	} {
		text := strings.Replace(string(valid), broken.from, broken.to, 1)
		if text == string(valid) {
			t.Fatalf("the fixture has no %q", broken.from)
		}
		if err := s.Validate(asJSON(t, []byte(text))); err == nil {
			t.Errorf("%q passes the schema", broken.to)
		}
	}
}
