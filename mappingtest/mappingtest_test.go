package mappingtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	_ "github.com/kantamig/kantamig/state/sqlite" // the temporary store of each case
)

// The sample mappings' tests pass.
func TestSampleMappingTestsPass(t *testing.T) {
	for _, name := range []string{"sosiaalitoimi-classic.yaml", "kotihoito-lite.yaml"} {
		results, err := Run(context.Background(), filepath.Join(testenv.Root(), "mappings", name), testenv.Sosmeta())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(results) == 0 {
			t.Fatalf("%s: no cases", name)
		}
		for _, r := range results {
			for _, d := range r.Differences {
				t.Errorf("%s, %s: %s", name, r.Case, d)
			}
		}
	}
}

// A mapping broken on purpose fails its tests, each difference readable:
// which record, what was wanted, what became of it.
func TestABrokenMappingFailsItsTests(t *testing.T) {
	broken := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		s = strings.Replace(s, "    family_name: sukunimi", "    family_name: etunimet", 1)
		return strings.Replace(s, "relationship_start: {from: alkupvm, date: dd.MM.yyyy}", "relationship_start: {from: alkupvm, date: yyyy-MM-dd}", 1)
	})
	tests, err := os.ReadFile(filepath.Join(testenv.Root(), "mappings", "sosiaalitoimi-classic.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(PathFor(broken), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	results, err := Run(context.Background(), broken, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, r := range results {
		for _, d := range r.Differences {
			all = append(all, r.Case+": "+d)
		}
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		`asiakkaat:A1: want loads, got rejected (date: relationship_start (column alkupvm): "15.11.2020" is not a date`,
		"asiakkaat:A5: want rejected under rule required, got rule date",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the differences lack %q:\n%s", want, text)
		}
	}
}
