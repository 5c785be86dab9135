// Package state defines the state store of a migration: for every source
// record, its key, entity, the identifiers minted for it, its outcome
// (pending, loaded, rejected, skipped) with the rule and reason, attempts and
// times, and the mapped record itself, staged for delivery; plus the settings
// the run was started with and the mapping file's hash.
//
// The store, not memory, is the truth about what is done, and what the stages
// need to know about other records (does this case exist, was its client
// rejected) they ask here, so memory does not grow with the size of the
// source. Store is the interface every backend implements; backends register
// themselves by scheme (Register) and are opened from a --state value (Open).
// The embedded default is SQLite (package state/sqlite); the conformance
// suite every backend passes is package state/statetest.
package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/internal/registry"
)

// Outcomes of a record.
const (
	Pending  = "pending"
	Loaded   = "loaded"
	Rejected = "rejected"
	Skipped  = "skipped"
)

// Record is one source record's row.
type Record struct {
	Entity      string
	Key         string
	Pass        int
	Locator     string
	Outcome     string
	Field       string // the field a rejection or skip is about, if any
	Rule        string
	Reason      string
	EntityOID   string // the client relationship's or the case's OID
	DocOID      string // the archive document's OID
	SetOID      string
	Version     int
	ClientKey   string
	CaseKey     string
	OrderTime   string
	ContentHash string
	Attempts    int
	Model       []byte
	Person      string // a hash of the client's identity code, to find one person under two keys
	// DocType and ServiceTask label a document for the report's by-type and
	// by-service-task counts ("code display"), read back from the store.
	DocType, ServiceTask string
	DeliveryRun          int // the run that last handed the record to delivery (read only)
	// Shard is the shard of a sharded run the record is delivered by (see
	// Sharded); 0 in a store that is not shared.
	Shard int
}

// Store is an open state store. Every method is safe for concurrent use: the
// stager reads while the delivery goroutine records outcomes.
//
// How to add a backend (as a package of its own, e.g. state/postgres):
//
//  1. Implement Store. Writes may be batched, but Commit makes every write so
//     far durable, and MarkFailed is durable when it returns. MarkLoaded may
//     wait for the next Commit: the deliverer commits the outcomes of a
//     group of documents together, and a crash before that leaves them
//     pending, to be sent again and answered by the sink as duplicates.
//  2. Make Mint atomic in the store itself (one statement or a sequence), so
//     that two writers, goroutines or processes sharing the store, can never
//     get the same number; never read a counter and write it back.
//  3. Keep orderings stable: Keys in key order, ClientRows and OrderedKeys in
//     (order time, version, key) order, whatever the insertion order.
//  4. Lock the store so that a second run on it is refused with *ErrLocked
//     (for a shared store: per shard, so that two workers of one shard
//     cannot both run).
//  5. Create whatever holds the data readable by its owner only: it holds
//     identity codes in clear.
//  6. Register the backend under its scheme in an init function (Register),
//     and import the package for its side effect where the backends are
//     listed (cmd/kantamig/backends.go).
//  7. Pass the conformance suite: statetest.Run(t, opener) in the package's
//     tests (with Shared set for a store that several processes use at once).
type Store interface {
	// Setting reads a setting ("" if unset); SetSetting writes one.
	Setting(name string) (string, error)
	SetSetting(name, value string) error
	// Mint returns the next identifier of a kind under root:
	// root.<kind>.<n>, n counting from 1 per kind. The caller stores it with
	// its record before first use.
	Mint(root, kind string) (string, error)
	// Get returns a record, or nil if the store has none with that key.
	Get(entity, key string) (*Record, error)
	// Put writes a record, replacing any with the same entity and key.
	Put(r *Record) error
	// SamePerson finds another record of an entity in this pass with the same
	// person hash, or nil.
	SamePerson(entity, person, key string, pass int) (*Record, error)
	// MarkSubmitted notes that a record was handed to delivery in this run,
	// so that it is not handed on twice while its delivery is in flight.
	MarkSubmitted(entity, key string, run int) error
	// MarkLoaded records that the sink has the record's document; durable
	// at the next Commit.
	MarkLoaded(entity, key string) error
	// MarkFailed records, durably, why delivering a record failed; it stays
	// pending.
	MarkFailed(entity, key, rule, reason string) error
	// Keys pages through the keys of an entity in key order: the keys after
	// `after`, at most limit of them.
	Keys(entity, after string, limit int) ([]string, error)
	// ClientRows lists the keys of an entity's records that belong to a
	// client, in the order they were drawn up.
	ClientRows(entity, clientKey string) ([]string, error)
	// OrderedKeys pages through an entity's records in drawing-up order; the
	// cursor is the last (order time, key) seen. It returns keys and times.
	OrderedKeys(entity, afterTime, afterKey string, limit int) ([]string, []string, error)
	// Counts is how many records of each entity have each outcome.
	Counts() (map[string]map[string]int, error)
	// Failures lists records that are pending with a reason (their delivery
	// failed), oldest first.
	Failures(limit int) ([]Record, error)
	// Outcomes calls fn with every record (without its model) in entity and
	// key order: what a report needs, read straight from the store.
	Outcomes(fn func(Record) error) error
	// Commit makes every write so far durable.
	Commit() error
	// Close commits and releases the store and its lock.
	Close() error
	// Location names the store for people (a path, a database without its
	// secrets).
	Location() string
}

// Sharded is a store that the workers of a sharded run share, one process
// per shard (state/postgres). Each record carries the shard that
// delivers it; named locks keep one worker per shard and one stager at a
// time, and are released by the server when a worker's process dies.
type Sharded interface {
	Store
	// TryClaim takes a named lock if it is free and says whether it did;
	// Claim waits for it while ctx lasts; Release gives it back. A lock is
	// held until released or until the process's connection ends.
	TryClaim(name string) (bool, error)
	Claim(ctx context.Context, name string) error
	Release(name string) error
	// SetShard moves every record of a client (by client key) to a shard.
	SetShard(clientKey string, shard int) error
	// ShardKeys pages through an entity's keys of one shard in key order.
	ShardKeys(entity string, shard int, after string, limit int) ([]string, error)
	// ShardCounts is Counts for the records of one shard.
	ShardCounts(shard int) (map[string]map[string]int, error)

	// The census places every source record of a run in a shard before any
	// worker stages it, so that the workers stage their shards' records at
	// once and each still decides as one process would (pipeline,
	// census.go). CensusBegin empties it. CensusAdd keeps rows in the order
	// given (a bulk write). CensusPersons settles the clients added so far:
	// duplicate keys, the first client of each person, and the clients
	// that are the same person as an earlier one; CensusPerson then names a
	// person's first client. CensusSettle settles the rest: a row without
	// a client takes one from a record it names or that names it, and
	// every row but the first of an entity's key is marked a duplicate.
	// CensusLinks calls fn with each pair of clients a row and a record it
	// names belong to. CensusMove puts a client's rows in another shard;
	// CensusPlace gives every row its client's shard (0 without one).
	// CensusShard pages through one shard's rows in order.
	CensusBegin() error
	CensusAdd(rows []CensusRow) error
	CensusPersons() error
	CensusPerson(person string) (string, error)
	CensusSettle() error
	CensusLinks(fn func(a, b string) error) error
	CensusMove(client string, shard int) error
	CensusPlace() error
	CensusShard(shard int, after int64, limit int) ([]CensusRow, error)
	// GetMany returns the records of an entity with the keys given that
	// the store holds, in one round trip: a worker reads ahead the rows
	// of the records its census page names.
	GetMany(entity string, keys []string) ([]*Record, error)
}

// CensusRow is one source record as the census read it: its place in the
// reading of every source (from 1), its entity and key ("" for none), its
// client's key, the records it names (a document's case and the document
// it is attached to or replaces, a member's case, a case's other clients),
// its locator; a client's person, whether one process would ask if the
// person has a client already (Asked) and whether it would then become
// the person's client (Eligible); the shard of a client's own row, as
// hashed. CensusSettle and CensusPersons set FirstLocator, the locator of
// the first row of its entity with its key when it is not that row, and
// PersonKey and PersonLocator, the person's first client when this asked
// client came after it.
type CensusRow struct {
	Pos                      int64
	Entity, Key, Client      string
	Refs                     []CensusRef
	Locator                  string
	Person                   string
	Asked, Eligible          bool
	Shard                    int
	FirstLocator             string
	PersonKey, PersonLocator string
}

// CensusRef names a record a census row names.
type CensusRef struct{ Entity, Key string }

// ErrLocked is returned when another process holds the store.
type ErrLocked struct{ Path string }

func (e *ErrLocked) Error() string {
	return fmt.Sprintf("another kantamig process is using the state file %s; wait for it to finish (or stop it) and run again", e.Path)
}

// Backend opens the stores of one scheme. location is the --state value
// without its "scheme:" prefix.
type Backend struct {
	// Open opens (or creates) a store for a run and takes its lock.
	Open func(location string) (Store, error)
	// OpenReadOnly opens an existing store to look at it (status, report)
	// while a run may be using it; it never creates one.
	OpenReadOnly func(location string) (Store, error)
	// OpenShared, for a store that several processes use at once (a
	// Sharded one), opens a worker's handle without the store's run lock.
	OpenShared func(location string) (Store, error)
	// OpenTemp, for the default backend, makes a store in a folder that is
	// removed when it is closed (or, after a kill, at the next OpenTemp in
	// the same folder): a dry-run's, or a mapping test's.
	OpenTemp func(dir string) (Store, error)
}

var backends = registry.New[Backend]("state scheme")

// DefaultScheme is the backend of a --state value without a scheme: a file.
const DefaultScheme = "sqlite"

// Register makes a backend known under its scheme. It panics on a second
// registration of the same scheme, as database/sql does.
func Register(scheme string, b Backend) { backends.Register(scheme, b) }

// IsShared says whether a --state value names a store several processes
// use at once (one with OpenShared): its location is no file beside which
// a report goes, and may hold a secret its Location() leaves out.
func IsShared(spec string) bool {
	b, _, err := backendOf(spec)
	return err == nil && b.OpenShared != nil
}

func backendOf(spec string) (Backend, string, error) {
	if scheme, rest, ok := strings.Cut(spec, ":"); ok {
		if b, known := backends.Lookup(scheme); known {
			return b, rest, nil
		}
	}
	b, ok := backends.Lookup(DefaultScheme)
	if !ok {
		return Backend{}, "", fmt.Errorf("state %q: no state backend is built in", spec)
	}
	return b, spec, nil
}

// Open opens the store a --state value names: SCHEME:LOCATION for a
// registered scheme, or a file path for the default (SQLite).
func Open(spec string) (Store, error) {
	b, loc, err := backendOf(spec)
	if err != nil {
		return nil, err
	}
	return b.Open(loc)
}

// OpenShared opens the store a --state value names as one worker of a
// sharded run; a backend that cannot be shared says so.
func OpenShared(spec string) (Store, error) {
	b, loc, err := backendOf(spec)
	if err != nil {
		return nil, err
	}
	if b.OpenShared == nil {
		return nil, fmt.Errorf("state %q cannot be shared by the workers of a sharded run: use a shared store (--state postgres:)", spec)
	}
	return b.OpenShared(loc)
}

// OpenTemp makes a temporary store in dir with the default backend: the
// ledger of a dry-run, which holds identity codes in clear while it works
// and is removed when closed.
func OpenTemp(dir string) (Store, error) {
	b, ok := backends.Lookup(DefaultScheme)
	if !ok || b.OpenTemp == nil {
		return nil, fmt.Errorf("no state backend for a temporary store is built in (%s)", DefaultScheme)
	}
	return b.OpenTemp(dir)
}

// OpenReadOnly opens the store a --state value names, to look at it.
func OpenReadOnly(spec string) (Store, error) {
	b, loc, err := backendOf(spec)
	if err != nil {
		return nil, err
	}
	return b.OpenReadOnly(loc)
}

// jsonModel marks a model stored as JSON. Stores written before JSON hold
// gob, whose streams never begin with a zero byte (a message length), nor
// with a one (no first message is a byte long). rawBodyModel marks JSON
// followed by a body's bytes as they are (BodyCarrier).
const (
	jsonModel    = 0x00
	rawBodyModel = 0x01
)

// A BodyCarrier is a model that holds bytes (a document's body read as
// bytes, a scan made PDF/A): Encode stores them after its JSON as they
// are, not in Base64 inside it, so that a body of 50 MB costs 50 MB in the
// store and one copy to encode or decode, not a third more and several.
type BodyCarrier interface {
	StoredBody() []byte // the bytes, nil for none
	WithoutBody() any   // the model without them, for its JSON
}

// bodyReceiver takes the bytes back when the model is decoded.
type bodyReceiver interface{ SetStoredBody([]byte) }

// Encode stores a model value: a zero byte, then JSON. JSON, not gob: a gob
// stream carries its type descriptions, and decoding them again for every
// record cost a tenth of a run's time outside signing (about 40 µs a
// document against 9 µs). The models hold only valid UTF-8 (the mapping
// rejects any other), so JSON keeps every string as it was. A BodyCarrier
// with bytes is a one, the JSON's length in four bytes, the JSON, the bytes.
//
// Its times are written as UTC instants (see inUTC), exact whatever the
// zone's offset.
func Encode(v any) ([]byte, error) {
	var raw []byte
	if bc, ok := v.(BodyCarrier); ok && len(bc.StoredBody()) > 0 {
		raw, v = bc.StoredBody(), bc.WithoutBody()
	}
	js, err := json.Marshal(inUTC(reflect.ValueOf(v)).Interface())
	if err != nil {
		return nil, err
	}
	if raw == nil {
		out := make([]byte, 1+len(js))
		out[0] = jsonModel
		copy(out[1:], js)
		return out, nil
	}
	if len(js) > math.MaxUint32 {
		return nil, fmt.Errorf("a model's JSON of %d bytes is too long to store beside its body", len(js))
	}
	out := make([]byte, 0, 5+len(js)+len(raw))
	out = append(out, rawBodyModel)
	out = binary.BigEndian.AppendUint32(out, uint32(len(js)))
	out = append(out, js...)
	return append(out, raw...), nil
}

// Decode reads a model value written by Encode, or by the gob encoding of
// earlier versions (a store being resumed). A body stored after the JSON
// is given to the model without a copy: it shares data.
func Decode(data []byte, v any) error {
	switch {
	case len(data) > 0 && data[0] == jsonModel:
		return json.Unmarshal(data[1:], v)
	case len(data) >= 5 && data[0] == rawBodyModel:
		n := int(binary.BigEndian.Uint32(data[1:5]))
		if 5+n > len(data) {
			return fmt.Errorf("a stored model is cut short: its JSON of %d bytes runs past its end", n)
		}
		if err := json.Unmarshal(data[5:5+n], v); err != nil {
			return err
		}
		r, ok := v.(bodyReceiver)
		if !ok {
			return fmt.Errorf("a stored model holds a body, and %T takes none", v)
		}
		r.SetStoredBody(data[5+n:])
		return nil
	}
	return gob.NewDecoder(bytes.NewReader(data)).Decode(v)
}

// IntSetting reads a counter kept as a setting: 0 when it was never set.
// A store that fails to answer, or a value that is not a number, is an
// error: a damaged store must not look like a fresh start.
func IntSetting(st Store, name string) (int, error) {
	v, err := st.Setting(name)
	if err != nil {
		return 0, fmt.Errorf("reading %s from the state store: %w", name, err)
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("the state store's %s is %q, not a number: the store is damaged; restore it from its backup", name, v)
	}
	return n, nil
}
