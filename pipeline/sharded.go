package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// A sharded run (RunOptions.Shard) is N worker processes sharing one state
// store, each staging and delivering the clients of its shard. Whichever
// worker takes the store's staging lock first takes the census of every
// source record, which places each in a shard (census.go); the others wait
// for it. Then every worker stages its shard's records beside the others,
// waits until every shard is staged, and delivers its own shard; its
// shard's lock keeps a second worker of the same shard out, and a worker
// killed at any point is restarted with the same command. A worker killed
// during the census leaves it to the next one to take the lock, which takes
// it again from the start; one killed while staging its shard stages its
// shard again.

// ErrAdoptSharded refuses --adopt-package for a worker of a sharded run.
var ErrAdoptSharded = errors.New("--adopt-package takes over a package for an unsharded run only: adopt it with one unsharded run, then go on with the shards")

// ErrNotShared refuses a sharded run on a store that one process owns.
var ErrNotShared = errors.New("a sharded run needs a state store its workers share: --state postgres: (the SQLite file is one process's)")

// ErrShardsChanged refuses a worker whose shard count is not the run's.
// Was or Now is 1 for a run without --shard: a run started whole cannot be
// continued divided, nor one started divided continued whole.
type ErrShardsChanged struct{ Was, Now int }

func (e *ErrShardsChanged) Error() string {
	switch {
	case e.Was == 1:
		return "this run was started without --shard: continue it the same way, as one process (a run started whole cannot be divided: what it delivered so far went to its one sink, in one order)"
	case e.Now == 1:
		return fmt.Sprintf("this run is divided into %d shards: continue it with --shard I/%d on every worker (a run started divided cannot be continued whole)", e.Was, e.Was)
	}
	return fmt.Sprintf("this run is divided into %d shards, not %d: every worker must give --shard I/%d (a store divided one way cannot be delivered another)", e.Was, e.Now, e.Was)
}

// checkBinding refuses to go on with a store whose run was started with
// another division or another sink: a run delivers, whole or in shards, to
// one sink. shards is 1 for a run without --shard. Stores of earlier
// versions bound a sharded run's sink per shard only ("sink/I"): their
// run-wide "sink" is empty and is set now.
func checkBinding(st state.Store, shards int, sinkName string) error {
	started, err := st.Setting("mapping_sha256")
	if err != nil {
		return err
	}
	n, err := st.Setting("shards")
	if err != nil {
		return err
	}
	was := 1
	if n != "" {
		was, _ = strconv.Atoi(n)
	}
	if started != "" && was != shards {
		return &ErrShardsChanged{Was: was, Now: shards}
	}
	sinkWas, err := st.Setting("sink")
	if err != nil {
		return err
	}
	if sinkWas != "" && sinkWas != sinkName {
		return &ErrSinkChanged{Was: sinkWas, Now: sinkName}
	}
	return nil
}

// shardSetting names a setting kept per shard.
func shardSetting(name string, i int) string { return name + "/" + strconv.Itoa(i) }

func (r *Runner) runShard(ctx context.Context, ro RunOptions) (*report.Report, error) {
	sh, ok := r.st.(state.Sharded)
	if !ok {
		return nil, ErrNotShared
	}
	if ro.Phased {
		return nil, errors.New("--phased delivers everything in three passes and cannot be divided: a sharded run delivers client by client")
	}
	spec := *ro.Shard
	lock := "shard " + spec.String()
	if got, err := sh.TryClaim(lock); err != nil {
		return nil, err
	} else if !got {
		return nil, &state.ErrLocked{Path: sh.Location() + " (shard " + spec.String() + ")"}
	}
	defer sh.Release(lock)

	if err := sh.Claim(ctx, "staging"); err != nil {
		return nil, err
	}
	pass, run, staged, err := r.beginShard(sh, ro, spec)
	if err == nil && !staged {
		err = r.stageShards(ctx, sh, pass, spec.N)
	}
	if rerr := sh.Release("staging"); err == nil {
		err = rerr
	}
	if err != nil {
		return r.rep, err
	}
	own, err := sh.Setting(shardSetting("staged", spec.I))
	if err == nil && own != r.m.SHA256 {
		r.progress.Start("staging shard "+spec.String(), 0)
		err = r.stageShard(ctx, sh, pass, spec)
		r.progress.Finish()
	}
	if err == nil {
		err = r.waitForShards(ctx, sh, spec.N)
	}
	if err != nil {
		return r.rep, err
	}
	if err := r.stopOnBudget(pass); err != nil { // every worker, before delivering its shard
		return r.rep, err
	}
	if err := r.stopUnreconciled(pass); err != nil {
		return r.rep, err
	}

	counts, err := sh.ShardCounts(spec.I)
	if err != nil {
		return r.rep, err
	}
	pending := documentsPending(counts)
	keys := func(after string, limit int) ([]string, error) {
		return sh.ShardKeys(string(kanta.EntityClient), spec.I, after, limit)
	}
	if err := r.deliverPending(ctx, ro, "delivering shard "+spec.String(), pending, ro.Senders, plan.Options{Run: run, ClientKeys: keys, Mapping: r.m.SHA256}, pass); err != nil {
		return r.rep, err
	}
	if err := r.finishShard(sh, spec); err != nil {
		return r.rep, err
	}
	r.rep.Finish()
	return r.rep, nil
}

// beginShard checks, under the staging lock, that this worker may go on with
// this mapping, shard count and sink, binds the sink and records the start.
// It says whether the sources are staged already for this mapping.
func (r *Runner) beginShard(st state.Sharded, ro RunOptions, spec shard.Spec) (pass, run int, staged bool, err error) {
	was, err := st.Setting("mapping_sha256")
	if err != nil {
		return 0, 0, false, err
	}
	if was != "" && was != r.m.SHA256 && !ro.AllowMappingChange {
		return 0, 0, false, &ErrMappingChanged{Was: was, Now: r.m.SHA256}
	}
	if was != "" {
		if f, err := st.Setting("key_format"); err != nil {
			return 0, 0, false, err
		} else if f != keyFormat {
			return 0, 0, false, &ErrStateKeys{Format: f}
		}
	}
	if err := checkBinding(st, spec.N, ro.Sink.String()); err != nil {
		return 0, 0, false, err
	}
	sinkKey := shardSetting("sink", spec.I)
	if sinkWas, err := st.Setting(sinkKey); err != nil {
		return 0, 0, false, err
	} else if sinkWas != "" && sinkWas != ro.Sink.String() {
		return 0, 0, false, &ErrSinkChanged{Was: sinkWas, Now: ro.Sink.String()}
	}
	runID, err := st.Setting("run_id")
	if err != nil {
		return 0, 0, false, err
	}
	if runID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, 0, false, err
		}
		runID = hex.EncodeToString(b[:])
		if err := st.SetSetting("run_id", runID); err != nil {
			return 0, 0, false, err
		}
		if err := st.Commit(); err != nil {
			return 0, 0, false, err
		}
	}
	if ro.AdoptPackage {
		return 0, 0, false, ErrAdoptSharded
	}
	if b, ok := ro.Sink.(sink.Bound); ok {
		if err := b.Bind(runID, false); err != nil {
			return 0, 0, false, err
		}
	}
	done, err := st.Setting(shardSetting("complete", spec.I))
	if err != nil {
		return 0, 0, false, err
	}
	stagedFor, err := st.Setting("staged_mapping")
	if err != nil {
		return 0, 0, false, err
	}
	staged = stagedFor == r.m.SHA256
	if done == "yes" && staged {
		return 0, 0, false, ErrComplete
	}
	if pass, err = state.IntSetting(st, "pass"); err != nil {
		return 0, 0, false, err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	settings := map[string]string{sinkKey: ro.Sink.String(), "sink": ro.Sink.String(), shardSetting("last_start", spec.I): now}
	if !staged {
		pass++
		for k, v := range map[string]string{
			"pass": strconv.Itoa(pass), "mapping_sha256": r.m.SHA256, "mapping_file": r.m.File, "oid_root": r.m.OIDRoot,
			"cutoff": r.m.Cutoff.Format("2006-01-02"), "time_zone": r.m.Location.String(), "test_rehearsal": strconv.FormatBool(r.m.TestRehearsal), "complete": "no", "key_format": keyFormat, "shards": strconv.Itoa(spec.N),
			"staged_mapping": "", "last_start": now,
		} {
			settings[k] = v
		}
		for i := 0; i < spec.N; i++ {
			settings[shardSetting("complete", i)] = "no"
			settings[shardSetting("staged", i)] = ""
		}
		if was == "" {
			settings["first_start"] = now
		}
	}
	if run, err = state.IntSetting(st, shardSetting("runs", spec.I)); err != nil {
		return 0, 0, false, err
	}
	run++
	settings[shardSetting("runs", spec.I)] = strconv.Itoa(run)
	for k, v := range settings {
		if err := st.SetSetting(k, v); err != nil {
			return 0, 0, false, err
		}
	}
	return pass, run, staged, st.Commit()
}

// stageShards takes the census of every source record, places every
// client and record in a shard (census.go), and marks the census
// done.
func (r *Runner) stageShards(ctx context.Context, st state.Sharded, pass, n int) error {
	r.progress.Start("census of the sources", 0)
	err := r.stageFirstPhase(ctx, st, pass, n)
	r.progress.Finish()
	if err != nil {
		return err
	}
	if err := st.SetSetting("staged_mapping", r.m.SHA256); err != nil {
		return err
	}
	return st.Commit()
}

// shardPending counts the pending records of a shard.
func shardPending(st state.Sharded, i int) (int64, error) {
	counts, err := st.ShardCounts(i)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, byOutcome := range counts {
		n += int64(byOutcome[state.Pending])
	}
	return n, nil
}

// finishShard marks the shard complete when nothing of it is pending, and
// the run complete when every shard is, emptying the census.
func (r *Runner) finishShard(st state.Sharded, spec shard.Spec) error {
	left, err := shardPending(st, spec.I)
	if err != nil || left > 0 {
		return err
	}
	if err := st.SetSetting(shardSetting("complete", spec.I), "yes"); err != nil {
		return err
	}
	all := true
	for i := 0; i < spec.N; i++ {
		if v, err := st.Setting(shardSetting("complete", i)); err != nil {
			return err
		} else if v != "yes" {
			all = false
		}
	}
	if all {
		if err := st.SetSetting("complete", "yes"); err != nil {
			return err
		}
		// The census is staging's: about half a kilobyte a document,
		// given back once the run is complete.
		if err := st.CensusBegin(); err != nil {
			return err
		}
	}
	return st.Commit()
}
