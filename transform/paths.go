package transform

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// StructuredPaths lists every property path (as a mapping's structured:
// section writes them: names under the structure's root joined by dots,
// arrays passed through) that some structure in the folder has, with the
// types that have it. It reads each schema once and keeps only the paths:
// the folder is tens of megabytes, a list of paths a few hundred
// kilobytes. `check` uses it to refuse a structured: path no structure
// has, which would otherwise be ignored for every type without a word.
func (s *Schemas) StructuredPaths() (map[string][]string, error) {
	out := map[string][]string{}
	if s == nil {
		return out, nil
	}
	for code, sch := range s.byType {
		err := sch.paths(func(path string) { out[path] = append(out[path], code) })
		if err != nil {
			return nil, err
		}
	}
	for _, codes := range out {
		sort.Strings(codes)
	}
	return out, nil
}

// paths calls add with every property path of one schema.
func (sch *Schema) paths(add func(string)) error {
	data, err := fs.ReadFile(sch.fsys, sch.file)
	if err != nil {
		return fmt.Errorf("reading Sosmeta schema: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("parsing Sosmeta schema %s: %w", sch.OID, err)
	}
	props, _ := raw["properties"].(map[string]any)
	for _, root := range props {
		node, _ := root.(map[string]any)
		collectPaths(node, "", add)
	}
	return nil
}

func collectPaths(node map[string]any, path string, add func(string)) {
	if node == nil {
		return
	}
	if path != "" {
		add(path)
	}
	switch typeOf(node) {
	case "object":
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pn, _ := p.(map[string]any)
			collectPaths(pn, join(path, name), add)
		}
	case "array":
		items, _ := node["items"].(map[string]any)
		if items != nil && typeOf(items) == "object" {
			props, _ := items["properties"].(map[string]any)
			for name, p := range props {
				pn, _ := p.(map[string]any)
				collectPaths(pn, join(path, name), add)
			}
		}
	}
}

// Dir names the schema folder for people.
func (s *Schemas) Dir() string { return s.dir }

// PathsOf lists, sorted, the structured: paths a specific document type's
// Sosmeta schema has (the mapping's structured: block names them), with the
// type's Finnish name; an error names the types there are when it has no
// schema.
func (s *Schemas) PathsOf(code string) (name string, paths []string, err error) {
	if s == nil || s.byType[code] == nil {
		var known []string
		if s != nil {
			known = s.Types()
		}
		return "", nil, fmt.Errorf("no Sosmeta schema for document type %q; the %d with one: %s", code, len(known), strings.Join(known, ", "))
	}
	seen := map[string]bool{}
	err = s.byType[code].paths(func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	})
	if err != nil {
		return "", nil, err
	}
	sort.Strings(paths)
	name, err = s.name(code)
	return name, paths, err
}
