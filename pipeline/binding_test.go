package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/state/postgres"
)

// A run delivers, whole or in shards, to one sink: a run started whole is
// not continued in shards, one started in shards not continued whole, and
// no shard goes to another sink than the run's. (Continued in shards to
// other packages, a run once left documents in two packages, and some
// without their relationship or case.)
func TestARunIsBoundToOneSinkAndOneDivision(t *testing.T) {
	if pg == nil {
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
	t.Parallel()
	m, schemas, err := Load(tempMapping(t, nil), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runCtx := func(ctx context.Context, location, pkg, shards string) error {
		st, err := postgres.OpenShared(location)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sk, err := sink.Open("dir:"+filepath.Join(dir, pkg), sink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sk.Close()
		r, err := Prepare(m, schemas, Options{Store: st, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		ro := RunOptions{Sink: sk, ProcessingCode: "T"}
		if shards != "" {
			spec, err := shard.Parse(shards)
			if err != nil {
				t.Fatal(err)
			}
			ro.Shard = &spec
		}
		_, err = r.Run(ctx, ro)
		return err
	}
	run := func(location, pkg, shards string) error { return runCtx(context.Background(), location, pkg, shards) }
	var changed *ErrShardsChanged
	var elsewhere *ErrSinkChanged

	whole := pg.NewLocation("whole")
	if err := run(whole, "a", ""); err != nil {
		t.Fatalf("the run, whole: %v", err)
	}
	for _, pkg := range []string{"a", "b"} {
		if err := run(whole, pkg, "0/2"); !errors.As(err, &changed) || changed.Was != 1 {
			t.Errorf("a whole run continued in shards to %s: %v", pkg, err)
		}
	}

	// Shard 0 stages, binds the run to package c and waits for shard 1 to
	// be staged: stopped there, it is started again at the end.
	divided := pg.NewLocation("divided")
	ctx, stop := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() { waited <- runCtx(ctx, divided, "c", "0/2") }()
	watch, err := postgres.OpenShared(divided)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	for staged := ""; staged == ""; time.Sleep(20 * time.Millisecond) {
		if staged, err = watch.Setting("staged/0"); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("shard 0, waiting for shard 1: %v", err)
	}
	if err := run(divided, "d", "1/2"); !errors.As(err, &elsewhere) || elsewhere.Now == elsewhere.Was {
		t.Errorf("shard 1 to another package: %v", err)
	}
	if err := run(divided, "c", ""); !errors.As(err, &changed) || changed.Now != 1 {
		t.Errorf("a divided run continued whole: %v", err)
	}
	if err := run(divided, "c", "1/2"); err != nil {
		t.Errorf("shard 1 to the run's package: %v", err)
	}
	if err := run(divided, "c", "0/2"); err != nil {
		t.Errorf("shard 0 again: %v", err)
	}
}

// A dry-run does not write its documents into a run's archive package.
func TestADryRunDoesNotWriteIntoAPackage(t *testing.T) {
	t.Parallel()
	pkg := t.TempDir()
	if err := os.WriteFile(filepath.Join(pkg, "manifest.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m, schemas, err := Load(tempMapping(t, nil), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(m, schemas, Options{DocumentsDir: pkg, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var into *ErrDocumentsIntoPackage
	if _, err := r.DryRun(context.Background()); !errors.As(err, &into) {
		t.Fatalf("want a refusal, got %v", err)
	}
	if entries, _ := os.ReadDir(pkg); len(entries) != 1 {
		t.Errorf("the package holds %d entries, want its manifest alone", len(entries))
	}
}

// A structured: path that no structure has is a mapping error at its place,
// with the nearest path a structure has: it used to be ignored for every
// document. The spelled-right path loads.
func TestAMisspeltStructuredPathIsAMappingError(t *testing.T) {
	t.Parallel()
	if _, _, err := Load(testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", nil), testenv.Sosmeta()); err != nil {
		t.Fatalf("the sample mapping: %v", err)
	}
	file := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, "    kuvaus_tilanteesta_ja_huolesta: teksti", "    kuvaus_tilanteesta_ja_huolest: teksti", 1)
	})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := strings.Cut(string(data), "kuvaus_tilanteesta_ja_huolest:")
	line := strings.Count(before, "\n") + 1 // where the misspelt path stands, counted apart from the decoder
	_, _, err = Load(file, testenv.Sosmeta())
	var errs mapping.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Pos.Line != line || errs[0].Pos.Column != 5 ||
		!strings.Contains(errs[0].Error(), `did you mean "kuvaus_tilanteesta_ja_huolesta"`) {
		t.Errorf("want one error at %d:5 with the nearest path, got %v", line, err)
	}
}
