package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/sqlite"
)

// brokenReads is a store whose reads of one setting fail.
type brokenReads struct {
	state.Store
	setting string
}

var errDiskGone = errors.New("disk I/O error: the disk went away")

func (b brokenReads) Setting(name string) (string, error) {
	if name == b.setting {
		return "", errDiskGone
	}
	return b.Store.Setting(name)
}

// A store that fails to say where the run stands, or says it in a value
// that is no number, stops the run with the cause: never a restart of the
// pass count as if the run were new.
func TestStoreReadFailuresStopTheRun(t *testing.T) {
	t.Parallel()
	m, schemas, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		breakIt func(state.Store) state.Store
		want    string
	}{
		{"the pass cannot be read", func(st state.Store) state.Store { return brokenReads{st, "pass"} }, "disk went away"},
		{"the runs cannot be read", func(st state.Store) state.Store { return brokenReads{st, "runs"} }, "disk went away"},
		{"completeness cannot be read", func(st state.Store) state.Store { return brokenReads{st, "complete"} }, "disk went away"},
		{"the pass is no number", func(st state.Store) state.Store { st.SetSetting("pass", "kolme"); return st }, `"kolme", not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, sk, _ := storeAndPackage(t)
			r, err := Prepare(m, schemas, Options{Store: tc.breakIt(st), Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Run(context.Background(), RunOptions{Sink: sk})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: %v, want it stopped with %q", err, tc.want)
			}
			if n, _ := st.Counts(); len(n) != 0 {
				t.Errorf("records staged after the failed read: %v", n)
			}
		})
	}
}

// storeAndPackage opens a fresh state file and archive package (dir/package)
// for one test, closed when it ends.
func storeAndPackage(t *testing.T) (st state.Store, sk sink.Sink, dir string) {
	t.Helper()
	dir = t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sk, err = sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Close() })
	return st, sk, dir
}
