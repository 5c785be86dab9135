// Package shard divides the clients of a run among the workers of a
// sharded run (`run --shard I/N`) so that every dependency stays inside one
// shard: a client's relationship, cases, case members, documents and
// versions go to its shard, and the clients who share a case (a family's
// case) form one group that goes to one shard, so that the case is never
// delivered before the relationships of all its clients.
//
// A client's shard is a hash of its group's key modulo N, where a group is a
// connected component of the graph of clients linked by shared cases, keyed
// by its smallest client key; a client in no shared case is a group of its
// own. Records are stored with their client's own shard as they are staged
// (Assigning), and Groups then moves the clients of each shared-case group
// to the group's shard. The union-find it uses holds only the clients of
// shared cases, never the whole run.
package shard

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/kanta"
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

// clientOf is the client key a record belongs to: its own key for a client.
func clientOf(r *state.Record) string {
	if r.Entity == string(kanta.EntityClient) {
		return r.Key
	}
	return r.ClientKey
}

// Assigning wraps a store so that every record put is stored with its
// client's shard among n (a record with no client, such as one rejected
// for having no key, goes to shard 0: it is never delivered).
func Assigning(st state.Store, n int) state.Store { return assigning{st, n} }

type assigning struct {
	state.Store
	n int
}

func (a assigning) Put(r *state.Record) error {
	r.Shard = Of(clientOf(r), a.n)
	return a.Store.Put(r)
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

// Groups moves the clients of every shared case, and the clients sharing a
// case with them in turn, to one shard: their group's. It reads every case
// once. links, when not nil, gives more pairs of clients to keep together
// (a document of one client attached to, or replacing, another's: the
// census's CensusLinks). It returns how many clients it moved.
func Groups(ctx context.Context, st state.Sharded, n int, eachCase func(func(key string) error) error, links func(func(a, b string) error) error) (int, error) {
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
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[ra], parent[rb] = ra, ra // the smaller key is the root
	}
	err := eachCase(func(key string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := st.Get(string(kanta.EntityCase), key)
		if err != nil || row == nil || row.Model == nil {
			return err
		}
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			return fmt.Errorf("reading case %s: %w", key, err)
		}
		for i := 1; i < len(c.Clients); i++ {
			if c.Clients[0].ClientKey != "" && c.Clients[i].ClientKey != "" {
				union(c.Clients[0].ClientKey, c.Clients[i].ClientKey)
			}
		}
		return nil
	})
	if err == nil && links != nil {
		err = links(func(a, b string) error { union(a, b); return nil })
	}
	if err != nil {
		return 0, err
	}
	moved := 0
	for client := range parent {
		root := find(client)
		if to := Of(root, n); to != Of(client, n) {
			if err := st.SetShard(client, to); err != nil {
				return moved, err
			}
			moved++
		}
	}
	return moved, st.Commit()
}
