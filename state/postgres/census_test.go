package postgres

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/kantamig/kantamig/state"
)

// The census settles what a sharded run's workers could not each decide
// alone: a document without a client takes its document's (along a chain),
// every record but the first with a key is a duplicate pointing at the
// first, documents naming another client's document link the two clients,
// and each row is in its client's shard (0 for a client not staged).
func TestCensusSettlesDuplicatesChainsAndShards(t *testing.T) {
	t.Parallel()
	need(t)
	st, err := Open(server.NewLocation("census"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for client, shard := range map[string]int{"c:A": 1, "c:B": 2, "c:C": 3} {
		if err := st.Put(&state.Record{Entity: "client", Key: client, Pass: 1, Locator: client, Outcome: state.Pending, Shard: shard}); err != nil {
			t.Fatal(err)
		}
	}
	// GetMany reads the rows it has of the keys given, in one statement.
	got, err := st.GetMany("client", []string{"c:B", "c:nobody", "c:A\x00odd"})
	if err != nil || len(got) != 1 || got[0].Key != "c:B" || got[0].Shard != 2 {
		t.Errorf("GetMany: %+v %v; want c:B alone", got, err)
	}
	if err := st.CensusBegin(); err != nil {
		t.Fatal(err)
	}
	rows := []state.CensusRow{
		{Pos: 1, Key: "d:1", Client: "c:A", Locator: "l1"},
		{Pos: 2, Key: "d:2", Client: "", Document: "d:1", Locator: "l2"},    // attachment of d:1, no client of its own
		{Pos: 3, Key: "d:3", Client: "", Document: "d:2", Locator: "l3"},    // and of the attachment: a chain
		{Pos: 4, Key: "d:1", Client: "c:B", Locator: "l4"},                  // the key of pos 1 again, another client
		{Pos: 5, Key: "d:5", Client: "c:C", Document: "d:1", Locator: "l5"}, // names c:A's document
		{Pos: 6, Key: "", Client: "c:B", Locator: "l6"},                     // no key: never a duplicate
		{Pos: 7, Key: "", Client: "", Locator: "l7"},                        // no client: shard 0
		{Pos: 8, Key: "d:8", Client: "c:Z", Locator: "l8"},                  // a client not staged: shard 0
		{Pos: 9, Key: "d:1", Client: "c:C", Locator: "l9"},
	}
	// Two COPYs, as the census sends them in batches.
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
	if want := []string{"c:C-c:A"}; !reflect.DeepEqual(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	if err := st.CensusPlace(); err != nil {
		t.Fatal(err)
	}
	placed := map[int][]string{}
	for shard := 0; shard < 4; shard++ {
		var after int64
		for {
			page, err := st.CensusShard(shard, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				placed[shard] = append(placed[shard], fmt.Sprintf("%d %s %s %s", r.Pos, r.Client, r.Locator, r.FirstLocator))
				after = r.Pos
			}
			if len(page) < 2 {
				break
			}
		}
	}
	want := map[int][]string{
		0: {"7  l7 ", "8 c:Z l8 "},
		1: {"1 c:A l1 ", "2 c:A l2 ", "3 c:A l3 "},
		2: {"4 c:B l4 l1", "6 c:B l6 "},
		3: {"5 c:C l5 ", "9 c:C l9 l1"},
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
