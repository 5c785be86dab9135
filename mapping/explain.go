package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kantamig/kantamig/kanta"
)

// Explain says what a key of the mapping file means, from the mapping's
// schema (Schema): its description, the values it takes, and the keys under
// it, each with its own. key is a dotted path (clients.fields.family_name,
// sources.kind) or its last parts (family_name, fields.name), which may
// match several places; the answer lists each.
func Explain(key string) (string, error) {
	data, err := Schema()
	if err != nil {
		return "", err
	}
	var root node
	if err := json.Unmarshal(data, &root); err != nil {
		return "", err
	}
	key = strings.Trim(strings.TrimSpace(key), ".")
	var found []place
	var all []string
	visit := func(p place) {
		all = append(all, p.path)
		if p.path == key || strings.HasSuffix(p.path, "."+key) {
			found = append(found, p)
		}
	}
	root.walk(&root, "", 0, visit)
	// How any field is filled, once rather than under every field.
	spec := &node{Ref: fieldSpecRef}
	visit(place{path: "fields.FIELD", n: spec})
	spec.walk(&root, "fields.FIELD", 0, visit)
	if key == "" {
		found = []place{{path: "(the mapping file)", n: &root}}
	}
	if len(found) == 0 {
		return "", fmt.Errorf("no key %q in a mapping file%s; kantamig explain '' lists the top-level keys", key, nearestKey(key, all))
	}
	var b strings.Builder
	for i, p := range found {
		if i > 0 {
			b.WriteString("\n")
		}
		p.describe(&root, &b)
	}
	return b.String(), nil
}

// fieldSpecRef is how the schema refers to a field's options.
const fieldSpecRef = "#/$defs/fieldSpec"

// node is a JSON Schema as decoded, enough of it to explain.
type node struct {
	Ref                  string           `json:"$ref"`
	Type                 string           `json:"type"`
	Description          string           `json:"description"`
	Enum                 []any            `json:"enum"`
	Properties           map[string]*node `json:"properties"`
	AdditionalProperties *node            `json:"additionalProperties"`
	Items                *node            `json:"items"`
	OneOf                []*node          `json:"oneOf"`
	Required             []string         `json:"required"`
	Defs                 map[string]*node `json:"$defs"`
}

func (n *node) UnmarshalJSON(data []byte) error {
	if string(data) == "false" || string(data) == "true" {
		return nil // additionalProperties: false
	}
	type plain node
	return json.Unmarshal(data, (*plain)(n))
}

// place is a key of the mapping file and its schema.
type place struct {
	path string
	n    *node
}

// resolve follows a $ref to its definition.
func (n *node) resolve(root *node) *node {
	for n != nil && n.Ref != "" {
		n = root.Defs[strings.TrimPrefix(n.Ref, "#/$defs/")]
	}
	return n
}

// object is the branch of a schema that is an object (a block of keys),
// if it has one.
func (n *node) object(root *node) *node {
	n = n.resolve(root)
	if n == nil {
		return nil
	}
	if n.Properties != nil || (n.AdditionalProperties != nil && n.AdditionalProperties.object(root) != nil) {
		return n
	}
	for _, o := range n.OneOf {
		if obj := o.object(root); obj != nil {
			return obj
		}
	}
	if n.Items != nil {
		return n.Items.object(root)
	}
	return nil
}

// walk calls fn with every key under n, named by its dotted path; a map's
// keys (a source's name, a value map's name) stand as NAME. A field's
// options are not repeated under every field.
func (n *node) walk(root *node, path string, depth int, fn func(place)) {
	obj := n.object(root)
	if obj == nil || depth > 6 {
		return
	}
	names := make([]string, 0, len(obj.Properties))
	for k := range obj.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := strings.TrimPrefix(path+"."+k, ".")
		child := obj.Properties[k]
		fn(place{path: p, n: child})
		if child.Ref == fieldSpecRef {
			continue // told once, as fields.FIELD
		}
		child.walk(root, p, depth+1, fn)
	}
	if ap := obj.AdditionalProperties; ap != nil && ap.Ref != fieldSpecRef && ap.object(root) != nil {
		p := strings.TrimPrefix(path+".NAME", ".")
		fn(place{path: p, n: ap})
		ap.walk(root, p, depth+1, fn)
	}
}

// describe writes what a key means and what it holds.
func (p place) describe(root *node, b *strings.Builder) {
	n := p.n.resolve(root)
	fmt.Fprintf(b, "%s\n", p.path)
	desc := p.n.Description
	if desc == "" && n != nil {
		desc = n.Description
	}
	if desc != "" {
		fmt.Fprintf(b, "  %s\n", desc)
	}
	if n == nil {
		return
	}
	if len(n.Enum) > 0 {
		var vs []string
		for _, v := range n.Enum {
			vs = append(vs, fmt.Sprint(v))
		}
		fmt.Fprintf(b, "  one of: %s\n", strings.Join(vs, ", "))
	} else if n.Type != "" && n.Type != "object" {
		fmt.Fprintf(b, "  a %s\n", n.Type)
	}
	obj := n.object(root)
	if obj == nil {
		return
	}
	names := make([]string, 0, len(obj.Properties))
	for k := range obj.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		b.WriteString("  keys:\n")
	}
	for _, k := range names {
		c := obj.Properties[k]
		d := c.Description
		if d == "" {
			if r := c.resolve(root); r != nil {
				d = r.Description
			}
		}
		req := ""
		for _, r := range obj.Required {
			if r == k {
				req = " (required)"
			}
		}
		fmt.Fprintf(b, "    %s%s: %s\n", k, req, firstSentence(d))
	}
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// nearestKey suggests the key nearest a misspelt one.
func nearestKey(key string, all []string) string {
	var lasts []string
	for _, p := range all {
		lasts = append(lasts, p[strings.LastIndexByte(p, '.')+1:])
	}
	if near, ok := kanta.Nearest(key[strings.LastIndexByte(key, '.')+1:], lasts); ok {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return ""
}
