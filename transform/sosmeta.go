package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/kantamig/kantamig/kanta"
)

// Schemas is a folder of Sosmeta JSON Schemas, indexed by document type. Schemas
// are compiled on first use.
type Schemas struct {
	dir    string // names the folder for people
	fsys   fs.FS
	byType map[string]*Schema // specific type code (or "1505.1", "1505.2") -> newest schema
	mu     sync.Mutex
}

// Schema is one Sosmeta structure.
type Schema struct {
	OID       string // e.g. 1.2.246.537.6.1506.15007.2024.11.28
	TypeCode  string // e.g. 15007
	TypeName  string // the structure's Finnish name
	Root      string // the JSON root property
	fsys      fs.FS
	file      string
	raw       map[string]any
	doc       any
	compiled  *jsonschema.Schema
	readOnce  sync.Once
	readErr   error
	compileMu sync.Once
	err       error
}

// The keys Schemas uses for the two group-level structures.
const (
	RelationshipStructure = "1505.1"
	CaseStructure         = "1505.2"
)

// LoadSchemas indexes the Sosmeta schemas in dir (files named by OID, as the
// national exports are). Where several versions of a type's structure are
// present, the newest is used.
func LoadSchemas(dir string) (*Schemas, error) {
	return LoadSchemasFS(os.DirFS(dir), dir)
}

// LoadSchemasFS indexes the Sosmeta schemas at the top of fsys (the folder
// of a national export, or the export built into kantamig); name says which
// for people.
func LoadSchemasFS(fsys fs.FS, name string) (*Schemas, error) {
	dir := name
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is fs's "."; say the folder's name instead
		}
		return nil, fmt.Errorf("reading the Sosmeta schema folder %s: %w (give a folder of the national export's JSON Schemas, or leave --sosmeta and KANTAMIG_SOSMETA unset for the ones built in)", name, err)
	}
	s := &Schemas{dir: dir, fsys: fsys, byType: map[string]*Schema{}}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || !strings.HasPrefix(name, "1.2.246.537.6.150") {
			continue
		}
		oid := strings.TrimSuffix(name, ".json")
		parts := strings.Split(oid, ".")
		if len(parts) < 10 {
			continue
		}
		var key string
		switch parts[5] {
		case "1505":
			key = "1505." + parts[6]
		case "1506":
			key = parts[6]
		default:
			continue
		}
		sch := &Schema{OID: oid, TypeCode: parts[6], fsys: fsys, file: name}
		if old, ok := s.byType[key]; !ok || newerOID(oid, old.OID) {
			s.byType[key] = sch
		}
	}
	if len(s.byType) == 0 {
		return nil, fmt.Errorf("no Sosmeta schemas (files named 1.2.246.537.6.1505.* or .1506.*.json) in %s", dir)
	}
	return s, nil
}

// newerOID compares the date parts (last three arcs) of two schema OIDs.
func newerOID(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 3; i >= 1; i-- {
		x, y := atoi(pa[len(pa)-i]), atoi(pb[len(pb)-i])
		if x != y {
			return x > y
		}
	}
	return false
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// For returns the schema of a type, or nil when no structure exists for it.
func (s *Schemas) For(typeCode string) (*Schema, error) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	sch := s.byType[typeCode]
	s.mu.Unlock()
	if sch == nil {
		return nil, nil
	}
	if err := sch.read(); err != nil {
		return nil, err
	}
	sch.compileMu.Do(sch.compile)
	return sch, sch.err
}

// name gives the type's Finnish name without keeping the schema in memory:
// a folder of national schemas is tens of megabytes, and a migration uses few.
func (s *Schemas) name(typeCode string) (string, error) {
	sch := s.byType[typeCode]
	f, err := sch.fsys.Open(sch.file)
	if err != nil {
		return "", fmt.Errorf("reading Sosmeta schema: %w", err)
	}
	defer f.Close()
	var head struct {
		Properties map[string]struct {
			Sosmeta struct {
				Name []struct{ Lang, Value string }
			}
		}
		Sosmeta struct{ DocumentType string }
	}
	if err := json.NewDecoder(f).Decode(&head); err != nil {
		return "", fmt.Errorf("parsing Sosmeta schema %s: %w", sch.OID, err)
	}
	for _, p := range head.Properties {
		for _, n := range p.Sosmeta.Name {
			if n.Lang == "fi" {
				return n.Value, nil
			}
		}
	}
	return head.Sosmeta.DocumentType, nil
}

// Types lists the specific type codes that have a structure.
func (s *Schemas) Types() []string {
	var out []string
	for k := range s.byType {
		if !strings.HasPrefix(k, "1505.") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// AddTypesTo adds every specific type with a schema to the specific-document-type
// code set, named as the schema names it, so that a mapping may use them.
func (s *Schemas) AddTypesTo(set *kanta.CodeSet) error {
	for _, code := range s.Types() {
		if _, ok := set.Display(code); ok {
			continue
		}
		name, err := s.name(code)
		if err != nil {
			return err
		}
		set.AddNational(code, name) // the Sosmeta export is national
	}
	set.Sources = append(set.Sources, "sosmeta:"+s.dir)
	return nil
}

func (sch *Schema) read() error {
	sch.readOnce.Do(sch.readFile)
	return sch.readErr
}

func (sch *Schema) readFile() {
	data, err := fs.ReadFile(sch.fsys, sch.file)
	if err != nil {
		sch.readErr = fmt.Errorf("reading Sosmeta schema: %w", err)
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		sch.readErr = fmt.Errorf("parsing Sosmeta schema %s: %w", sch.OID, err)
		return
	}
	sch.doc = doc
	raw, _ := doc.(map[string]any)
	sch.raw = raw
	props, _ := raw["properties"].(map[string]any)
	for k, v := range props {
		sch.Root = k
		sch.TypeName = finnishName(v)
	}
	if sch.TypeName == "" {
		if meta, ok := raw["sosmeta"].(map[string]any); ok {
			sch.TypeName, _ = meta["documentType"].(string)
		}
	}
}

// compile turns the schema into a validator. A national schema that is itself
// invalid (one of the published ones repeats an enum value) makes only the
// documents of its type fail, each with this error.
func (sch *Schema) compile() {
	c := jsonschema.NewCompiler()
	url := "file:///" + sch.OID + ".json"
	if err := c.AddResource(url, sch.doc); err != nil {
		sch.err = fmt.Errorf("loading Sosmeta schema %s: %w", sch.OID, err)
		return
	}
	compiled, err := c.Compile(url)
	if err != nil {
		sch.err = &SchemaError{Schema: sch.OID, Err: err}
		return
	}
	sch.compiled = compiled
}

// Validate checks a structured form (as JSON bytes) against the schema.
func (sch *Schema) Validate(data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if err := sch.compiled.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return &StructureError{Schema: sch.OID, Problems: leafProblems(ve)}
		}
		return err
	}
	return nil
}

// SchemaError is a national schema that cannot be used.
type SchemaError struct {
	Schema string
	Err    error
}

func (e *SchemaError) Error() string {
	msg := e.Err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("the Sosmeta schema %s cannot be used (%s); get a corrected schema or map these documents to another specific type", e.Schema, msg)
}

func (e *SchemaError) Unwrap() error { return e.Err }

// StructureError is a structured form that does not match its schema.
type StructureError struct {
	Schema   string
	Problems []string
}

func (e *StructureError) Error() string {
	p := e.Problems
	more := ""
	if len(p) > 3 {
		more = fmt.Sprintf(" (and %d more)", len(p)-3)
		p = p[:3]
	}
	return fmt.Sprintf("structured form does not match Sosmeta %s: %s%s", e.Schema, strings.Join(p, "; "), more)
}

var englishPrinter = message.NewPrinter(language.English)

func leafProblems(ve *jsonschema.ValidationError) []string {
	if len(ve.Causes) == 0 {
		loc := "/" + strings.Join(ve.InstanceLocation, "/")
		return []string{fmt.Sprintf("at %s: %s", loc, ve.ErrorKind.LocalizedString(englishPrinter))}
	}
	var out []string
	for _, c := range ve.Causes {
		out = append(out, leafProblems(c)...)
	}
	return out
}

// finnishName gives a schema node's Finnish name from its sosmeta block.
func finnishName(node any) string {
	m, _ := node.(map[string]any)
	if items, ok := m["items"].(map[string]any); ok && m["sosmeta"] == nil {
		m = items
	}
	meta, _ := m["sosmeta"].(map[string]any)
	names, _ := meta["name"].([]any)
	for _, n := range names {
		nm, _ := n.(map[string]any)
		if nm["lang"] == "fi" {
			s, _ := nm["value"].(string)
			return s
		}
	}
	return ""
}

// marshalCompact encodes v as JSON without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
