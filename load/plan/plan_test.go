package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

func at(s string) time.Time {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	t, _ := time.ParseInLocation("2006-01-02 15:04", s, loc)
	return t
}

// staged is a store holding what staging would keep for two clients:
//
//	A1: relationship, case K1 (A1 only), case KS (shared with A2),
//	    documents D2 (2011-03-05), D1 (2011-03-04), D3 replacing D1 (2011-03-01, drawn up before it)
//	A2: relationship, document E1 (2011-01-01) in KS
//
// Keys are staged out of order, so the order comes from the plan.
type staged struct {
	st  state.Store
	tr  *transform.Transformer
	oid map[string]string // key -> document OID
}

func newStaged(t *testing.T) *staged {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &staged{st: st, tr: transformtest.NewTransformer(t, testenv.Sosmeta()), oid: map[string]string{}}
	a1, a2 := transformtest.TestPerson(1), transformtest.TestPerson(2)
	unit := kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Yksikkö"}
	rel := func(c kanta.Client) kanta.Relationship {
		return kanta.Relationship{Client: c, Start: at("2010-01-01 00:00"), Old: true, Unit: unit, ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24", Unit: unit, Start: at("2010-01-01 00:00")}}}
	}
	kase := func(clients ...string) kanta.Case {
		c := kanta.Case{Name: "91", Status: "92", Opened: at("2010-02-02 00:00"), ServiceTask: "24", Unit: unit}
		for _, k := range clients {
			person := a1
			if k == "A2" {
				person = a2
			}
			c.Clients = append(c.Clients, kanta.CaseClient{ClientKey: k, Client: person, Joined: c.Opened})
		}
		return c
	}
	doc := func(client, cas, drawn, replaces string) kanta.Document {
		person := a1
		if client == "A2" {
			person = a2
		}
		return kanta.Document{ClientKey: client, CaseKey: cas, Client: person, Type: "17", ServiceTask: "24", DrawnUp: at(drawn), Confidentiality: "6", Unit: unit, Text: "teksti", ReplacesKey: replaces}
	}
	s.put(t, kanta.EntityClient, "A2", "", rel(a2), 2)
	s.put(t, kanta.EntityClient, "A1", "", rel(a1), 1)
	s.put(t, kanta.EntityCase, "KS", "A1", kase("A1", "A2"), 11)
	s.put(t, kanta.EntityCase, "K1", "A1", kase("A1"), 10)
	s.put(t, kanta.EntityDocument, "D2", "A1", doc("A1", "K1", "2011-03-05 10:00", ""), 21)
	s.put(t, kanta.EntityDocument, "D1", "A1", doc("A1", "K1", "2011-03-04 10:00", ""), 20)
	s.put(t, kanta.EntityDocument, "D3", "A1", doc("A1", "K1", "2011-03-01 10:00", "D1"), 22)
	s.put(t, kanta.EntityDocument, "E1", "A2", doc("A2", "KS", "2011-01-01 10:00", ""), 23)
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	return s
}

// put stages one record as the stager would: its model, identifiers and the
// hash of the document built from them.
func (s *staged) put(t *testing.T, e kanta.Entity, key, client string, model any, n int) {
	t.Helper()
	oid := "1.2.246.10.99999991.95.1.3." + strconv.Itoa(n)
	entityOID := "1.2.246.10.99999991.95.1.1." + strconv.Itoa(n)
	row := &state.Record{Entity: string(e), Key: key, Pass: 1, Locator: "test:" + key, Outcome: state.Pending, DocOID: oid, EntityOID: entityOID, SetOID: oid, Version: 1, ClientKey: client}
	var out *transform.Output
	var err error
	switch m := model.(type) {
	case kanta.Relationship:
		row.ClientKey = key
		out, err = s.tr.Relationship(m, transform.IDs{Document: oid, Relationship: entityOID})
	case kanta.Case:
		out, err = s.tr.Case(m, transform.IDs{Document: oid, Case: entityOID})
	case kanta.Document:
		row.CaseKey, row.OrderTime = m.CaseKey, m.DrawnUp.UTC().Format("20060102T150405.000")
		ids := transform.IDs{Document: oid, Set: oid, Relationship: s.entity(t, kanta.EntityClient, m.ClientKey), Case: s.entity(t, kanta.EntityCase, m.CaseKey)}
		if m.ReplacesKey != "" {
			prev, _ := s.st.Get(string(kanta.EntityDocument), m.ReplacesKey)
			ids.Set, ids.Replaces, ids.ReplacesVersion = prev.SetOID, prev.DocOID, prev.Version
			row.SetOID, row.Version = prev.SetOID, prev.Version+1
		}
		out, err = s.tr.Document(m, ids)
	}
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	sum := sha256.Sum256(out.XML)
	row.ContentHash = hex.EncodeToString(sum[:])
	if row.Model, err = state.Encode(model); err != nil {
		t.Fatal(err)
	}
	if err := s.st.Put(row); err != nil {
		t.Fatal(err)
	}
	s.oid[key] = oid
}

func (s *staged) entity(t *testing.T, e kanta.Entity, key string) string {
	row, err := s.st.Get(string(e), key)
	if err != nil || row == nil {
		t.Fatalf("%s %s is not staged: %v", e, key, err)
	}
	return row.EntityOID
}

// walk returns the items a plan hands on, in order.
func (s *staged) walk(t *testing.T, opts Options) []Item {
	t.Helper()
	var items []Item
	err := New(s.st, s.tr.Rebuilder(), opts).Walk(context.Background(), func(it Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func keysOf(items []Item) string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key)
	}
	return strings.Join(out, " ")
}

func (s *staged) depsOf(items []Item, key string) []string {
	for _, it := range items {
		if it.Key == key {
			return it.Deps
		}
	}
	return nil
}

func (s *staged) names(oids []string) string {
	byOID := map[string]string{}
	for k, o := range s.oid {
		byOID[o] = k
	}
	var out []string
	for _, o := range oids {
		out = append(out, byOID[o])
	}
	return strings.Join(out, " ")
}

// Client by client: the relationship, then its cases, a shared case after
// the relationship of every client it has, then its documents in the order
// they were drawn up, a replacing version after the version it replaces
// even when drawn up before it. Each waits for what it refers to.
func TestOrderPerClient(t *testing.T) {
	s := newStaged(t)
	items := s.walk(t, Options{Run: 1})
	// Expected order written from the rules above, not from the planner.
	if got, want := keysOf(items), "A1 K1 A2 KS D1 D3 D2 E1"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	for key, want := range map[string]string{
		"K1": "A1",
		"KS": "A1 A2",
		"D1": "A1 K1",
		"D3": "A1 K1 D1 D1",
		"D2": "A1 K1 D3",
		"E1": "A2 KS",
	} {
		if got := s.names(s.depsOf(items, key)); got != want {
			t.Errorf("%s waits for %q, want %q", key, got, want)
		}
	}
	// Handed on once in a run: a second walk of the same run hands nothing.
	if again := s.walk(t, Options{Run: 1}); len(again) != 0 {
		t.Errorf("the same run handed %q again", keysOf(again))
	}
	if next := s.walk(t, Options{Run: 2}); len(next) != len(items) {
		t.Errorf("the next run (nothing loaded yet) hands %d, want %d", len(next), len(items))
	}
}

// Phased: every relationship, then every case, then every document in the
// order drawn up across clients.
func TestPhasedOrder(t *testing.T) {
	s := newStaged(t)
	if got, want := keysOf(s.walk(t, Options{Run: 1, Phased: true})), "A1 A2 K1 KS E1 D1 D3 D2"; got != want {
		t.Errorf("phased order %q, want %q", got, want)
	}
}

// A loaded record is not handed on; a record whose document cannot be
// rebuilt as staged is rejected on its own, and what depends on it is
// held back with it, while the rest is handed on.
func TestLoadedAndChanged(t *testing.T) {
	s := newStaged(t)
	if err := s.st.MarkLoaded(string(kanta.EntityClient), "A1"); err != nil {
		t.Fatal(err)
	}
	s.st.Commit()
	if got := keysOf(s.walk(t, Options{Run: 1})); strings.Contains(got, "A1 ") || !strings.HasPrefix(got, "K1") {
		t.Errorf("with A1 loaded: %q", got)
	}
	for _, key := range []string{"D1"} {
		row, _ := s.st.Get(string(kanta.EntityDocument), key)
		row.ContentHash = strings.Repeat("0", 64)
		s.st.Put(row)
	}
	row, _ := s.st.Get(string(kanta.EntityClient), "A2")
	row.ContentHash = strings.Repeat("0", 64)
	s.st.Put(row)
	var held []string
	items := s.walk(t, Options{Run: 2, HeldBack: func(r state.Record) { held = append(held, r.Key+":"+r.Rule) }})
	if got, want := keysOf(items), "K1 D2"; got != want {
		t.Errorf("handed on %q, want %q", got, want)
	}
	if got, want := strings.Join(held, " "), "A2:transform KS:client-not-loaded D1:transform D3:replaces-not-loaded E1:client-not-loaded"; got != want {
		t.Errorf("held back %q, want %q", got, want)
	}
	for key, rule := range map[string]string{"D1": "transform", "D3": "replaces-not-loaded"} {
		row, _ := s.st.Get(string(kanta.EntityDocument), key)
		if row.Outcome != state.Rejected || row.Rule != rule || row.Reason == "" {
			t.Errorf("%s: %s %s %q", key, row.Outcome, row.Rule, row.Reason)
		}
	}
}

// A test archive takes test persons only: one real person among the
// clients to deliver refuses the whole run before anything is sent.
func TestTestRange(t *testing.T) {
	s := newStaged(t)
	if err := CheckTestRange(context.Background(), s.st); err != nil {
		t.Fatalf("test persons only: %v", err)
	}
	real := kanta.Relationship{Client: kanta.Client{IdentityCode: "150467-1490", FamilyName: "Oikea", GivenNames: "Henkilö"}}
	row := &state.Record{Entity: string(kanta.EntityClient), Key: "R1", Pass: 1, Locator: "test:R1", Outcome: state.Pending}
	row.Model, _ = state.Encode(real)
	s.st.Put(row)
	var refusal *ErrRealPersonsToTest
	if err := CheckTestRange(context.Background(), s.st); !errors.As(err, &refusal) || refusal.Records != 1 || refusal.Example != "test:R1" {
		t.Errorf("a real person: %v", err)
	}
	// A test person whose document names a real one, in a text.
	doc := kanta.Document{Text: "Sisar 020202A123C soitti."}
	row = &state.Record{Entity: string(kanta.EntityDocument), Key: "D9", Pass: 1, Locator: "test:D9", Outcome: state.Pending}
	row.Model, _ = state.Encode(doc)
	s.st.Put(row)
	if err := CheckTestRange(context.Background(), s.st); !errors.As(err, &refusal) || refusal.Records != 2 || strings.Contains(err.Error(), "123C") {
		t.Errorf("a real person in a document's text: %v", err)
	}
	if !IsTestProcessing("T") || !IsTestProcessing("D") || IsTestProcessing("P") {
		t.Error("processing codes T and D are the test archive's, P the production's")
	}
}
