package mapping

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// docs/mapping.md lists every target field; this keeps the two in step.
func TestDocumentationListsEveryTargetField(t *testing.T) {
	data, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tf := range Targets() {
		if !strings.Contains(string(data), "| `"+tf.Name+"` |") {
			t.Errorf("docs/mapping.md does not document %s field %q", tf.Entity, tf.Name)
		}
	}
}

// The complete example in docs/mapping.md is the sample mapping, to the byte.
func TestDocumentationExampleIsTheSampleMapping(t *testing.T) {
	doc, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []struct{ marker, file string }{
		{"example", "sosiaalitoimi-classic.yaml"},
		{"multi-source-example", "kotihoito-lite.yaml"},
	} {
		sample, err := os.ReadFile("../mappings/" + ex.file)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(string(doc), "<!-- "+ex.marker+":begin -->\n```yaml\n")
		example, _, ok2 := strings.Cut(rest, "```\n<!-- "+ex.marker+":end -->")
		if !ok || !ok2 {
			t.Fatalf("docs/mapping.md lacks the %s markers", ex.marker)
		}
		if example != string(sample) {
			t.Errorf("the %s in docs/mapping.md differs from mappings/%s; copy the mapping into the doc", ex.marker, ex.file)
		}
	}
}

// docs/mapping.md lists every rule a record can meet, in its table of rules.
func TestDocumentationListsEveryRule(t *testing.T) {
	data, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range kanta.Rules {
		if r.Meaning == "" {
			t.Errorf("rule %s has no meaning", r.Name)
		}
		if line := "| `" + r.Name + "` | " + r.Stage + " | " + r.Kind + " | " + r.Meaning + " |"; !strings.Contains(string(data), line) {
			t.Errorf("docs/mapping.md's table of rules lacks %s", line)
		}
	}
}

// docs/mapping.md documents every key of the mapping language at every level
// (read from the Config types, as the unknown-key check reads them), and
// every option of every source kind.
func TestDocumentationListsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	seen := map[reflect.Type]bool{}
	var visit func(reflect.Type, string)
	visit = func(typ reflect.Type, where string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(doc, "`"+name+"`") && !strings.Contains(doc, "`"+name+":") {
				t.Errorf("docs/mapping.md does not document %s key %q", where, name)
			}
			visit(typ.Field(i).Type, name)
		}
	}
	visit(reflect.TypeOf(Config{}), "top-level")
	visit(reflect.TypeOf(EntityConfig{}), "entity")
	visit(reflect.TypeOf(FieldSpec{}), "field")
	for _, name := range extract.Kinds() {
		k, _ := extract.Lookup(name)
		for _, opt := range k.Options {
			if !strings.Contains(doc, "`"+opt+"`") {
				t.Errorf("docs/mapping.md does not document option %q of source kind %s", opt, name)
			}
		}
	}
}

// docs/mapping.md's order of precedence lists every rule that rejects or
// skips under its class (kanta.RuleClass), and no other.
func TestDocumentationListsThePrecedence(t *testing.T) {
	doc, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "### Which fault a record is rejected for")
	section, _, _ = strings.Cut(section, "### The rules")
	listed := map[string]int{}
	for _, line := range strings.Split(section, "\n") {
		var class int
		if _, err := fmt.Sscanf(line, "%d. **", &class); err != nil {
			continue
		}
		for _, m := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(line, -1) {
			listed[m[1]] = class
		}
	}
	for _, r := range kanta.Rules {
		class, ok := listed[r.Name]
		switch {
		case r.Kind == kanta.RuleWarns && ok:
			t.Errorf("warning %s listed in the order of precedence", r.Name)
		case r.Kind != kanta.RuleWarns && !ok:
			t.Errorf("rule %s missing from the order of precedence", r.Name)
		case ok && class != kanta.RuleClass(r.Name):
			t.Errorf("rule %s listed in class %d, kanta.RuleClass says %d", r.Name, class, kanta.RuleClass(r.Name))
		}
	}
}
