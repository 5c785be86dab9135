package pipeline

// Staging divided among the workers of a sharded run.
//
// The first worker to take the staging lock takes a census: it reads every
// source record once, in the order staging reads them, maps it without
// building anything (for a document, mapping.EntityMapping.Refs: nothing
// decoded), and writes each one's place into the store: its position in
// the reading, its entity and key, its client, the records it names (a
// case's clients, a member's case, a document's case and the document it
// is attached to or replaces) and, for a client, its person. The store
// settles the census with a few whole-table statements: every record but
// the first with an entity's key is a duplicate of the first; each
// person's first client that maps is that person's client, and a client
// read after it is the same person; a record without a client takes one
// from a record it names or that names it. The clients of shared cases, of
// members, of documents that name another client's document are kept in
// one shard (shard.Groups), and each census row takes its client's shard.
//
// Then every worker reads every source itself, in the same order, and
// stages only the records the census placed in its shard, beside the other
// workers. What one worker decides is what one process would: a record is
// resolved against records of its own shard (what it names is its client's,
// or its client was grouped with that one), staged before it in the same
// order; a duplicate, and one person's second client, are known from the
// census, not from what happens to be staged. A worker stopped while
// staging is started again and stages its shard again: the rows it staged
// keep their identifiers, and a duplicate's row is named by its locator, so
// nothing is doubled. Every worker waits for every shard to be staged
// before it delivers: the error budget and the reconciliation are the
// run's, not a shard's.

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/resolve"
	"github.com/kantamig/kantamig/state"
)

// censusBatch is how many census rows go to the store in one COPY.
const censusBatch = 5000

// census reads every source record once and writes where it belongs.
func (r *Runner) census(ctx context.Context, st state.Sharded, pass, n int) error {
	if err := st.CensusBegin(); err != nil {
		return err
	}
	c := &counter{st: st, pass: pass, n: n, persons: map[string]string{}, batch: make([]state.CensusRow, 0, censusBatch)}
	personsSettled := false
	for _, em := range r.m.Blocks() {
		if em.Entity != kanta.EntityClient && !personsSettled {
			// Every client is read: the persons' clients are known to
			// the records that name a client by identity code.
			if err := c.flush(); err != nil {
				return err
			}
			if err := st.CensusPersons(); err != nil {
				return err
			}
			personsSettled = true
		}
		if err := r.countBlock(ctx, em, c); err != nil {
			return err
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	if !personsSettled {
		if err := st.CensusPersons(); err != nil {
			return err
		}
	}
	return st.CensusSettle()
}

// countBlock adds a source block's records to the census.
func (r *Runner) countBlock(ctx context.Context, em *mapping.EntityMapping, c *counter) error {
	src, err := r.open(em)
	if err != nil {
		return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
	}
	defer src.Close()
	for {
		rec, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &SourceError{Entity: em.Entity, Source: em.SourceName, Err: err}
		}
		row, err := c.row(em, rec)
		if err != nil {
			return err
		}
		if err := c.add(row); err != nil {
			return err
		}
		r.progress.Add(1)
	}
}

// counter builds census rows and sends them in batches.
type counter struct {
	st      state.Sharded
	pass, n int
	pos     int64
	persons map[string]string // person → its client, a bounded number at a time
	batch   []state.CensusRow
}

func (c *counter) add(row state.CensusRow) error {
	c.batch = append(c.batch, row)
	if len(c.batch) == censusBatch {
		return c.flush()
	}
	return nil
}

func (c *counter) flush() error {
	if len(c.batch) == 0 {
		return nil
	}
	err := c.st.CensusAdd(c.batch)
	c.batch = c.batch[:0]
	return err
}

// row maps a record as staging will and keeps what the census needs.
func (c *counter) row(em *mapping.EntityMapping, rec extract.Record) (state.CensusRow, error) {
	c.pos++
	row := state.CensusRow{Pos: c.pos, Entity: string(em.Entity), Locator: rec.Locator}
	var o *mapping.Outcome
	var who []kanta.CaseClient // the clients it names, its own first
	ref := func(e kanta.Entity, key string) {
		if key != "" {
			row.Refs = append(row.Refs, state.CensusRef{Entity: string(e), Key: key})
		}
	}
	switch em.Entity {
	case kanta.EntityClient:
		var rel kanta.Relationship
		rel, o = em.Client(rec)
		if rel.Client.IdentityCode+rel.Client.TemporaryID != "" {
			row.Person = resolve.PersonHash(rel.Client)
			row.Asked = o.Reject == nil || kanta.RuleClass(o.Reject.Rule) > kanta.ClassIdentity
			row.Eligible = row.Asked && o.OK()
		}
	case kanta.EntityServiceTask:
		var cc kanta.CaseClient
		cc, _, o = em.ServiceTask(rec)
		who = append(who, cc)
	case kanta.EntityRelatedPerson:
		var cc kanta.CaseClient
		cc, _, o = em.RelatedPerson(rec)
		who = append(who, cc)
	case kanta.EntityAddress:
		var cc kanta.CaseClient
		cc, _, o = em.Address(rec)
		who = append(who, cc)
	case kanta.EntityCase:
		var k kanta.Case
		k, o = em.Case(rec)
		who = append(who, k.Clients...)
	case kanta.EntityMember:
		var caseKey string
		var cc kanta.CaseClient
		caseKey, cc, o = em.Member(rec)
		who = append(who, cc)
		ref(kanta.EntityCase, caseKey)
	case kanta.EntityDocument:
		refs := em.Refs(rec)
		row.Key = refs.Key
		who = append(who, kanta.CaseClient{ClientKey: refs.ClientKey, Identity: refs.Identity})
		ref(kanta.EntityCase, refs.CaseKey)
		ref(kanta.EntityDocument, refs.DocumentKey)
	default:
		if entity.Of(em.Entity).Item == "" {
			return row, fmt.Errorf("a sharded run does not know how %s records name their client", em.Entity)
		}
		var carrier mapping.ItemCarrier
		carrier, _, o = em.Item(rec)
		if entity.Of(em.Entity).Carrier == kanta.EntityClient {
			who = append(who, carrier.Client)
		} else {
			ref(kanta.EntityCase, carrier.Case)
		}
	}
	if o != nil && o.SourceKey != "" {
		row.Key = o.Key
	}
	if em.Entity == kanta.EntityClient {
		row.Client = row.Key
		row.Shard = shard.Of(row.Key, c.n)
		return row, nil
	}
	for i, cc := range who {
		key := cc.ClientKey
		if key == "" && cc.Identity != "" {
			var err error
			if key, err = c.personsClient(cc.Identity); err != nil {
				return row, err
			}
		}
		if key == "" {
			continue
		}
		if row.Client == "" && i == 0 {
			row.Client = key
		} else if key != row.Client {
			ref(kanta.EntityClient, key)
		}
	}
	return row, nil
}

// personsClient names the client of the person an identity code names, as
// resolving it at staging will.
func (c *counter) personsClient(identity string) (string, error) {
	person := resolve.PersonHash(kanta.Client{IdentityCode: identity})
	if key, ok := c.persons[person]; ok {
		return key, nil
	}
	key, err := c.st.CensusPerson(person)
	if err != nil {
		return "", err
	}
	if len(c.persons) >= rowCacheSize {
		clear(c.persons)
	}
	c.persons[person] = key
	return key, nil
}

// ErrCensusOrder stops a worker whose source gave its records in another
// order, or another number, than when the census read it.
type ErrCensusOrder struct {
	Pos       int64
	Want, Got string
}

func (e *ErrCensusOrder) Error() string {
	if e.Got == "" {
		return fmt.Sprintf("the sources gave fewer records than when the run's census read them (record %d, %s, is missing): a source changed during the run, or gives its records in no fixed order; give its query an ORDER BY and stage again", e.Pos, e.Want)
	}
	return fmt.Sprintf("record %d is %s, but the run's census read %s there: a source changed during the run, or gives its records in no fixed order; give its query an ORDER BY and stage again", e.Pos, e.Got, e.Want)
}

// censusCursor walks one shard's census rows beside the reading of the
// sources, a page at a time.
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
	stored map[[2]string]*state.Record
}

// earlier returns the row the store held for a record of the page (nil for
// none), and whether the page read it ahead.
func (c *censusCursor) earlier(e kanta.Entity, key string) (*state.Record, bool) {
	r, ok := c.stored[[2]string{string(e), key}]
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
	keys := map[string][]string{}
	c.stored = make(map[[2]string]*state.Record, len(page))
	for _, r := range page {
		if r.Key != "" && r.FirstLocator == "" {
			keys[r.Entity] = append(keys[r.Entity], r.Key)
			c.stored[[2]string{r.Entity, r.Key}] = nil
		}
	}
	for e, ks := range keys {
		rows, err := c.st.GetMany(e, ks)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c.stored[[2]string{r.Entity, r.Key}] = r
		}
	}
	return nil
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

// stageFirstPhase takes the census and places every client, and every
// census row, in a shard.
func (r *Runner) stageFirstPhase(ctx context.Context, st state.Sharded, pass, n int) error {
	if err := r.census(ctx, st, pass, n); err != nil {
		return err
	}
	if _, err := shard.Groups(ctx, n, st.CensusLinks, st.CensusMove); err != nil {
		return err
	}
	return st.CensusPlace()
}

// stageShard stages the records the census placed in a shard.
func (r *Runner) stageShard(ctx context.Context, st state.Sharded, pass int, spec shard.Spec) error {
	plain := r.st
	r.st = shard.Fixed(st, spec.I)
	defer func() { r.st = plain }()
	stg := r.newStager(ctx, pass)
	stg.mine = func(row *state.Record) bool { return row.Shard == spec.I }
	stg.shardKeys = func(entity, after string, limit int) ([]string, error) {
		return st.ShardKeys(entity, spec.I, after, limit)
	}
	cursor := &censusCursor{st: st, shard: spec.I}
	stg.earlier = cursor.earlier
	steps := stg.steps()
	for i, s := range steps {
		if s.em == nil {
			continue
		}
		fn := s.fn
		steps[i].fn = func(rec extract.Record) error {
			row, err := cursor.take(rec)
			if err != nil || row == nil {
				return err
			}
			stg.counted = row
			defer func() { stg.counted = nil }()
			return fn(rec)
		}
	}
	err := r.stageSteps(ctx, stg, steps, ledger.NewTally(st, pass), func(row *state.Record) (bool, error) {
		return row.Shard == spec.I, nil
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
