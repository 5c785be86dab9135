package main

// The backends this build knows. Each registers itself by kind or scheme
// when its package is imported: a new source kind, sink or state store is
// one package of its own plus its line here.
import (
	_ "github.com/kantamig/kantamig/load/sink"      // sinks: dir, kanta
	_ "github.com/kantamig/kantamig/state/postgres" // state: postgres (shared by the shards of a run)
	_ "github.com/kantamig/kantamig/state/sqlite"   // state: sqlite (the default: a file path)
)
