package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/kantamig/kantamig/state"
)

// The census of a sharded run (state.Sharded): one row per source record,
// and one per record a row names, written with COPY, the driver's bulk
// path, and settled by a few statements that each read the whole table
// once, so that its cost is the server's scans and not a round trip per
// record. Keys go through enc as the records' do.
const censusSchema = `
CREATE TABLE IF NOT EXISTS census (
	pos            BIGINT PRIMARY KEY,
	entity         TEXT NOT NULL COLLATE "C",
	key            TEXT NOT NULL COLLATE "C",
	client         TEXT NOT NULL COLLATE "C",
	locator        TEXT NOT NULL,
	person         TEXT NOT NULL DEFAULT '',
	asked          BOOLEAN NOT NULL DEFAULT false,
	eligible       BOOLEAN NOT NULL DEFAULT false,
	winner         BOOLEAN NOT NULL DEFAULT false,
	first_locator  TEXT NOT NULL DEFAULT '',
	person_key     TEXT NOT NULL DEFAULT '' COLLATE "C",
	person_locator TEXT NOT NULL DEFAULT '',
	shard          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS census_by_key ON census(entity, key) WHERE key <> '';
CREATE INDEX IF NOT EXISTS census_by_client ON census(client) WHERE entity = 'client';
CREATE INDEX IF NOT EXISTS census_by_person ON census(person) WHERE winner;
CREATE INDEX IF NOT EXISTS census_by_shard ON census(shard, pos);
CREATE TABLE IF NOT EXISTS census_refs (
	pos        BIGINT NOT NULL,
	ref_entity TEXT NOT NULL COLLATE "C",
	ref_key    TEXT NOT NULL COLLATE "C"
);
CREATE INDEX IF NOT EXISTS census_refs_by_pos ON census_refs(pos);
CREATE INDEX IF NOT EXISTS census_refs_by_ref ON census_refs(ref_entity, ref_key);
`

// firstRows is the first row of each entity's key.
const firstRows = `(SELECT DISTINCT ON (entity, key) entity, key, pos, client, locator FROM census WHERE key <> '' ORDER BY entity, key, pos)`

// CensusBegin empties the census for a new staging pass, or once a run is
// complete.
func (s *Store) CensusBegin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.exec(`TRUNCATE census, census_refs`); err != nil {
			return err
		}
		return s.commit()
	})
}

// CensusAdd writes rows, and the records they name, with two COPYs, and
// commits them.
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
		ctx := context.Background()
		_, err := s.tx.CopyFrom(ctx, pgx.Identifier{"census"}, []string{"pos", "entity", "key", "client", "locator", "person", "asked", "eligible", "shard"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{r.Pos, r.Entity, enc(r.Key), enc(r.Client), r.Locator, r.Person, r.Asked, r.Eligible, r.Shard}, nil
			}))
		if err != nil {
			return wrap(err)
		}
		var refs [][]any
		for _, r := range rows {
			for _, ref := range r.Refs {
				refs = append(refs, []any{r.Pos, ref.Entity, enc(ref.Key)})
			}
		}
		if len(refs) > 0 {
			if _, err := s.tx.CopyFrom(ctx, pgx.Identifier{"census_refs"}, []string{"pos", "ref_entity", "ref_key"}, pgx.CopyFromRows(refs)); err != nil {
				return wrap(err)
			}
		}
		s.stats.statements.Add(2)
		return s.commit() // a COPY is not replayed from the journal: it is committed at once
	})
}

// settle runs statements in order, each on its own, after committing what
// is open.
func (s *Store) settle(statements ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.commit(); err != nil {
			return err
		}
		for _, q := range statements {
			_, err := s.work.Exec(context.Background(), q)
			s.stats.statements.Add(1)
			if err != nil {
				return wrap(err)
			}
		}
		return nil
	})
}

// duplicates marks every row but the first of an entity's key.
const duplicates = `
UPDATE census c SET first_locator = f.locator
FROM ` + firstRows + ` f
WHERE c.entity = f.entity AND c.key = f.key AND c.pos <> f.pos AND c.first_locator = ''`

// CensusPersons settles the clients: duplicate keys; each person's first
// client among those that would become its client; and every client asked
// after it, which is the same person as it.
func (s *Store) CensusPersons() error {
	return s.settle(duplicates, `
UPDATE census SET winner = true
FROM (SELECT DISTINCT ON (person) pos FROM census
      WHERE entity = 'client' AND person <> '' AND eligible AND first_locator = '' ORDER BY person, pos) w
WHERE census.pos = w.pos AND NOT census.winner`, `
UPDATE census c SET person_key = w.key, person_locator = w.locator
FROM census w
WHERE w.winner AND w.entity = 'client' AND c.entity = 'client' AND w.person = c.person
  AND c.asked AND c.first_locator = '' AND c.pos > w.pos AND c.person_key = ''`)
}

// CensusPerson names a person's first client ("" for none).
func (s *Store) CensusPerson(person string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var key string
	err := s.do(func() error {
		err := s.db().QueryRow(context.Background(), `SELECT key FROM census WHERE winner AND person = $1 LIMIT 1`, person).Scan(&key)
		if errors.Is(err, pgx.ErrNoRows) {
			key, err = "", nil
		}
		return wrap(err)
	})
	return dec(key), err
}

// CensusSettle marks duplicate keys and gives rows without a client the
// client of a record they name or that names them, along chains, a step
// per statement, to their end.
func (s *Store) CensusSettle() error {
	if err := s.settle(duplicates); err != nil {
		return err
	}
	fills := []string{`
UPDATE census c SET client = f.client
FROM census_refs r JOIN ` + firstRows + ` f ON f.entity = r.ref_entity AND f.key = r.ref_key
WHERE r.pos = c.pos AND c.client = '' AND f.client <> ''`, `
UPDATE census c SET client = m.client
FROM census_refs r JOIN census m ON m.pos = r.pos
WHERE r.ref_entity = c.entity AND r.ref_key = c.key AND c.client = '' AND m.client <> '' AND c.first_locator = ''`}
	for {
		changed := int64(0)
		s.mu.Lock()
		err := s.do(func() error {
			changed = 0
			for _, q := range fills {
				tag, err := s.work.Exec(context.Background(), q)
				s.stats.statements.Add(1)
				if err != nil {
					return wrap(err)
				}
				changed += tag.RowsAffected()
			}
			return nil
		})
		s.mu.Unlock()
		if err != nil || changed == 0 {
			return err
		}
	}
}

// CensusLinks calls fn with each pair of different clients that a row and
// the first row of a record it names belong to.
func (s *Store) CensusLinks(fn func(a, b string) error) error {
	var pairs [][2]string
	s.mu.Lock()
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `
SELECT DISTINCT c.client, f.client
FROM census c JOIN census_refs r ON r.pos = c.pos JOIN `+firstRows+` f ON f.entity = r.ref_entity AND f.key = r.ref_key
WHERE c.client <> '' AND f.client <> '' AND c.client <> f.client`)
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

// CensusMove puts a client's own census rows in a shard.
func (s *Store) CensusMove(client string, shard int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		return s.exec(`UPDATE census SET shard = $1 WHERE entity = 'client' AND key = $2`, shard, enc(client))
	})
}

// CensusPlace gives every row but a client's own its client's shard: that
// of the client's first row (0 for a row without a client, or whose
// client is not in the census).
func (s *Store) CensusPlace() error {
	return s.settle(`
UPDATE census c SET shard = COALESCE((SELECT f.shard FROM census f WHERE f.entity = 'client' AND f.key = c.client ORDER BY f.pos LIMIT 1), 0)
WHERE c.entity <> 'client' OR c.key <> c.client`)
}

// CensusShard pages through one shard's rows in their order, with the
// records each names.
func (s *Store) CensusShard(shard int, after int64, limit int) ([]state.CensusRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []state.CensusRow
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `
SELECT pos, entity, key, client, locator, person, asked, eligible, shard, first_locator, person_key, person_locator
FROM census WHERE shard = $1 AND pos > $2 ORDER BY pos LIMIT $3`, shard, after, limit)
		if err != nil {
			return wrap(err)
		}
		out = out[:0]
		for rows.Next() {
			var r state.CensusRow
			if err := rows.Scan(&r.Pos, &r.Entity, &r.Key, &r.Client, &r.Locator, &r.Person, &r.Asked, &r.Eligible, &r.Shard, &r.FirstLocator, &r.PersonKey, &r.PersonLocator); err != nil {
				rows.Close()
				return wrap(err)
			}
			r.Key, r.Client, r.PersonKey = dec(r.Key), dec(r.Client), dec(r.PersonKey)
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
