package transform

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// build fills the schema's root object from facts (model values placed at
// property paths such as "asiakas" or "asian_tiedot") and fields (the mapping's
// structured values, by dotted path). Only what the schema has a place for is
// kept; validation afterwards says what is missing.
func (sch *Schema) build(facts map[string]any, fields map[string]string) map[string]any {
	props, _ := sch.raw["properties"].(map[string]any)
	rootNode, _ := props[sch.Root].(map[string]any)
	b := builder{facts: facts, fields: fields}
	root := b.node(rootNode, "")
	if root == nil {
		root = map[string]any{}
	}
	return map[string]any{sch.Root: root}
}

type builder struct {
	facts  map[string]any
	fields map[string]string
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func typeOf(node map[string]any) string {
	t, _ := node["type"].(string)
	return t
}

func (b builder) node(node map[string]any, path string) any {
	if node == nil {
		return nil
	}
	if path != "" {
		if v, ok := b.fields[path]; ok {
			return scalar(node, v)
		}
		if f, ok := b.facts[path]; ok {
			return shape(node, f)
		}
	}
	switch typeOf(node) {
	case "object":
		out := map[string]any{}
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pn, _ := p.(map[string]any)
			if v := b.node(pn, join(path, name)); v != nil {
				out[name] = v
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case "array":
		items, _ := node["items"].(map[string]any)
		if v := b.node(items, path); v != nil {
			return []any{v}
		}
	}
	return nil
}

// scalar converts a mapped text value to the schema's type at that place.
func scalar(node map[string]any, v string) any {
	switch typeOf(node) {
	case "boolean":
		switch strings.ToLower(v) {
		case "1", "true", "k", "kyllä", "yes", "x":
			return true
		}
		return false
	case "integer":
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	case "number":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case "array":
		items, _ := node["items"].(map[string]any)
		return []any{scalar(items, v)}
	}
	return v
}

// shape fits a fact (built from the model) to the schema node: wraps it in an
// array where the schema repeats it, and drops what the schema has no place for.
func shape(node map[string]any, fact any) any {
	if node == nil || fact == nil {
		return nil
	}
	switch typeOf(node) {
	case "array":
		items, _ := node["items"].(map[string]any)
		if list, ok := fact.([]any); ok {
			var out []any
			for _, f := range list {
				if v := shape(items, f); v != nil {
					out = append(out, v)
				}
			}
			if len(out) == 0 {
				return nil
			}
			return out
		}
		if v := shape(items, fact); v != nil {
			return []any{v}
		}
		return nil
	case "object":
		m, ok := fact.(map[string]any)
		if !ok {
			return nil
		}
		props, _ := node["properties"].(map[string]any)
		out := map[string]any{}
		for k, v := range m {
			pn, ok := props[k].(map[string]any)
			if !ok {
				continue
			}
			if sv := shape(pn, v); sv != nil {
				out[k] = sv
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	if s, ok := fact.(string); ok && s == "" {
		return nil
	}
	return fact
}

// orderedProps lists an object node's properties in the order of the national
// definition (sosmeta rowNumber), for the display form.
func orderedProps(node map[string]any) []string {
	props, _ := node["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	row := func(n string) float64 {
		p, _ := props[n].(map[string]any)
		meta, _ := p["sosmeta"].(map[string]any)
		if meta == nil {
			if items, ok := p["items"].(map[string]any); ok {
				meta, _ = items["sosmeta"].(map[string]any)
			}
		}
		if r, ok := meta["rowNumber"].(float64); ok {
			return r
		}
		if r, ok := meta["rowNumber"].(json.Number); ok {
			if f, err := r.Float64(); err == nil {
				return f
			}
		}
		return 1e9
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := row(names[i]), row(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}
