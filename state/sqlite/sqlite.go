// Package sqlite is the embedded state store: one SQLite file (pure-Go
// driver, no cgo), created readable by the owner only and locked (flock on
// a file beside it) so that two runs cannot use it at once. Writes are
// batched in transactions of a few thousand; the deliverer commits outcomes
// of delivery a group at a time, and a failure at once. It registers itself as the state scheme
// "sqlite", the default for a --state value that is a plain path.
//
// OpenTemp makes the dry-run's private index: a temporary store in a work
// folder, removed on Close, and removed by the next dry-run if the process
// that made it was killed.
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kantamig/kantamig/state"
)

func init() {
	state.Register("sqlite", state.Backend{
		Open:         func(path string) (state.Store, error) { return Open(path) },
		OpenReadOnly: func(path string) (state.Store, error) { return OpenReadOnly(path) },
		OpenTemp:     func(dir string) (state.Store, error) { return OpenTemp(dir) },
	})
}

// Aliases of the state package's names, so that this package reads as the
// store it implements.
type (
	Record    = state.Record
	ErrLocked = state.ErrLocked
)

const (
	Pending  = state.Pending
	Loaded   = state.Loaded
	Rejected = state.Rejected
	Skipped  = state.Skipped
)

var _ state.Store = (*Store)(nil)

// Store is an open SQLite state store.
type Store struct {
	db   *sql.DB
	path string
	lock *os.File
	temp bool
	mu   sync.Mutex // the planner reads while the senders record outcomes
	tx   *sql.Tx
	n    int // statements in the open transaction
	// prepared holds the statements of the hot path, prepared once at open:
	// parsing SQL on every call cost a fifth of a dry-run's time.
	prepared map[string]*sql.Stmt
	// inTx are the hot statements bound to the open transaction, bound
	// once per transaction rather than at every call (each binding is an
	// object the transaction keeps until it ends).
	inTx map[string]*sql.Stmt
}

const schema = `
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
	entity       TEXT NOT NULL,
	key          TEXT NOT NULL,
	pass         INTEGER NOT NULL,
	locator      TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	rule         TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	entity_oid   TEXT NOT NULL DEFAULT '',
	doc_oid      TEXT NOT NULL DEFAULT '',
	set_oid      TEXT NOT NULL DEFAULT '',
	version      INTEGER NOT NULL DEFAULT 0,
	client_key   TEXT NOT NULL DEFAULT '',
	case_key     TEXT NOT NULL DEFAULT '',
	order_time   TEXT NOT NULL DEFAULT '',
	content_hash TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	delivery_run INTEGER NOT NULL DEFAULT 0,
	person       TEXT NOT NULL DEFAULT '',
	field        TEXT NOT NULL DEFAULT '',
	doc_type     TEXT NOT NULL DEFAULT '',
	service_task TEXT NOT NULL DEFAULT '',
	created      TEXT NOT NULL,
	updated      TEXT NOT NULL,
	model        BLOB,
	PRIMARY KEY (entity, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_outcome ON records(entity, outcome);
CREATE INDEX IF NOT EXISTS records_by_client ON records(entity, client_key, order_time);
CREATE INDEX IF NOT EXISTS records_by_person ON records(person);
-- The failures status lists: without it, status read the whole table (61 s at 1M documents).
CREATE INDEX IF NOT EXISTS records_failed ON records(updated) WHERE outcome = 'pending' AND reason != '';
-- Staged models, kept apart from their rows: a row is updated two or three times in delivery, and
-- a model of kilobytes inside it (overflow pages) was copied each time, and read through by every
-- scan of a column stored after it. records.model is kept for stores written before (read when a
-- record has no row here).
CREATE TABLE IF NOT EXISTS models (
	entity TEXT NOT NULL,
	key    TEXT NOT NULL,
	model  BLOB NOT NULL,
	PRIMARY KEY (entity, key)
) WITHOUT ROWID;
`

// Open opens (or creates) the store at path and takes its lock.
func Open(path string) (*Store, error) {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the state file's lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &ErrLocked{Path: path}
		}
		return nil, fmt.Errorf("locking the state file: %w", err)
	}
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
	}
	s, err := open(path, "NORMAL")
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// OpenTemp makes a private store in a temporary file in dir, removed on
// Close: the dry-run's index. It holds identity codes in clear, so dir is
// made readable by the owner only, and the file is locked while in use: a
// store left behind by a process that was killed (kill -9 runs no clean-up)
// is unlocked, and is removed by the next OpenTemp in the same folder.
func OpenTemp(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the dry-run's work folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the dry-run's work folder: %w", err)
	}
	RemoveStaleTemp(dir)
	f, err := os.CreateTemp(dir, tempPrefix+"*.db")
	if err != nil {
		return nil, fmt.Errorf("creating the dry-run's index: %w", err)
	}
	f.Close()
	lock, err := os.OpenFile(f.Name()+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("locking the dry-run's index: %w", err)
	}
	s, err := open(f.Name(), "OFF")
	if err != nil {
		lock.Close()
		removeTemp(f.Name())
		return nil, err
	}
	s.temp, s.lock = true, lock
	return s, nil
}

const tempPrefix = "dry-run-index-"

// RemoveStaleTemp removes the temporary stores in dir that no process holds.
// It returns how many it removed.
func RemoveStaleTemp(dir string) int {
	names, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*.db"))
	n := 0
	for _, name := range names {
		lock, err := os.OpenFile(name+".lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			continue
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			removeTemp(name)
			n++
		}
		lock.Close()
	}
	return n
}

func removeTemp(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
		os.Remove(path + suffix)
	}
}

func open(path, synchronous string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + synchronous + ")&_pragma=busy_timeout(5000)&_pragma=cache_size(-8000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the state file %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the state file %s: %w", path, err)
	}
	if err := addColumns(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the state file %s: %w", path, err)
	}
	st := &Store{db: db, path: path, prepared: map[string]*sql.Stmt{}, inTx: map[string]*sql.Stmt{}}
	for _, q := range hotStatements {
		p, err := db.Prepare(q)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("preparing the state file %s: %w", path, err)
		}
		st.prepared[q] = p
	}
	return st, nil
}

// The statements of the hot path (staging, planning, recording outcomes).
const (
	getRecord = `SELECT ` + readColumns + ` FROM ` + withModel + ` WHERE r.entity = ? AND r.key = ?`
	putModel  = `INSERT INTO models(entity, key, model) VALUES(?, ?, ?) ON CONFLICT(entity, key) DO UPDATE SET model = excluded.model`
	dropModel = `DELETE FROM models WHERE entity = ? AND key = ?`
	putRecord = `INSERT INTO records(` + columns + `, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(entity, key) DO UPDATE SET pass=excluded.pass, locator=excluded.locator, outcome=excluded.outcome,
		rule=excluded.rule, reason=excluded.reason, entity_oid=excluded.entity_oid, doc_oid=excluded.doc_oid,
		set_oid=excluded.set_oid, version=excluded.version, client_key=excluded.client_key, case_key=excluded.case_key,
		order_time=excluded.order_time, content_hash=excluded.content_hash, attempts=excluded.attempts,
		model=excluded.model, person=excluded.person, field=excluded.field, doc_type=excluded.doc_type,
		service_task=excluded.service_task, updated=excluded.updated`
	mintNext      = `INSERT INTO sequences(kind, next) VALUES(?, 2) ON CONFLICT(kind) DO UPDATE SET next = next + 1 RETURNING next - 1`
	markSubmitted = `UPDATE records SET delivery_run = ?, attempts = attempts + 1 WHERE entity = ? AND key = ?`
	markLoaded    = `UPDATE records SET outcome = ?, field = '', rule = '', reason = '', updated = ? WHERE entity = ? AND key = ?`
	markFailed    = `UPDATE records SET rule = ?, reason = ?, updated = ? WHERE entity = ? AND key = ?`
	clientRows    = `SELECT key FROM records WHERE entity = ? AND client_key = ? ORDER BY order_time, version, key`
	samePerson    = `SELECT ` + readColumns + ` FROM ` + withModel + ` WHERE r.person = ? AND r.entity = ? AND r.key != ? AND r.pass = ? LIMIT 1`
)

var hotStatements = []string{getRecord, putModel, dropModel, putRecord, mintNext, markSubmitted, markLoaded, markFailed, clientRows, samePerson}

// stmt is a hot statement, bound to the open transaction if there is one.
// Outside the list it is nil, and callers pass the query text on.
func (s *Store) stmt(query string) *sql.Stmt {
	p := s.prepared[query]
	if p == nil || s.tx == nil {
		return p
	}
	if b := s.inTx[query]; b != nil {
		return b
	}
	b := s.tx.Stmt(p) // the connection already has it prepared
	s.inTx[query] = b
	return b
}

// Location is the store's file.
func (s *Store) Location() string { return s.path }

// Close commits, closes and releases the lock; a temporary store is removed.
func (s *Store) Close() error {
	err := s.Commit()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if s.temp {
		removeTemp(s.path) // before the lock goes, so no one takes it for stale meanwhile
	}
	if s.lock != nil {
		s.lock.Close()
	}
	return err
}

// exec runs a write inside the current batch transaction, committing every
// few thousand writes so that a crash loses at most one batch of staging work.
func (s *Store) exec(query string, args ...any) error {
	if err := s.begin(); err != nil {
		return err
	}
	var err error
	if p := s.stmt(query); p != nil {
		_, err = p.Exec(args...)
	} else {
		_, err = s.tx.Exec(query, args...)
	}
	if err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	return s.counted()
}

// begin opens the batch transaction if none is open.
func (s *Store) begin() error {
	if s.tx != nil {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	s.tx = tx
	return nil
}

// counted counts a write in the batch and commits a full one.
func (s *Store) counted() error {
	s.n++
	if s.n >= 2000 {
		return s.commit()
	}
	return nil
}

func (s *Store) query(query string, args ...any) *sql.Row {
	if p := s.stmt(query); p != nil {
		return p.QueryRow(args...)
	}
	if s.tx != nil {
		return s.tx.QueryRow(query, args...)
	}
	return s.db.QueryRow(query, args...)
}

// Commit makes every write so far durable.
func (s *Store) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit()
}

func (s *Store) commit() error {
	if s.tx == nil {
		return nil
	}
	err := s.tx.Commit()
	s.tx, s.n = nil, 0
	clear(s.inTx)
	if err != nil {
		return fmt.Errorf("state store: committing: %w", err)
	}
	return nil
}

// Setting reads a setting ("" if unset).
func (s *Store) Setting(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v string
	err := s.query(`SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting writes a setting.
func (s *Store) SetSetting(name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec(`INSERT INTO settings(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`, name, value)
}

// Mint returns the next identifier of a kind under root: root.<kind>.<n>.
// The counter moves in one statement (an upsert that returns the number it
// took), so that no two callers can ever get the same number.
func (s *Store) Mint(root, kind string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return "", err
	}
	var n int64
	err := s.stmt(mintNext).QueryRow(kind).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("state store: minting: %w", err)
	}
	if err := s.counted(); err != nil {
		return "", err
	}
	return root + "." + kind + "." + strconv.FormatInt(n, 10), nil
}

const columns = `entity, key, pass, locator, outcome, rule, reason, entity_oid, doc_oid, set_oid, version, client_key, case_key, order_time, content_hash, attempts, model, person, field, doc_type, service_task`

// readColumns are a record's columns read from withModel: its row (r) and
// its model (m), or the model in the row of a store written before models
// had their own table.
const readColumns = `r.entity, r.key, r.pass, r.locator, r.outcome, r.rule, r.reason, r.entity_oid, r.doc_oid, r.set_oid, r.version,
	r.client_key, r.case_key, r.order_time, r.content_hash, r.attempts, COALESCE(m.model, r.model), r.person, r.field, r.doc_type,
	r.service_task, r.delivery_run`
const withModel = `records r LEFT JOIN models m ON m.entity = r.entity AND m.key = r.key`

func scanRecord(row interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	err := row.Scan(&r.Entity, &r.Key, &r.Pass, &r.Locator, &r.Outcome, &r.Rule, &r.Reason, &r.EntityOID, &r.DocOID, &r.SetOID,
		&r.Version, &r.ClientKey, &r.CaseKey, &r.OrderTime, &r.ContentHash, &r.Attempts, &r.Model, &r.Person, &r.Field, &r.DocType, &r.ServiceTask, &r.DeliveryRun)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Get returns a record, or nil if the store has none with that key.
func (s *Store) Get(entity, key string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := scanRecord(s.query(getRecord, entity, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	return r, nil
}

// Put writes a record, replacing any with the same entity and key.
func (s *Store) Put(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	var err error
	if r.Model != nil {
		err = s.exec(putModel, r.Entity, r.Key, r.Model)
	} else {
		err = s.exec(dropModel, r.Entity, r.Key)
	}
	if err != nil {
		return err
	}
	return s.exec(putRecord,
		r.Entity, r.Key, r.Pass, r.Locator, r.Outcome, r.Rule, r.Reason, r.EntityOID, r.DocOID, r.SetOID, r.Version,
		r.ClientKey, r.CaseKey, r.OrderTime, r.ContentHash, r.Attempts, nil, r.Person, r.Field, r.DocType, r.ServiceTask, now, now)
}

// Counts is how many records of an entity have each outcome.
func (s *Store) Counts() (map[string]map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT entity, outcome, COUNT(*) FROM records GROUP BY entity, outcome`)
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var e, o string
		var n int
		if err := rows.Scan(&e, &o, &n); err != nil {
			return nil, err
		}
		if out[e] == nil {
			out[e] = map[string]int{}
		}
		out[e][o] = n
	}
	return out, rows.Err()
}

// MarkSubmitted notes that a record was handed to delivery in this run, so
// that it is not handed on twice while its delivery is in flight.
func (s *Store) MarkSubmitted(entity, key string, run int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec(markSubmitted, run, entity, key)
}

// MarkLoaded records that the sink has the record's document, in the open
// batch: the deliverer commits a group of outcomes at once.
func (s *Store) MarkLoaded(entity, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exec(markLoaded, Loaded, time.Now().UTC().Format(time.RFC3339Nano), entity, key)
}

// MarkFailed records why delivering a record failed; it stays pending.
func (s *Store) MarkFailed(entity, key, rule, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.exec(markFailed, rule, reason, time.Now().UTC().Format(time.RFC3339Nano), entity, key); err != nil {
		return err
	}
	return s.commit()
}

// Keys pages through the keys of an entity in key order: the keys after
// `after`, at most limit of them.
func (s *Store) Keys(entity, after string, limit int) ([]string, error) {
	return s.list(`SELECT key FROM records WHERE entity = ? AND key > ? ORDER BY key LIMIT ?`, entity, after, limit)
}

// ClientRows lists the keys of an entity's records that belong to a client,
// in the order they were drawn up.
func (s *Store) ClientRows(entity, clientKey string) ([]string, error) {
	return s.list(clientRows, entity, clientKey)
}

// OrderedKeys pages through an entity's records in drawing-up order; the
// cursor is the last (order_time, key) seen.
func (s *Store) OrderedKeys(entity, afterTime, afterKey string, limit int) ([]string, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(); err != nil {
		return nil, nil, err
	}
	rows, err := s.db.Query(`SELECT key, order_time FROM records WHERE entity = ? AND (order_time > ? OR (order_time = ? AND key > ?))
		ORDER BY order_time, key LIMIT ?`, entity, afterTime, afterTime, afterKey, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("state store: %w", err)
	}
	defer rows.Close()
	var keys, times []string
	for rows.Next() {
		var k, t string
		if err := rows.Scan(&k, &t); err != nil {
			return nil, nil, err
		}
		keys, times = append(keys, k), append(times, t)
	}
	return keys, times, rows.Err()
}

func (s *Store) list(query string, args ...any) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows *sql.Rows
	var err error
	switch p := s.stmt(query); {
	case p != nil: // in the open transaction, if any: it sees its own writes
		rows, err = p.Query(args...)
	case s.tx != nil:
		rows, err = s.tx.Query(query, args...)
	default:
		rows, err = s.db.Query(query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Failures lists records that are pending with a reason (their delivery failed).
func (s *Store) Failures(limit int) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.commit(); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT `+readColumns+` FROM `+withModel+` WHERE r.outcome = 'pending' AND r.reason != '' ORDER BY r.updated LIMIT ?`, limit) // as records_failed says, for the index
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// OpenReadOnly opens a store to look at it, without its lock, while a run
// may be using it.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil { // never create one by looking
		return nil, fmt.Errorf("no state file: %w", err)
	}
	return open(path, "NORMAL")
}

// SamePerson finds another record of this pass with the same person hash.
func (s *Store) SamePerson(entity, person, key string, pass int) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := scanRecord(s.query(samePerson, person, entity, key, pass))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state store: %w", err)
	}
	return r, nil
}

// Outcomes calls fn with every record's entity, key, locator, outcome, rule
// and reason (not its model), in key order: what a report needs, read
// straight from the store.
func (s *Store) Outcomes(fn func(Record) error) error {
	s.mu.Lock()
	if err := s.commit(); err != nil {
		s.mu.Unlock()
		return err
	}
	rows, err := s.db.Query(`SELECT entity, key, pass, locator, outcome, field, rule, reason, doc_type, service_task FROM records ORDER BY entity, key`)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Entity, &r.Key, &r.Pass, &r.Locator, &r.Outcome, &r.Field, &r.Rule, &r.Reason, &r.DocType, &r.ServiceTask); err != nil {
			return fmt.Errorf("state store: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// addColumns brings a state file made by an earlier version up to this
// schema: columns added since are added, empty.
func addColumns(db *sql.DB) error {
	have := map[string]bool{}
	rows, err := db.Query(`SELECT name FROM pragma_table_info('records')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	rows.Close()
	for _, col := range []string{"field", "doc_type", "service_task"} {
		if !have[col] {
			if _, err := db.Exec(`ALTER TABLE records ADD COLUMN ` + col + ` TEXT NOT NULL DEFAULT ''`); err != nil {
				return err
			}
		}
	}
	return nil
}
