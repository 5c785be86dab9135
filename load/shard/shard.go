// Package shard divides the clients of a run among the workers of a
// sharded run (`run --shard I/N`) so that every dependency stays inside one
// shard: a client's relationship, what it carries, its cases, case members,
// documents and versions go to its shard, and clients linked by a record
// (the clients of a family's case, a document of one that replaces
// another's) form one group that goes to one shard, so that a worker finds
// what a record names among the records of its own shard, and a case is
// never delivered before the relationships of all its clients.
//
// A client's shard is a hash of its group's key modulo N, where a group is a
// connected component of the graph of clients linked by such records, keyed
// by its smallest client key; a client linked to none is a group of its
// own. The census (package pipeline) gives each client its own hash, and
// Groups then moves the clients of each group to the group's shard. The
// union-find it uses holds only linked clients, never the whole run.
package shard

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/state"
)

// Spec is one worker's part of a sharded run: shard I of N, I from 0.
type Spec struct{ I, N int }

// Parse reads "I/N" (0 ≤ I < N).
func Parse(s string) (Spec, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Spec{}, fmt.Errorf("--shard %q: give I/N, shard I of N counted from 0 (e.g. 0/4 … 3/4)", s)
	}
	return Spec{I: i, N: n}, nil
}

func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Of is the shard of a group key among n.
func Of(groupKey string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(groupKey))
	return int(h.Sum32() % uint32(n))
}

// Fixed wraps a store so that every record put is stored in one shard: a
// worker's, staging the records the census placed there.
func Fixed(st state.Store, i int) state.Store { return fixed{st, i} }

type fixed struct {
	state.Store
	i int
}

func (f fixed) Put(r *state.Record) error {
	r.Shard = f.i
	return f.Store.Put(r)
}

// Groups keeps together, in one shard, every group of clients the pairs
// link (the clients of a shared case, a member and its case's clients, a
// document's client and that of the document it names: the census's
// CensusLinks), a group in the shard of its smallest client key. move is
// called for each client whose shard that changes. The union-find holds
// only the clients of such pairs, never the whole run. It returns how many
// clients it moved.
func Groups(ctx context.Context, n int, pairs func(func(a, b string) error) error, move func(client string, shard int) error) (int, error) {
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			return k
		}
		root := find(p)
		parent[k] = root
		return root
	}
	err := pairs(func(a, b string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ra, rb := find(a), find(b)
		if ra == rb {
			return nil
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[ra], parent[rb] = ra, ra // the smaller key is the root
		return nil
	})
	if err != nil {
		return 0, err
	}
	moved := 0
	for client := range parent {
		if to := Of(find(client), n); to != Of(client, n) {
			if err := move(client, to); err != nil {
				return moved, err
			}
			moved++
		}
	}
	return moved, nil
}
