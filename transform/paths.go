package transform

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
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
		data, err := fs.ReadFile(sch.fsys, sch.file)
		if err != nil {
			return nil, fmt.Errorf("reading Sosmeta schema: %w", err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("parsing Sosmeta schema %s: %w", sch.OID, err)
		}
		props, _ := raw["properties"].(map[string]any)
		for _, root := range props {
			node, _ := root.(map[string]any)
			collectPaths(node, "", func(path string) { out[path] = append(out[path], code) })
		}
	}
	for _, codes := range out {
		sort.Strings(codes)
	}
	return out, nil
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
