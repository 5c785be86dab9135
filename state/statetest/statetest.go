// Package statetest is the conformance suite every state store backend
// passes, as golang-migrate's database/testing is for its drivers: minting
// is unique under concurrent use, outcomes survive a crash and a reopen,
// key and client orderings are stable, and the lock excludes a second run.
//
// A backend's tests call Run with a Backend that makes fresh, empty store
// locations; see state.Store for the checklist of adding one.
package statetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/kantamig/kantamig/state"
)

// Backend is what the suite needs of a backend.
type Backend struct {
	// New makes a fresh, empty store location (e.g. a path in t.TempDir()).
	New func(t *testing.T) string
	// Open opens a store at a location for a run, taking its lock.
	Open func(location string) (state.Store, error)
	// Crash lets go of a store as a killed process would: nothing is
	// committed or closed cleanly; the lock is gone with the process.
	Crash func(state.Store)
	// Shared says several processes use one store at once (one per shard):
	// the suite then also mints from several stores opened on one location
	// at the same time. OpenShared opens such a second handle.
	Shared     bool
	OpenShared func(location string) (state.Store, error)
}

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	t.Run("MintIsUniqueUnderConcurrentUse", func(t *testing.T) { mintConcurrently(t, b) })
	t.Run("MintContinuesAfterReopen", func(t *testing.T) { mintAfterReopen(t, b) })
	t.Run("OutcomesSurviveCrashAndReopen", func(t *testing.T) { surviveCrash(t, b) })
	t.Run("RecordsRoundTrip", func(t *testing.T) { roundTrip(t, b) })
	t.Run("OrderingsAreStable", func(t *testing.T) { orderings(t, b) })
	t.Run("LockExcludesASecondRun", func(t *testing.T) { lock(t, b) })
	t.Run("SettingsRoundTrip", func(t *testing.T) { settings(t, b) })
	t.Run("KeysWithNULRoundTripInOrder", func(t *testing.T) { nulKeys(t, b) })
	if b.Shared {
		t.Run("MintIsUniqueAcrossStoresSharingOneLocation", func(t *testing.T) { mintShared(t, b) })
	}
}

func open(t *testing.T, b Backend, loc string) state.Store {
	t.Helper()
	s, err := b.Open(loc)
	if err != nil {
		t.Fatalf("opening %s: %v", loc, err)
	}
	return s
}

func closeStore(t *testing.T, s state.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("closing: %v", err)
	}
}

const root = "1.2.246.10.99"

// mintMany mints n identifiers of each kind from goroutines goroutines and
// returns them by kind.
func mintMany(t *testing.T, stores []state.Store, goroutines, n int, kinds []string) map[string][]string {
	t.Helper()
	var mu sync.Mutex
	got := map[string][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		s := stores[g%len(stores)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				kind := kinds[(g+i)%len(kinds)]
				oid, err := s.Mint(root, kind)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				got[kind] = append(got[kind], oid)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("minting: %v", err)
	}
	return got
}

// checkDense checks that the identifiers of each kind are distinct and are
// exactly root.kind.1 .. root.kind.N.
func checkDense(t *testing.T, got map[string][]string) {
	t.Helper()
	for kind, oids := range got {
		seen := map[string]bool{}
		for _, oid := range oids {
			if seen[oid] {
				t.Fatalf("kind %s: %s minted twice", kind, oid)
			}
			seen[oid] = true
		}
		for i := 1; i <= len(oids); i++ {
			if want := fmt.Sprintf("%s.%s.%d", root, kind, i); !seen[want] {
				t.Fatalf("kind %s: %d minted but %s is not among them", kind, len(oids), want)
			}
		}
	}
}

func mintConcurrently(t *testing.T, b Backend) {
	s := open(t, b, b.New(t))
	defer closeStore(t, s)
	got := mintMany(t, []state.Store{s}, 8, 400, []string{"1", "2", "3"})
	if n := len(got["1"]) + len(got["2"]) + len(got["3"]); n != 8*400 {
		t.Fatalf("%d identifiers minted, want %d", n, 8*400)
	}
	checkDense(t, got)
}

func mintShared(t *testing.T, b Backend) {
	loc := b.New(t)
	var stores []state.Store
	for i := 0; i < 3; i++ {
		s, err := b.OpenShared(loc)
		if err != nil {
			t.Fatalf("opening handle %d: %v", i, err)
		}
		defer closeStore(t, s)
		stores = append(stores, s)
	}
	got := mintMany(t, stores, 9, 200, []string{"3"})
	checkDense(t, got)
}

func mintAfterReopen(t *testing.T, b Backend) {
	loc := b.New(t)
	s := open(t, b, loc)
	first, err := s.Mint(root, "3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(&state.Record{Entity: "document", Key: "D1", Pass: 1, Locator: "a.xml:1", Outcome: state.Pending, DocOID: first}); err != nil {
		t.Fatal(err)
	}
	closeStore(t, s)
	s = open(t, b, loc)
	defer closeStore(t, s)
	next, err := s.Mint(root, "3")
	if err != nil {
		t.Fatal(err)
	}
	if first != root+".3.1" || next != root+".3.2" {
		t.Fatalf("minted %s, then after reopening %s; want %s.3.1 then %s.3.2", first, next, root, root)
	}
}

func surviveCrash(t *testing.T, b Backend) {
	loc := b.New(t)
	s := open(t, b, loc)
	for i := 0; i < 10; i++ {
		oid, err := s.Mint(root, "3")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(&state.Record{Entity: "document", Key: fmt.Sprintf("D%02d", i), Pass: 1, Locator: "x", Outcome: state.Pending, DocOID: oid}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkLoaded("document", "D03"); err != nil { // durable at the next Commit
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed("document", "D04", "delivery", "archive down"); err != nil { // durable at once
		t.Fatal(err)
	}
	b.Crash(s)

	s = open(t, b, loc)
	defer closeStore(t, s)
	for key, want := range map[string]string{"D03": state.Loaded, "D04": state.Pending, "D09": state.Pending} {
		r, err := s.Get("document", key)
		if err != nil || r == nil {
			t.Fatalf("after the crash, %s is gone: %v", key, err)
		}
		if r.Outcome != want {
			t.Errorf("after the crash, %s is %s, want %s", key, r.Outcome, want)
		}
	}
	if r, _ := s.Get("document", "D04"); r.Reason != "archive down" {
		t.Errorf("the failure's reason did not survive: %q", r.Reason)
	}
	// Identifiers minted and stored before the crash are never minted again.
	next, err := s.Mint(root, "3")
	if err != nil {
		t.Fatal(err)
	}
	if next != root+".3.11" {
		t.Errorf("after the crash the next identifier is %s, want %s.3.11", next, root)
	}
}

func roundTrip(t *testing.T, b Backend) {
	s := open(t, b, b.New(t))
	defer closeStore(t, s)
	want := state.Record{Entity: "document", Key: "D1", Pass: 2, Locator: "docs.xml:/a/b[1]", Outcome: state.Rejected,
		Field: "text", Rule: "document-too-large", Reason: "too big", EntityOID: "", DocOID: root + ".3.1", SetOID: root + ".3.1",
		Version: 2, ClientKey: "C1", CaseKey: "K1", OrderTime: "20200101T000000.000", ContentHash: "ab", Attempts: 0,
		Model: []byte{1, 2, 3}, Person: "p1", DocType: "1 Päätös", ServiceTask: "91 Lastensuojelu"}
	if err := s.Put(&want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("document", "D1")
	if err != nil || got == nil {
		t.Fatalf("Get: %v %v", got, err)
	}
	if !equalRecords(*got, want) {
		t.Errorf("read back %+v\nwant %+v", *got, want)
	}
	if r, err := s.Get("document", "nope"); r != nil || err != nil {
		t.Errorf("a missing record: %v %v, want nil, nil", r, err)
	}
	changed := want
	changed.Outcome, changed.Rule, changed.Reason, changed.Field = state.Pending, "", "", ""
	if err := s.Put(&changed); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Get("document", "D1"); got.Outcome != state.Pending || got.Rule != "" {
		t.Errorf("Put did not replace: %+v", got)
	}
	if err := s.MarkSubmitted("document", "D1", 7); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Get("document", "D1"); got.DeliveryRun != 7 || got.Attempts != 1 {
		t.Errorf("after MarkSubmitted: run %d attempts %d, want 7 and 1", got.DeliveryRun, got.Attempts)
	}
	if err := s.MarkFailed("document", "D1", "delivery", "timeout"); err != nil {
		t.Fatal(err)
	}
	fails, err := s.Failures(10)
	if err != nil || len(fails) != 1 || fails[0].Key != "D1" || fails[0].Reason != "timeout" {
		t.Errorf("Failures: %v %v", fails, err)
	}
	if err := s.MarkLoaded("document", "D1"); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Get("document", "D1"); got.Outcome != state.Loaded || got.Reason != "" {
		t.Errorf("after MarkLoaded: %s %q", got.Outcome, got.Reason)
	}
	// Writes to one record keep their order, whatever a backend batches: a
	// mark, then a Put, then a mark, each read back before the next.
	d2 := state.Record{Entity: "document", Key: "D2", Pass: 1, Locator: "l-D2", Outcome: state.Pending}
	if err := s.Put(&d2); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkLoaded("document", "D2"); err != nil {
		t.Fatal(err)
	}
	held := d2
	held.Outcome, held.Rule, held.Reason = state.Rejected, "held-back", "held back after it was marked"
	if err := s.Put(&held); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Get("document", "D2"); got.Outcome != state.Rejected || got.Rule != "held-back" {
		t.Errorf("a Put after MarkLoaded: %s %s, want the Put's rejected held-back", got.Outcome, got.Rule)
	}
	if err := s.MarkSubmitted("document", "D2", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Get("document", "D2"); got.Outcome != state.Rejected || got.DeliveryRun != 3 || got.Attempts != 1 {
		t.Errorf("after a mark, a Put and a mark: %s, run %d, attempts %d; want rejected, 3, 1", got.Outcome, got.DeliveryRun, got.Attempts)
	}
	// One person under two keys is found; the record itself is not.
	for _, k := range []string{"C1", "C2"} {
		if err := s.Put(&state.Record{Entity: "client", Key: k, Pass: 1, Locator: "l-" + k, Outcome: state.Pending, Person: "same"}); err != nil {
			t.Fatal(err)
		}
	}
	if other, err := s.SamePerson("client", "same", "C2", 1); err != nil || other == nil || other.Key != "C1" {
		t.Errorf("SamePerson: %v %v, want C1", other, err)
	}
	if other, _ := s.SamePerson("client", "same", "C2", 2); other != nil {
		t.Errorf("SamePerson found a record of another pass: %v", other)
	}
	counts, err := s.Counts()
	if err != nil || counts["client"][state.Pending] != 2 || counts["document"][state.Loaded] != 1 {
		t.Errorf("Counts: %v %v", counts, err)
	}
	var seen []string
	err = s.Outcomes(func(r state.Record) error {
		if r.Model != nil {
			t.Errorf("Outcomes carries the model of %s", r.Key)
		}
		seen = append(seen, r.Entity+"/"+r.Key)
		return nil
	})
	if err != nil || !slices.Equal(seen, []string{"client/C1", "client/C2", "document/D1", "document/D2"}) {
		t.Errorf("Outcomes: %v %v", seen, err)
	}
}

func equalRecords(a, b state.Record) bool {
	a.DeliveryRun, b.DeliveryRun = 0, 0
	return a.Entity == b.Entity && a.Key == b.Key && a.Pass == b.Pass && a.Locator == b.Locator && a.Outcome == b.Outcome &&
		a.Field == b.Field && a.Rule == b.Rule && a.Reason == b.Reason && a.EntityOID == b.EntityOID && a.DocOID == b.DocOID &&
		a.SetOID == b.SetOID && a.Version == b.Version && a.ClientKey == b.ClientKey && a.CaseKey == b.CaseKey &&
		a.OrderTime == b.OrderTime && a.ContentHash == b.ContentHash && a.Attempts == b.Attempts &&
		slices.Equal(a.Model, b.Model) && a.Person == b.Person && a.DocType == b.DocType && a.ServiceTask == b.ServiceTask
}

func orderings(t *testing.T, b Backend) {
	s := open(t, b, b.New(t))
	defer closeStore(t, s)
	const n = 1234
	type doc struct {
		key, time string
		version   int
	}
	var docs []doc
	for i := 0; i < n; i++ {
		// Times repeat, so that key and version decide between equals.
		docs = append(docs, doc{key: fmt.Sprintf("D%05d", i), time: fmt.Sprintf("2019%04d", (i*7919)%97), version: i % 3})
	}
	shuffled := slices.Clone(docs)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i, d := range shuffled {
		client := "C" + fmt.Sprint(i%2)
		if d.key < "D00100" {
			client = "CX"
		}
		if err := s.Put(&state.Record{Entity: "document", Key: d.key, Pass: 1, Locator: d.key, Outcome: state.Pending,
			ClientKey: client, OrderTime: d.time, Version: d.version}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	after := ""
	for {
		page, err := s.Keys("document", after, 100)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, page...)
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1]
	}
	if len(keys) != n || !slices.IsSorted(keys) {
		t.Fatalf("Keys paged %d keys, sorted %v; want %d in key order", len(keys), slices.IsSorted(keys), n)
	}
	byTime := slices.Clone(docs)
	slices.SortFunc(byTime, func(a, b doc) int {
		if a.time != b.time {
			return cmpString(a.time, b.time)
		}
		return cmpString(a.key, b.key)
	})
	var ordered []string
	afterTime, afterKey := "", ""
	for {
		page, times, err := s.OrderedKeys("document", afterTime, afterKey, 100)
		if err != nil {
			t.Fatal(err)
		}
		ordered = append(ordered, page...)
		if len(page) < 100 {
			break
		}
		afterTime, afterKey = times[len(times)-1], page[len(page)-1]
	}
	for i := range byTime {
		if i >= len(ordered) || ordered[i] != byTime[i].key {
			t.Fatalf("OrderedKeys: position %d is %v, want %s", i, at(ordered, i), byTime[i].key)
		}
	}
	rows, err := s.ClientRows("document", "CX")
	if err != nil {
		t.Fatal(err)
	}
	var want []doc
	for _, d := range docs {
		if d.key < "D00100" {
			want = append(want, d)
		}
	}
	slices.SortFunc(want, func(a, b doc) int {
		if a.time != b.time {
			return cmpString(a.time, b.time)
		}
		if a.version != b.version {
			return a.version - b.version
		}
		return cmpString(a.key, b.key)
	})
	if len(rows) != len(want) {
		t.Fatalf("ClientRows: %d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i].key {
			t.Fatalf("ClientRows: position %d is %s, want %s (order time, version, key)", i, rows[i], want[i].key)
		}
	}
}

func at(s []string, i int) any {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func lock(t *testing.T, b Backend) {
	loc := b.New(t)
	s := open(t, b, loc)
	_, err := b.Open(loc)
	var locked *state.ErrLocked
	if !errors.As(err, &locked) {
		t.Fatalf("a second run on the same store: %v, want *state.ErrLocked", err)
	}
	closeStore(t, s)
	s = open(t, b, loc) // free again once the first has closed
	closeStore(t, s)
}

func settings(t *testing.T, b Backend) {
	loc := b.New(t)
	s := open(t, b, loc)
	if v, err := s.Setting("sink"); v != "" || err != nil {
		t.Fatalf("an unset setting: %q %v", v, err)
	}
	for _, kv := range [][2]string{{"sink", "dir:/a"}, {"sink", "dir:/b"}, {"pass", "3"}} {
		if err := s.SetSetting(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	closeStore(t, s)
	s = open(t, b, loc)
	defer closeStore(t, s)
	if v, _ := s.Setting("sink"); v != "dir:/b" {
		t.Errorf("sink = %q after reopening, want dir:/b", v)
	}
	if v, _ := s.Setting("pass"); v != "3" {
		t.Errorf("pass = %q after reopening, want 3", v)
	}
}

// nulKeys: the stager keeps records without a key, and duplicates, under
// keys with a NUL byte in them; they must come back as written, in byte
// order among the others.
func nulKeys(t *testing.T, b Backend) {
	s := open(t, b, b.New(t))
	defer closeStore(t, s)
	keys := []string{"src:A", "src:A\x00dup@x.csv:3", "src:A\x01", "src:A0", "src:\x00x.csv:9"}
	for _, k := range keys {
		if err := s.Put(&state.Record{Entity: "client", Key: k, Pass: 1, Locator: "l", Outcome: state.Rejected, ClientKey: k}); err != nil {
			t.Fatalf("Put %q: %v", k, err)
		}
	}
	for _, k := range keys {
		r, err := s.Get("client", k)
		if err != nil || r == nil || r.Key != k || r.ClientKey != k {
			t.Fatalf("Get %q: %+v %v", k, r, err)
		}
	}
	got, err := s.Keys("client", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Keys: %q, want %q", got, want)
	}
}

// Bench measures what a run asks of a store per document, in the order a run
// asks it: staging puts the record with its model (about 3 KB), then delivery
// gets it, marks it handed on and loaded, committing every 256 as the
// deliverer does. Each backend's tests call it from a benchmark.
func Bench(b *testing.B, s state.Store) {
	model := benchModel()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r := benchRecord(i, model)
		if err := s.Put(r); err != nil {
			b.Fatal(err)
		}
		deliverOne(b, s, r.Key, i)
	}
	if err := s.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchDelivery measures the delivery phase's use of the store as a run
// makes it: every record staged first (not timed), then each read, marked
// handed on and loaded in another order than it was written, over a store
// larger than its cache.
func BenchDelivery(b *testing.B, s state.Store) {
	model := benchModel()
	for i := 1; i <= b.N; i++ {
		if err := s.Put(benchRecord(i, model)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Commit(); err != nil {
		b.Fatal(err)
	}
	// Each record once, in an order unrelated to the key order (seeded, so
	// every run reads the same order).
	order := rand.New(rand.NewPCG(1, 2)).Perm(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for n, i := range order {
		deliverOne(b, s, fmt.Sprintf("D%09d", i+1), n+1)
	}
	if err := s.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func benchModel() []byte {
	model := make([]byte, 3000)
	for i := range model {
		model[i] = byte('a' + i%26)
	}
	return model
}

func benchRecord(i int, model []byte) *state.Record {
	key := fmt.Sprintf("D%09d", i)
	return &state.Record{Entity: "document", Key: key, Pass: 1, Locator: "asiakirjat.xml:" + key, Outcome: state.Pending,
		DocOID: "1.2.246.10.99999991.95.1.3." + key[1:], SetOID: "1.2.246.10.99999991.95.1.3." + key[1:], Version: 1,
		ClientKey: fmt.Sprintf("A%06d", i/4), CaseKey: fmt.Sprintf("K%07d", i/2), OrderTime: "2020-01-01T10:00:00Z",
		ContentHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Model: model}
}

// deliverOne is what delivery asks of the store for one document: its row,
// marked handed on, marked loaded, committed every 256.
func deliverOne(b *testing.B, s state.Store, key string, n int) {
	if r, err := s.Get("document", key); err != nil || r == nil || len(r.Model) == 0 {
		b.Fatalf("Get %s: %+v %v", key, r, err)
	}
	if err := s.MarkSubmitted("document", key, 1); err != nil {
		b.Fatal(err)
	}
	if err := s.MarkLoaded("document", key); err != nil {
		b.Fatal(err)
	}
	if n%256 == 0 {
		if err := s.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
