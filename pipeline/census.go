package pipeline

// Staging divided among the workers of a sharded run.
//
// The first worker to take the staging lock stages every record but the
// documents (clients and what they carry, cases and their members: few
// beside the documents, and what every document is resolved against), then
// reads every document record once, cheaply (mapping.EntityMapping.Refs:
// its key, its client, its case, the document it names, nothing built), and
// writes each one's place into the store's census: its position in the
// reading, its key, its client. The store then settles the census with a
// few whole-table statements: an attachment or version without a client of
// its own takes its document's; every record but the first with a key is
// marked a duplicate, with the first's locator. The clients of shared cases
// and of documents that name another client's document are kept in one
// shard (shard.Groups), and each census row takes its client's shard.
//
// Then every worker reads the document sources itself, in the same order,
// and stages only the records the census placed in its shard, beside the
// other workers. What one worker decides is what one process would: a
// document is resolved against clients and cases, final since the first
// phase, and against documents of its own shard (a document it names is
// its client's, or its client was grouped with that one), staged before it
// in the same order; a duplicate is known from the census, not from what
// happens to be staged. A worker stopped while staging is started again and
// stages its shard again: the rows it staged keep their identifiers, and a
// duplicate's row is named by its locator, so nothing is doubled. Every
// worker waits for every shard to be staged before it delivers: the error
// budget and the reconciliation are the run's, not a shard's.

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/resolve"
	"github.com/kantamig/kantamig/state"
)

// censusBatch is how many census rows go to the store in one COPY.
const censusBatch = 5000

// splitSteps divides a stager's steps into those before the first document
// source (the first phase's) and the rest (each worker's).
func splitSteps(steps []step) (first, documents []step, err error) {
	for i, s := range steps {
		if s.em != nil && s.em.Entity == kanta.EntityDocument {
			for _, later := range steps[i:] {
				if later.em != nil && later.em.Entity != kanta.EntityDocument {
					return nil, nil, fmt.Errorf("a sharded run stages documents last, but %s is read after them", later.em.Entity)
				}
			}
			return steps[:i], steps[i:], nil
		}
	}
	return steps, nil, nil
}

// census reads every document record once and writes where it belongs.
func (r *Runner) census(ctx context.Context, st state.Sharded, pass int) error {
	if err := st.CensusBegin(); err != nil {
		return err
	}
	homes := &homeFinder{st: st, pass: pass, cases: map[string]string{}}
	batch := make([]state.CensusRow, 0, censusBatch)
	var pos int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := st.CensusAdd(batch)
		batch = batch[:0]
		return err
	}
	for _, em := range r.m.Of(kanta.EntityDocument) {
		src, err := r.open(em)
		if err != nil {
			return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
		}
		for {
			rec, err := src.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				src.Close()
				return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
			}
			pos++
			refs := em.Refs(rec)
			client, err := homes.of(refs)
			if err != nil {
				src.Close()
				return err
			}
			batch = append(batch, state.CensusRow{Pos: pos, Key: refs.Key, Client: client, Document: refs.DocumentKey, Locator: rec.Locator})
			if len(batch) == censusBatch {
				if err := flush(); err != nil {
					src.Close()
					return err
				}
			}
		}
		src.Close()
	}
	if err := flush(); err != nil {
		return err
	}
	return st.CensusSettle()
}

// homeFinder finds the client a document record belongs to: the one it
// names by key, or by identity code, or its case's first. Cases' clients
// are kept, a bounded number at a time.
type homeFinder struct {
	st    state.Store
	pass  int
	cases map[string]string
}

func (h *homeFinder) of(refs mapping.DocumentRefs) (string, error) {
	switch {
	case refs.ClientKey != "":
		return refs.ClientKey, nil
	case refs.Identity != "":
		row, err := h.st.SamePerson(string(kanta.EntityClient), resolve.PersonHash(kanta.Client{IdentityCode: refs.Identity}), "", h.pass)
		if err != nil || row == nil {
			return "", err
		}
		return row.Key, nil
	case refs.CaseKey != "":
		if c, ok := h.cases[refs.CaseKey]; ok {
			return c, nil
		}
		client := ""
		row, err := h.st.Get(string(kanta.EntityCase), refs.CaseKey)
		if err != nil {
			return "", err
		}
		if row != nil {
			client = row.ClientKey
			if client == "" && row.Model != nil {
				var c kanta.Case
				if err := state.Decode(row.Model, &c); err != nil {
					return "", fmt.Errorf("reading case %s: %w", refs.CaseKey, err)
				}
				if len(c.Clients) > 0 {
					client = c.Clients[0].ClientKey
				}
			}
		}
		if len(h.cases) >= rowCacheSize {
			clear(h.cases)
		}
		h.cases[refs.CaseKey] = client
		return client, nil
	}
	return "", nil
}

// ErrCensusOrder stops a worker whose source gave its records in another
// order, or another number, than when the census read it.
type ErrCensusOrder struct {
	Pos       int64
	Want, Got string
}

func (e *ErrCensusOrder) Error() string {
	if e.Got == "" {
		return fmt.Sprintf("the document sources gave fewer records than when the run's census read them (record %d, %s, is missing): a source changed during the run, or gives its records in no fixed order; give its query an ORDER BY and stage again", e.Pos, e.Want)
	}
	return fmt.Sprintf("document record %d is %s, but the run's census read %s there: a source changed during the run, or gives its records in no fixed order; give its query an ORDER BY and stage again", e.Pos, e.Got, e.Want)
}

// censusCursor walks one shard's census rows beside the reading of the
// document sources, a page at a time.
type censusCursor struct {
	st    state.Sharded
	shard int
	pos   int64 // the position of the record read last
	page  []state.CensusRow
	next  int
	done  bool
	// stored holds the rows the store had, when the page was read, for
	// the page's keys: each key's only record in the shard (a duplicate's
	// row is named by its locator), staged in an earlier pass or before
	// the worker was stopped.
	stored map[string]*state.Record
}

// earlier returns the row the store held for a key of the page (nil for
// none), and whether the page read it ahead.
func (c *censusCursor) earlier(key string) (*state.Record, bool) {
	if c.stored == nil {
		return nil, false
	}
	r, ok := c.stored[key]
	if !ok {
		return nil, false
	}
	if r == nil {
		return nil, true
	}
	cp := *r
	return &cp, true
}

// take moves to the next record read and returns its census row when it is
// this shard's (nil otherwise).
func (c *censusCursor) take(rec extract.Record) (*state.CensusRow, error) {
	c.pos++
	if err := c.fill(); err != nil {
		return nil, err
	}
	if c.next >= len(c.page) || c.page[c.next].Pos != c.pos {
		return nil, nil
	}
	row := &c.page[c.next]
	c.next++
	if row.Locator != rec.Locator {
		return nil, &ErrCensusOrder{Pos: c.pos, Want: row.Locator, Got: rec.Locator}
	}
	return row, nil
}

func (c *censusCursor) fill() error {
	if c.next < len(c.page) || c.done {
		return nil
	}
	after := c.pos - 1
	if n := len(c.page); n > 0 {
		after = c.page[n-1].Pos
	}
	page, err := c.st.CensusShard(c.shard, after, censusBatch)
	if err != nil {
		return err
	}
	c.page, c.next, c.done = page, 0, len(page) < censusBatch
	keys := make([]string, 0, len(page))
	c.stored = make(map[string]*state.Record, len(page))
	for _, r := range page {
		if r.Key != "" && r.FirstLocator == "" {
			keys = append(keys, r.Key)
			c.stored[r.Key] = nil
		}
	}
	rows, err := c.st.GetMany(string(kanta.EntityDocument), keys)
	for _, r := range rows {
		c.stored[r.Key] = r
	}
	return err
}

// finish checks that no census row of the shard was left unread.
func (c *censusCursor) finish() error {
	if err := c.fill(); err != nil {
		return err
	}
	if c.next < len(c.page) {
		return &ErrCensusOrder{Pos: c.page[c.next].Pos, Want: c.page[c.next].Locator}
	}
	return nil
}

// stageFirstPhase stages what is not a document, takes the census of the
// documents and places every client, and every census row, in a shard.
func (r *Runner) stageFirstPhase(ctx context.Context, st state.Sharded, pass, n int) error {
	plain := r.st
	r.st = shard.Assigning(st, n)
	stg := r.newStager(ctx, pass)
	first, _, err := splitSteps(stg.steps())
	if err == nil {
		err = r.stageSteps(ctx, stg, first, ledger.NewTally(st, pass), func(row *state.Record) (bool, error) {
			return !documentPhase(row), nil
		})
	}
	r.st = plain
	if err != nil {
		return err
	}
	if err := r.census(ctx, st, pass); err != nil {
		return err
	}
	if _, err := shard.Groups(ctx, st, n, func(fn func(string) error) error {
		return plan.EachKey(ctx, st, kanta.EntityCase, fn)
	}, st.CensusLinks); err != nil {
		return err
	}
	return st.CensusPlace()
}

// documentPhase says whether a record is staged by the workers: a document,
// or a case made for documents without one.
func documentPhase(row *state.Record) bool {
	return row.Entity == string(kanta.EntityDocument) ||
		(row.Entity == string(kanta.EntityCase) && strings.HasPrefix(row.Key, mapping.GeneratedSource+mapping.KeySeparator))
}

// stageShardDocuments stages the documents the census placed in a shard.
func (r *Runner) stageShardDocuments(ctx context.Context, st state.Sharded, pass int, spec shard.Spec) error {
	plain := r.st
	r.st = shard.Fixed(st, spec.I)
	defer func() { r.st = plain }()
	stg := r.newStager(ctx, pass)
	_, documents, err := splitSteps(stg.steps())
	if err != nil {
		return err
	}
	stg.mine = func(clientKey string) (bool, error) {
		row, err := stg.st.Get(string(kanta.EntityClient), clientKey)
		return err == nil && row != nil && row.Shard == spec.I, err
	}
	cursor := &censusCursor{st: st, shard: spec.I}
	stg.earlier = cursor.earlier
	for i, s := range documents {
		if s.em == nil {
			continue
		}
		fn := s.fn
		documents[i].fn = func(rec extract.Record) error {
			row, err := cursor.take(rec)
			if err != nil || row == nil {
				return err
			}
			stg.counted = row
			defer func() { stg.counted = nil }()
			return fn(rec)
		}
	}
	tally, err := ledger.ResumeTally(st, pass, func(b ledger.Block) bool { return b.Entity != string(kanta.EntityDocument) })
	if err != nil {
		return err
	}
	err = r.stageSteps(ctx, stg, documents, tally, func(row *state.Record) (bool, error) {
		return documentPhase(row) && row.Shard == spec.I, nil
	})
	if err != nil {
		return err
	}
	if err := cursor.finish(); err != nil {
		return err
	}
	if err := st.SetSetting(shardSetting("staged", spec.I), r.m.SHA256); err != nil {
		return err
	}
	return st.Commit()
}

// shardsPoll is how often a worker looks whether every shard is staged.
var shardsPoll = 2 * time.Second

// waitForShards waits until every shard is staged for this mapping, saying
// which it waits for.
func (r *Runner) waitForShards(ctx context.Context, st state.Sharded, n int) error {
	said := ""
	for {
		var waiting []string
		for i := 0; i < n; i++ {
			v, err := st.Setting(shardSetting("staged", i))
			if err != nil {
				return err
			}
			if v != r.m.SHA256 {
				waiting = append(waiting, fmt.Sprint(i))
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		sort.Strings(waiting)
		if now := strings.Join(waiting, ", "); now != said {
			r.progress.Start(fmt.Sprintf("waiting for shard(s) %s/%d to be staged", now, n), 0)
			r.progress.Finish()
			said = now
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(shardsPoll):
		}
	}
}
