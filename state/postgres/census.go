package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kantamig/kantamig/state"
)

// The census of a sharded run (state.Sharded): one row per document record,
// written with COPY, the driver's bulk path, and settled by a few
// statements that each read the whole table once, so that its cost is the
// server's scan and not a round trip per record. Keys go through enc as
// the records' do, so that a census key joins a record's.
const censusSchema = `
CREATE TABLE IF NOT EXISTS census (
	pos           BIGINT PRIMARY KEY,
	key           TEXT NOT NULL COLLATE "C",
	client        TEXT NOT NULL COLLATE "C",
	document      TEXT NOT NULL COLLATE "C",
	locator       TEXT NOT NULL,
	first_locator TEXT NOT NULL DEFAULT '',
	shard         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS census_by_key ON census(key) WHERE key <> '';
CREATE INDEX IF NOT EXISTS census_by_shard ON census(shard, pos);
`

// CensusBegin empties the census for a new staging pass.
func (s *Store) CensusBegin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.exec(`TRUNCATE census`); err != nil {
			return err
		}
		return s.commit()
	})
}

// CensusAdd writes rows with COPY, in the store's open transaction.
func (s *Store) CensusAdd(rows []state.CensusRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		if err := s.begin(); err != nil {
			return err
		}
		_, err := s.tx.CopyFrom(context.Background(), pgx.Identifier{"census"}, []string{"pos", "key", "client", "document", "locator"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{r.Pos, enc(r.Key), enc(r.Client), enc(r.Document), r.Locator}, nil
			}))
		if err != nil {
			return wrap(err)
		}
		s.stats.statements.Add(1)
		return s.commit() // a COPY is not replayed from the journal: it is committed at once
	})
}

// CensusSettle gives rows without a client their document's client (a
// chain of attachments and versions a step per statement, to its end), then
// marks every row but the first of each key with the first's locator.
func (s *Store) CensusSettle() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.commit(); err != nil {
			return err
		}
		for {
			tag, err := s.work.Exec(context.Background(), `
UPDATE census c SET client = f.client
FROM (SELECT DISTINCT ON (key) key, client FROM census WHERE key <> '' ORDER BY key, pos) f
WHERE c.client = '' AND c.document <> '' AND f.key = c.document AND f.client <> ''`)
			s.stats.statements.Add(1)
			if err != nil {
				return wrap(err)
			}
			if tag.RowsAffected() == 0 {
				break
			}
		}
		_, err := s.work.Exec(context.Background(), `
UPDATE census c SET first_locator = f.locator
FROM (SELECT DISTINCT ON (key) key, pos, locator FROM census WHERE key <> '' ORDER BY key, pos) f
WHERE c.key = f.key AND c.pos <> f.pos`)
		s.stats.statements.Add(1)
		return wrap(err)
	})
}

// CensusLinks calls fn with each pair of different clients that a row and
// the first row of the document it names belong to.
func (s *Store) CensusLinks(fn func(a, b string) error) error {
	var pairs [][2]string
	s.mu.Lock()
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `
SELECT DISTINCT c.client, f.client
FROM census c JOIN (SELECT DISTINCT ON (key) key, client FROM census WHERE key <> '' ORDER BY key, pos) f ON f.key = c.document
WHERE c.document <> '' AND c.client <> '' AND f.client <> '' AND c.client <> f.client`)
		if err != nil {
			return wrap(err)
		}
		pairs = pairs[:0]
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return wrap(err)
			}
			pairs = append(pairs, [2]string{dec(a), dec(b)})
		}
		return wrap(rows.Err())
	})
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, p := range pairs {
		if err := fn(p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// CensusPlace gives every row its client's shard, as the records hold it.
func (s *Store) CensusPlace() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.commit(); err != nil {
			return err
		}
		_, err := s.work.Exec(context.Background(), `
UPDATE census c SET shard = COALESCE((SELECT r.shard FROM records r WHERE r.entity = 'client' AND r.key = c.client), 0)`)
		s.stats.statements.Add(1)
		return wrap(err)
	})
}

// CensusShard pages through one shard's rows in their order.
func (s *Store) CensusShard(shard int, after int64, limit int) ([]state.CensusRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []state.CensusRow
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `SELECT pos, key, client, document, locator, first_locator FROM census WHERE shard = $1 AND pos > $2 ORDER BY pos LIMIT $3`, shard, after, limit)
		if err != nil {
			return wrap(err)
		}
		out = out[:0]
		for rows.Next() {
			var r state.CensusRow
			if err := rows.Scan(&r.Pos, &r.Key, &r.Client, &r.Document, &r.Locator, &r.FirstLocator); err != nil {
				rows.Close()
				return wrap(err)
			}
			r.Key, r.Client, r.Document = dec(r.Key), dec(r.Client), dec(r.Document)
			out = append(out, r)
		}
		return wrap(rows.Err())
	})
	return out, err
}

// GetMany returns the records of an entity with the given keys, in one
// statement.
func (s *Store) GetMany(entity string, keys []string) ([]*state.Record, error) {
	encoded := make([]string, len(keys))
	for i, k := range keys {
		encoded[i] = enc(k)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*state.Record
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `SELECT `+readColumns+` FROM records WHERE entity = $1 AND key = ANY($2)`, entity, encoded)
		if err != nil {
			return wrap(err)
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				return wrap(err)
			}
			out = append(out, r)
		}
		return wrap(rows.Err())
	})
	return out, err
}
