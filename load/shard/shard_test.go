package shard

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/postgres"
	"github.com/kantamig/kantamig/state/postgres/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, func(s *pgtest.Server) { server = s }))
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		ok   bool
	}{{"0/4", Spec{0, 4}, true}, {"3/4", Spec{3, 4}, true}, {"0/1", Spec{0, 1}, true},
		{"4/4", Spec{}, false}, {"-1/4", Spec{}, false}, {"1/0", Spec{}, false}, {"1", Spec{}, false}, {"a/b", Spec{}, false}} {
		got, err := Parse(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// Clients linked by shared cases, directly or through another client, end
// in one shard with all their records; a client in no shared case keeps its
// own; every shard is used for many clients.
func TestGroupsKeepSharedCasesInOneShard(t *testing.T) {
	if server == nil {
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
	st, err := postgres.Open(server.NewLocation("groups"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 4
	put := Assigning(st, n)
	clients := []string{"c:A", "c:B", "c:C", "c:D", "c:E"}
	// Find clients that hash apart, so that the test means something.
	if Of("c:A", n) == Of("c:B", n) && Of("c:B", n) == Of("c:C", n) {
		t.Fatal("pick keys that hash to different shards")
	}
	for _, k := range clients {
		if err := put.Put(&state.Record{Entity: "client", Key: k, Pass: 1, Locator: k, Outcome: state.Pending}); err != nil {
			t.Fatal(err)
		}
		if err := put.Put(&state.Record{Entity: "document", Key: "d:" + k, Pass: 1, Locator: k, Outcome: state.Pending, ClientKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string][]string{"k:1": {"c:A", "c:B"}, "k:2": {"c:C", "c:B"}, "k:3": {"c:D"}}
	for key, members := range cases {
		c := kanta.Case{SourceKey: key}
		for _, m := range members {
			c.Clients = append(c.Clients, kanta.CaseClient{ClientKey: m})
		}
		model, _ := state.Encode(c)
		if err := put.Put(&state.Record{Entity: "case", Key: key, Pass: 1, Locator: key, Outcome: state.Pending, ClientKey: members[0], Model: model}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// A document of c:E names one of c:D's (the census's links).
	links := func(fn func(a, b string) error) error { return fn("c:E", "c:D") }
	if _, err := Groups(ctx, st, n, func(fn func(string) error) error { return plan.EachKey(ctx, st, kanta.EntityCase, fn) }, links); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"c:A": Of("c:A", n), "c:B": Of("c:A", n), "c:C": Of("c:A", n), "c:D": Of("c:D", n), "c:E": Of("c:D", n)}
	for client, shard := range want {
		for _, key := range []struct{ entity, key string }{{"client", client}, {"document", "d:" + client}} {
			r, err := st.Get(key.entity, key.key)
			if err != nil || r == nil || r.Shard != shard {
				t.Errorf("%s %s: %+v %v; want shard %d", key.entity, key.key, r, err, shard)
			}
		}
	}
	for key, members := range cases {
		r, _ := st.Get("case", key)
		if r.Shard != want[members[0]] {
			t.Errorf("case %s in shard %d, want %d", key, r.Shard, want[members[0]])
		}
	}
	// Spread: 1,000 clients over 4 shards, none nearly empty.
	count := make([]int, n)
	for i := 0; i < 1000; i++ {
		count[Of(fmt.Sprintf("asiakkaat:A%06d", i), n)]++
	}
	for i, c := range count {
		if c < 200 {
			t.Errorf("shard %d has %d of 1,000 clients: %v", i, c, count)
		}
	}
}
