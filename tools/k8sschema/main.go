// Command k8sschema turns Kubernetes' own OpenAPI definitions
// (api/openapi-spec/swagger.json of the k8s.io/kubernetes module, fetched
// through the Go module proxy) into the strict, standalone JSON Schemas that
// kubeconform reads, one file per kind, named as kubeconform's default
// schema location expects ({kind}-{group}-{version}.json). The machines that
// validate the manifests reach no schema registry, so the schemas are made
// here from the API's source of truth.
//
// Strict means what kubeconform's "-strict" schemas mean: an object with
// declared properties takes no others, so a misspelt field fails. The
// definitions' int-or-string and quantity formats become "string or number",
// as the API server accepts them.
//
//	go run ./tools/k8sschema -swagger swagger.json -out DIR Job StatefulSet ...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type gvk struct {
	Group, Version, Kind string
}

func main() {
	swagger := flag.String("swagger", "", "Kubernetes' swagger.json")
	out := flag.String("out", "", "folder to write the schemas into")
	flag.Parse()
	if *swagger == "" || *out == "" || flag.NArg() == 0 {
		log.Fatal("usage: k8sschema -swagger swagger.json -out DIR KIND...")
	}
	data, err := os.ReadFile(*swagger)
	if err != nil {
		log.Fatal(err)
	}
	var spec struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	want := map[string]bool{}
	for _, k := range flag.Args() {
		want[k] = true
	}
	written := 0
	for name, def := range spec.Definitions {
		for _, g := range kinds(def) {
			if !want[g.Kind] {
				continue
			}
			schema := standalone(name, spec.Definitions)
			file := filepath.Join(*out, fileName(g))
			b, err := json.MarshalIndent(schema, "", " ")
			if err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(file, b, 0o644); err != nil {
				log.Fatal(err)
			}
			written++
		}
	}
	if written == 0 {
		log.Fatalf("no definition of %v in %s", flag.Args(), *swagger)
	}
	fmt.Printf("%d schemas written to %s\n", written, *out)
}

// kinds lists the group-version-kinds a definition is the type of.
func kinds(def map[string]any) []gvk {
	raw, _ := def["x-kubernetes-group-version-kind"].([]any)
	var out []gvk
	for _, r := range raw {
		m, _ := r.(map[string]any)
		g := gvk{Group: str(m["group"]), Version: str(m["version"]), Kind: str(m["kind"])}
		if g.Kind != "" && g.Version != "" {
			out = append(out, g)
		}
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// fileName is kubeconform's default name for a kind's schema:
// kind-group-version.json, the group's first label only, none for core.
func fileName(g gvk) string {
	name := strings.ToLower(g.Kind)
	if g.Group != "" {
		name += "-" + strings.ToLower(strings.Split(g.Group, ".")[0])
	}
	return name + "-" + strings.ToLower(g.Version) + ".json"
}

// standalone is the schema of one definition with every definition it
// reaches inlined under "definitions", so that the file stands alone.
func standalone(root string, defs map[string]map[string]any) map[string]any {
	reached := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/definitions/")
				if !reached[name] {
					reached[name] = true
					walk(defs[name])
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(defs[root])
	names := make([]string, 0, len(reached))
	for n := range reached {
		names = append(names, n)
	}
	sort.Strings(names)
	inlined := map[string]any{}
	for _, n := range names {
		inlined[n] = strict(clone(defs[n]))
	}
	schema := strict(clone(defs[root])).(map[string]any)
	schema["$schema"] = "http://json-schema.org/draft-07/schema#"
	schema["definitions"] = inlined
	return schema
}

func clone(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

// strict closes every object that declares its properties, and widens the
// formats the API server takes as either a string or a number.
func strict(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if k == "x-kubernetes-group-version-kind" {
				continue
			}
			t[k] = strict(c)
		}
		if f, _ := t["format"].(string); f == "int-or-string" || (t["type"] == "string" && f == "") && isQuantity(t) {
			delete(t, "type")
			delete(t, "format")
			t["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}
		}
		if _, has := t["properties"]; has {
			if _, open := t["additionalProperties"]; !open {
				t["additionalProperties"] = false
			}
		}
		return t
	case []any:
		for i, c := range t {
			t[i] = strict(c)
		}
	}
	return v
}

// isQuantity recognises resource.Quantity's definition by its description.
func isQuantity(t map[string]any) bool {
	d, _ := t["description"].(string)
	return strings.HasPrefix(d, "Quantity is a fixed-point representation of a number.")
}
