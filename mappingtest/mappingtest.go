// Package mappingtest runs a mapping's tests: MAPPING.test.yaml beside the
// mapping holds small sets of records per source, as the sources would give
// them, and what must become of each: loaded, or rejected or skipped under
// a rule, with, for a document, texts its display form shows and values its
// structured form holds. Each case is a whole dry-run of its records (the
// mapping, resolving across records and sources, building and checking the
// documents), so a test proves what a run would do, without the real
// sources and without signing on a token.
package mappingtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// File is a mapping's test file.
type File struct {
	Cases []Case `yaml:"cases"`
}

// Case is one set of records and what must become of them.
type Case struct {
	Name    string                         `yaml:"name"`
	Records map[string][]map[string]string `yaml:"records"` // source -> its records, fields as the source names them
	Expect  []Expect                       `yaml:"expect"`
}

// Expect is what must become of one record.
type Expect struct {
	Source     string            `yaml:"source"`
	Key        string            `yaml:"key"`        // the record's key, as the mapping keys it
	Position   int               `yaml:"position"`   // or its place among the case's records of its source, 1 for the first (a second record with a key already read)
	Outcome    string            `yaml:"outcome"`    // loads, rejected or skipped
	Rule       string            `yaml:"rule"`       // for rejected and skipped
	Warnings   []string          `yaml:"warnings"`   // rules it is warned under (it loads, or is refused, with these notes)
	Display    []string          `yaml:"display"`    // texts its document's display form shows
	Structured map[string]string `yaml:"structured"` // its document's structured form: dotted path -> value
	Header     []string          `yaml:"header"`     // texts its archive document's XML holds (the CDA header, as written)
}

// The outcomes a test expects.
const (
	Loads    = "loads"
	Rejected = "rejected"
	Skipped  = "skipped"
)

// PathFor is where a mapping's tests are: MAPPING.test.yaml beside it.
func PathFor(mappingFile string) string {
	ext := filepath.Ext(mappingFile)
	return strings.TrimSuffix(mappingFile, ext) + ".test" + ext
}

// Result is one case's: the differences between what it expects and what
// became of its records, none when it passes.
type Result struct {
	Case        string
	Differences []string
}

// Run runs every case of the mapping's test file.
func Run(ctx context.Context, mappingFile, schemaDir string) ([]Result, error) {
	return RunFile(ctx, mappingFile, PathFor(mappingFile), schemaDir)
}

// ReadFile reads a test file.
func ReadFile(testFile string) (*File, error) {
	data, err := os.ReadFile(testFile)
	if err != nil {
		return nil, err
	}
	var f File
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", testFile, yaml.FormatError(err, false, true))
	}
	return &f, nil
}

// RunFile runs every case of a test file against a mapping.
func RunFile(ctx context.Context, mappingFile, testFile, schemaDir string) ([]Result, error) {
	f, err := ReadFile(testFile)
	if err != nil {
		return nil, err
	}
	m, schemas, err := pipeline.LoadWithoutSources(mappingFile, schemaDir)
	if err != nil {
		return nil, err
	}
	var results []Result
	for i, c := range f.Cases {
		if c.Name == "" {
			c.Name = fmt.Sprintf("case %d", i+1)
		}
		diffs, err := runCase(ctx, m, schemas, c)
		if err != nil {
			return results, fmt.Errorf("%s: %w", c.Name, err)
		}
		results = append(results, Result{Case: c.Name, Differences: diffs})
	}
	return results, nil
}

func runCase(ctx context.Context, m *mapping.Mapping, schemas *transform.Schemas, c Case) ([]string, error) {
	known := map[string]bool{}
	for _, em := range m.Blocks() {
		known[em.SourceName] = true
	}
	for name := range c.Records {
		if !known[name] {
			return nil, fmt.Errorf("records of %q, a source no entity of the mapping reads", name)
		}
	}
	work, err := os.MkdirTemp("", "kantamig-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	st, err := state.OpenTemp(filepath.Join(work, "state"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	docs := filepath.Join(work, "documents")
	r, err := pipeline.Prepare(m, schemas, pipeline.Options{Store: st, DocumentsDir: docs, WorkDir: work,
		OpenSource: func(em *mapping.EntityMapping) (extract.Source, error) {
			return &inline{name: em.SourceName, records: c.Records[em.SourceName]}, nil
		}})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep, err := r.DryRun(ctx)
	if err != nil {
		return nil, err
	}
	warned := map[string][]string{}
	for _, w := range rep.Warnings {
		k := w.Source + mapping.KeySeparator + w.Key
		warned[k] = append(warned[k], w.Rule)
	}
	got := map[string]state.Record{}
	if err := st.Outcomes(func(rec state.Record) error {
		got[rec.Key] = rec
		return nil
	}); err != nil {
		return nil, err
	}
	var diffs []string
	for _, e := range c.Expect {
		diffs = append(diffs, check(e, got, st, docs, warned)...)
	}
	return diffs, nil
}

// check compares what became of one record with what the test expects.
func check(e Expect, got map[string]state.Record, st state.Store, docs string, warned map[string][]string) []string {
	key := e.Source + mapping.KeySeparator + e.Key
	name := key
	rec, ok := got[key]
	if e.Position > 0 {
		locator := fmt.Sprintf("test:%s[%d]", e.Source, e.Position)
		name, ok = locator, false
		for _, r := range got {
			if r.Locator == locator {
				rec, ok = r, true
			}
		}
	}
	if !ok {
		var keys []string
		for k := range got {
			if strings.HasPrefix(k, e.Source+mapping.KeySeparator) && !strings.Contains(k, "\x00") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		return []string{fmt.Sprintf("%s: no such record (the case's records of %s have the keys %s)", name, e.Source, strings.Join(keys, ", "))}
	}
	outcome := map[string]string{state.Loaded: Loads, state.Pending: Loads, state.Rejected: Rejected, state.Skipped: Skipped}[rec.Outcome]
	var diffs []string
	if e.Outcome != "" && outcome != e.Outcome {
		how := outcome
		if rec.Rule != "" {
			how += " (" + rec.Rule + ": " + rec.Reason + ")"
		}
		return append(diffs, fmt.Sprintf("%s: want %s%s, got %s", name, e.Outcome, ruleText(e.Rule), how)) // its document, if any, is another's question
	} else if e.Rule != "" && rec.Rule != e.Rule {
		diffs = append(diffs, fmt.Sprintf("%s: want %s under rule %s, got rule %s (%s)", name, outcome, e.Rule, rec.Rule, rec.Reason))
	}
	for _, rule := range e.Warnings {
		if !slices.Contains(warned[key], rule) {
			diffs = append(diffs, fmt.Sprintf("%s: want a warning under rule %s, got warnings %v", name, rule, warned[key]))
		}
	}
	if len(e.Display) == 0 && len(e.Structured) == 0 && len(e.Header) == 0 {
		return diffs
	}
	whole, err := st.Get(rec.Entity, rec.Key) // Outcomes leaves out the document's OID
	if err != nil || whole == nil {
		return append(diffs, fmt.Sprintf("%s: reading it back: %v", name, err))
	}
	display, structured, xml, err := documentOf(docs, whole.DocOID)
	if err != nil {
		return append(diffs, fmt.Sprintf("%s: %v", name, err))
	}
	for _, text := range e.Header {
		if !strings.Contains(xml, text) {
			diffs = append(diffs, fmt.Sprintf("%s: the archive document does not hold %q", name, text))
		}
	}
	for _, text := range e.Display {
		if !strings.Contains(display, text) {
			diffs = append(diffs, fmt.Sprintf("%s: the display form does not show %q", name, text))
		}
	}
	paths := make([]string, 0, len(e.Structured))
	for p := range e.Structured {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		v, found := lookup(structured, p)
		if !found {
			diffs = append(diffs, fmt.Sprintf("%s: the structured form has no %s (want %q)", name, p, e.Structured[p]))
		} else if v != e.Structured[p] {
			diffs = append(diffs, fmt.Sprintf("%s: structured %s: want %q, got %q", name, p, e.Structured[p], v))
		}
	}
	return diffs
}

func ruleText(rule string) string {
	if rule == "" {
		return ""
	}
	return " (" + rule + ")"
}

var (
	displayB64 = regexp.MustCompile(`<text mediaType="application/xhtml\+xml" representation="B64">([^<]*)</text>`)
	jsonB64    = regexp.MustCompile(`<hl7fi:json[^>]*>([^<]*)</hl7fi:json>`)
)

// documentOf reads a record's signed document from the dry-run's folder:
// its display form, its structured form decoded (nil without one), and the
// document's XML as written.
func documentOf(docs, oid string) (string, any, string, error) {
	if oid == "" {
		return "", nil, "", fmt.Errorf("it has no document of its own (its document carries it)")
	}
	files, _ := filepath.Glob(filepath.Join(docs, "*-"+oid+".xml"))
	if len(files) != 1 {
		return "", nil, "", fmt.Errorf("its document %s was not built", oid)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return "", nil, "", err
	}
	var display string
	if m := displayB64.FindSubmatch(data); m != nil {
		b, _ := base64.StdEncoding.DecodeString(string(m[1]))
		display = string(b)
	}
	var structured any
	if m := jsonB64.FindSubmatch(data); m != nil {
		b, _ := base64.StdEncoding.DecodeString(string(m[1]))
		json.Unmarshal(b, &structured)
	}
	return display, structured, string(data), nil
}

// lookup finds a dotted path in a structured form; a number indexes a list.
func lookup(v any, path string) (string, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return "", false
			}
		case []any:
			var i int
			if _, err := fmt.Sscan(part, &i); err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "", false
	default:
		b, _ := json.Marshal(x)
		return string(b), true
	}
}

// inline is a source of a test's records.
type inline struct {
	name    string
	records []map[string]string
	next    int
}

func (s *inline) Next(ctx context.Context) (extract.Record, error) {
	if s.next >= len(s.records) {
		return extract.Record{}, io.EOF
	}
	s.next++
	return extract.Record{Fields: s.records[s.next-1], Locator: fmt.Sprintf("test:%s[%d]", s.name, s.next), Position: s.next}, nil
}

func (s *inline) Columns() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.records {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *inline) Close() error { return nil }
