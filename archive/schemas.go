package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kantamig/kantamig/transform/builtinschemas"
)

// Schemas are the national Sosmeta JSON Schemas the archive holds structured
// forms to, by their OID (a document's contentSpecificationId), read and
// compiled here on the archive's side: not through the builder's loader.
type Schemas struct {
	fsys  fs.FS
	files map[string]string // OID -> file
	mu    sync.Mutex
	known map[string]*schema
}

type schema struct {
	oid          string
	documentType string // sosmeta.documentType: the general type's name
	compiled     *jsonschema.Schema
	err          error
}

// LoadSchemas reads the schemas of a folder (a national export), or, with
// dir empty, the ones built into kantamig.
func LoadSchemas(dir string) (*Schemas, error) {
	var fsys fs.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	} else {
		var err error
		if fsys, err = builtinschemas.FS(); err != nil {
			return nil, err
		}
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading the Sosmeta schemas: %w", err)
	}
	s := &Schemas{fsys: fsys, files: map[string]string{}, known: map[string]*schema{}}
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && strings.HasSuffix(name, ".json") {
			s.files[strings.TrimSuffix(name, ".json")] = name
		}
	}
	if len(s.files) == 0 {
		return nil, fmt.Errorf("no Sosmeta schema (*.json) in %s", dir)
	}
	return s, nil
}

// errNoSchema says a contentSpecificationId names no schema.
var errNoSchema = errors.New("no such schema")

// get reads and compiles a schema once.
func (s *Schemas) get(oid string) *schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc, ok := s.known[oid]; ok {
		return sc
	}
	sc := &schema{oid: oid}
	s.known[oid] = sc
	file, ok := s.files[oid]
	if !ok {
		sc.err = errNoSchema
		return sc
	}
	data, err := fs.ReadFile(s.fsys, file)
	if err != nil {
		sc.err = err
		return sc
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		sc.err = err
		return sc
	}
	if raw, ok := doc.(map[string]any); ok {
		if meta, ok := raw["sosmeta"].(map[string]any); ok {
			sc.documentType, _ = meta["documentType"].(string)
		}
	}
	c := jsonschema.NewCompiler()
	url := "file:///" + oid + ".json"
	if err := c.AddResource(url, doc); err != nil {
		sc.err = err
		return sc
	}
	sc.compiled, sc.err = c.Compile(url)
	return sc
}

// validate checks a structured form against a schema and returns its first
// problems in words.
func (sc *schema) validate(data []byte) []string {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	err = sc.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= 3 {
			return
		}
		if len(e.Causes) == 0 {
			out = append(out, fmt.Sprintf("at /%s: %s", strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(english)))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

var english = message.NewPrinter(language.English)
