package postgres

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/kantamig/kantamig/state"
)

// The census settles what a sharded run's workers could not each decide
// alone: every row but the first of an entity's key is a duplicate
// pointing at the first; a person's first client that maps is its client,
// and a client asked after it is the same person; a row without a client
// takes one from a record it names (along a chain) or from one that names
// it; the clients a row and what it names belong to are linked; each row
// is in its client's shard, a moved client taking its rows along (0 for a
// client not in the census).
func TestCensusSettlesDuplicatesPersonsChainsAndShards(t *testing.T) {
	t.Parallel()
	need(t)
	st, err := Open(server.NewLocation("census"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// GetMany reads the rows it has of the keys given, in one statement.
	if err := st.Put(&state.Record{Entity: "client", Key: "c:B", Pass: 1, Locator: "x", Outcome: state.Pending, Shard: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetMany("client", []string{"c:B", "c:nobody", "c:A\x00odd"})
	if err != nil || len(got) != 1 || got[0].Key != "c:B" || got[0].Shard != 2 {
		t.Errorf("GetMany: %+v %v; want c:B alone", got, err)
	}

	if err := st.CensusBegin(); err != nil {
		t.Fatal(err)
	}
	client := func(pos int64, key, person string, asked, eligible bool, shard int) state.CensusRow {
		return state.CensusRow{Pos: pos, Entity: "client", Key: key, Client: key, Locator: fmt.Sprintf("l%d", pos), Person: person, Asked: asked, Eligible: eligible, Shard: shard}
	}
	ref := func(e, k string) []state.CensusRef { return []state.CensusRef{{Entity: e, Key: k}} }
	clients := []state.CensusRow{
		client(1, "c:A", "p1", true, false, 1),  // asked, but its own fault keeps it from being p1's client
		client(2, "c:B", "p1", true, true, 2),   // p1's client
		client(3, "c:C", "p1", true, true, 3),   // the same person as c:B
		client(4, "c:B", "p2", true, true, 2),   // c:B's key again: a duplicate, never p2's client
		client(5, "c:D", "p2", true, true, 0),   // p2's client
		client(6, "c:E", "p1", false, false, 1), // not asked (an identity fault of its own)
	}
	if err := st.CensusAdd(clients); err != nil {
		t.Fatal(err)
	}
	if err := st.CensusPersons(); err != nil {
		t.Fatal(err)
	}
	for person, want := range map[string]string{"p1": "c:B", "p2": "c:D", "p3": ""} {
		if got, err := st.CensusPerson(person); err != nil || got != want {
			t.Errorf("CensusPerson(%s) = %q, %v; want %q", person, got, err, want)
		}
	}
	rows := []state.CensusRow{
		{Pos: 7, Entity: "case", Key: "k:1", Client: "c:A", Refs: ref("client", "c:D"), Locator: "l7"}, // a case of c:A and c:D
		{Pos: 8, Entity: "case", Key: "k:2", Client: "", Locator: "l8"},                                // its clients come as members
		{Pos: 9, Entity: "member", Key: "m:1", Client: "c:E", Refs: ref("case", "k:2"), Locator: "l9"},
		{Pos: 10, Entity: "document", Key: "d:1", Client: "c:B", Refs: ref("case", "k:9"), Locator: "l10"},
		{Pos: 11, Entity: "document", Key: "d:2", Client: "", Refs: ref("document", "d:1"), Locator: "l11"}, // attachment of d:1
		{Pos: 12, Entity: "document", Key: "d:3", Client: "", Refs: ref("document", "d:2"), Locator: "l12"}, // and of the attachment
		{Pos: 13, Entity: "document", Key: "d:1", Client: "c:C", Locator: "l13"},                            // d:1 again, another client
		{Pos: 14, Entity: "case", Key: "d:1", Client: "c:C", Locator: "l14"},                                // the same key, another entity: no duplicate
		{Pos: 15, Entity: "document", Key: "", Client: "", Locator: "l15"},                                  // no key, no client
		{Pos: 16, Entity: "document", Key: "d:5", Client: "c:Z", Locator: "l16"},                            // a client not in the census
	}
	if err := st.CensusAdd(rows[:4]); err != nil {
		t.Fatal(err)
	}
	if err := st.CensusAdd(rows[4:]); err != nil {
		t.Fatal(err)
	}
	if err := st.CensusSettle(); err != nil {
		t.Fatal(err)
	}
	var links []string
	if err := st.CensusLinks(func(a, b string) error { links = append(links, a+"-"+b); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(links)
	if want := []string{"c:A-c:D"}; !reflect.DeepEqual(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	if err := st.CensusMove("c:D", 1); err != nil { // c:D to its group's shard, c:A's
		t.Fatal(err)
	}
	if err := st.CensusPlace(); err != nil {
		t.Fatal(err)
	}
	placed := map[int][]string{}
	for shard := 0; shard < 4; shard++ {
		var after int64
		for {
			page, err := st.CensusShard(shard, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				placed[shard] = append(placed[shard], fmt.Sprintf("%d %s %s %s%s", r.Pos, r.Entity, r.Client, r.FirstLocator, r.PersonKey+r.PersonLocator))
				after = r.Pos
			}
			if len(page) < 3 {
				break
			}
		}
	}
	want := map[int][]string{
		0: {"15 document  ", "16 document c:Z "},
		1: {"1 client c:A ", "5 client c:D ", "6 client c:E ", "7 case c:A ", "8 case c:E ", "9 member c:E "},
		2: {"2 client c:B ", "4 client c:B l2", "10 document c:B ", "11 document c:B ", "12 document c:B "},
		3: {"3 client c:C c:Bl2", "13 document c:C l10", "14 case c:C "},
	}
	if !reflect.DeepEqual(placed, want) {
		t.Errorf("census by shard:\n%v\nwant\n%v", placed, want)
	}
	// A new pass's census starts empty.
	if err := st.CensusBegin(); err != nil {
		t.Fatal(err)
	}
	if page, err := st.CensusShard(1, 0, 10); err != nil || len(page) != 0 {
		t.Errorf("after CensusBegin: %v %v", page, err)
	}
}
