package main

// The backends this build knows, each registering itself by kind or scheme
// when imported. A new source kind, sink or state store is one package of
// its own plus its line here.
import (
	_ "github.com/kantamig/kantamig/load/state/sqlite" // state: sqlite (the default: a file path)
)
