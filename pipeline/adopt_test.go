package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/adopt"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state/sqlite"
)

// manifestOf reads an archive package's manifest.
func manifestOf(t *testing.T, pkg string) []sink.ManifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(pkg, sink.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sink.ManifestEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e sink.ManifestEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// runInto runs the mapping with the state file state into the package pkg.
func runInto(t *testing.T, file, statePath, pkg string, adoptIt bool) (*report.Report, error) {
	t.Helper()
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sk, err := sink.Open("dir:"+pkg, sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), RunOptions{Sink: sk, ProcessingCode: "T", AdoptPackage: adoptIt})
}

// A fresh state adopting a package after the source gained records (which
// makes it mint every OID after them differently): every document the package
// holds is matched by its record, none is sent again, the new ones are sent
// once with OIDs the package does not use, and the package is judged whole.
// Adoption used to trust the re-minted OIDs: it sent a new document under an
// OID the package had and listed another twice.
func TestAdoptionMatchesByContentNotByMintedOIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := tempMapping(t, nil)
	src := filepath.Dir(file)
	pkg := filepath.Join(dir, "package")
	if _, err := runInto(t, file, filepath.Join(dir, "a.db"), pkg, false); err != nil {
		t.Fatalf("the first run: %v", err)
	}
	before := manifestOf(t, pkg)
	if len(before) < 3 {
		t.Fatalf("the first run listed %d documents", len(before))
	}
	for _, e := range before {
		if e.Source == "" || e.Content == "" {
			t.Fatalf("a manifest line without its identity: %+v", e)
		}
	}

	// A client before all the others and a document before the first one:
	// a fresh state mints the OIDs of the records after them differently.
	edit(t, filepath.Join(src, "clients.csv"), "id;hetu;tunnus;suku;etu;alku;palvelut;luotu\n",
		"id;hetu;tunnus;suku;etu;alku;palvelut;luotu\n0;120385-955W;;Lisätty;Lauri;01.02.2010;LP;\n")
	edit(t, filepath.Join(src, "docs.xml"), `<x>`, `<x><d id="D0"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2013-05-06 10:00</w><txt>Lisätty</txt></d>`)

	fresh := filepath.Join(dir, "b.db")
	var owned *sink.ErrPackageOwned
	if _, err := runInto(t, file, fresh, pkg, false); !errors.As(err, &owned) {
		t.Fatalf("a fresh state without --adopt-package: %v", err)
	}
	rep, err := runInto(t, file, fresh, pkg, true)
	if err != nil {
		t.Fatalf("adopting: %v", err)
	}
	if rep.AdoptedDocuments != len(before) || rep.DocumentsDelivered != 2 || rep.DuplicatesAtSink != 0 {
		t.Errorf("adopted %d (want %d), delivered %d (want the new client's relationship and the new document, 2), %d sent again",
			rep.AdoptedDocuments, len(before), rep.DocumentsDelivered, rep.DuplicatesAtSink)
	}
	after := manifestOf(t, pkg)
	if len(after) != len(before)+2 {
		t.Fatalf("the package lists %d documents, want %d", len(after), len(before)+2)
	}
	oids, sources := map[string]bool{}, map[string]bool{}
	for i, e := range after {
		if i < len(before) && e != before[i] {
			t.Errorf("line %d changed: %+v, was %+v", i+1, e, before[i])
		}
		if oids[e.OID] || sources[e.Source] {
			t.Errorf("line %d lists %s (record %s) again", i+1, e.OID, e.Source)
		}
		oids[e.OID], sources[e.Source] = true, true
	}
	res, err := archive.JudgePackage(pkg, judgeOf(t, file))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	if res.Documents != len(before)+2 {
		t.Errorf("the judge archived %d documents, want %d", res.Documents, len(before)+2)
	}
	// The judge says no to a package that lists one record twice: the
	// last line made to name the record of the line before it.
	last, prev := after[len(after)-1], after[len(after)-2]
	data, err := os.ReadFile(filepath.Join(pkg, sink.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	doubled := t.TempDir()
	for _, sub := range []string{"documents", "frames"} {
		if err := os.CopyFS(filepath.Join(doubled, sub), os.DirFS(filepath.Join(pkg, sub))); err != nil {
			t.Fatal(err)
		}
	}
	lastLine := strings.Replace(string(data), `"source":"`+last.Source+`"`, `"source":"`+prev.Source+`"`, 1)
	lastLine = strings.Replace(lastLine, `"version":`+strconv.Itoa(last.Version), `"version":`+strconv.Itoa(prev.Version), 1)
	if err := os.WriteFile(filepath.Join(doubled, sink.ManifestFile), []byte(lastLine), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := archive.JudgePackage(doubled, judgeOf(t, file)); err != nil || !strings.Contains(strings.Join(res.Problems, "\n"), "in the package twice") {
		t.Errorf("a package listing one record twice: %v %v", res, err)
	}
	// Run again with the adopting state: the package is its own now.
	if _, err := runInto(t, file, fresh, pkg, false); !errors.Is(err, ErrComplete) {
		t.Errorf("the adopting run again: %v", err)
	}
}

// A package whose documents do not all match the fresh state's records is
// refused with what differs, and left as it was: a record whose content
// changed, one that this run rejects, and a package listed by a kantamig that kept no identities.
func TestAdoptionRefusesWhatDoesNotMatchExactly(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		change func(t *testing.T, src, pkg string)
		want   string
	}{
		"content changed": {func(t *testing.T, src, pkg string) {
			edit(t, filepath.Join(src, "clients.csv"), ";Testinen;Aino Helmi;", ";Testinen;Aino Helmikki;")
		}, "was made from other content"},
		"record gone": {func(t *testing.T, src, pkg string) {
			edit(t, filepath.Join(src, "docs.xml"), `<txt>Hei</txt>`, `<txt>Hei</txt><t>MUU</t>`) // now rejected: two types
		}, "which this run rejected"},
		"no identities": {func(t *testing.T, src, pkg string) {
			path := filepath.Join(pkg, sink.ManifestFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var e map[string]any
				json.Unmarshal([]byte(l), &e)
				delete(e, "source")
				delete(e, "content")
				b, _ := json.Marshal(e)
				lines = append(lines, string(b))
			}
			os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		}, "without what they were made from"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := tempMapping(t, nil)
			pkg := filepath.Join(dir, "package")
			if _, err := runInto(t, file, filepath.Join(dir, "a.db"), pkg, false); err != nil {
				t.Fatalf("the first run: %v", err)
			}
			tc.change(t, filepath.Dir(file), pkg)
			before, _ := os.ReadFile(filepath.Join(pkg, sink.ManifestFile))
			info, _ := os.ReadFile(filepath.Join(pkg, "package.json"))
			_, err := runInto(t, file, filepath.Join(dir, "b.db"), pkg, true)
			var mismatch *adopt.ErrMismatch
			if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want a refusal saying %q, got %v", tc.want, err)
			}
			after, _ := os.ReadFile(filepath.Join(pkg, sink.ManifestFile))
			infoAfter, _ := os.ReadFile(filepath.Join(pkg, "package.json"))
			if string(after) != string(before) || string(info) != string(infoAfter) {
				t.Error("the refused adoption changed the package")
			}
		})
	}
}

// edit replaces old with new in a file, once; the test fails if old is not there.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}
