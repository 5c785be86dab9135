package kanta

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCodeServerExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "palvelutehtava.csv")
	// The national code server's CSV export: semicolons, a BOM, extra columns.
	data := "\uFEFFCodeId;Abbreviation;LongName;BeginDate\n24;LP;Lapsiperheiden palvelut;2016-01-01\n91;LS;Lastensuojelu;2016-01-01\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	set := BuiltinCodeSets().Get(SetServiceTask)
	if err := set.LoadFile(path, ""); err != nil {
		t.Fatal(err)
	}
	if d, ok := set.Display("91"); !ok || d != "Lastensuojelu" {
		t.Errorf("Display(91) = %q, %v", d, ok)
	}
	if d, _ := set.Display("15"); d != "Päihdehuolto" {
		t.Errorf("built-in value lost: %q", d)
	}
	if got := set.Sources; len(got) != 2 || got[1] != path {
		t.Errorf("Sources = %v", got)
	}
}

func TestLoadRejectsFileWithoutCodeColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(path, []byte("foo,bar\n1,2\n"), 0o600)
	err := BuiltinCodeSets().Get(SetCaseStatus).LoadFile(path, "")
	if err == nil || !strings.Contains(err.Error(), "CodeId") {
		t.Fatalf("want an error naming the expected columns, got %v", err)
	}
}

func TestUnknownCodeNamesSetAndSuggests(t *testing.T) {
	set := BuiltinCodeSets().Get(SetDocumentType)
	err := set.Check("Suunitelma")
	var ue *UnknownCodeError
	if !errors.As(err, &ue) {
		t.Fatalf("want UnknownCodeError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"document-type", "1.2.246.537.6.1506", `"15" (Suunnitelma)`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if set.Check("15") != nil {
		t.Error("15 is a general type")
	}
}

// A real municipality code is missing from the built-in set only because
// its export is not loaded: the reason says to load it, and suggests no
// near code among the one confirmed (091 Helsinki is no typo of 092 Vantaa).
// Once an export is loaded, a miss is a miss, with suggestions.
func TestAMissFromTheConfirmedCodesSaysLoadTheExport(t *testing.T) {
	set := BuiltinCodeSets().Get(SetMunicipality)
	msg := set.Check("091").Error()
	if !strings.Contains(msg, "load the national code server's export") || !strings.Contains(msg, "{set: municipality") || strings.Contains(msg, "did you mean") {
		t.Errorf("built-in only: %s", msg)
	}
	path := filepath.Join(t.TempDir(), "kunnat.csv")
	if err := os.WriteFile(path, []byte("CodeId;LongName\n049;Espoo\n091;Helsinki\n092;Vantaa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := set.LoadFile(path, ""); err != nil {
		t.Fatal(err)
	}
	if err := set.Check("091"); err != nil {
		t.Errorf("091 after the export: %v", err)
	}
	if msg := set.Check("093").Error(); strings.Contains(msg, "load the national") || !strings.Contains(msg, "did you mean") {
		t.Errorf("with the export loaded: %s", msg)
	}
}

func TestSeventeenGeneralTypes(t *testing.T) {
	// 17 is in the set (so a mapping may name it) but not confirmed: see TestPlaceholderCodes.
	if n := BuiltinCodeSets().Get(SetDocumentType).Len(); n != 17 {
		t.Errorf("built-in general document types: %d, want 17", n)
	}
}

// Where a code comes from decides whether a document may carry it: built-in
// confirmed values may; a local file's values, an unconfirmed built-in and a
// set of unknown version may not, until a national export is loaded.
func TestPlaceholderCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sets := BuiltinCodeSets()
	tasks := sets.Get(SetServiceTask)
	local := write("tasks.csv", "CodeId;LongName\n10;Lastensuojelu\n91;Työikäisten palvelut\n")
	if err := tasks.LoadFile(local, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set, code, want string // want: "" national, else part of the reason
	}{
		{SetServiceTask, "10", ""},
		{SetServiceTask, "24", ""},
		{SetServiceTask, "91", "comes only from " + local},
		{SetDocumentType, "15", ""},
		{SetDocumentType, "17", "not confirmed nationally"},
		{SetCaseName, "99", "version of code set case-name (1.2.246.537.6.1265) is not known"},
	} {
		got := sets.Get(tc.set).Placeholder(tc.code)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %s: placeholder %q, want %q", tc.set, tc.code, got, tc.want)
		}
	}
	var pe *PlaceholderError
	if err := tasks.National("91"); !errors.As(err, &pe) || !strings.Contains(err.Error(), "1.2.246.537.6.1221 (Sosiaalihuolto - Palvelutehtävä)") {
		t.Errorf("National(91) = %v; want the export to load named", err)
	}

	// A national CSV export, its version stated: its values replace the
	// built-in ones, and its version is the set's.
	national := write("tehtavat.csv", "CodeId;LongName\n10;Lastensuojelu\n91;Työikäisten palvelut\n")
	if err := tasks.LoadFile(national, "1.2.246.537.6.1221.20991231"); err != nil {
		t.Fatal(err)
	}
	if tasks.Version != "1.2.246.537.6.1221.20991231" || tasks.Placeholder("91") != "" || tasks.Check("24") == nil {
		t.Errorf("after the national export: version %s, 91: %q, 24 in the set: %v", tasks.Version, tasks.Placeholder("91"), tasks.Check("24") == nil)
	}
	if err := tasks.LoadFile(national, "1.2.246.537.6.9999.1"); err == nil {
		t.Error("a version of another set was accepted")
	}

	// A folder of exports: a FHIR CodeSystem (nested concepts) and a CSV
	// named by its versioned OID; another set's export is ignored, not an error.
	exports := t.TempDir()
	os.WriteFile(filepath.Join(exports, "asia.json"), []byte(`{"resourceType":"CodeSystem","url":"urn:oid:1.2.246.537.6.1265","version":"20991231",
		"concept":[{"code":"99","display":"Muu"},{"code":"1","display":"Ryhmä","concept":[{"code":"11","display":"Alakoodi"}]}]}`), 0o600)
	os.WriteFile(filepath.Join(exports, "1.2.246.537.6.1501.20991231.csv"), []byte("CodeId;LongName\n1;Vireillä\n"), 0o600)
	os.WriteFile(filepath.Join(exports, "1.2.246.537.6.9999.1.csv"), []byte("CodeId;LongName\n1;x\n"), 0o600)
	loaded, ignored, err := sets.LoadDir(exports)
	if err != nil || len(loaded) != 2 || len(ignored) != 1 {
		t.Fatalf("LoadDir: loaded %v, ignored %v, %v", loaded, ignored, err)
	}
	names, statuses := sets.Get(SetCaseName), sets.Get(SetCaseStatus)
	if names.Version != "1.2.246.537.6.1265.20991231" || names.Placeholder("99") != "" || names.Placeholder("11") != "" || names.CodeSystem() != names.Version {
		t.Errorf("case names after the FHIR export: %s, 99 %q, 11 %q", names.Version, names.Placeholder("99"), names.Placeholder("11"))
	}
	if statuses.Version != "1.2.246.537.6.1501.20991231" || statuses.Placeholder("1") != "" {
		t.Errorf("case statuses after the CSV export: %s %q", statuses.Version, statuses.Placeholder("1"))
	}
	wrong := write("wrong.json", `{"resourceType":"CodeSystem","url":"urn:oid:1.2.246.537.6.1222","version":"1","concept":[{"code":"1"}]}`)
	if err := names.LoadFile(wrong, ""); err == nil || !strings.Contains(err.Error(), "not of 1.2.246.537.6.1265") {
		t.Errorf("another set's export: %v", err)
	}
}

// docs/national-rules.md repeats kanta.NationalRules word for word.
func TestNationalRulesAreDocumented(t *testing.T) {
	file, err := os.ReadFile("../docs/national-rules.md")
	if err != nil {
		t.Fatal(err)
	}
	data, inferences, _ := strings.Cut(string(file), "\n## Inferences\n")
	rows := 0
	for _, r := range NationalRules {
		name := ""
		if r.Rule != "" {
			name = "`" + r.Rule + "`"
			if RuleKind(r.Rule) == "" {
				t.Errorf("national rule %s is not in Rules", r.Rule)
			}
		}
		line := "| " + name + " | " + r.Path + " | " + r.Source + " | " + r.Effect + " |"
		if !strings.Contains(data, line+"\n") {
			t.Errorf("docs/national-rules.md lacks the line\n%s", line)
		}
		rows++
	}
	for _, in := range Inferences { // and its section of inferences repeats kanta.Inferences
		alt := in.Switch
		if alt == "" {
			alt = "none"
		}
		line := "| `" + in.Name + "` | " + in.Meaning + " | " + in.Domain + " | " + in.Confirm + " | " + alt + " |"
		if !strings.Contains(inferences, line+"\n") {
			t.Errorf("docs/national-rules.md's inferences lack the line\n%s", line)
		}
	}
	if got := strings.Count(inferences, "\n| ") - 1; got != len(Inferences) {
		t.Errorf("docs/national-rules.md lists %d inferences, kanta.Inferences %d", got, len(Inferences))
	}
	if got := strings.Count(data, "\n| ") - 1; got != rows { // less the header
		t.Errorf("docs/national-rules.md has %d rows, kanta.NationalRules %d", got, rows)
	}
}

// docs/mapping.md's table of the code sets names every built-in national
// code with its name, as the built-in sets hold it.
func TestDocumentationListsBuiltinCodesWithNames(t *testing.T) {
	data, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 4 && strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = cells[3]
		}
	}
	sets := BuiltinCodeSets()
	for _, name := range sets.Names() {
		set := sets.Get(name)
		row, ok := rows[name]
		if !ok {
			t.Errorf("code set %s has no row in docs/mapping.md", name)
			continue
		}
		for _, code := range set.Codes() {
			if set.National(code) != nil {
				continue
			}
			display, _ := set.Display(code)
			if !strings.Contains(row, code+" "+display) {
				t.Errorf("%s: the row does not name %s %s", name, code, display)
			}
		}
	}
}

// A specific type's name places it under the service task its first word
// names, in any case of the word; a type whose name names none, or a name
// two tasks share, gives none.
func TestServiceTaskOfType(t *testing.T) {
	sets := BuiltinCodeSets()
	types := sets.Get(SetSpecificDocumentType)
	types.AddNational("11023", "Päätös lapsen huostaanotosta ja sijaishuollosta")
	types.AddNational("10013", "Lastensuojelun lausuntopyyntö")
	types.AddNational("1008", "Päihde- ja riippuvuustyön erityisten palvelujen palvelutarpeen arvio")
	types.AddNational("1019", "Sosiaalihuollon palvelutarpeen arvio")
	sets.Get(SetServiceTask).Add("30", "Sosiaalinen kuntoutus")
	for _, tc := range []struct {
		typ, task string
		ok        bool
	}{
		{"15007", "24", true}, // Lapsiperheiden palvelujen asiakassuunnitelma: Lapsiperheiden palvelut
		{"15024", "20", true}, // Vammaispalvelujen toteuttamissuunnitelma: Vammaispalvelut
		{"10013", "10", true}, // Lastensuojelun …: Lastensuojelu
		{"1008", "15", true},  // Päihde- …: Päihdehuolto
		{"11023", "", false},  // Päätös …: no task is named so
		{"1019", "", false},   // Sosiaalihuollon … is not Sosiaalinen kuntoutus
		{"99999", "", false},  // an unknown type
	} {
		task, ok := sets.ServiceTaskOfType(tc.typ)
		if task != tc.task || ok != tc.ok {
			t.Errorf("%s: %q %v, want %q %v", tc.typ, task, ok, tc.task, tc.ok)
		}
	}
}

// A PDF/A document's display format is the national export's PDF/A code
// once the export is loaded, and a visible placeholder before.
func TestPDFAFormatComesFromTheNationalExport(t *testing.T) {
	sets := BuiltinCodeSets()
	if got := sets.PDFAFormat(); got != PDFAPlaceholder || sets.Get(SetDisplayFormat).Placeholder(got) == "" {
		t.Errorf("before the export: %q, placeholder %q", got, sets.Get(SetDisplayFormat).Placeholder(got))
	}
	file := filepath.Join(t.TempDir(), "formats.csv")
	if err := os.WriteFile(file, []byte("CodeId;LongName\n1;PDF/A-2b\n2;XHTML_1.1\n3;PDF/A-1b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sets.Get(SetDisplayFormat).LoadFile(file, "1.2.246.537.6.1502.202401"); err != nil {
		t.Fatal(err)
	}
	if got := sets.PDFAFormat(); got != "3" || sets.Get(SetDisplayFormat).Placeholder(got) != "" {
		t.Errorf("after the export: %q, want 3 (PDF/A-1b), national", got)
	}
}
