package shard

import (
	"context"
	"fmt"
	"testing"
)

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

// Clients linked by records, directly or through another client, end in
// the shard of the group's smallest key; only the clients whose shard
// changes are moved; a client linked to none keeps its own; every shard is
// used for many clients.
func TestGroupsKeepLinkedClientsInOneShard(t *testing.T) {
	const n = 4
	// Keys that hash apart, so that the test means something.
	if Of("c:A", n) == Of("c:B", n) && Of("c:B", n) == Of("c:C", n) || Of("c:D", n) == Of("c:E", n) {
		t.Fatal("pick keys that hash to different shards")
	}
	// Two cases share c:B with c:A and with c:C; a document of c:E names
	// one of c:D's; c:F is linked to none.
	pairs := func(fn func(a, b string) error) error {
		for _, p := range [][2]string{{"c:A", "c:B"}, {"c:C", "c:B"}, {"c:E", "c:D"}} {
			if err := fn(p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	}
	shards := map[string]int{}
	for _, c := range []string{"c:A", "c:B", "c:C", "c:D", "c:E", "c:F"} {
		shards[c] = Of(c, n)
	}
	movedTo := map[string]int{}
	moved, err := Groups(context.Background(), n, pairs, func(client string, shard int) error {
		movedTo[client] = shard
		shards[client] = shard
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"c:A": Of("c:A", n), "c:B": Of("c:A", n), "c:C": Of("c:A", n), "c:D": Of("c:D", n), "c:E": Of("c:D", n), "c:F": Of("c:F", n)}
	for c, s := range want {
		if shards[c] != s {
			t.Errorf("%s in shard %d, want %d", c, shards[c], s)
		}
	}
	for c, s := range movedTo {
		if s == Of(c, n) {
			t.Errorf("%s moved to its own shard", c)
		}
	}
	if moved != len(movedTo) || moved == 0 {
		t.Errorf("Groups says it moved %d clients, moved %v", moved, movedTo)
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
