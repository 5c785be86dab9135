package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/shard"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/state/postgres"
	"github.com/kantamig/kantamig/state/sqlite"
)

// The workers of a sharded run, each staging its own shard, stage what one
// process stages, whatever order the workers run in: the small sample with
// records added across shards (a document key read again for a client of
// another shard, a version of another shard's client's document, both read
// after the document they name, a client who is another shard's client's
// person), staged by one process on SQLite and by
// two shards on PostgreSQL, the shard of the later records first, end with every record's
// outcome, rule, reason and locator the same. Without the census's
// duplicates, the later shard keeps the second record as the first; without
// the links between clients, the version is staged before its document. A
// shard staged again, as by a worker stopped before it marked its shard
// staged, keeps every identifier and doubles nothing.
func TestShardsStageWhatOneProcessStages(t *testing.T) {
	if pg == nil {
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
	t.Parallel()
	const n = 2
	dir := t.TempDir()
	small := filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakirjat.xml")
	data, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	// Each client's first case, from the documents that name both.
	caseOf := map[string]string{}
	for _, m := range regexp.MustCompile(`<asiakas>(A\d+)</asiakas>\s*<asia>(S\d+)</asia>`).FindAllSubmatch(data, -1) {
		if _, ok := caseOf[string(m[1])]; !ok {
			caseOf[string(m[1])] = string(m[2])
		}
	}
	// Two clients of different shards, each with a case.
	var a, b string
	for i := 1; i < 49 && b == ""; i++ {
		c := fmt.Sprintf("A%06d", i)
		if caseOf[c] == "" {
			continue
		}
		switch {
		case a == "":
			a = c
		case shard.Of("asiakkaat:"+c, n) != shard.Of("asiakkaat:"+a, n):
			b = c
		}
	}
	if b == "" {
		t.Fatal("the small sample has no two clients with cases in different shards")
	}
	doc := func(key, client, extra string) string {
		return fmt.Sprintf(`<asiakirja id="%s">
  <asiakas>%s</asiakas>
  <asia>%s</asia>
  <tyyppi>ARV</tyyppi>
  <palvelu>LS</palvelu>
  <laadittu>2021-05-19T15:06:00</laadittu>
  <laatija rekno="10788525313"><sukunimi>Testi</sukunimi><etunimet>Tessa</etunimet><nimike>sosiaalityontekija</nimike></laatija>
  <teksti>Lisatty teksti.</teksti>%s
</asiakirja>
`, key, client, caseOf[client], extra)
	}
	added := doc("DX000001", a, "") + doc("DX000001", b, "") + // the same key for a client of the other shard
		doc("DX000002", a, "") + doc("DX000003", b, "\n  <korvaa>DX000002</korvaa>\n  <versio>2</versio>") // a version of the other's document
	data = bytes.Replace(data, []byte("</asiakirjat>"), []byte(added+"</asiakirjat>"), 1)
	if err := os.WriteFile(filepath.Join(dir, "asiakirjat.xml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A client read after a, under another key in b's shard, who is a's
	// person: the same person as a, though a is staged by another worker,
	// and after it.
	clientsCSV, err := os.ReadFile(filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakkaat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^` + a + `;.*$`).Find(clientsCSV)
	twin := ""
	for i := 900001; twin == ""; i++ {
		if k := fmt.Sprintf("A%06d", i); shard.Of("asiakkaat:"+k, n) == shard.Of("asiakkaat:"+b, n) {
			twin = k
		}
	}
	clientsCSV = append(clientsCSV, append([]byte(twin), line[len(a):]...)...)
	clientsCSV = append(clientsCSV, '\n')
	if err := os.WriteFile(filepath.Join(dir, "asiakkaat.csv"), clientsCSV, 0o600); err != nil {
		t.Fatal(err)
	}
	mappingFile := testenv.SmallClassic(t, func(text string) string {
		text = strings.Replace(text, filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakkaat.csv"), filepath.Join(dir, "asiakkaat.csv"), 1)
		return strings.Replace(text, filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakirjat.xml"), filepath.Join(dir, "asiakirjat.xml"), 1)
	})
	m, schemas, err := Load(mappingFile, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	one, err := sqlite.Open(filepath.Join(dir, "one.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	r, err := Prepare(m, schemas, Options{Store: one, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.stage(ctx, 1); err != nil {
		t.Fatal(err)
	}
	want := outcomesOf(t, one)

	location := pg.NewLocation("census")
	stageShard := func(first bool, i int) {
		st, err := postgres.OpenShared(location)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if first {
			if err := r.stageShards(ctx, st, 1, n); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.stageShard(ctx, st, 1, shard.Spec{I: i, N: n}); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	later := shard.Of("asiakkaat:"+b, n)
	stageShard(true, later)
	stageShard(false, 1-later)
	shared, err := postgres.OpenShared(location)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	minted := identifiersOf(t, shared)

	// A worker stopped after writing its rows, before it marked its shard
	// staged, stages the shard again: nothing doubled, nothing minted anew.
	if err := shared.SetSetting("staged/"+fmt.Sprint(later), ""); err != nil {
		t.Fatal(err)
	}
	if err := shared.Commit(); err != nil {
		t.Fatal(err)
	}
	stageShard(false, later)
	if again := identifiersOf(t, shared); len(again) != len(minted) {
		t.Errorf("staged again: %d records with identifiers, before %d", len(again), len(minted))
	} else {
		for id, oid := range minted {
			if again[id] != oid {
				t.Errorf("%s: identifier %s, staged again %s", id, oid, again[id])
			}
		}
	}
	got := outcomesOf(t, shared)

	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("%s: staged by one process (%s), not by the shards", id, w)
		} else if g != w {
			t.Errorf("%s:\n one process %s\n the shards  %s", id, w, g)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: staged by the shards (%s), not by one process", id, g)
		}
	}
	// The fixture does what it says: the second DX000001 is a duplicate,
	// the version is staged.
	dup, ver := "", ""
	for id, w := range want {
		if strings.Contains(id, "DX000001\x00duplicate@") {
			dup = w
		}
		if strings.HasSuffix(id, ":DX000003") {
			ver = w
		}
	}
	if !strings.Contains(dup, "duplicate-key") || ver == "" || !strings.Contains(want["client asiakkaat:"+twin], "duplicate-person") {
		t.Errorf("the fixture's records: duplicate %q, version %q, the same person %q", dup, ver, want["client asiakkaat:"+twin])
	}
}

// outcomesOf reads every record's outcome, rule, reason and locator.
func outcomesOf(t *testing.T, st state.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := st.Outcomes(func(r state.Record) error {
		out[r.Entity+" "+r.Key] = strings.Join([]string{r.Outcome, r.Field, r.Rule, r.Reason, r.Locator}, " | ")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// identifiersOf reads every record's identifiers, by entity and key.
func identifiersOf(t *testing.T, st state.Store) map[string]string {
	t.Helper()
	var ids []string
	if err := st.Outcomes(func(r state.Record) error {
		ids = append(ids, r.Entity+"\x00"+r.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, id := range ids {
		entity, key, _ := strings.Cut(id, "\x00")
		r, err := st.Get(entity, key)
		if err != nil || r == nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r.EntityOID != "" || r.DocOID != "" {
			out[id] = r.EntityOID + " " + r.DocOID
		}
	}
	return out
}

// A source that gives its records otherwise than when the census read it
// (one record fewer, here) stops a worker, saying so, rather than letting
// it stage records the census placed elsewhere.
func TestAWorkerStopsWhenTheSourcesChangedAfterTheCensus(t *testing.T) {
	if pg == nil {
		testenv.Missing(t, "PostgreSQL (apt-get install postgresql)")
	}
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakirjat.xml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(dir, "asiakirjat.xml")
	if err := os.WriteFile(docs, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mappingFile := testenv.SmallClassic(t, func(text string) string {
		return strings.Replace(text, filepath.Join(testenv.Root(), "samples", "legacy-small", "asiakirjat.xml"), docs, 1)
	})
	m, schemas, err := Load(mappingFile, testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.OpenShared(pg.NewLocation("order"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.stageShards(ctx, st, 1, 1); err != nil {
		t.Fatal(err)
	}
	last := bytes.LastIndex(data, []byte("<asiakirja "))
	end := bytes.Index(data[last:], []byte("</asiakirja>")) + len("</asiakirja>\n")
	if err := os.WriteFile(docs, append(append([]byte{}, data[:last]...), data[last+end:]...), 0o600); err != nil {
		t.Fatal(err)
	}
	err = r.stageShard(ctx, st, 1, shard.Spec{I: 0, N: 1})
	var order *ErrCensusOrder
	if !errors.As(err, &order) || !strings.Contains(err.Error(), "ORDER BY") {
		t.Fatalf("staging after a record went: %v; want the census's order refused", err)
	}
	if staged, _ := st.Setting("staged/0"); staged != "" {
		t.Error("the shard is marked staged")
	}
}
