package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state/sqlite"
)

// The JSON report of a dry-run of the samples, and of a run, is what
// docs/report.schema.json says, field for field (the schema allows no
// undocumented field).
func TestJSONReportFollowsItsSchema(t *testing.T) {
	t.Parallel()
	schema := testenv.JSONSchema(t, "../docs/report.schema.json")
	dir := t.TempDir()
	reports := map[string]func() error{
		"dry-run": func() error { return dryRunSmall(t, Options{}).WriteJSON(filepath.Join(dir, "dry-run.json")) },
		"run": func() error {
			m, schemas, err := Load(testenv.SmallClassic(t, nil), testenv.Sosmeta())
			if err != nil {
				return err
			}
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "run.db"))
			if err != nil {
				return err
			}
			defer st.Close()
			sk, err := sink.Open("dir:"+t.TempDir(), sink.Options{})
			if err != nil {
				return err
			}
			defer sk.Close()
			r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
			if err != nil {
				return err
			}
			rep, err := r.Run(context.Background(), RunOptions{Sink: sk})
			if err != nil {
				return err
			}
			return rep.WriteJSON(filepath.Join(dir, "run.json"))
		},
	}
	for name, write := range reports {
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("the %s report does not follow docs/report.schema.json: %v", name, err)
		}
	}
}
