// Package ledger keeps the account of a migration that can disagree with
// itself: for every source block (an entity read from one source) and
// staging pass, the number of records the extraction read, written by the
// side that reads them, and, where the source can say it through another
// path (a SQL COUNT(*) over the same query, a count of the sheet's rows in
// the workbook's XML, a streaming count of the record elements of an XML
// file), the source's own count. The outcomes (loaded, pending, rejected,
// skipped) are counted from the state store's rows, one per record staged;
// reconciling compares the two, so a record lost between reading and the
// store, a row removed from the store, or a reader that skips what the
// source holds, each make the reconciliation fail, naming the entity and
// the source.
//
// The counts live in the state store's settings (one value per pass), so
// every backend keeps them and a sharded run's workers share them. Account
// fills a report from the store; Status reads where a run stands.
package ledger

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kantamig/kantamig/state"
)

// Block is what the extraction read of one entity from one source in one
// pass.
type Block struct {
	Entity string `json:"entity"`
	Source string `json:"source"`
	// Read is how many records the source yielded to staging.
	Read int `json:"read"`
	// SourceCount is the source's own count of its records, through a path
	// that does not go through the reader (nil when the source offers none);
	// CountedBy says how it was counted, CountError why it could not be.
	SourceCount *int   `json:"source_count,omitempty"`
	CountedBy   string `json:"counted_by,omitempty"`
	CountError  string `json:"count_error,omitempty"`
}

// settingOf names the setting that holds a pass's blocks.
func settingOf(pass int) string { return "ledger/" + strconv.Itoa(pass) }

// Save records a pass's blocks in the store (made durable by its next
// Commit), replacing what was saved for the pass before.
func Save(st state.Store, pass int, blocks []Block) error {
	data, err := json.Marshal(blocks)
	if err != nil {
		return err
	}
	if err := st.SetSetting(settingOf(pass), string(data)); err != nil {
		return fmt.Errorf("recording the records read in pass %d: %w", pass, err)
	}
	return nil
}

// Blocks reads a pass's blocks; ok is false when the store holds none for
// it (made by a kantamig that did not count, or a pass that never finished
// reading a source).
func Blocks(st state.Store, pass int) (blocks []Block, ok bool, err error) {
	v, err := st.Setting(settingOf(pass))
	if err != nil {
		return nil, false, fmt.Errorf("reading the records read in pass %d: %w", pass, err)
	}
	if v == "" {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(v), &blocks); err != nil {
		return nil, false, fmt.Errorf("reading the records read in pass %d: %w", pass, err)
	}
	return blocks, true, nil
}

// LatestPass is the store's latest staging pass, 0 before the first.
func LatestPass(st state.Store) (int, error) {
	v, err := st.Setting("pass")
	if err != nil {
		return 0, fmt.Errorf("reading the state store's pass: %w", err)
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("the state store's pass %q is not a number", v)
	}
	return n, nil
}

// Tally collects the blocks of one pass as staging reads them.
type Tally struct {
	st     state.Store
	pass   int
	blocks []Block
}

// NewTally starts the count of a pass.
func NewTally(st state.Store, pass int) *Tally { return &Tally{st: st, pass: pass} }

// Read records that a source block yielded n records, with the source's
// own count when it gave one, and saves the pass's blocks so far. A second
// block of the same entity and source adds to the first.
func (t *Tally) Read(b Block) error {
	for i := range t.blocks {
		have := &t.blocks[i]
		if have.Entity == b.Entity && have.Source == b.Source {
			have.Read += b.Read
			if have.SourceCount != nil && b.SourceCount != nil {
				n := *have.SourceCount + *b.SourceCount
				have.SourceCount = &n
			}
			return Save(t.st, t.pass, t.blocks)
		}
	}
	t.blocks = append(t.blocks, b)
	return Save(t.st, t.pass, t.blocks)
}
