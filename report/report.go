// Package report holds the account a dry-run or a run gives of every source
// record, and writes it as an Excel workbook for people and as JSON for
// scripts, from the same data. Its counts and lists of rejected and skipped
// records are filled from the state store (ledger.Account): the records
// read as the extraction counted them, against the outcomes of the store's
// rows; warnings and unmapped values are noted while staging.
//
// Identity codes are masked unless the operator asks otherwise; the masking
// happens when a record's finding is added, so that nothing unmasked is ever
// held for output. Names never enter a finding: reasons name records by
// their keys (the profile withholds name columns' values the same way).
package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/kanta"
)

// Outcomes a source record can end in.
const (
	OutcomeLoad   = "would load"
	OutcomeReject = "rejected"
	OutcomeSkip   = "skipped"
)

// Counts is the reconciliation of one entity, one source of an entity, or
// one document type.
//
// For an entity and a source, Extracted is the number of records the
// extraction read (the ledger's count, written as they were read), and the
// outcomes are counted from the state store's rows: the two come from
// different places, so they can disagree. For a document type or service
// task, which only the mapped record knows, Extracted is the number of its
// records staged: a breakdown, not a check.
type Counts struct {
	Extracted int `json:"extracted"`
	// Generated counts the records kantamig made rather than read: the
	// cases collected for documents without a case.
	Generated int `json:"generated,omitempty"`
	WouldLoad int `json:"would_load"`
	Rejected  int `json:"rejected"`
	Skipped   int `json:"skipped"`
	// SourceCount is, for one source, the source's own count of its
	// records, through a path other than the reader (a SQL COUNT(*), the
	// rows of the sheet in the workbook's XML, a streaming count of the
	// record elements); CountedBy says how. Nil when the source offers none.
	SourceCount *int   `json:"source_count,omitempty"`
	CountedBy   string `json:"counted_by,omitempty"`
}

// Outcomes is the number of records with an outcome.
func (c Counts) Outcomes() int { return c.WouldLoad + c.Rejected + c.Skipped }

// Reconciles reports whether extracted (+ generated) = would load +
// rejected + skipped, and, where the source counted its records itself,
// whether it counted as many as were extracted.
func (c Counts) Reconciles() bool {
	return c.Extracted+c.Generated == c.Outcomes() && (c.SourceCount == nil || *c.SourceCount == c.Extracted)
}

// Add counts one record read from a source, with its outcome: for the
// breakdowns by document type and service task.
func (c *Counts) Add(outcome string) {
	c.Extracted++
	c.outcome(outcome)
}

// Equation is the reconciliation in words: "extracted E = would load L +
// rejected R + skipped S", with "+ generated G" after E when kantamig made
// records.
func (c Counts) Equation() string {
	in := fmt.Sprintf("extracted %d", c.Extracted)
	if c.Generated > 0 {
		in += fmt.Sprintf(" + generated %d", c.Generated)
	}
	return fmt.Sprintf("%s = would load %d + rejected %d + skipped %d", in, c.WouldLoad, c.Rejected, c.Skipped)
}

func (c *Counts) outcome(outcome string) {
	switch outcome {
	case OutcomeLoad:
		c.WouldLoad++
	case OutcomeReject:
		c.Rejected++
	case OutcomeSkip:
		c.Skipped++
	}
}

// Entities are the entities a report counts, in the order it lists them.
var Entities = func() []string {
	names := make([]string, len(entity.Kinds))
	for i, k := range entity.Kinds {
		names[i] = string(k.Entity)
	}
	return names
}()

// Optional says whether an entity is one a mapping may leave out (the
// parts kept in tables of their own): it is listed only when it has records.
func Optional(e string) bool {
	k := entity.Of(kanta.Entity(e))
	return k == nil || !k.Required
}

// Finding is one rejected or skipped record, or a warning about one.
type Finding struct {
	Locator string `json:"locator"`
	Entity  string `json:"entity"`
	Source  string `json:"source"` // the mapping's name of the source the record came from
	Key     string `json:"key"`    // the record's key in that source
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
	// Count is how many of something the finding is about (removed
	// characters, for xml-char); not written out.
	Count int `json:"-"`
}

// UnmappedValue is a legacy code value no value map covered.
type UnmappedValue struct {
	Field          string `json:"field"`
	Map            string `json:"value_map"`
	Value          string `json:"value"`
	Count          int    `json:"count"`
	ExampleLocator string `json:"example_locator"`
}

// Settings records what the run was made with.
type Settings struct {
	// Language is the workbook's: Finnish or English (lang.go); the JSON
	// report's field names are English whatever it is.
	Language string `json:"language,omitempty"`
	// CodeSetsToFetch are the national exports a test rehearsal needs
	// before it can be a migration ("name (OID)"; mapping.CodeUse).
	CodeSetsToFetch []string          `json:"code_sets_to_fetch,omitempty"`
	Command         string            `json:"command"`
	MappingFile     string            `json:"mapping_file"`
	MappingSHA256   string            `json:"mapping_sha256"`
	System          string            `json:"system"`
	Cutoff          string            `json:"cutoff"`
	CodeSets        map[string]string `json:"code_sets"`
	SchemaFolder    string            `json:"schema_folder"`
	Version         string            `json:"kantamig_version"`
	// TimeZone is the mapping's zone (IANA name): the workbooks show times in it.
	TimeZone      string    `json:"time_zone,omitempty"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	PersonalData  bool      `json:"personal_data_shown"`
	TestRehearsal bool      `json:"test_rehearsal"`
	// Sample, for a dry-run of a sample of clients, says which (empty: every record).
	Sample         string `json:"sample,omitempty"`
	Signer         string `json:"signer"`
	SigningWorkers int    `json:"signing_workers"`
}

// Report is the full account of a run.
type Report struct {
	Settings Settings           `json:"settings"`
	Entities map[string]*Counts `json:"entities"`
	// EntitySources reconciles each entity per source: entity -> source -> counts.
	EntitySources   map[string]map[string]*Counts `json:"entities_by_source"`
	Total           Counts                        `json:"total"`
	DocumentsByType map[string]*Counts            `json:"documents_by_type"`
	DocumentsByTask map[string]*Counts            `json:"documents_by_service_task"`
	Rejects         []Finding                     `json:"rejects"`
	Skips           []Finding                     `json:"skips"`
	// Refused are the documents the archive refused, with its answer, and
	// those that wait for them (rules archive-rejected and held-back): they
	// stay pending, to be sent once corrected.
	Refused []Finding `json:"refused,omitempty"`
	// SampledOut counts the records a dry-run's sample left out (skipped
	// under sampled-out); they are not listed among Skips.
	SampledOut int `json:"sampled_out,omitempty"`
	// Warnings lists the records loaded with a note, at most
	// WarningsListedPerRule of each rule: a note may fall on every document
	// (a placeholder code in a rehearsal), and memory must not follow the
	// size of the source. The others overflow to a file (overflow.go) and
	// the JSON report lists them after these. WarningsByRule counts them all.
	Warnings           []Finding `json:"warnings"`
	over               overflow
	WarningsByRule     map[string]int   `json:"warnings_by_rule"`
	Unmapped           []*UnmappedValue `json:"unmapped_values"`
	RemovedCharacters  int              `json:"removed_xml_characters"`
	DocumentsGenerated int              `json:"documents_generated"`
	// PlaceholderDocuments counts the documents of a test rehearsal that
	// carry a placeholder code (rule rehearsal-placeholder): none may reach
	// the real archive.
	PlaceholderDocuments int `json:"placeholder_documents"`
	// InferredServiceRequests counts the documents sent with a service
	// request no source confirms (rule inferred-service-request).
	InferredServiceRequests int `json:"inferred_service_requests"`
	// Inferences counts, per inference (kanta.Inferences), the documents
	// that rest on it.
	Inferences map[string]int `json:"inferences,omitempty"`
	// Budget is the error budget's state after staging (nil before).
	Budget             *BudgetState `json:"error_budget,omitempty"`
	DocumentsSigned    int          `json:"documents_signed"`
	DocumentsDelivered int          `json:"documents_delivered,omitempty"`
	DuplicatesAtSink   int          `json:"already_at_sink,omitempty"`
	// AdoptedDocuments are the documents of an adopted package matched to
	// this run's records (--adopt-package); AdoptionReminted the records
	// given new OIDs because the package used theirs.
	AdoptedDocuments int `json:"adopted_documents,omitempty"`
	AdoptionReminted int `json:"adoption_reminted,omitempty"`
	// StateCounts is, after a run, every record in the state store by entity
	// and outcome (pending, loaded, rejected, skipped).
	StateCounts map[string]map[string]int `json:"state_counts,omitempty"`
	// Unaccounted lists what the ledger could not account for beyond the
	// counts (no count of the records read was kept for the pass).
	Unaccounted []string `json:"unaccounted,omitempty"`
	// Reconciliation is ReconciliationProblems at the time the report was
	// written: empty when it reconciles.
	Reconciliation []string `json:"reconciliation_problems"`

	showPersonal bool
	unmapped     map[[3]string]*UnmappedValue
}

// New starts a report.
func New(s Settings) *Report {
	return &Report{
		Settings:        s,
		Entities:        map[string]*Counts{},
		EntitySources:   map[string]map[string]*Counts{},
		DocumentsByType: map[string]*Counts{},
		DocumentsByTask: map[string]*Counts{},
		showPersonal:    s.PersonalData,
		unmapped:        map[[3]string]*UnmappedValue{},
		WarningsByRule:  map[string]int{},
	}
}

// WarningsListedPerRule is how many warnings of one rule a report lists.
const WarningsListedPerRule = 1000

// WarningCount is the number of warnings of every rule, listed or not.
// EmptySources lists the warnings of sources that yielded no records, for
// the summary a command prints: a silent zero is how a wrong path reads.
func (r *Report) EmptySources() []string {
	var out []string
	for _, f := range r.Warnings {
		if f.Rule == kanta.RuleEmptySource {
			out = append(out, f.Reason)
		}
	}
	return out
}

func (r *Report) WarningCount() int {
	n := 0
	for _, c := range r.WarningsByRule {
		n += c
	}
	return n
}

// Count records one staged record's outcome for its entity and source.
func (r *Report) Count(e kanta.Entity, source, outcome string) {
	r.counts(string(e), source, func(c *Counts) { c.outcome(outcome) })
}

// CountGenerated counts a record kantamig made (source names what made it).
func (r *Report) CountGenerated(e kanta.Entity, source, outcome string) {
	r.counts(string(e), source, func(c *Counts) { c.Generated++; c.outcome(outcome) })
}

// Read records how many records the extraction read of an entity from a
// source (the ledger's count), with the source's own count when it gave
// one; countedBy says how the source counted (or why it could not).
func (r *Report) Read(entity, source string, read int, sourceCount *int, countedBy string) {
	r.counts(entity, source, func(c *Counts) { c.Extracted += read })
	c := r.EntitySources[entity][source]
	c.CountedBy = countedBy
	if sourceCount != nil {
		n := *sourceCount
		if c.SourceCount != nil {
			n += *c.SourceCount
		}
		c.SourceCount = &n
	}
}

// counts applies fn to the counts of an entity, of its source and to the
// total.
func (r *Report) counts(entity, source string, fn func(*Counts)) {
	c := r.Entities[entity]
	if c == nil {
		c = &Counts{}
		r.Entities[entity] = c
	}
	fn(c)
	fn(&r.Total)
	bySource := r.EntitySources[entity]
	if bySource == nil {
		bySource = map[string]*Counts{}
		r.EntitySources[entity] = bySource
	}
	sc := bySource[source]
	if sc == nil {
		sc = &Counts{}
		bySource[source] = sc
	}
	fn(sc)
}

// CountDocument records a document's outcome by general type and service task.
func (r *Report) CountDocument(typeLabel, taskLabel, outcome string) {
	for _, m := range []struct {
		byKey map[string]*Counts
		key   string
	}{{r.DocumentsByType, typeLabel}, {r.DocumentsByTask, taskLabel}} {
		c := m.byKey[m.key]
		if c == nil {
			c = &Counts{}
			m.byKey[m.key] = c
		}
		c.Add(outcome)
	}
}

// mask hides identity codes in a finding: in its reason, and in its key and
// locator too, since legacy systems often key clients by identity code and
// a database locator names the key.
func (r *Report) mask(f Finding) Finding {
	if r.showPersonal {
		return f
	}
	f.Key = kanta.MaskIdentityCodesIn(f.Key)
	f.Locator = kanta.MaskIdentityCodesIn(f.Locator)
	f.Reason = kanta.MaskIdentityCodesIn(f.Reason)
	return f
}

// Reject adds a rejected record.
func (r *Report) Reject(f Finding) { r.Rejects = append(r.Rejects, r.mask(f)) }

// Skip adds a skipped record.
func (r *Report) Skip(f Finding) { r.Skips = append(r.Skips, r.mask(f)) }

// Refuse adds a document the archive refused, or one held back by such.
func (r *Report) Refuse(f Finding) { r.Refused = append(r.Refused, r.mask(f)) }

// Warn adds a warning about a record that was not rejected.
func (r *Report) Warn(f Finding) {
	if f.Rule == kanta.RuleXMLChar {
		r.RemovedCharacters += f.Count
	}
	r.WarningsByRule[f.Rule]++
	if r.WarningsByRule[f.Rule] <= WarningsListedPerRule {
		r.Warnings = append(r.Warnings, r.mask(f))
		return
	}
	r.over.add(r.mask(f))
}

// Unmapped counts a legacy value a value map did not cover.
func (r *Report) AddUnmapped(field, valueMap, value, locator string) {
	k := [3]string{field, valueMap, value}
	u := r.unmapped[k]
	if u == nil {
		u = &UnmappedValue{Field: field, Map: valueMap, Value: value, ExampleLocator: locator}
		r.unmapped[k] = u
		r.Unmapped = append(r.Unmapped, u)
	}
	u.Count++
}

// Reconciles reports whether every entity, every source of each and the
// total reconcile, and nothing else was found wrong with the account.
func (r *Report) Reconciles() bool { return len(r.ReconciliationProblems()) == 0 }

// ReconciliationProblems says, in words naming the entity and the source,
// every way the account does not reconcile: records read that have no
// outcome in the state store (or outcomes of records never read), a source
// whose own count differs from the records read, and what Account found
// (Unaccounted).
func (r *Report) ReconciliationProblems() []string {
	var out []string
	for _, e := range r.entityNames() {
		bySource := r.EntitySources[e]
		names := make([]string, 0, len(bySource))
		for n := range bySource {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := bySource[n]
			if c.Extracted+c.Generated != c.Outcomes() {
				out = append(out, fmt.Sprintf("%s from source %q: %d record(s) read%s, but the state store accounts for %d (would load %d + rejected %d + skipped %d)",
					e, n, c.Extracted, generatedText(c.Generated), c.Outcomes(), c.WouldLoad, c.Rejected, c.Skipped))
			}
			if c.SourceCount != nil && *c.SourceCount != c.Extracted {
				out = append(out, fmt.Sprintf("%s from source %q: the source counts %d record(s) (%s), the extraction read %d",
					e, n, *c.SourceCount, c.CountedBy, c.Extracted))
			}
		}
	}
	return append(out, r.Unaccounted...)
}

func generatedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (+ %d generated)", n)
}

// entityNames lists the entities counted, in the report's order, then any
// other.
func (r *Report) entityNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range Entities {
		if r.EntitySources[e] != nil || r.Entities[e] != nil {
			out, seen[e] = append(out, e), true
		}
	}
	var rest []string
	for e := range r.EntitySources {
		if !seen[e] {
			rest = append(rest, e)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Finish sorts the lists for output.
func (r *Report) Finish() {
	sort.SliceStable(r.Unmapped, func(i, j int) bool {
		if r.Unmapped[i].Count != r.Unmapped[j].Count {
			return r.Unmapped[i].Count > r.Unmapped[j].Count
		}
		return r.Unmapped[i].Value < r.Unmapped[j].Value
	})
	r.Settings.Finished = time.Now()
	r.Reconciliation = r.ReconciliationProblems()
	if r.Reconciliation == nil {
		r.Reconciliation = []string{}
	}
}

// BudgetState is the error budget and what staging used of it.
type BudgetState struct {
	Set   bool         `json:"set"`
	Lines []BudgetLine `json:"lines"`
}

// BudgetLine is one part of the error budget: an entity's limit, or a rule
// any reject of which stops a run.
type BudgetLine struct {
	Entity   string   `json:"entity,omitempty"`
	Rule     string   `json:"rule,omitempty"`
	Limit    string   `json:"limit"`
	Records  int      `json:"records"`
	Rejected int      `json:"rejected"`
	Exceeded bool     `json:"exceeded"`
	Rules    []string `json:"rules,omitempty"` // the rules that used it, most first: "rule (count)"
}

// BudgetExceeded says staging used up the error budget.
func (r *Report) BudgetExceeded() bool {
	if r.Budget == nil {
		return false
	}
	for _, l := range r.Budget.Lines {
		if l.Exceeded {
			return true
		}
	}
	return false
}
