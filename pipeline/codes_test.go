package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
)

// writeExports writes national-export stand-ins for the code sets the
// sample uses, as FHIR CodeSystems. Their version, 20991231, is a test
// version: no real document carries it.
func writeExports(t *testing.T, drop map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	sets := map[string][]string{
		"1.2.246.537.6.1221": {"10", "15", "20", "24", "92", "93", "95"},
		"1.2.246.537.6.1265": {"91", "92", "93", "94", "99"},
		"1.2.246.537.6.1501": {"91", "92", "93"},
		// 1506 holds the general and the specific types; both sets take it.
		"1.2.246.537.6.1506": {"1", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "19",
			"1000", "3010", "4006", "6000", "12000", "15007", "16000", "19009"},
	}
	// The municipality codes are real (Statistics Finland's); the sample's
	// local file lists the ones its clients have.
	kunnat, err := os.ReadFile(filepath.Join(testenv.Root(), "samples", "codesets", "kunnat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(kunnat)), "\n")[1:] {
		code, _, _ := strings.Cut(line, ";")
		sets["1.2.246.537.6.21"] = append(sets["1.2.246.537.6.21"], code)
	}
	for oid, codes := range sets {
		var concepts []map[string]string
		for _, c := range codes {
			if drop[oid] != c {
				concepts = append(concepts, map[string]string{"code": c, "display": "Testikoodi " + c})
			}
		}
		data, _ := json.Marshal(map[string]any{"resourceType": "CodeSystem", "url": "urn:oid:" + oid, "version": "20991231", "concept": concepts})
		if err := os.WriteFile(filepath.Join(dir, oid+".json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withExports makes the sample mapping load a folder of national exports
// instead of the local placeholder files, and drops its test rehearsal.
func withExports(exports string) func(string) string {
	return func(s string) string {
		s = regexp.MustCompile(`(?m)^  - \{set: [a-z-]+, file: [^}]+\}\n`).ReplaceAllString(s, "")
		s = strings.Replace(s, "codesets:\n", "codesets:\n  - {dir: "+exports+"}\n", 1)
		return strings.Replace(s, "test_rehearsal: true\n", "", 1)
	}
}

// Outside a test rehearsal the sample's placeholder codes are refused by
// the mapping check, each at its position with the export to load; with the
// national exports loaded, the same sources give the same documents, none
// carrying a placeholder, every code set named by its export's version.
func TestNationalExportsReplaceThePlaceholders(t *testing.T) {
	t.Parallel()
	noRehearsal := testenv.SmallClassic(t, func(s string) string {
		return strings.Replace(s, "test_rehearsal: true\n", "", 1)
	})
	_, _, err := Load(noRehearsal, testenv.Sosmeta())
	var merr mapping.Errors
	if !errors.As(err, &merr) || !strings.Contains(err.Error(), `value map "asian_tila" maps "VIR": code "91" of case-status comes only from`) ||
		!strings.Contains(err.Error(), "export of 1.2.246.537.6.1501") {
		t.Fatalf("without test_rehearsal: %v", err)
	}

	rehearsal := dryRunSmall(t, Options{})
	if !rehearsal.Settings.TestRehearsal || rehearsal.PlaceholderDocuments == 0 {
		t.Fatalf("the sample rehearsal counts %d placeholder documents", rehearsal.PlaceholderDocuments)
	}
	if warned := rehearsal.WarningsByRule[kanta.RuleRehearsalCode]; warned != rehearsal.PlaceholderDocuments {
		t.Errorf("%d documents counted, %d warned", rehearsal.PlaceholderDocuments, warned)
	}
	if listed := len(rehearsal.Warnings); listed > rehearsal.WarningCount() {
		t.Errorf("%d warnings listed of %d", listed, rehearsal.WarningCount())
	}

	exports := writeExports(t, nil)
	national := testenv.SmallClassic(t, withExports(exports))
	docs := t.TempDir()
	rep := dryRunMapping(t, national, Options{DocumentsDir: docs})
	if rep.Settings.TestRehearsal || rep.PlaceholderDocuments != 0 || rep.Total.WouldLoad != rehearsal.Total.WouldLoad || rep.Total.Rejected != rehearsal.Total.Rejected {
		t.Errorf("with national exports: rehearsal %v, %d placeholder documents, would load %d (rehearsal %d), rejected %d (rehearsal %d)",
			rep.Settings.TestRehearsal, rep.PlaceholderDocuments, rep.Total.WouldLoad, rehearsal.Total.WouldLoad, rep.Total.Rejected, rehearsal.Total.Rejected)
	}
	caseDoc := findDocument(t, docs, `<hl7fi:documentGroup code="2"`)
	if !strings.Contains(caseDoc, `codeSystem="1.2.246.537.6.1221.20991231"`) {
		t.Error("a case document does not name the service tasks by the export's version")
	}

	// An export without a code the mapping names: check says which, where.
	short := testenv.SmallClassic(t, withExports(writeExports(t, map[string]string{"1.2.246.537.6.1221": "95"})))
	if _, _, err := Load(short, testenv.Sosmeta()); err == nil || !strings.Contains(err.Error(), `maps "PO": code "95" is not in code set service-task`) {
		t.Errorf("an export lacking 95: %v", err)
	}
}

// findDocument returns the first written document that contains marker.
func findDocument(t *testing.T, dir, marker string) string {
	t.Helper()
	var found string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), marker) {
			found = string(data)
		}
		return err
	})
	if found == "" {
		t.Fatalf("no document with %q", marker)
	}
	return found
}

// Case documents and replacing versions go with the inferred service
// request SP17 and are counted, each warned; once the mapping states them,
// none is.
func TestInferredServiceRequestsAreCounted(t *testing.T) {
	t.Parallel()
	rep := dryRunSmall(t, Options{})
	exp := readExpected(t, "legacy-small")
	xml, err := os.ReadFile(filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakirjat.xml"))
	if err != nil {
		t.Fatal(err)
	}
	versions := strings.Count(string(xml), "<korvaa")
	warned := 0
	for _, w := range rep.Warnings {
		if w.Rule == kanta.RuleInferredRequest {
			warned++
		}
	}
	if n := rep.InferredServiceRequests; n <= exp.Case.WouldLoad || n > exp.Case.WouldLoad+versions || n != warned {
		t.Errorf("%d inferred service requests (%d warned); want the %d case documents and up to %d replacing versions", n, warned, exp.Case.WouldLoad, versions)
	}
	stated := testenv.SmallClassic(t, func(s string) string {
		return strings.Replace(s, "test_rehearsal: true\n", "test_rehearsal: true\nservice_requests: {case_document: SP17, replacing_version: SP17}\n", 1)
	})
	if rep := dryRunMapping(t, stated, Options{}); rep.InferredServiceRequests != 0 {
		t.Errorf("stated service requests: %d still counted as inferred", rep.InferredServiceRequests)
	}
	wrong := testenv.SampleMapping(t, "sosiaalitoimi-classic.yaml", func(s string) string {
		return strings.Replace(s, "test_rehearsal: true\n", "test_rehearsal: true\nservice_requests: {case_document: SP99}\n", 1)
	})
	if _, _, err := Load(wrong, testenv.Sosmeta()); err == nil || !strings.Contains(err.Error(), `service_requests.case_document: code "SP99" is not in code set service-request`) {
		t.Errorf("an unknown service request: %v", err)
	}
}
