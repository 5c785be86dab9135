// Package postgres is the shared state store: one PostgreSQL schema that
// several kantamig processes use at once, one per shard of a run (see
// README.md, "Running on many machines"). It registers the state scheme
// "postgres".
//
// The connection string never appears on a command line or in a log:
// `--state postgres:` reads it from KANTAMIG_STATE_DSN, `--state
// postgres:NAME` from the environment variable NAME; a `--state
// postgres://…` URL is taken only without a password (the password then
// comes from PGPASSWORD or ~/.pgpass, as for psql). A `search_path` in the
// connection string names the schema, created if missing, so that one
// database can hold several runs.
//
// How it keeps the state.Store promises for processes sharing it:
//   - Mint is one upsert that returns the number it took, on a connection of
//     its own outside any batch (the row lock is held for that statement
//     only, never for a staging batch), so that numbers are unique across
//     processes and a crash loses none that was stored with its record;
//   - writes are batched in a transaction of a few thousand statements
//     (MarkLoaded too: the deliverer commits a group of outcomes at once),
//     and MarkFailed commits before it returns;
//   - the locks are advisory locks held by a connection of their own, so
//     that a killed process loses them with its session: Open takes the
//     store's run lock (one run at a time, as the SQLite store's file lock
//     does); OpenShared takes none, and a sharded run takes one per shard
//     and one for staging (Claim).
//
// A lost connection (the server restarted, failed over, or a network blip)
// does not end the process: the store reconnects with exponential backoff for
// up to ReconnectFor (5 minutes), and only then gives up with
// *ErrUnreachable. The writes of the open batch are kept (a journal) until it
// commits, and replayed in a new transaction after reconnecting; every write
// is an upsert or an update to a value, so replaying a batch whose commit did
// arrive changes nothing but an attempt counter. The locks died with the
// session: they are taken again at once, and if another process took one
// meanwhile (another worker of the same shard) the store stops with
// *ErrLockLost rather than work without it. Opening retries the same way
// while the server cannot be reached (a worker started before its database);
// a refused password or a missing database is not retried.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kantamig/kantamig/internal/secret"
	"github.com/kantamig/kantamig/state"
)

func init() {
	state.Register("postgres", state.Backend{
		Open:         func(loc string) (state.Store, error) { return Open(loc) },
		OpenReadOnly: func(loc string) (state.Store, error) { return OpenShared(loc) },
		OpenShared:   func(loc string) (state.Store, error) { return OpenShared(loc) },
	})
}

// DefaultDSNVariable holds the connection string of `--state postgres:`.
const DefaultDSNVariable = "KANTAMIG_STATE_DSN"

var _ state.Sharded = (*Store)(nil)

// Store is an open PostgreSQL state store.
type Store struct {
	cfg      *pgx.ConnConfig
	schema   string
	location string
	mu       sync.Mutex // one batch at a time on the work connection
	work     *pgx.Conn  // reads and batched writes
	mint     *pgx.Conn  // Mint, in statements of their own
	mintMu   sync.Mutex
	locks    *pgx.Conn // the advisory locks
	locksMu  sync.Mutex
	tx       pgx.Tx
	n        int
	stats    counter
	// puts are records Put but not yet sent: they go to the server in one
	// batch (one round trip) before anything that could read them.
	puts    []*state.Record
	putsIdx map[[2]string]int
	// updates are the deliverer's notes (MarkSubmitted, MarkLoaded) not
	// yet sent: they go in the same batch, after the puts, so that a
	// document costs no round trip of its own. A record with an update
	// waiting is never Put before the update is sent (Put sends it first),
	// so the batch keeps the order of the writes to each record.
	updates    []write
	updatesIdx map[[2]string]bool
	// journal is every write of the open batch, to replay in a new
	// transaction when the connection is lost before it commits.
	journal []write
	// held are the locks this handle holds, to take again after a
	// reconnect.
	held map[string]bool
	// reconnects counts the connections made again (for tests and stats).
	reconnects atomic.Int64
}

// write is one statement of a batch.
type write struct {
	query string
	args  []any
}

// ReconnectFor is how long the store keeps trying to reach its server
// after losing a connection (or when opened) before it gives up: long enough
// for a restart or a managed database's failover. A var for tests.
var ReconnectFor = 5 * time.Minute

// ErrUnreachable ends a run whose state store could not be reached again
// within ReconnectFor.
type ErrUnreachable struct {
	Location string
	For      time.Duration
	Err      error
}

func (e *ErrUnreachable) Error() string {
	return fmt.Sprintf("the state store %s could not be reached for %s (%v); nothing recorded is lost: run again once the database is back",
		e.Location, e.For.Round(time.Second), e.Err)
}

func (e *ErrUnreachable) Unwrap() error { return e.Err }

// ErrLockLost stops a process whose lock went with a lost connection and
// was taken by another process before it could take it again.
type ErrLockLost struct{ Location, Lock string }

func (e *ErrLockLost) Error() string {
	return fmt.Sprintf("the connection to the state store %s was lost, and meanwhile another process took the lock %q this one held: this process stops, and the other goes on with its work", e.Location, e.Lock)
}

// putBatch is how many records Put sends to the server at once.
const putBatch = 256

// counter counts the statements the store sends (each a round trip to the
// server) and its commits, for the cost per record a run reports.
type counter struct{ statements, commits atomic.Int64 }

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Stats says how many statements (round trips) and commits the store has
// made since it was opened.
func (s *Store) Stats() (statements, commits int64) {
	return s.stats.statements.Load(), s.stats.commits.Load()
}

// ErrSecretInLocation refuses a connection string with a password on the
// command line, where ps and shell histories show it.
var ErrSecretInLocation = errors.New("the --state connection string holds a password: put the connection string in the environment (KANTAMIG_STATE_DSN, and --state postgres:) or the password in PGPASSWORD or ~/.pgpass")

// config turns a --state location (after "postgres:") into a connection
// configuration and a name for people.
func config(location string) (*pgx.ConnConfig, string, error) {
	dsn := location
	switch {
	case location == "":
		var err error
		if dsn, err = secret.Get(DefaultDSNVariable); err != nil {
			return nil, "", fmt.Errorf("--state postgres:: %w", err)
		}
		if dsn == "" {
			return nil, "", fmt.Errorf("--state postgres: reads the connection string from %s (or the file %s_FILE names), which is not set", DefaultDSNVariable, DefaultDSNVariable)
		}
	case strings.HasPrefix(location, "//"):
		dsn = "postgres:" + location
		if u, err := url.Parse(dsn); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return nil, "", ErrSecretInLocation
			}
		}
	default: // the name of an environment variable
		var err error
		if dsn, err = secret.Get(location); err != nil {
			return nil, "", fmt.Errorf("--state postgres:%s: %w", location, err)
		}
		if dsn == "" {
			return nil, "", fmt.Errorf("--state postgres:%s reads the connection string from %s (or the file %s_FILE names), which is not set", location, location, location)
		}
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the string; say only where it came from.
		return nil, "", fmt.Errorf("the PostgreSQL connection string of --state postgres:%s is not valid (see the libpq connection string formats)", location)
	}
	name := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	if sp := cfg.RuntimeParams["search_path"]; sp != "" {
		name += "?search_path=" + sp
	}
	return cfg, name, nil
}

// Open connects to the store, creates its tables if needed and takes its run
// lock: a second Open of the same store is refused with *state.ErrLocked
// until the first is closed or its process is gone.
func Open(location string) (*Store, error) {
	s, err := OpenShared(location)
	if err != nil {
		return nil, err
	}
	ok, err := s.TryClaim("run")
	if err != nil {
		s.Close()
		return nil, err
	}
	if !ok {
		s.Close()
		return nil, &state.ErrLocked{Path: s.location}
	}
	return s, nil
}

// OpenShared connects to the store without taking its run lock: a handle of
// one of the processes that share it (a shard), or of `status`.
func OpenShared(location string) (*Store, error) {
	cfg, name, err := config(location)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, location: name, schema: firstSchema(cfg.RuntimeParams["search_path"]), held: map[string]bool{}}
	ctx := context.Background()
	for _, c := range []**pgx.Conn{&s.work, &s.mint, &s.locks} {
		if *c, err = s.connect(); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.retrying(func() error { return s.prepare(ctx) }, s.reconnectWork); err != nil {
		s.Close()
		return nil, fmt.Errorf("preparing the state store %s: %w", name, redact(err))
	}
	return s, nil
}

// connect opens a connection, trying again with backoff for ReconnectFor
// while the server cannot be reached.
func (s *Store) connect() (*pgx.Conn, error) {
	var conn *pgx.Conn
	err := s.retrying(func() (err error) {
		cc := s.cfg.Copy()
		cc.Tracer = &s.stats
		cc.ConnectTimeout = 10 * time.Second
		conn, err = pgx.ConnectConfig(context.Background(), cc)
		return err
	}, nil)
	var gone *ErrUnreachable
	if err != nil && !errors.As(err, &gone) {
		return nil, fmt.Errorf("connecting to the state store %s: %w", s.location, redact(err))
	}
	return conn, err
}

// retrying runs op until it succeeds, fails otherwise than by the server
// being out of reach, or has been out of reach for ReconnectFor: then
// *ErrUnreachable. Between tries it waits with exponential backoff, and
// calls again (when not nil) first, to connect again.
func (s *Store) retrying(op, again func() error) error {
	err := op()
	started := time.Now()
	policy := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.3, Multiplier: 2, MaxInterval: 10 * time.Second}
	policy.Reset()
	for unreachable(err) {
		left := ReconnectFor - time.Since(started)
		if left <= 0 {
			return &ErrUnreachable{Location: s.location, For: time.Since(started), Err: redact(err)}
		}
		time.Sleep(min(policy.NextBackOff(), left))
		if again != nil {
			if err = again(); err != nil {
				var lost *ErrLockLost
				var gone *ErrUnreachable
				if errors.As(err, &lost) || errors.As(err, &gone) {
					return err
				}
				continue
			}
		}
		err = op()
	}
	return err
}

// unreachable says whether an error is the server out of reach (worth
// connecting again), not its answer: a network error, a connection closed
// under us, a server shutting down or starting up. A refused password or a
// missing database is the server's answer and is not.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset")
}

// do runs op (s.mu held); if the work connection is lost on the way, it
// connects again, replays the open batch and runs op again, for up to
// ReconnectFor. op must be safe to run again: its writes go to the journal
// only once they are sent.
func (s *Store) do(op func() error) error {
	if s.work == nil {
		return op()
	}
	return s.retrying(op, s.reconnectWork)
}

// reconnectWork connects the work connection again, takes the locks again
// and replays the open batch in a new transaction.
func (s *Store) reconnectWork() error {
	if s.work != nil {
		s.work.Close(context.Background())
	}
	s.tx, s.n = nil, 0
	conn, err := s.connect()
	if err != nil {
		return err
	}
	s.work = conn
	s.reconnects.Add(1)
	if err := s.retake(); err != nil {
		return err
	}
	if len(s.journal) == 0 {
		return nil
	}
	tx, err := s.work.Begin(context.Background())
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, w := range s.journal {
		b.Queue(w.query, w.args...)
	}
	s.stats.statements.Add(1)
	if err := tx.SendBatch(context.Background(), b).Close(); err != nil {
		tx.Rollback(context.Background())
		return err
	}
	s.tx, s.n = tx, len(s.journal)
	return nil
}

// retake checks that the locks connection is alive and, if it was lost,
// connects it again and takes back every lock this handle held.
func (s *Store) retake() error {
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	if s.locks != nil && !s.locks.IsClosed() && s.locks.Ping(context.Background()) == nil {
		return nil
	}
	if s.locks != nil {
		s.locks.Close(context.Background())
	}
	conn, err := s.connect()
	if err != nil {
		return err
	}
	s.locks = conn
	s.reconnects.Add(1)
	for name := range s.held {
		var ok bool
		if err := s.locks.QueryRow(context.Background(), `SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext($1))`, name).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			delete(s.held, name)
			return &ErrLockLost{Location: s.location, Lock: name}
		}
	}
	return nil
}

// Reconnects says how many connections the store has made again.
func (s *Store) Reconnects() int64 { return s.reconnects.Load() }

// redact keeps a connection error's cause without what pgx quotes of the
// connection string.
func redact(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &redacted{fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code), err}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return &redacted{"cannot connect (is the server up, and the user, database and password right?)", err}
	}
	return err
}

// redacted is an error whose message leaves out what its cause quotes of
// the connection string; the cause stays in the chain for errors.As (its
// SQLSTATE, whether it is a network error), never printed.
type redacted struct {
	msg   string
	cause error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.cause }

func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	return strings.Trim(strings.TrimSpace(first), `"`)
}

const schema = `
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (kind TEXT PRIMARY KEY, next BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
	entity       TEXT NOT NULL COLLATE "C",
	key          TEXT NOT NULL COLLATE "C",
	pass         INTEGER NOT NULL,
	locator      TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	rule         TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	entity_oid   TEXT NOT NULL DEFAULT '',
	doc_oid      TEXT NOT NULL DEFAULT '',
	set_oid      TEXT NOT NULL DEFAULT '',
	version      INTEGER NOT NULL DEFAULT 0,
	client_key   TEXT NOT NULL DEFAULT '' COLLATE "C",
	case_key     TEXT NOT NULL DEFAULT '',
	order_time   TEXT NOT NULL DEFAULT '' COLLATE "C",
	content_hash TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	delivery_run INTEGER NOT NULL DEFAULT 0,
	person       TEXT NOT NULL DEFAULT '',
	field        TEXT NOT NULL DEFAULT '',
	doc_type     TEXT NOT NULL DEFAULT '',
	service_task TEXT NOT NULL DEFAULT '',
	shard        INTEGER NOT NULL DEFAULT 0,
	created      TIMESTAMPTZ NOT NULL DEFAULT now(),
	updated      TIMESTAMPTZ NOT NULL DEFAULT now(),
	model        BYTEA,
	PRIMARY KEY (entity, key)
);
CREATE INDEX IF NOT EXISTS records_by_outcome ON records(entity, outcome);
CREATE INDEX IF NOT EXISTS records_by_client ON records(entity, client_key, order_time, version, key);
CREATE INDEX IF NOT EXISTS records_by_order ON records(entity, order_time, key);
CREATE INDEX IF NOT EXISTS records_by_person ON records(person) WHERE person <> '';
CREATE INDEX IF NOT EXISTS records_by_shard ON records(shard, entity, key);
CREATE INDEX IF NOT EXISTS records_by_client_key ON records(client_key) WHERE client_key <> '';
CREATE INDEX IF NOT EXISTS records_failed ON records(updated) WHERE outcome = 'pending' AND reason <> '';
`

// prepare creates the schema and the tables, once, under a lock of their
// own, so that shards starting together do not race to create them.
func (s *Store) prepare(ctx context.Context) error {
	if _, err := s.locks.Exec(ctx, `SELECT pg_advisory_lock(hashtext('kantamig'), hashtext('create'))`); err != nil {
		return err
	}
	defer s.locks.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('kantamig'), hashtext('create'))`)
	if s.schema != "" {
		if _, err := s.work.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return err
		}
	}
	_, err := s.work.Exec(ctx, schema+censusSchema)
	return err
}

// Location names the store without its secrets.
func (s *Store) Location() string { return s.location }

// TryClaim takes the named advisory lock of this store if it is free, and
// says whether it did. The lock lasts until Release or the end of the
// process's session.
func (s *Store) TryClaim(name string) (bool, error) {
	if err := s.retake(); err != nil {
		return false, wrap(err)
	}
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	var ok bool
	err := s.locks.QueryRow(context.Background(), `SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext($1))`, name).Scan(&ok)
	if ok && err == nil {
		s.held[name] = true
	}
	return ok, wrap(err)
}

// Claim takes the named advisory lock, waiting for it while ctx lasts.
func (s *Store) Claim(ctx context.Context, name string) error {
	for {
		ok, err := s.TryClaim(name)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Release gives a claimed lock back.
func (s *Store) Release(name string) error {
	s.locksMu.Lock()
	defer s.locksMu.Unlock()
	delete(s.held, name)
	_, err := s.locks.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext(current_schema()), hashtext($1))`, name)
	if unreachable(err) {
		return nil // the lock went with the session
	}
	return wrap(err)
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("state store: %w", redact(err))
}

// Close commits and disconnects; the locks go with the sessions.
func (s *Store) Close() error {
	var err error
	if s.work != nil {
		err = s.Commit()
	}
	ctx := context.Background()
	if s.locks != nil && !s.locks.IsClosed() {
		// Released before the session ends, so that a process started
		// right after this one finds them free: the server lets go of a
		// closed session's locks only once it has noticed the close.
		s.locks.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
	}
	for _, c := range []*pgx.Conn{s.work, s.mint, s.locks} {
		if c != nil {
			if cerr := c.Close(ctx); err == nil {
				err = cerr
			}
		}
	}
	return err
}

// Crash drops the connections as a killed process would: the open batch is
// lost, the locks are released by the server. For the conformance suite.
func (s *Store) Crash() {
	for _, c := range []*pgx.Conn{s.work, s.mint, s.locks} {
		if c != nil {
			c.PgConn().Conn().Close()
		}
	}
}

// begin opens the batch transaction if none is open.
func (s *Store) begin() error {
	if s.tx != nil {
		return nil
	}
	tx, err := s.work.Begin(context.Background())
	if err != nil {
		return wrap(err)
	}
	s.tx = tx
	return nil
}

// exec runs a write in the batch, committing every few thousand writes.
// The records Put before it are sent first, so that writes keep their order.
func (s *Store) exec(query string, args ...any) error {
	if err := s.flushWrites(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	if _, err := s.tx.Exec(context.Background(), query, args...); err != nil {
		return wrap(err)
	}
	s.journal = append(s.journal, write{query, args})
	s.n++
	if s.n >= 2000 {
		return s.commit()
	}
	return nil
}

// db is where reads go: the open batch, which sees its own writes, or the
// connection.
func (s *Store) db() interface {
	QueryRow(context.Context, string, ...any) pgx.Row
	Query(context.Context, string, ...any) (pgx.Rows, error)
} {
	if s.tx != nil {
		return s.tx
	}
	return s.work
}

// Commit makes every write so far durable.
func (s *Store) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(s.commit)
}

func (s *Store) commit() error {
	if err := s.flushWrites(); err != nil {
		return err
	}
	if s.tx == nil {
		return nil
	}
	err := s.tx.Commit(context.Background())
	s.tx = nil
	if unreachable(err) {
		return wrap(err) // the journal stays, to be replayed and committed after a reconnect
	}
	s.n, s.journal = 0, nil
	s.stats.commits.Add(1)
	if err != nil {
		return fmt.Errorf("state store: committing: %w", redact(err))
	}
	return nil
}

// Setting reads a setting ("" if unset).
func (s *Store) Setting(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v string
	err := s.do(func() error {
		err := s.db().QueryRow(context.Background(), `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			v, err = "", nil
		}
		return wrap(err)
	})
	return v, err
}

// SetSetting writes a setting.
func (s *Store) SetSetting(name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		return s.exec(`INSERT INTO settings(name, value) VALUES($1, $2) ON CONFLICT(name) DO UPDATE SET value = excluded.value`, name, value)
	})
}

// Mint returns the next identifier of a kind under root: root.<kind>.<n>,
// from one upsert in a statement of its own.
func (s *Store) Mint(root, kind string) (string, error) {
	s.mintMu.Lock()
	defer s.mintMu.Unlock()
	var n int64
	mint := func() error {
		return s.mint.QueryRow(context.Background(),
			`INSERT INTO sequences(kind, next) VALUES($1, 2) ON CONFLICT(kind) DO UPDATE SET next = sequences.next + 1 RETURNING next - 1`, kind).Scan(&n)
	}
	// A number a lost statement may have taken is never used: a gap.
	err := s.retrying(mint, func() error {
		s.mint.Close(context.Background())
		conn, err := s.connect()
		if err != nil {
			return err
		}
		s.mint = conn
		s.reconnects.Add(1)
		return s.retake()
	})
	var lost *ErrLockLost
	var gone *ErrUnreachable
	if errors.As(err, &lost) || errors.As(err, &gone) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("state store: minting: %w", redact(err))
	}
	return root + "." + kind + "." + strconv.FormatInt(n, 10), nil
}

const columns = `entity, key, pass, locator, outcome, rule, reason, entity_oid, doc_oid, set_oid, version, client_key, case_key, order_time, content_hash, attempts, model, person, field, doc_type, service_task, shard`
const readColumns = columns + `, delivery_run`

func scanRecord(row pgx.Row) (*state.Record, error) {
	var r state.Record
	err := row.Scan(&r.Entity, &r.Key, &r.Pass, &r.Locator, &r.Outcome, &r.Rule, &r.Reason, &r.EntityOID, &r.DocOID, &r.SetOID,
		&r.Version, &r.ClientKey, &r.CaseKey, &r.OrderTime, &r.ContentHash, &r.Attempts, &r.Model, &r.Person, &r.Field, &r.DocType,
		&r.ServiceTask, &r.Shard, &r.DeliveryRun)
	if err != nil {
		return nil, err
	}
	r.Key, r.ClientKey, r.CaseKey = dec(r.Key), dec(r.ClientKey), dec(r.CaseKey)
	return &r, nil
}

// enc and dec carry keys through TEXT, which cannot hold NUL (the stager
// keeps records without a key, and duplicates, under keys with one):
// NUL becomes \x01 '0' and \x01 becomes \x01 '1', an escape that keeps
// the keys' byte order.
func enc(k string) string {
	if strings.IndexByte(k, 0) < 0 && strings.IndexByte(k, 1) < 0 {
		return k
	}
	return strings.NewReplacer("\x00", "\x010", "\x01", "\x011").Replace(k)
}

func dec(k string) string {
	if strings.IndexByte(k, 1) < 0 {
		return k
	}
	return strings.NewReplacer("\x010", "\x00", "\x011", "\x01").Replace(k)
}

func (s *Store) getRow(query string, args ...any) (*state.Record, error) {
	r, err := scanRecord(s.db().QueryRow(context.Background(), query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return r, wrap(err)
}

// Get returns a record, or nil if the store has none with that key.
func (s *Store) Get(entity, key string) (*state.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r *state.Record
	err := s.do(func() (err error) {
		id := [2]string{entity, key}
		if _, buffered := s.putsIdx[id]; buffered || s.updatesIdx[id] {
			if err := s.flushWrites(); err != nil {
				return err
			}
		}
		r, err = s.getRow(`SELECT `+readColumns+` FROM records WHERE entity = $1 AND key = $2`, entity, enc(key))
		return err
	})
	return r, err
}

// Put writes a record, replacing any with the same entity and key. The
// record is kept and sent with the next batch of them (see flushWrites).
func (s *Store) Put(r *state.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *r
	c.Model = append([]byte(nil), r.Model...)
	if r.Model == nil {
		c.Model = nil
	}
	id := [2]string{r.Entity, r.Key}
	if s.updatesIdx[id] {
		if err := s.do(s.flushWrites); err != nil {
			return err
		}
	}
	if i, ok := s.putsIdx[id]; ok {
		s.puts[i] = &c
		return nil
	}
	if s.putsIdx == nil {
		s.putsIdx = map[[2]string]int{}
	}
	s.putsIdx[id] = len(s.puts)
	s.puts = append(s.puts, &c)
	if len(s.puts)+len(s.updates) >= putBatch {
		return s.do(s.flushWrites)
	}
	return nil
}

// update keeps one of the deliverer's notes for the next batch.
func (s *Store) update(entity, key, query string, args ...any) error {
	if s.updatesIdx == nil {
		s.updatesIdx = map[[2]string]bool{}
	}
	s.updates = append(s.updates, write{query, args})
	s.updatesIdx[[2]string{entity, key}] = true
	if len(s.puts)+len(s.updates) >= putBatch {
		return s.do(s.flushWrites)
	}
	return nil
}

const putRecord = `INSERT INTO records(` + columns + `) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
		ON CONFLICT(entity, key) DO UPDATE SET pass=excluded.pass, locator=excluded.locator, outcome=excluded.outcome,
		rule=excluded.rule, reason=excluded.reason, entity_oid=excluded.entity_oid, doc_oid=excluded.doc_oid,
		set_oid=excluded.set_oid, version=excluded.version, client_key=excluded.client_key, case_key=excluded.case_key,
		order_time=excluded.order_time, content_hash=excluded.content_hash, attempts=excluded.attempts,
		model=excluded.model, person=excluded.person, field=excluded.field, doc_type=excluded.doc_type,
		service_task=excluded.service_task, shard=excluded.shard, updated=now()`

// flushWrites sends the records Put so far, then the deliverer's notes
// (updates), in one batch, inside the open transaction.
func (s *Store) flushWrites() error {
	if len(s.puts)+len(s.updates) == 0 {
		return nil
	}
	if err := s.begin(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	sent := make([]write, 0, len(s.puts)+len(s.updates))
	for _, r := range s.puts {
		args := []any{r.Entity, enc(r.Key), r.Pass, r.Locator, r.Outcome, r.Rule, r.Reason, r.EntityOID, r.DocOID, r.SetOID, r.Version,
			enc(r.ClientKey), enc(r.CaseKey), r.OrderTime, r.ContentHash, r.Attempts, r.Model, r.Person, r.Field, r.DocType, r.ServiceTask, r.Shard}
		b.Queue(putRecord, args...)
		sent = append(sent, write{putRecord, args})
	}
	for _, u := range s.updates {
		b.Queue(u.query, u.args...)
		sent = append(sent, u)
	}
	s.stats.statements.Add(1)
	if err := s.tx.SendBatch(context.Background(), b).Close(); err != nil {
		return wrap(err) // the records stay, to be sent again after a reconnect
	}
	s.journal = append(s.journal, sent...)
	n := len(sent)
	s.puts, s.putsIdx, s.updates, s.updatesIdx = nil, nil, nil, nil
	s.n += n
	if s.n >= 2000 {
		return s.commit()
	}
	return nil
}

// SamePerson finds another record of this pass with the same person hash.
func (s *Store) SamePerson(entity, person, key string, pass int) (*state.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r *state.Record
	err := s.do(func() (err error) {
		for _, r := range s.puts {
			if r.Person == person && r.Entity == entity {
				if err := s.flushWrites(); err != nil {
					return err
				}
				break
			}
		}
		r, err = s.getRow(`SELECT `+readColumns+` FROM records WHERE person = $1 AND entity = $2 AND key <> $3 AND pass = $4 LIMIT 1`, person, entity, enc(key), pass)
		return err
	})
	return r, err
}

// MarkSubmitted notes that a record was handed to delivery in this run, in
// the next batch (a read of the record sends it first).
func (s *Store) MarkSubmitted(entity, key string, run int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(entity, key, `UPDATE records SET delivery_run = $1, attempts = attempts + 1 WHERE entity = $2 AND key = $3`, run, entity, enc(key))
}

// MarkLoaded records that the sink has the record's document, in the open
// batch: the deliverer commits a group of outcomes at once.
func (s *Store) MarkLoaded(entity, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(entity, key, `UPDATE records SET outcome = $1, field = '', rule = '', reason = '', updated = now() WHERE entity = $2 AND key = $3`, state.Loaded, entity, enc(key))
}

// MarkFailed records, durably, why delivering a record failed.
func (s *Store) MarkFailed(entity, key, rule, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		if err := s.exec(`UPDATE records SET rule = $1, reason = $2, updated = now() WHERE entity = $3 AND key = $4`, rule, reason, entity, enc(key)); err != nil {
			return err
		}
		return s.commit()
	})
}

func (s *Store) list(query string, args ...any) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	err := s.do(func() error {
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), query, args...)
		if err != nil {
			return wrap(err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return wrap(err)
	})
	for i := range out {
		out[i] = dec(out[i])
	}
	return out, err
}

// Keys pages through the keys of an entity in key order.
func (s *Store) Keys(entity, after string, limit int) ([]string, error) {
	return s.list(`SELECT key FROM records WHERE entity = $1 AND key > $2 ORDER BY key LIMIT $3`, entity, enc(after), limit)
}

// ShardKeys pages through the keys of an entity's records of one shard.
func (s *Store) ShardKeys(entity string, shard int, after string, limit int) ([]string, error) {
	return s.list(`SELECT key FROM records WHERE shard = $1 AND entity = $2 AND key > $3 ORDER BY key LIMIT $4`, shard, entity, enc(after), limit)
}

// ClientRows lists the keys of an entity's records of a client, in the
// order they were drawn up.
func (s *Store) ClientRows(entity, clientKey string) ([]string, error) {
	return s.list(`SELECT key FROM records WHERE entity = $1 AND client_key = $2 ORDER BY order_time, version, key`, entity, enc(clientKey))
}

// OrderedKeys pages through an entity's records in drawing-up order.
func (s *Store) OrderedKeys(entity, afterTime, afterKey string, limit int) ([]string, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys, times []string
	err := s.do(func() error {
		keys, times = nil, nil
		if err := s.flushWrites(); err != nil {
			return err
		}
		rows, err := s.db().Query(context.Background(), `SELECT key, order_time FROM records WHERE entity = $1 AND (order_time, key) > ($2, $3)
		ORDER BY order_time, key LIMIT $4`, entity, afterTime, enc(afterKey), limit)
		if err != nil {
			return wrap(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k, t string
			if err := rows.Scan(&k, &t); err != nil {
				return wrap(err)
			}
			keys, times = append(keys, dec(k)), append(times, t)
		}
		return wrap(rows.Err())
	})
	return keys, times, err
}

// Counts is how many records of each entity have each outcome.
func (s *Store) Counts() (map[string]map[string]int, error) {
	return s.counts(`SELECT entity, outcome, COUNT(*) FROM records GROUP BY entity, outcome`)
}

// ShardCounts is Counts for the records of one shard.
func (s *Store) ShardCounts(shard int) (map[string]map[string]int, error) {
	return s.counts(`SELECT entity, outcome, COUNT(*) FROM records WHERE shard = $1 GROUP BY entity, outcome`, shard)
}

func (s *Store) counts(query string, args ...any) (map[string]map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string]map[string]int
	err := s.do(func() error {
		if err := s.commit(); err != nil {
			return err
		}
		rows, err := s.work.Query(context.Background(), query, args...)
		if err != nil {
			return wrap(err)
		}
		defer rows.Close()
		out = map[string]map[string]int{}
		for rows.Next() {
			var e, o string
			var n int
			if err := rows.Scan(&e, &o, &n); err != nil {
				return wrap(err)
			}
			if out[e] == nil {
				out[e] = map[string]int{}
			}
			out[e][o] = n
		}
		return wrap(rows.Err())
	})
	return out, err
}

// SetShard moves every record of a client to a shard.
func (s *Store) SetShard(clientKey string, shard int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.do(func() error {
		return s.exec(`UPDATE records SET shard = $1 WHERE (client_key = $2 OR (entity = 'client' AND key = $2)) AND shard <> $1`, shard, enc(clientKey))
	})
}

// Failures lists records that are pending with a reason, oldest first.
func (s *Store) Failures(limit int) ([]state.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []state.Record
	err := s.do(func() error {
		out = nil
		if err := s.commit(); err != nil {
			return err
		}
		rows, err := s.work.Query(context.Background(), `SELECT `+readColumns+` FROM records WHERE outcome = 'pending' AND reason <> '' ORDER BY updated LIMIT $1`, limit) // as records_failed says, for the index
		if err != nil {
			return wrap(err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				return wrap(err)
			}
			out = append(out, *r)
		}
		return wrap(rows.Err())
	})
	return out, err
}

// Outcomes calls fn with every record without its model, in entity and key
// order.
func (s *Store) Outcomes(fn func(state.Record) error) error {
	s.mu.Lock()
	if err := s.commit(); err != nil {
		s.mu.Unlock()
		return err
	}
	// A connection of its own, so that fn may use the store meanwhile.
	conn, err := pgx.ConnectConfig(context.Background(), s.cfg.Copy())
	s.mu.Unlock()
	if err != nil {
		return wrap(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT entity, key, pass, locator, outcome, field, rule, reason, doc_type, service_task FROM records ORDER BY entity, key`)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r state.Record
		if err := rows.Scan(&r.Entity, &r.Key, &r.Pass, &r.Locator, &r.Outcome, &r.Field, &r.Rule, &r.Reason, &r.DocType, &r.ServiceTask); err != nil {
			return wrap(err)
		}
		r.Key = dec(r.Key)
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap(rows.Err())
}
