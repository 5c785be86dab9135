package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"golang.org/x/text/encoding"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// Mapping is a checked, compiled mapping file, ready to apply.
type Mapping struct {
	File        string
	SHA256      string
	System      string
	Custodian   kanta.Organisation
	Organiser   kanta.Organisation
	ServiceUnit kanta.Organisation
	OIDRoot     string
	Software    SoftwareConfig
	Cutoff      time.Time
	Location    *time.Location
	CodeSets    *kanta.CodeSets
	// TestRehearsal: placeholder codes may reach documents, each counted.
	TestRehearsal bool
	// DisplayOnlyDocuments: client documents without a Sosmeta structure
	// go with the display form only (otherwise they are rejected).
	DisplayOnlyDocuments bool
	// PDFADocuments: documents whose body is a PDF or TIFF go as PDF/A.
	PDFADocuments bool
	// ServiceRequests stated for case documents and replacing versions ("":
	// inferred).
	ServiceRequests ServiceRequestsConfig
	// Budget is the error budget; the zero one is none.
	Budget budget.Budget
	// Placeholders are the placeholder codes the mapping itself names (value
	// maps, constants), for check to list in a test rehearsal.
	Placeholders []*Error

	// blocks are each entity's source blocks, in the order the mapping
	// file lists them (Of).
	blocks map[kanta.Entity][]*EntityMapping
}

// SourceNames lists the sources an entity is read from.
func SourceNames(blocks []*EntityMapping) []string {
	out := make([]string, len(blocks))
	for i, b := range blocks {
		out[i] = b.SourceName
	}
	return out
}

// EntityMapping is how one entity is read from one source and mapped.
type EntityMapping struct {
	Entity     kanta.Entity
	SourceName string
	Source     extract.Spec
	Key        []string
	m          *Mapping
	file       string
	keyPos     Pos  // where the block's key stands
	sourcePos  Pos  // where the source is defined under sources
	cutoffAt   *Pos // where the source's query compares with :cutoff, if it does
	// WithoutCase, for documents, collects the documents that name no case
	// into cases made for the migration; nil rejects them (no-case).
	WithoutCase *CollectedCases
	fields      map[string]*field
	structured  []structuredField
	loc         *time.Location
}

// QualifiedKey is the key a record has among all records of its entity: its
// source's name and its key in that source, so that two sources may use the
// same keys. Keys are unique per source only.
func QualifiedKey(source, key string) string {
	if key == "" {
		return ""
	}
	return source + KeySeparator + key
}

// CollectedCases describes the cases made for documents without a case: one
// per client and service task, named 99 (Muu) with NameOther, in Status,
// opened at its first document and closed at its last.
type CollectedCases struct {
	NameOther, Status string
}

// GeneratedSource is the source name of the cases kantamig makes (for
// documents without a case): no source of a mapping may be called so.
const GeneratedSource = "generated"

// IsGenerated says whether a qualified key is one of a case kantamig made.
func IsGenerated(key string) bool {
	return strings.HasPrefix(key, GeneratedSource+KeySeparator)
}

// CollectedCaseName is the case name of a collected case: 99, Muu (other).
const CollectedCaseName = "99"

// PositionKey, written as a key column, keys a record by its place in its
// source (1 for the first record): for a source without an id column. It is
// stable across reads of the same file, not across a re-export that adds,
// removes or reorders records.
const PositionKey = "$position"

// KeySeparator stands between a source's name and a key in a qualified
// key; source names may not contain it.
const KeySeparator = ":"

// SplitKey undoes QualifiedKey: the source and the key within it.
func SplitKey(qualified string) (source, key string) {
	source, key, ok := strings.Cut(qualified, KeySeparator)
	if !ok {
		return "", qualified
	}
	return source, key
}

type structuredField struct {
	path string
	pos  Pos
	f    *field
}

// StructuredPath is a path of a structured: section and where it stands.
type StructuredPath struct {
	Path string
	Pos  Pos
}

// StructuredPaths lists the structured: paths of the document mappings, so
// that they can be checked against the structures (which this package does
// not read).
func (m *Mapping) StructuredPaths() []StructuredPath {
	var out []StructuredPath
	for _, em := range m.Of(kanta.EntityDocument) {
		for _, sf := range em.structured {
			out = append(out, StructuredPath{Path: sf.path, Pos: sf.pos})
		}
	}
	return out
}

type field struct {
	target  target
	from    []string
	join    string
	value   *string
	trim    bool
	layouts []string
	vmap    *valueMap
	split   string
	def     *string
	trueSet []string
	// firstOf takes the first non-empty of the columns in from.
	firstOf bool
	// ifPresent and ifEmpty replace the value by whether it is there.
	ifPresent, ifEmpty *string
	// namePart and nameOrder take one part of a whole name.
	namePart, nameOrder string
	// derive says where an empty value is taken from (DeriveEarliestPeriod).
	derive string
	// fileRoot, base64 and binary read the value as bytes (documents'
	// text); lengthFrom is a column with the source's length of it.
	fileRoot       string
	base64, binary bool
	lengthFrom     string
	encoding       encoding.Encoding // of plain text read as bytes that is not UTF-8
	// format reads a structured value held as rich text as its plain text.
	format body.Format
	set    *kanta.CodeSet
	// refSource is, for a reference field, the source of the records it
	// refers to: its keys are qualified with it.
	refSource string
	pos       Pos // where the field's spec stands, for errors about its columns
}

type valueMap struct {
	name     string
	set      *kanta.CodeSet
	values   map[string]string
	fallback string
	none     bool // unmapped values leave the field empty, on purpose
}

var oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)

// Load reads, decodes and checks a mapping file against the built-in code
// sets. All problems found are returned together as Errors, each with its position.
func Load(path string) (*Mapping, error) {
	return LoadWith(path, kanta.BuiltinCodeSets())
}

// LoadWith is Load with the code sets to check against (the built-in ones plus,
// typically, the specific document types of a Sosmeta schema folder). The
// mapping's own code-set files are loaded into sets.
func LoadWith(path string, sets *kanta.CodeSets) (*Mapping, error) {
	return load(path, sets, false)
}

// LoadWithoutSources is LoadWith for a mapping's tests, which bring their
// own records: the sources' files need not be there.
func LoadWithoutSources(path string, sets *kanta.CodeSets) (*Mapping, error) {
	return load(path, sets, true)
}

// SourcesOnly says whether a mapping file names sources and no entity yet
// (a mapping being started: kantamig profile takes it).
func SourcesOnly(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	top := topLevelPositions(data)
	if _, ok := top["sources"]; !ok {
		return false
	}
	for _, k := range entity.Kinds {
		if _, ok := top[k.Key]; ok {
			return false
		}
	}
	return true
}

// LoadSources reads only the sources: section of a mapping file, for
// kantamig profile of a legacy system whose mapping is not yet written (a
// file with version: 1 and sources: is enough). Its problems are
// positioned as Load's are; sorted by name.
func LoadSources(path string) ([]extract.Spec, error) {
	data, err := readMapping(path)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict()); err != nil {
		return nil, Errors{fromDecodeError(path, err)}
	}
	c := &compiler{file: path, dir: filepath.Dir(path), cfg: &cfg, top: topLevelPositions(data), sets: kanta.BuiltinCodeSets()}
	if len(cfg.Sources) == 0 {
		c.fail(Pos{1, 1}, "name the legacy system's files or tables under sources:", "the mapping file has no sources")
	}
	var specs []extract.Spec
	for _, name := range sortedKeys(cfg.Sources) {
		specs = append(specs, c.compileSource(name, cfg.Sources[name]))
	}
	byPosition(c.errs)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return specs, nil
}

// readMapping reads a mapping file, refusing one too large or too deep to
// decode safely.
func readMapping(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading mapping file: %w", err)
	}
	if e := guardSize(data); e != nil {
		e.File = path
		return nil, Errors{e}
	}
	return data, nil
}

func load(path string, sets *kanta.CodeSets, withoutSources bool) (*Mapping, error) {
	data, err := readMapping(path)
	if err != nil {
		return nil, err
	}
	if errs := unknownKeys(data); len(errs) > 0 {
		for _, e := range errs {
			e.File = path
		}
		return nil, errs
	}
	var cfg Config
	if err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict()); err != nil {
		return nil, Errors{fromDecodeError(path, err)}
	}
	if errs := emptyEntries(data); len(errs) > 0 {
		for _, e := range errs {
			e.File = path
		}
		return nil, errs
	}
	sum := sha256.Sum256(data)
	c := &compiler{file: path, dir: filepath.Dir(path), cfg: &cfg, top: topLevelPositions(data), sets: sets, withoutSources: withoutSources}
	m := c.compile()
	byPosition(c.errs)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	byPosition(m.Placeholders)
	m.File = path
	m.SHA256 = hex.EncodeToString(sum[:])
	return m, nil
}

type compiler struct {
	file string
	dir  string
	cfg  *Config
	errs Errors
	sets *kanta.CodeSets
	// rehearsal collects placeholder codes in a test rehearsal; nil refuses them.
	rehearsal *[]*Error
	// withoutSources skips the check that source files exist (mapping tests).
	withoutSources bool
	maps           map[string]*valueMap
	top            map[string]Pos // top-level and organisation keys, for errors about missing or bad values
	cutoff         time.Time
	blocks         map[kanta.Entity][]string // the sources each entity is read from
}

// refSource decides which source a reference field's keys belong to: the
// one it names, the only source of the entity referred to, or, for a
// reference within its own entity (replaces, related_cases), its own.
func (c *compiler) refSource(e kanta.Entity, own, entityKey string, t target, spec *FieldSpec) string {
	if t.Refers == "" {
		if spec.Source != "" {
			c.fail(spec.sourcePos, "remove source:; it is only for fields that refer to other records (client, case, clients, replaces, related_cases)", "%s.%s: source: given on a field that refers to no record", entityKey, t.Name)
		}
		return ""
	}
	have := c.blocks[t.Refers]
	switch {
	case spec.Source != "":
		if !slices.Contains(have, spec.Source) {
			c.fail(spec.sourcePos, "name one of: "+strings.Join(have, ", "), "%s.%s: %ss are not read from source %q", entityKey, t.Name, t.Refers, spec.Source)
		}
		return spec.Source
	case len(have) == 1:
		return have[0]
	case t.Refers == e:
		return own
	case len(have) > 1:
		c.fail(spec.pos, fmt.Sprintf("say which, e.g. `%s: {from: %s, source: %s}`", t.Name, strings.Join(spec.From, ","), have[0]),
			"%s.%s refers to %ss, which are read from %d sources (%s)", entityKey, t.Name, t.Refers, len(have), strings.Join(have, ", "))
	}
	return ""
}

// topLevelPositions finds where each top-level key (and each key under
// organisation) stands, so that errors about them can point there.
func topLevelPositions(data []byte) map[string]Pos {
	out := map[string]Pos{}
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return out
	}
	root, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return out
	}
	for _, kv := range root.Values {
		k := kv.Key.String()
		out[k] = posOf(kv.Value)
		if sub, ok := kv.Value.(*ast.MappingNode); ok && (k == "organisation" || k == "service_requests") {
			for _, s := range sub.Values {
				out[k+"."+s.Key.String()] = posOf(s.Value)
			}
		}
	}
	return out
}

// byPosition sorts problems in the order of the file.
func byPosition(errs []*Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
	})
}

// national refuses a placeholder code the mapping names, or, in a test
// rehearsal, lists it for check to show.
func (c *compiler) national(pos Pos, set *kanta.CodeSet, code, where string) {
	err := set.National(code)
	if err == nil {
		return
	}
	if c.rehearsal != nil {
		*c.rehearsal = append(*c.rehearsal, &Error{File: c.file, Pos: pos, Msg: where + ": " + set.Placeholder(code) + " (a placeholder: allowed by test_rehearsal, counted in the report)",
			Set: set.Name, Code: code})
		return
	}
	c.fail(pos, "load the national code server's export of "+set.OID+" under codesets:, or declare `test_rehearsal: true` to rehearse with placeholders",
		"%s: %s, a placeholder that no document may carry", where, set.Placeholder(code))
}

func (c *compiler) fail(pos Pos, hint, format string, args ...any) {
	if pos.Line == 0 {
		pos = Pos{Line: 1, Column: 1}
	}
	c.errs = append(c.errs, &Error{File: c.file, Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (c *compiler) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *compiler) compile() *Mapping {
	cfg := c.cfg
	m := &Mapping{System: cfg.System}
	if cfg.Version != 1 {
		c.fail(Pos{1, 1}, "add `version: 1` at the top", "unsupported mapping version %d", cfg.Version)
	}
	m.Location = time.Local
	if cfg.Timezone != "" {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			c.fail(c.top["timezone"], "use an IANA zone name such as Europe/Helsinki", "unknown timezone %q", cfg.Timezone)
		} else {
			m.Location = loc
		}
	} else if loc, err := time.LoadLocation("Europe/Helsinki"); err == nil {
		m.Location = loc
	}
	if cfg.Cutoff == "" {
		c.fail(Pos{1, 1}, "the day the organisation joined the archive, e.g. `cutoff: 2024-03-01`", "cutoff is required")
	} else if t, err := time.ParseInLocation("2006-01-02", cfg.Cutoff, m.Location); err != nil {
		c.fail(c.top["cutoff"], "write the date as YYYY-MM-DD", "cutoff %q is not a date", cfg.Cutoff)
	} else {
		m.Cutoff, c.cutoff = t, t
	}
	c.compileOrganisation(m)
	m.TestRehearsal = cfg.TestRehearsal
	m.DisplayOnlyDocuments = cfg.DisplayOnlyDocuments
	m.PDFADocuments = cfg.PDFADocuments
	c.rehearsal = &m.Placeholders
	if !cfg.TestRehearsal {
		c.rehearsal = nil
	}
	for _, cs := range cfg.CodeSets {
		if cs.Dir != "" {
			if cs.Set != "" || cs.File != "" || cs.Version != "" {
				c.fail(cs.pos, "write either `- {dir: FOLDER}` or `- {set: NAME, file: FILE}`", "a codesets entry with dir names a folder of exports, nothing else")
				continue
			}
			if _, _, err := c.sets.LoadDir(c.resolve(cs.Dir)); err != nil {
				c.fail(cs.pos, "a folder of the code server's exports: FHIR CodeSystem JSON, or CSV named by the versioned OID", "%v", err)
			}
			continue
		}
		set, err := c.sets.Lookup(cs.Set)
		if err != nil {
			c.fail(cs.pos, "", "%v", err)
			continue
		}
		if err := set.LoadFile(c.resolve(cs.File), cs.Version); err != nil {
			c.fail(cs.pos, "export the code set from the national code server (FHIR CodeSystem JSON, or CSV with version:)", "%v", err)
		}
	}
	m.CodeSets = c.sets
	if m.PDFADocuments {
		// Every PDF/A document's fileFormat carries this code: a placeholder
		// until the set's national export is loaded, said here, not at the
		// first scan of a run.
		c.national(c.top["pdfa_documents"], c.sets.Get(kanta.SetDisplayFormat), c.sets.PDFAFormat(), "pdfa_documents (the fileFormat of every PDF/A document)")
	}
	m.ServiceRequests = cfg.ServiceRequests
	for _, sr := range []struct{ key, code string }{
		{"service_requests.case_document", cfg.ServiceRequests.CaseDocument},
		{"service_requests.replacing_version", cfg.ServiceRequests.ReplacingVersion},
	} {
		if sr.code == "" {
			continue
		}
		set := c.sets.Get(kanta.SetServiceRequest)
		if err := set.Check(sr.code); err != nil {
			c.fail(c.top[sr.key], "a code of the service requests (1.2.246.537.6.1503); load its national export for codes beyond SP1 and SP17", "%s: %v", sr.key, err)
		} else {
			c.national(c.top[sr.key], set, sr.code, sr.key)
		}
	}
	c.compileValueMaps()
	m.Budget = c.compileBudget(cfg.ErrorBudget)
	for name, sc := range cfg.Sources {
		if name == GeneratedSource {
			c.fail(sc.pos, "rename the source", "source %q: the name is kantamig's, for the cases it makes for documents without a case", name)
		}
		if strings.Contains(name, KeySeparator) {
			c.fail(sc.pos, "rename the source, e.g. with _ or -", "source %q: a source's name may not contain %q (it separates source and key in a record's key)", name, KeySeparator)
		}
	}
	c.blocks = map[kanta.Entity][]string{}
	for _, k := range entity.Kinds {
		for _, b := range cfg.blocksOf(k) {
			c.blocks[k.Entity] = append(c.blocks[k.Entity], b.Source)
		}
	}
	m.blocks = map[kanta.Entity][]*EntityMapping{}
	for _, k := range entity.Kinds {
		blocks := cfg.blocksOf(k)
		if k.Entity == kanta.EntityCase && len(blocks) == 0 && collectsEvery(cfg.blocksOf(&entity.Document)) {
			continue // a system without cases: each client's documents go into cases made for them
		}
		if k.Required || len(blocks) > 0 {
			m.blocks[k.Entity] = c.compileBlocks(m, k.Entity, k.Key, blocks)
		}
	}
	if len(cfg.blocksOf(&entity.Case)) == 0 {
		for _, ec := range cfg.blocksOf(&entity.Document) {
			if spec, ok := ec.Fields.Specs["case"]; ok {
				c.fail(spec.pos, "map the cases section, or leave case out", "%s: case names a case, but the mapping maps no cases", "documents")
			}
		}
	}
	for _, em := range m.Of(kanta.EntityClient) {
		if f := em.fields["relationship_start"]; f != nil && f.derive != "" && len(m.Of(kanta.EntityServiceTask)) == 0 {
			c.fail(f.pos, "add the service_task_relationships section, or give the start in the client record", "clients.relationship_start: derive: %s needs the clients' service-task periods", f.derive)
		}
	}
	return m
}

// collectsEvery says whether every documents block collects its documents
// without a case into cases made for the migration: then a system that
// keeps no cases needs no cases section.
func collectsEvery(docs EntityBlocks) bool {
	for _, ec := range docs {
		if ec.WithoutCase == nil || ec.WithoutCase.Action != "collect" {
			return false
		}
	}
	return len(docs) > 0
}

// compileWithoutCase checks what becomes of documents without a case.
func (c *compiler) compileWithoutCase(e kanta.Entity, key string, ec *EntityConfig) *CollectedCases {
	wc, at := ec.WithoutCase, ec.withoutCasePos
	switch {
	case e != kanta.EntityDocument:
		c.fail(at, "without_case belongs to documents", "%s: without_case is only for documents", key)
		return nil
	case wc.Action == "" || wc.Action == "reject":
		return nil
	case wc.Action != "collect":
		c.fail(at, "action is reject (the default) or collect", "%s.without_case: unknown action %q", key, wc.Action)
		return nil
	}
	if strings.TrimSpace(wc.NameOther) == "" {
		c.fail(at, "say what the cases hold, e.g. name_other: Asiakirjat ilman asiaa (siirto)", "%s.without_case: collect needs name_other, the free text of case name 99 (Muu)", key)
	}
	if err := c.sets.Get(kanta.SetCaseName).Check(CollectedCaseName); err != nil {
		c.fail(at, "load the case-name code set's current export under codesets:", "%s.without_case: %v", key, err)
	} else {
		c.national(at, c.sets.Get(kanta.SetCaseName), CollectedCaseName, key+".without_case (case name)")
	}
	if wc.Status == "" {
		c.fail(at, "give the case status code of the collected cases, e.g. the code of a closed case", "%s.without_case: collect needs status", key)
	} else if err := c.sets.Get(kanta.SetCaseStatus).Check(wc.Status); err != nil {
		c.fail(at, "use a code of the case-status code set", "%s.without_case: %v", key, err)
	} else {
		c.national(at, c.sets.Get(kanta.SetCaseStatus), wc.Status, key+".without_case.status")
	}
	return &CollectedCases{NameOther: wc.NameOther, Status: wc.Status}
}

// compileBlocks compiles the source blocks of an entity. Each source may be
// read once per entity: keys are unique per source.
func (c *compiler) compileBlocks(m *Mapping, e kanta.Entity, key string, blocks EntityBlocks) []*EntityMapping {
	if len(blocks) == 0 {
		c.fail(Pos{1, 1}, "every mapping maps clients, cases and documents; cases may be left out when every documents block collects its documents (without_case: {action: collect})", "%s: section is missing", key)
		return nil
	}
	seen := map[string]Pos{}
	out := make([]*EntityMapping, 0, len(blocks))
	for _, ec := range blocks {
		if at, dup := seen[ec.Source]; dup && ec.Source != "" {
			c.fail(ec.sourcePos, "read each source once per entity, with all its fields in one block", "%s: source %q is already read for %s at line %d", key, ec.Source, key, at.Line)
			continue
		}
		seen[ec.Source] = ec.sourcePos
		if em := c.compileEntity(e, key, ec, m.Location); em != nil {
			em.m = m
			out = append(out, em)
		}
	}
	return out
}

func (c *compiler) compileOrganisation(m *Mapping) {
	o := c.cfg.Organisation
	org := func(name string, oc *OrgConfig, required bool) kanta.Organisation {
		if oc == nil {
			if required {
				c.fail(c.top["organisation"], "give its oid and name", "organisation.%s is required", name)
			}
			return kanta.Organisation{}
		}
		if !oidPattern.MatchString(oc.OID) {
			c.fail(oc.pos, "an OID is digits separated by dots, e.g. 1.2.246.10.12345678.10.0", "organisation.%s.oid %q is not an OID", name, oc.OID)
		}
		if strings.TrimSpace(oc.Name) == "" {
			c.fail(oc.pos, "", "organisation.%s.name is required", name)
		}
		return kanta.Organisation{OID: oc.OID, Name: oc.Name}
	}
	m.Custodian = org("custodian", o.Custodian, true)
	m.Organiser = org("organiser", o.Organiser, false)
	if m.Organiser.OID == "" {
		m.Organiser = m.Custodian
	}
	m.ServiceUnit = org("service_unit", o.ServiceUnit, true)
	if !oidPattern.MatchString(o.OIDRoot) {
		c.fail(c.top["organisation.oid_root"], "the OID node the organisation delegates to this migration, e.g. 1.2.246.10.12345678.95.1", "organisation.oid_root %q is not an OID", o.OIDRoot)
	}
	m.OIDRoot = o.OIDRoot
	if o.Software != nil {
		m.Software = *o.Software
	}
	if m.Software.Product == "" {
		m.Software = SoftwareConfig{Moderator: "kantamig", Product: "kantamig", Version: "dev"}
	}
}

func (c *compiler) compileValueMaps() {
	c.maps = map[string]*valueMap{}
	names := make([]string, 0, len(c.cfg.ValueMaps))
	for n := range c.cfg.ValueMaps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		vc := c.cfg.ValueMaps[name]
		set, err := c.sets.Lookup(vc.CodeSet)
		if err != nil {
			c.fail(vc.setPos, "", "value map %q: %v", name, err)
			continue
		}
		vm := &valueMap{name: name, set: set, values: vc.Values}
		legacy := make([]string, 0, len(vc.Values))
		for k := range vc.Values {
			legacy = append(legacy, k)
		}
		sort.Strings(legacy)
		for _, k := range legacy {
			if err := set.Check(vc.Values[k]); err != nil {
				c.fail(posOf(vc.valueNodes[k]), "fix the national code, or load the code set's current export under codesets:", "value map %q maps %q: %v", name, k, err)
			} else {
				c.national(posOf(vc.valueNodes[k]), set, vc.Values[k], fmt.Sprintf("value map %q maps %q", name, k))
			}
		}
		switch vc.Fallback {
		case "", "reject":
		case "none":
			vm.none = true
		default:
			if err := set.Check(vc.Fallback); err != nil {
				c.fail(vc.fallbackPos, "use `reject`, `none` or a code of the set", "value map %q fallback: %v", name, err)
			} else {
				c.national(vc.fallbackPos, set, vc.Fallback, fmt.Sprintf("value map %q fallback", name))
			}
			vm.fallback = vc.Fallback
		}
		c.maps[name] = vm
	}
}

func (c *compiler) compileEntity(e kanta.Entity, key string, ec *EntityConfig, loc *time.Location) *EntityMapping {
	em := &EntityMapping{Entity: e, SourceName: ec.Source, Key: ec.Key, fields: map[string]*field{}, loc: loc,
		file: c.file, keyPos: ec.keyPos, sourcePos: ec.sourcePos}
	sc, ok := c.cfg.Sources[ec.Source]
	if ok {
		em.sourcePos = sc.pos
		for _, opt := range []string{"query", "where"} {
			if strings.Contains(sc.options[opt], ":cutoff") {
				p := sc.optionPos(opt)
				em.cutoffAt = &p
			}
		}
	}
	if !ok {
		c.fail(ec.sourcePos, "name one of the sources: "+strings.Join(sortedKeys(c.cfg.Sources), ", "), "%s: unknown source %q", key, ec.Source)
	} else {
		em.Source = c.compileSource(ec.Source, sc)
		for _, k := range ec.Key {
			if k != PositionKey {
				em.Source.KeyColumns = append(em.Source.KeyColumns, k)
			} else if kind, ok := extract.Lookup(sc.Kind); ok && !kind.File {
				c.fail(ec.keyPos, "key the records by the columns that identify them; a query's row order is not stable", "%s: %s keys records of a file by their place in it, and source %q is a %s database", key, PositionKey, ec.Source, sc.Kind)
			}
		}
		em.Source.Cutoff, em.Source.Timezone = c.cutoff, loc
	}
	if len(ec.Key) == 0 {
		c.fail(ec.pos, "name the column(s) that identify a record in the legacy system", "%s: key is required", key)
	}
	for _, name := range ec.Fields.Names {
		spec := ec.Fields.Specs[name]
		t, ok := findTarget(e, name)
		if !ok {
			c.fail(ec.Fields.keyAt[name], suggestName(name, targetNames(e)), "%s: unknown target field %q", key, name)
			continue
		}
		if spec.Markup != "" {
			c.fail(spec.pos, "use text_format for a document's text", "%s.%s: markup is for structured: values", key, name)
		}
		em.fields[name] = c.compileField(key, t, spec)
		em.fields[name].refSource = c.refSource(e, ec.Source, key, t, spec)
	}
	if ec.WithoutCase != nil {
		em.WithoutCase = c.compileWithoutCase(e, key, ec)
		_, kase := em.fields["case"]
		_, task := em.fields["service_task"]
		if em.WithoutCase != nil && !kase && !task {
			// Every document of the block is collected, and each needs a
			// service task of its own for its collected case.
			c.fail(ec.fieldsPos, "add `service_task:` under fields (a column; {value: CODE} when the export holds one service task's documents; or {derive: client_service_task}, each client's only one)",
				"%s: documents without a case are collected into a case made for their client's service task, and this block maps neither case nor service_task: every document would be rejected", key)
		}
	}
	kind := entity.Of(e)
	for _, t := range kind.Fields {
		if t.Name == "case" && em.WithoutCase != nil {
			continue // an export of documents that have no case need not name one
		}
		if t.Required {
			if _, ok := em.fields[t.Name]; !ok {
				c.fail(ec.fieldsPos, fmt.Sprintf("add `%s:` under fields", t.Name), "%s: required target field %q is not mapped", key, t.Name)
			}
		}
	}
	_, namesCase := em.fields["case"]
	if pair := kind.ClientRef; pair[0] != "" && (e != kanta.EntityCase || len(c.cfg.blocksOf(&entity.CaseMember)) == 0) && !(kind.ClientFromCase && namesCase) {
		if _, a := em.fields[pair[0]]; !a {
			if _, b := em.fields[pair[1]]; !b {
				c.fail(ec.fieldsPos, clientHint(kind), "%s: required target field %q is not mapped", key, pair[0])
			}
		}
	}
	if e == kanta.EntityClient {
		if _, a := em.fields["identity_code"]; !a {
			if _, b := em.fields["temporary_id"]; !b {
				c.fail(ec.fieldsPos, "add `identity_code:` (or `temporary_id:`)", "clients: identity_code or temporary_id must be mapped")
			}
		}
	}
	if len(ec.Structured.Names) > 0 && e != kanta.EntityDocument {
		c.fail(ec.structPos, "structured fields belong to documents", "%s: structured is only for documents", key)
	}
	for _, path := range ec.Structured.Names {
		t := target{Name: path, Type: entity.Text}
		spec := ec.Structured.Specs[path]
		f := c.compileField(key, t, spec)
		if spec.Markup != "" {
			format, err := body.ParseFormat(spec.Markup)
			if err != nil || format == body.DOCX {
				c.fail(spec.pos, "rtf, html or auto", "%s.structured.%s: markup %q is not a rich-text format", key, path, spec.Markup)
			}
			f.format = format
		}
		em.structured = append(em.structured, structuredField{path: path, pos: ec.Structured.keyAt[path], f: f})
	}
	return em
}

// compileSource turns a source block into a spec. What the options must be
// is the source kind's to say (extract.Kind); where they are is this file's.
func (c *compiler) compileSource(name string, sc *SourceConfig) extract.Spec {
	spec := extract.Spec{
		Kind: sc.Kind, Name: name, Options: sc.options, Delimiter: sc.Delimiter, Encoding: sc.Encoding,
		NoHeader: sc.NoHeader, Sheet: sc.Sheet, HeaderRow: sc.HeaderRow, Record: sc.Record,
		DSNEnv: sc.DSNEnv, Query: sc.Query, Table: sc.Table, Columns: sc.Columns, Where: sc.Where, Encodings: sc.Encodings,
	}
	kind, ok := extract.Lookup(sc.Kind)
	if !ok {
		c.fail(sc.kindPos, "kind is one of "+strings.Join(extract.Kinds(), ", "), "source %q: unknown kind %q", name, sc.Kind)
		return spec
	}
	for _, opt := range sc.keys {
		if opt == "kind" || (opt == "file" && kind.File) || slices.Contains(kind.Options, opt) {
			continue
		}
		takes := kind.Options
		if kind.File {
			takes = append([]string{"file"}, takes...)
		}
		hint := "source kind " + sc.Kind + " takes no options besides kind"
		if len(takes) > 0 {
			hint = "source kind " + sc.Kind + " takes " + strings.Join(takes, ", ")
		}
		c.fail(sc.optionPos(opt), hint, "source %q: %s is not an option of source kind %s", name, opt, sc.Kind)
	}
	if kind.File {
		spec.File = c.resolve(sc.File)
		if sc.File == "" {
			c.fail(sc.pos, "give the export file, relative to this mapping file", "source %q: file is required", name)
		} else if _, err := os.Stat(spec.File); err != nil && !c.withoutSources {
			c.fail(sc.filePos, "paths are relative to the mapping file", "source %q: %v", name, errors.Unwrap(err))
		}
	}
	for _, p := range extract.CheckSpec(spec) {
		c.fail(sc.optionPos(p.Option), p.Hint, "source %q: %s", name, p.Message)
	}
	if spec.Kind == "xml" { // a hierarchical export read by several sources
		for _, other := range sortedKeys(c.cfg.Sources) {
			if oc := c.cfg.Sources[other]; other != name && oc.Kind == "xml" && oc.Record != "" && c.resolve(oc.File) == spec.File {
				spec.OtherRecords = append(spec.OtherRecords, oc.Record)
			}
		}
	}
	return spec
}

// bytesField compiles the options that read a document's text as bytes.
func (c *compiler) bytesField(block string, t target, spec *FieldSpec, f *field) {
	f.fileRoot, f.lengthFrom = spec.FileRoot, spec.LengthFrom
	f.base64 = spec.Base64 != nil && *spec.Base64
	f.binary = spec.Binary != nil && *spec.Binary
	given := 0
	for _, on := range []bool{f.fileRoot != "", f.base64, f.binary} {
		if on {
			given++
		}
	}
	if spec.Encoding != "" {
		enc, err := extract.TextEncoding(spec.Encoding)
		switch {
		case err != nil:
			c.fail(spec.pos, "one of "+strings.Join(extract.Encodings, ", "), "%s.%s: encoding %q is not one kantamig reads", block, t.Name, spec.Encoding)
		case given == 0:
			c.fail(spec.pos, "give it with file_root, base64 or binary; text read as a string is decoded by its source's encoding", "%s.%s: encoding is for a text read as bytes", block, t.Name)
		}
		f.encoding = enc
	}
	if given == 0 && f.lengthFrom == "" {
		return
	}
	if !strings.HasPrefix(block, "documents") || t.Name != "text" {
		c.fail(spec.pos, "file_root, base64, binary and length_from belong to a document's text", "%s.%s: file_root, base64, binary and length_from are for documents.text only", block, t.Name)
		return
	}
	if given > 1 {
		c.fail(spec.pos, "choose one of them", "%s.%s: give one of file_root, base64 and binary", block, t.Name)
	}
	if f.fileRoot != "" {
		f.fileRoot = c.resolve(f.fileRoot)
		if st, err := os.Stat(f.fileRoot); err != nil || !st.IsDir() {
			c.fail(spec.pos, "name the folder the files are under (relative to the mapping file)", "%s.%s: file_root %s is not a folder", block, t.Name, f.fileRoot)
		}
	}
}

// bytes says whether the field reads its value as bytes.
func (f *field) bytes() bool { return f.fileRoot != "" || f.base64 || f.binary }

func (c *compiler) compileField(block string, t target, spec *FieldSpec) *field {
	f := &field{target: t, from: spec.From, value: spec.Value, trim: true, split: spec.Split, def: spec.Default, trueSet: spec.True, pos: spec.pos}
	if spec.Trim != nil {
		f.trim = *spec.Trim
	}
	f.join = " "
	if spec.Join != nil {
		f.join = *spec.Join
	}
	c.derivedField(block, t, spec, f)
	c.bytesField(block, t, spec, f)
	if len(spec.From) == 0 && spec.Value == nil && f.derive == "" {
		c.fail(spec.pos, "give `from:` (a column), `first_of:` (columns) or `value:` (a constant)", "%s.%s: nothing to take the value from", block, t.Name)
	}
	if len(spec.From) > 0 && spec.Value != nil {
		c.fail(spec.valPos, "use either from: or value:", "%s.%s: both from and value given", block, t.Name)
	}
	for _, p := range spec.Date {
		if p == ExcelSerial {
			f.layouts = append(f.layouts, ExcelSerial)
			continue
		}
		l, err := dateLayout(p)
		if err != nil {
			c.fail(spec.pos, "use yyyy, yy, MM, M, dd, d, HH, mm, ss, or excel for Excel serial day numbers", "%s.%s: %v", block, t.Name, err)
			continue
		}
		f.layouts = append(f.layouts, l)
	}
	if len(spec.Date) > 0 && t.Type != entity.Date && t.Type != entity.Time {
		c.fail(spec.pos, "remove date:", "%s.%s is not a date field", block, t.Name)
	}
	if (t.Type == entity.Codes || t.Type == entity.Keys) && f.split == "" {
		f.split = ","
	}
	if t.CodeSet != "" {
		f.set = c.sets.Get(t.CodeSet)
	}
	if spec.Map != "" {
		vm, ok := c.maps[spec.Map]
		switch {
		case !ok:
			c.fail(spec.mapPos, "define it under value_maps, or fix the name: "+strings.Join(sortedKeys(c.maps), ", "), "%s.%s: unknown value map %q", block, t.Name, spec.Map)
		case f.set != nil && vm.set != f.set:
			c.fail(spec.mapPos, fmt.Sprintf("this field takes codes from %s", f.set.Name), "%s.%s: value map %q gives codes of %s", block, t.Name, spec.Map, vm.set.Name)
		case vm.none && t.Required:
			c.fail(spec.mapPos, "give the value map a fallback code or `reject`", "%s.%s is required, but value map %q has fallback none", block, t.Name, spec.Map)
		default:
			f.vmap = vm
		}
	}
	if f.set != nil && f.value != nil && f.vmap == nil {
		for _, v := range splitValues(*f.value, f.split, t.Type == entity.Codes) {
			if err := f.set.Check(v); err != nil {
				c.fail(spec.valPos, "use a code of the set, or load the code set's current export under codesets:", "%s.%s: %v", block, t.Name, err)
			} else {
				c.national(spec.valPos, f.set, v, block+"."+t.Name)
			}
		}
	}
	return f
}

// DeriveEarliestPeriod is the derive: of a relationship start taken, when
// the client record gives none, from the earliest of the client's
// service-task periods.
const DeriveEarliestPeriod = "earliest_period"

// DeriveClientServiceTask is the derive: of a document's service task
// taken, when a document without a case gives none, from its client's
// relationship when that has one service task only; a client of several is
// rejected, since the export does not say which.
const DeriveClientServiceTask = "client_service_task"

// Name orders a whole name in one column can be split by (name_order:).
const (
	NameFamilyFirst = "family-first"
	NameGivenFirst  = "given-first"
)

// derivedField compiles the options that make a value from others:
// first_of, if_present / if_empty, name_part / name_order, derive.
func (c *compiler) derivedField(block string, t target, spec *FieldSpec, f *field) {
	if len(spec.FirstOf) > 0 {
		if len(spec.From) > 0 || spec.Value != nil {
			c.fail(spec.pos, "first_of: takes the columns itself; remove from: or value:", "%s.%s: first_of with from or value", block, t.Name)
		}
		spec.From, f.from, f.firstOf = spec.FirstOf, spec.FirstOf, true
	}
	if spec.IfPresent != nil || spec.IfEmpty != nil {
		switch {
		case len(spec.From) == 0:
			c.fail(spec.pos, "name the column whose presence decides: from: or first_of:", "%s.%s: if_present / if_empty without a column", block, t.Name)
		case spec.Map != "":
			c.fail(spec.mapPos, "if_present and if_empty give the value itself; remove map:", "%s.%s: if_present / if_empty with a value map", block, t.Name)
		}
		f.ifPresent, f.ifEmpty = spec.IfPresent, spec.IfEmpty
		for _, v := range []*string{spec.IfPresent, spec.IfEmpty} {
			if v != nil && f.set == nil && t.CodeSet != "" {
				f.set = c.sets.Get(t.CodeSet)
			}
			if v != nil && *v != "" && f.set != nil {
				if err := f.set.Check(*v); err != nil {
					c.fail(spec.pos, "use a code of the set", "%s.%s: %v", block, t.Name, err)
				} else {
					c.national(spec.pos, f.set, *v, block+"."+t.Name)
				}
			}
		}
	}
	if spec.NamePart != "" || spec.NameOrder != "" {
		switch {
		case spec.NamePart != "family" && spec.NamePart != "given":
			c.fail(spec.pos, "name_part: family or given", "%s.%s: name_part %q", block, t.Name, spec.NamePart)
		case spec.NameOrder != NameFamilyFirst && spec.NameOrder != NameGivenFirst:
			c.fail(spec.pos, "name_order: "+NameFamilyFirst+" (\"Virtanen Anna Maria\") or "+NameGivenFirst+" (\"Anna Maria Virtanen\")", "%s.%s: name_order %q", block, t.Name, spec.NameOrder)
		case t.Type != entity.Text:
			c.fail(spec.pos, "name_part is for name fields", "%s.%s is not a text field", block, t.Name)
		}
		f.namePart, f.nameOrder = spec.NamePart, spec.NameOrder
	}
	if spec.Derive != "" {
		start := spec.Derive == DeriveEarliestPeriod && block == "clients" && t.Name == "relationship_start"
		task := spec.Derive == DeriveClientServiceTask && strings.HasPrefix(block, "documents") && t.Name == "service_task"
		if !start && !task {
			c.fail(spec.pos, "derive: earliest_period is for clients.relationship_start, derive: client_service_task for documents.service_task", "%s.%s: derive %q", block, t.Name, spec.Derive)
		}
		f.derive = spec.Derive
	}
}

func splitValues(s, sep string, multi bool) []string {
	if !multi {
		return []string{strings.TrimSpace(s)}
	}
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func suggestName(name string, known []string) string {
	return suggest(name, known, "known fields")
}

// suggest is a hint for a name that is not one of known: the nearest known
// one if it is near enough, then all of them under label.
func suggest(name string, known []string, label string) string {
	list := label + ": " + strings.Join(known, ", ")
	if best, near := kanta.Nearest(name, known); near {
		return fmt.Sprintf("did you mean %q? %s", best, list)
	}
	return list
}

// compileBudget checks the error budget: entities the mapping knows, limits
// that are counts or percentages, rules that reject.
func (c *compiler) compileBudget(cfg *ErrorBudgetConfig) budget.Budget {
	var b budget.Budget
	if cfg == nil {
		return b
	}
	entities := make([]string, 0, len(entity.Kinds))
	for _, k := range entity.Kinds {
		entities = append(entities, string(k.Entity))
	}
	names := make([]string, 0, len(cfg.Rejected))
	for e := range cfg.Rejected {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, e := range names {
		at := cfg.keyPos[e]
		if !slices.Contains(entities, e) {
			c.fail(at, suggest(e, entities, "entities"), "error_budget.rejected: unknown entity %q", e)
			continue
		}
		l, err := budget.ParseLimit(cfg.Rejected[e])
		if err != nil {
			c.fail(at, "a count of records (20) or a share of the entity's records (2%)", "error_budget.rejected.%s: %v", e, err)
			continue
		}
		if b.Rejected == nil {
			b.Rejected = map[string]budget.Limit{}
		}
		b.Rejected[e] = l
	}
	for i, rule := range cfg.StopOn {
		at := cfg.pos
		if i < len(cfg.rulePos) {
			at = cfg.rulePos[i]
		}
		if kanta.RuleKind(rule) != kanta.RuleRejects && rule != kanta.RuleArchiveRejected { // the archive's refusals count too
			rejecting := []string{kanta.RuleArchiveRejected}
			for _, r := range kanta.Rules {
				if r.Kind == kanta.RuleRejects {
					rejecting = append(rejecting, r.Name)
				}
			}
			c.fail(at, suggest(rule, rejecting, "rules that reject"), "error_budget.stop_on: %q is not a rule that rejects records", rule)
			continue
		}
		b.StopOn = append(b.StopOn, rule)
	}
	return b
}

// clientHint says how a record of a kind names its client.
func clientHint(kind *entity.Kind) string {
	pair := kind.ClientRef
	if kind.ClientFromCase {
		return fmt.Sprintf("add `%s:` (the client key), `%s:` or `case:` (its case's client) under fields", pair[0], pair[1])
	}
	return fmt.Sprintf("add `%s:` (the client key) or `%s:` under fields", pair[0], pair[1])
}
