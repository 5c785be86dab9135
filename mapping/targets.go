package mapping

import (
	"sort"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/kanta"
)

// target is a field of the national model that a mapping can fill; each
// kind's are in its descriptor (package entity). docs/mapping.md describes
// the same fields; a test keeps the two in step.
type target = entity.Field

func findTarget(e kanta.Entity, name string) (target, bool) {
	return entity.Of(e).Field(name)
}

func targetNames(e kanta.Entity) []string {
	var names []string
	for _, t := range entity.Of(e).Fields {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names
}

// TargetDoc is one row of the target-field reference.
type TargetDoc struct {
	Entity   kanta.Entity
	Name     string
	Required bool
	CodeSet  string
	Doc      string
}

// Targets lists every target field, for documentation and its test.
func Targets() []TargetDoc {
	var out []TargetDoc
	for _, k := range entity.Kinds {
		for _, t := range k.Fields {
			out = append(out, TargetDoc{Entity: k.Entity, Name: t.Name, Required: t.Required, CodeSet: t.CodeSet, Doc: t.Doc})
		}
	}
	return out
}
