package entity

import (
	"fmt"
	"slices"
)

// check says what is wrong with a list of kinds: a key or entity twice, a
// carried kind out of its place, a client reference to a field the kind
// does not have, an item field of a type an item cannot hold. Kinds is
// checked when the package is loaded, so a new kind that breaks the order
// fails every test at once.
func check(kinds []*Kind) []string {
	var problems []string
	keys, entities := map[string]bool{}, map[string]bool{}
	var carrier *Kind // the last kind with a document of its own
	for _, k := range kinds {
		if keys[k.Key] || entities[string(k.Entity)] {
			problems = append(problems, fmt.Sprintf("%s: key %q or entity %q listed twice", k.Entity, k.Key, k.Entity))
		}
		keys[k.Key], entities[string(k.Entity)] = true, true
		switch {
		case k.Carrier == "":
			carrier = k
		case carrier == nil || carrier.Entity != k.Carrier:
			problems = append(problems, fmt.Sprintf("%s: carried by %s, but listed where its records would be read after another kind's", k.Entity, k.Carrier))
		}
		for _, name := range k.ClientRef {
			if _, ok := k.Field(name); name != "" && !ok {
				problems = append(problems, fmt.Sprintf("%s: names its client by %q, which is not one of its fields", k.Entity, name))
			}
		}
		if k.Item != "" && k.Carrier == "" {
			problems = append(problems, fmt.Sprintf("%s: written as an item of %s, but carried by nothing", k.Entity, k.Item))
		}
		for _, f := range k.Fields {
			if f.Item != "" && !slices.Contains([]Type{Text, IdentityCode, Identifier, Bool, Date}, f.Type) {
				problems = append(problems, fmt.Sprintf("%s.%s: an item holds text, identity codes, identifiers, yes/no and dates; write this field with code of its own", k.Entity, f.Name))
			}
			if (f.Type == Identifier) != (f.System != "") {
				problems = append(problems, fmt.Sprintf("%s.%s: an identifier, and only an identifier, names its register (System)", k.Entity, f.Name))
			}
			if f.Item != "" && k.Item == "" {
				problems = append(problems, fmt.Sprintf("%s.%s: names an item property, but the kind is not written as items", k.Entity, f.Name))
			}
		}
	}
	return problems
}

func init() {
	if problems := check(Kinds); len(problems) > 0 {
		panic(fmt.Sprintf("entity.Kinds: %v", problems))
	}
}
