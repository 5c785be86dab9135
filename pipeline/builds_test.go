package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/report"
)

// Building documents beside staging changes nothing: the small sample
// (its duplicate, its replacing versions and its documents of records that
// are not migrated among it) staged with one builder and with four gives
// the same documents, byte for byte but for the signatures, and the same
// outcomes, rejects and warnings.
func TestBuildingBesideStagingChangesNothing(t *testing.T) {
	t.Parallel()
	file := testenv.SmallClassic(t, nil)
	oneDir, fourDir := t.TempDir(), t.TempDir()
	one := dryRunMapping(t, file, Options{DocumentsDir: oneDir, Workers: 1})
	four := dryRunMapping(t, file, Options{DocumentsDir: fourDir, Workers: 4})

	if one.Total != four.Total {
		t.Errorf("totals: one builder %+v, four %+v", one.Total, four.Total)
	}
	for e, c := range one.Entities {
		if d := four.Entities[e]; d == nil || *c != *d {
			t.Errorf("%s: one builder %+v, four %+v", e, *c, d)
		}
	}
	findings := func(fs []report.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", f.Entity, f.Key, f.Field, f.Rule, f.Reason))
		}
		slices.Sort(out)
		return out
	}
	if a, b := findings(one.Rejects), findings(four.Rejects); !slices.Equal(a, b) {
		t.Errorf("rejects differ:\none builder %q\nfour %q", a, b)
	}
	if a, b := findings(one.Warnings), findings(four.Warnings); !slices.Equal(a, b) {
		t.Errorf("warnings differ: %d with one builder, %d with four", len(a), len(b))
	}

	docs, err := filepath.Glob(filepath.Join(oneDir, "*.xml"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no documents from one builder (%v)", err)
	}
	others, _ := filepath.Glob(filepath.Join(fourDir, "*.xml"))
	if len(others) != len(docs) {
		t.Errorf("%d documents with one builder, %d with four", len(docs), len(others))
	}
	for _, f := range docs {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(fourDir, filepath.Base(f)))
		if err != nil {
			t.Errorf("%s: made with one builder, not with four", filepath.Base(f))
			continue
		}
		if !bytes.Equal(signature.ReplaceAll(a, nil), signature.ReplaceAll(b, nil)) {
			t.Errorf("%s differs between one builder and four", filepath.Base(f))
		}
	}
}
