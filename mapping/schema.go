package mapping

import (
	"encoding/json"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
)

// SchemaFile is where the mapping file's JSON Schema is published (from the
// repository's root), for editors: a mapping names it in its first line,
// `# yaml-language-server: $schema=../docs/mapping.schema.json`.
const SchemaFile = "docs/mapping.schema.json"

// Schema is the JSON Schema of a mapping file, made from the types that
// decode it (Config and what it holds, by their yaml tags) and the tables
// that check it (each entity's target fields with their meaning, the source
// kinds), so that the two cannot drift apart: a test holds SchemaFile to
// it. It is what an editor completes and checks as one types; `check` is
// still the judge (positions, code sets, sources, the rules between
// fields), and accepts nothing the schema refuses.
func Schema() ([]byte, error) {
	s := reflector().Reflect(&Config{})
	s.ID = "https://github.com/kantamig/kantamig/docs/mapping.schema.json"
	s.Title = "kantamig mapping file"
	s.Description = "One legacy system mapped onto the Kanta social welfare archive's model. docs/mapping.md says what each part means; `kantamig check` judges a mapping, `kantamig explain KEY` explains a key."
	s.Definitions = jsonschema.Definitions{
		"scalar":     {Description: "text; a number is taken as its text", OneOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}}},
		"stringList": {Description: "one, or a list", OneOf: []*jsonschema.Schema{ref("scalar"), {Type: "array", Items: ref("scalar")}}},
		"fieldSpec":  fieldSpecSchema(),
	}
	for _, k := range entity.Kinds {
		block := entitySchema(k)
		s.Properties.Set(k.Key, &jsonschema.Schema{Description: "the " + k.Label + ": one source block, or a list of blocks when they are read from several sources",
			OneOf: []*jsonschema.Schema{block, {Type: "array", Items: block}}})
	}
	return json.MarshalIndent(s, "", "  ")
}

// reflector reads the mapping's types by their yaml tags; nothing is
// required but what entitySchema says (check says the rest, with positions).
func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true, DoNotReference: true, Mapper: schemaOf}
}

// reflectType is the schema of one type, without the root's $schema and $id.
func reflectType(r *jsonschema.Reflector, t reflect.Type) *jsonschema.Schema {
	s := r.ReflectFromType(t)
	s.Version, s.ID = "", ""
	return s
}

// schemaOf gives the types whose YAML takes more than one form their
// schema; nil lets the reflector decide.
func schemaOf(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(StringList{}):
		return ref("stringList")
	case reflect.TypeOf(FieldSpec{}):
		return ref("fieldSpec")
	case reflect.TypeOf(FieldMap{}):
		return &jsonschema.Schema{Type: "object", Description: "Sosmeta field paths and how to fill each (kantamig explain --type N lists a document type's paths)",
			AdditionalProperties: ref("fieldSpec")}
	case reflect.TypeOf(EntityBlocks{}):
		return &jsonschema.Schema{} // each entity's, set by Schema
	case reflect.TypeOf(SourceConfig{}):
		r := reflector()
		r.AllowAdditionalProperties = true // which options a source takes is its kind's to say
		type options SourceConfig          // its own type: the mapper is not asked again
		s := reflectType(r, reflect.TypeOf(options{}))
		s.Description = "a source: its kind and the options that kind takes (docs/mapping.md, Sources); check refuses an option its kind does not take"
		if kind, ok := s.Properties.Get("kind"); ok {
			for _, k := range extract.Kinds() {
				kind.Enum = append(kind.Enum, k)
			}
		}
		s.Required = []string{"kind"}
		return s
	case reflect.TypeOf(map[string]string{}):
		return &jsonschema.Schema{Type: "object", AdditionalProperties: ref("scalar")}
	}
	return nil
}

// ref names one of the schema's definitions.
func ref(name string) *jsonschema.Schema { return &jsonschema.Schema{Ref: "#/$defs/" + name} }

// fieldSpecSchema is how a field is filled: a source column's name, or the
// options of FieldSpec.
func fieldSpecSchema() *jsonschema.Schema {
	type options FieldSpec // its own type: the mapper is not asked again
	object := reflectType(reflector(), reflect.TypeOf(options{}))
	return &jsonschema.Schema{Description: "a source column's name, or how to fill the field: from, date, map, value, ...", OneOf: []*jsonschema.Schema{ref("scalar"), object}}
}

// entitySchema is one entity's source block: its fields are that entity's
// target fields, each with its meaning.
func entitySchema(k *entity.Kind) *jsonschema.Schema {
	s := reflectType(reflector(), reflect.TypeOf(EntityConfig{}))
	fields := &jsonschema.Schema{Type: "object", Description: "target field: how to fill it (docs/mapping.md, " + k.Label + ")",
		Properties: jsonschema.NewProperties(), AdditionalProperties: jsonschema.FalseSchema}
	for _, t := range k.Fields {
		desc := t.Doc
		if t.Required {
			desc = "required: " + desc
		}
		fields.Properties.Set(t.Name, &jsonschema.Schema{Description: desc, Ref: "#/$defs/fieldSpec"})
	}
	s.Properties.Set("fields", fields)
	s.Required = []string{"source", "fields"}
	return s
}
