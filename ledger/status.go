package ledger

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// StatusFormat is the version of Status's JSON. 2: records are the latest
// pass's, beside the records read; sources, problems and earlier passes.
const StatusFormat = 2

// Status is where a run stands, read from its state store: what `kantamig
// status` prints, as text or as JSON.
type Status struct {
	FormatVersion int    `json:"format_version"`
	Store         string `json:"store"`
	// Pass is the latest staging pass: its records are reconciled.
	Pass     int           `json:"pass"`
	Entities []EntityCount `json:"entities"`
	Total    EntityCount   `json:"total"`
	// Sources reconciles each source block of the pass on its own.
	Sources []SourceCount `json:"sources"`
	// Earlier counts the records of earlier passes that the latest did not
	// read again (gone from the source since): they are outside the
	// reconciliation, and those loaded stay in the archive.
	Earlier    EntityCount    `json:"earlier_passes"`
	Reconciles bool           `json:"reconciles"`
	Problems   []string       `json:"reconciliation_problems"`
	Complete   bool           `json:"complete"`
	Failures   []FailedRecord `json:"failures"`
	Shards     []ShardStatus  `json:"shards,omitempty"`
}

// EntityCount is an entity's records by outcome. Read is the records the
// extraction read (the ledger's count); Records the rows that account for
// them (and for the records kantamig generated).
type EntityCount struct {
	Entity   string `json:"entity,omitempty"`
	Read     int    `json:"read"`
	Records  int    `json:"records"`
	Loaded   int    `json:"loaded"`
	Rejected int    `json:"rejected"`
	Skipped  int    `json:"skipped"`
	Pending  int    `json:"pending"`
}

func (c *EntityCount) add(outcome string) {
	c.Records++
	switch outcome {
	case state.Loaded:
		c.Loaded++
	case state.Rejected:
		c.Rejected++
	case state.Skipped:
		c.Skipped++
	case state.Pending:
		c.Pending++
	}
}

// SourceCount is one source block of the pass: the records read, the
// source's own count where it gave one, and the rows that account for
// them.
type SourceCount struct {
	EntityCount
	Source      string `json:"source"`
	SourceCount *int   `json:"source_count,omitempty"`
	CountedBy   string `json:"counted_by,omitempty"`
}

// FailedRecord is a record whose delivery failed; it stays pending.
type FailedRecord struct {
	Entity  string `json:"entity"`
	Key     string `json:"key"`
	Locator string `json:"locator"` // in the legacy source, identity codes masked
	OID     string `json:"document_oid"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
}

// ShardStatus is one shard of a sharded run.
type ShardStatus struct {
	Shard    string `json:"shard"`
	Loaded   int    `json:"loaded"`
	Pending  int    `json:"pending"`
	Complete bool   `json:"complete"`
}

// ReadStatus reads where a run stands: the latest pass's records against
// the records read, every source block on its own, failures, shards.
// location names the store for people (without its secrets).
func ReadStatus(st state.Store, location string) (*Status, error) {
	pass, err := LatestPass(st)
	if err != nil {
		return nil, err
	}
	s := &Status{FormatVersion: StatusFormat, Store: location, Pass: pass, Failures: []FailedRecord{}, Problems: []string{}}
	entities := map[string]*EntityCount{}
	sources := map[[2]string]*SourceCount{}
	err = st.Outcomes(func(r state.Record) error {
		if r.Pass != pass {
			s.Earlier.add(r.Outcome)
			return nil
		}
		e := entities[r.Entity]
		if e == nil {
			e = &EntityCount{Entity: r.Entity}
			entities[r.Entity] = e
		}
		e.add(r.Outcome)
		source, _ := mapping.SplitKey(StoredKey(r.Key))
		k := [2]string{r.Entity, source}
		sc := sources[k]
		if sc == nil {
			sc = &SourceCount{EntityCount: EntityCount{Entity: r.Entity}, Source: source}
			sources[k] = sc
		}
		sc.add(r.Outcome)
		return nil
	})
	if err != nil {
		return nil, err
	}
	blocks, ok, err := Blocks(st, pass)
	if err != nil {
		return nil, err
	}
	if !ok && pass > 0 {
		s.Problems = append(s.Problems, fmt.Sprintf("the state store holds no count of the records read in pass %d: it was staged by a kantamig that did not keep one, or staging stopped before it finished; run the same command again to stage and count them", pass))
	}
	for _, b := range blocks {
		k := [2]string{b.Entity, b.Source}
		sc := sources[k]
		if sc == nil {
			sc = &SourceCount{EntityCount: EntityCount{Entity: b.Entity}, Source: b.Source}
			sources[k] = sc
		}
		sc.Read += b.Read
		sc.SourceCount, sc.CountedBy = b.SourceCount, b.CountedBy
		if b.CountError != "" {
			sc.CountedBy = "not counted: " + b.CountError
		}
		e := entities[b.Entity]
		if e == nil {
			e = &EntityCount{Entity: b.Entity}
			entities[b.Entity] = e
		}
		e.Read += b.Read
	}
	for _, k := range sortedKeys(sources) {
		sc := sources[k]
		s.Sources = append(s.Sources, *sc)
		generated := sc.Source == mapping.GeneratedSource
		if !generated && sc.Read != sc.Records {
			s.Problems = append(s.Problems, fmt.Sprintf("%s from source %q: %d record(s) read, but the state store accounts for %d of this pass (loaded %d + pending %d + rejected %d + skipped %d)",
				sc.Entity, sc.Source, sc.Read, sc.Records, sc.Loaded, sc.Pending, sc.Rejected, sc.Skipped))
		}
		if sc.SourceCount != nil && *sc.SourceCount != sc.Read {
			s.Problems = append(s.Problems, fmt.Sprintf("%s from source %q: the source counts %d record(s) (%s), the extraction read %d",
				sc.Entity, sc.Source, *sc.SourceCount, sc.CountedBy, sc.Read))
		}
	}
	names := make([]string, 0, len(entities))
	for e := range entities {
		names = append(names, e)
	}
	sort.Slice(names, func(a, b int) bool {
		ia, ib := entityOrder(names[a]), entityOrder(names[b])
		if ia != ib {
			return ia < ib
		}
		return names[a] < names[b]
	})
	for _, n := range names {
		e := *entities[n]
		s.Entities = append(s.Entities, e)
		t := &s.Total
		t.Read, t.Records, t.Loaded, t.Rejected, t.Skipped, t.Pending = t.Read+e.Read, t.Records+e.Records, t.Loaded+e.Loaded, t.Rejected+e.Rejected, t.Skipped+e.Skipped, t.Pending+e.Pending
	}
	s.Reconciles = len(s.Problems) == 0
	complete, err := st.Setting("complete")
	if err != nil {
		return nil, fmt.Errorf("reading whether the run is complete: %w", err)
	}
	s.Complete = complete == "yes" && s.Total.Pending == 0 && s.Earlier.Pending == 0 && s.Reconciles
	failures, err := st.Failures(20)
	if err != nil {
		return nil, err
	}
	for _, f := range failures {
		s.Failures = append(s.Failures, FailedRecord{Entity: f.Entity, Key: f.Key, Locator: kanta.MaskIdentityCodesIn(f.Locator), OID: f.DocOID, Rule: f.Rule, Reason: f.Reason})
	}
	if s.Shards, err = shardsOf(st); err != nil {
		return nil, err
	}
	return s, nil
}

// entityOrder places an entity in the reports' order, unknown ones last.
func entityOrder(e string) int {
	if i := slices.Index(report.Entities, e); i >= 0 {
		return i
	}
	return len(report.Entities)
}

func sortedKeys(m map[[2]string]*SourceCount) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if oa, ob := entityOrder(keys[a][0]), entityOrder(keys[b][0]); oa != ob {
			return oa < ob
		}
		if keys[a][0] != keys[b][0] {
			return keys[a][0] < keys[b][0]
		}
		return keys[a][1] < keys[b][1]
	})
	return keys
}

// shardsOf reads, for a sharded run, each shard's loaded and pending
// records and whether its worker finished.
func shardsOf(st state.Store) ([]ShardStatus, error) {
	sh, ok := st.(state.Sharded)
	if !ok {
		return nil, nil
	}
	v, err := st.Setting("shards")
	if err != nil || v == "" {
		return nil, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, fmt.Errorf("the state store's shard count %q is not a number", v)
	}
	var out []ShardStatus
	for i := 0; i < n; i++ {
		counts, err := sh.ShardCounts(i)
		if err != nil {
			return nil, err
		}
		s := ShardStatus{Shard: fmt.Sprintf("%d/%d", i, n)}
		for _, c := range counts {
			s.Loaded, s.Pending = s.Loaded+c[state.Loaded], s.Pending+c[state.Pending]
		}
		done, err := st.Setting(fmt.Sprintf("complete/%d", i))
		if err != nil {
			return nil, err
		}
		s.Complete = done == "yes" && s.Pending == 0
		out = append(out, s)
	}
	return out, nil
}

// ErrUnreconciled says the ledger does not reconcile: records read that
// the store does not account for, or a source whose own count differs. A
// run stops before delivering anything more; a dry-run and status say so.
type ErrUnreconciled struct{ Problems []string }

func (e *ErrUnreconciled) Error() string {
	msg := "the counts do not reconcile"
	for _, p := range e.Problems {
		msg += "\n  " + p
	}
	return msg + "\nNothing more is delivered until they do. " + Advice
}

// Advice says what to do when the counts do not reconcile.
const Advice = "Where the source counts otherwise than it was read, the export is read wrong (line endings, the record path, the sheet) " +
	"or changed while it was read: fix its settings in the mapping or freeze the source, and run again. " +
	"Where records read have no outcome in the state store, report it as a bug in kantamig, with the JSON report."

// Check reconciles a pass as Status does and returns an *ErrUnreconciled
// naming every difference, nil when it reconciles.
func Check(st state.Store, pass int) error {
	s, err := ReadStatus(st, st.Location())
	if err != nil {
		return err
	}
	if s.Pass != pass {
		return fmt.Errorf("the state store's latest pass is %d, not %d", s.Pass, pass)
	}
	if !s.Reconciles {
		return &ErrUnreconciled{Problems: s.Problems}
	}
	return nil
}

// IsUnreconciled says whether err is, or wraps, an *ErrUnreconciled.
func IsUnreconciled(err error) bool {
	var u *ErrUnreconciled
	return errors.As(err, &u)
}
