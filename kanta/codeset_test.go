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
	if err := set.LoadFile(path); err != nil {
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
	err := BuiltinCodeSets().Get(SetCaseStatus).LoadFile(path)
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

func TestSeventeenGeneralTypes(t *testing.T) {
	if n := BuiltinCodeSets().Get(SetDocumentType).Len(); n != 17 {
		t.Errorf("built-in general document types: %d, want 17", n)
	}
}
