package pipeline

import (
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
)

// rowCache keeps the client and case rows staging reads again and again:
// every document is resolved against its client's row and its case's, and
// a client's documents mostly come together in an export. Against a shared
// store each read is a round trip; with the cache, a document costs one
// for its own key. Only the stager writes records while it stages (the
// deliverer starts after it, the other workers of a sharded run wait for
// it), and every write of the stager goes through the cache, which forgets
// the row it writes; so a cached row is always what the store holds.
type rowCache struct {
	state.Store
	rows map[[2]string]*state.Record
}

// rowCacheSize bounds the cache: when full, it starts again empty.
const rowCacheSize = 4096

func newRowCache(st state.Store) *rowCache {
	return &rowCache{Store: st, rows: make(map[[2]string]*state.Record)}
}

// cached says whether rows of an entity are kept.
func cached(entity string) bool {
	return entity == string(kanta.EntityClient) || entity == string(kanta.EntityCase)
}

// Get returns a copy of the record, so that a caller changing it changes
// nothing the cache holds.
func (c *rowCache) Get(entity, key string) (*state.Record, error) {
	id := [2]string{entity, key}
	if r, ok := c.rows[id]; ok {
		if r == nil {
			return nil, nil
		}
		cp := *r
		return &cp, nil
	}
	r, err := c.Store.Get(entity, key)
	if err != nil || !cached(entity) {
		return r, err
	}
	if len(c.rows) >= rowCacheSize {
		clear(c.rows)
	}
	if r == nil {
		c.rows[id] = nil
		return nil, nil
	}
	cp := *r
	c.rows[id] = &cp
	return r, nil
}

// Put writes the record and forgets what the cache held of it.
func (c *rowCache) Put(r *state.Record) error {
	delete(c.rows, [2]string{r.Entity, r.Key})
	return c.Store.Put(r)
}
