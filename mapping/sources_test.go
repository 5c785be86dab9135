package mapping

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// block cuts an entity's block ("clients:\n" up to the next top-level key)
// out of a mapping's text.
func block(t *testing.T, text, entity string) string {
	t.Helper()
	start := strings.Index(text, entity+":\n")
	if start < 0 {
		t.Fatalf("no %s block", entity)
	}
	end := len(text)
	for _, next := range []string{"\nclients:", "\ncases:", "\ndocuments:"} {
		if i := strings.Index(text[start+1:], next); i >= 0 && start+1+i < end {
			end = start + 1 + i + 1
		}
	}
	return text[start:end]
}

// asList rewrites an entity's block as a list of that block and copies of
// it reading the other sources named.
func asList(t *testing.T, text, entity string, otherSources ...string) string {
	t.Helper()
	b := block(t, text, entity)
	body := strings.TrimPrefix(b, entity+":\n")
	items := []string{body}
	own := strings.TrimSpace(strings.SplitN(strings.SplitN(body, "source:", 2)[1], "\n", 2)[0])
	for _, s := range otherSources {
		items = append(items, strings.Replace(body, "source: "+own, "source: "+s, 1))
	}
	var out strings.Builder
	out.WriteString(entity + ":\n")
	for _, it := range items {
		for i, line := range strings.Split(strings.TrimRight(it, "\n"), "\n") {
			if i == 0 {
				out.WriteString("  - " + strings.TrimPrefix(line, "  ") + "\n")
			} else {
				out.WriteString("  " + line + "\n")
			}
		}
	}
	return strings.Replace(text, b, out.String(), 1)
}

// withSource adds a source, under the sources key.
func withSource(text, line string) string {
	return strings.Replace(text, "sources:\n", "sources:\n  "+line+"\n", 1)
}

// Documents read from two sources: each block is its own, keys are
// qualified by their source, and references go to the only client and
// case sources.
func TestEntityReadFromSeveralSources(t *testing.T) {
	text := asList(t, withSource(validText(t), `vanhat: {kind: xml, file: docs.xml, record: /x/d}`), "documents", "vanhat")
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if got := SourceNames(m.Of(kanta.EntityDocument)); len(got) != 2 || got[0] != "asiakirjat" || got[1] != "vanhat" {
		t.Fatalf("document sources %v", got)
	}
	for _, em := range m.Of(kanta.EntityDocument) {
		src, err := extract.Open(em.Source)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := extract.ReadAll(context.Background(), src)
		src.Close()
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %d records, %v", em.SourceName, len(recs), err)
		}
		d, o := em.Document(recs[0])
		if o.Key != em.SourceName+":D1" || o.SourceKey != "D1" || o.Source != em.SourceName {
			t.Errorf("%s: key %q (source key %q, source %q)", em.SourceName, o.Key, o.SourceKey, o.Source)
		}
		if d.ClientKey != "asiakkaat:1" || d.CaseKey != "asiat:S1" {
			t.Errorf("%s: client %q, case %q: want them qualified by the client and case sources", em.SourceName, d.ClientKey, d.CaseKey)
		}
	}
}

// When the records referred to come from several sources, a reference must
// say which; said, it is qualified with that source.
func TestReferenceToSeveralSourcesMustNameOne(t *testing.T) {
	base := asList(t, withSource(validText(t), `muut: {kind: csv, file: clients.csv, delimiter: ";"}`), "clients", "muut")
	_, err := loadText(t, base)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want mapping errors, got %v", err)
	}
	for _, want := range []struct{ at, msg string }{
		{"clients: asiakkaat", "cases.clients refers to clients, which are read from 2 sources (asiakkaat, muut)"},
		{"client: a", "documents.client refers to clients"},
	} {
		line, _ := position(base, want.at)
		found := false
		for _, e := range errs {
			found = found || (e.Pos.Line == line && strings.Contains(e.Msg, want.msg) && strings.Contains(e.Hint, "source:"))
		}
		if !found {
			t.Errorf("no error at line %d with %q; got:\n%v", line, want.msg, errs)
		}
	}

	named := strings.Replace(strings.Replace(base, "    clients: asiakkaat\n", "    clients: {from: asiakkaat, source: muut}\n", 1),
		"    client: a\n", "    client: {from: a, source: asiakkaat}\n", 1)
	m, err := loadText(t, named)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Of(kanta.EntityCase)[0].fields["clients"]; f.refSource != "muut" {
		t.Errorf("cases.clients refers to %q, want muut", f.refSource)
	}
	if f := m.Of(kanta.EntityDocument)[0].fields["client"]; f.refSource != "asiakkaat" {
		t.Errorf("documents.client refers to %q, want asiakkaat", f.refSource)
	}

	wrong := strings.Replace(named, "source: muut}", "source: asiat}", 1)
	_, err = loadText(t, wrong)
	if !errors.As(err, &errs) || !strings.Contains(errs.Error(), `clients are not read from source "asiat"`) {
		t.Errorf("a reference to a source its entity is not read from: %v", err)
	}
}

func TestSourceBlockMistakes(t *testing.T) {
	valid := validText(t)
	for _, c := range []struct {
		name, text, at, msg string
	}{
		{"same source twice", asList(t, valid, "documents", "asiakirjat"), "", `source "asiakirjat" is already read for documents`},
		{"colon in a source name", strings.Replace(valid, "  asiat: {kind: csv", "  asiat:x: {kind: csv", 1), "", "may not contain"},
		{"source on a field that refers to nothing", strings.Replace(valid, "    text: txt", "    text: {from: txt, source: asiat}", 1), "asiat}", "refers to no record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadText(t, c.text)
			var errs Errors
			if !errors.As(err, &errs) || !strings.Contains(errs.Error(), c.msg) {
				t.Fatalf("want an error with %q, got %v", c.msg, err)
			}
			if c.at != "" {
				line, _ := position(c.text, c.at)
				for _, e := range errs {
					if strings.Contains(e.Msg, c.msg) && e.Pos.Line != line {
						t.Errorf("at line %d, want %d: %v", e.Pos.Line, line, e)
					}
				}
			}
		})
	}
}

// check, against the sources: every column the mapping names is one its
// source has; a miss is a problem at the field's position with the nearest
// column suggested. In an XML export, whose elements vary, a field not seen
// is a problem when every record needs it and a warning otherwise.
func TestCheckAgainstTheSources(t *testing.T) {
	// An export of two records, of which check samples the first.
	docs := filepath.Join(t.TempDir(), "docs.xml")
	two := `<x><d id="D1"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-06 10:00</w><txt>Hei</txt></d><d id="D2"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-07 10:00</w><teksti>Hei</teksti></d></x>`
	if err := os.WriteFile(docs, []byte(two), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(n int) { sampleRecords = n }(sampleRecords)
	sampleRecords = 1
	valid := strings.Replace(validText(t), "file: docs.xml", "file: "+docs, 1)
	m, err := loadText(t, valid)
	if err != nil {
		t.Fatal(err)
	}
	if problems, warnings := CheckSources(context.Background(), m); len(problems)+len(warnings) != 0 {
		t.Fatalf("the valid fixture: problems %v, warnings %v", problems, warnings)
	}
	for _, c := range []struct {
		name, old, new, at, msg, hint string
		warning                       bool
	}{
		{"misspelt CSV column", "    family_name: suku\n", "    family_name: sukku\n", "sukku", `clients.family_name: source "asiakkaat" has no column "sukku"`, `did you mean "suku"?`, false},
		{"misspelt key", "  source: asiat\n  key: id\n", "  source: asiat\n  key: idd\n", "idd", `cases.key: source "asiat" has no column "idd"`, `did you mean "id"?`, false},
		{"one of several columns", "    given_names: etu\n", "    given_names: {from: [etu, toinen]}\n", "{from: [etu, toinen]}", `no column "toinen"`, "its columns:", false},
		{"required XML field never seen", "    drawn_up: {from: w,", "    drawn_up: {from: ww,", "{from: ww,", `documents.drawn_up: no field "ww" in the first 1 records`, `did you mean "w"?`, false},
		{"optional XML field never seen", "    text: txt", "    text: teksti", "teksti", `documents.text: no field "teksti" in the first 1 records`, "its columns:", true},
		{"structured field", "    text: txt", "    text: txt\n  structured:\n    kuvaus: selitys", "selitys", `documents.kuvaus: no field "selitys"`, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(valid, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			text := strings.Replace(valid, c.old, c.new, 1)
			m, err := loadText(t, text)
			if err != nil {
				t.Fatal(err)
			}
			problems, warnings := CheckSources(context.Background(), m)
			got, other := problems, warnings
			if c.warning {
				got, other = warnings, problems
			}
			if len(got) != 1 || len(other) != 0 {
				t.Fatalf("problems %v, warnings %v", problems, warnings)
			}
			e := got[0]
			line, col := position(text, c.at)
			if e.Pos.Line != line || e.Pos.Column != col || !strings.Contains(e.Msg, c.msg) || !strings.Contains(e.Hint, c.hint) {
				t.Errorf("got %v at %d:%d, want %q with hint %q at %d:%d", e, e.Pos.Line, e.Pos.Column, c.msg, c.hint, line, col)
			}
		})
	}
}

// A database source whose connection variable is unset or unparseable is a
// problem of check, at the source, before any migration.
func TestCheckNamesAnUnusableConnectionVariable(t *testing.T) {
	text := withSource(validText(t), `kanta_db: {kind: mysql, dsn_env: KANTAMIG_TEST_UNSET_DSN, table: asiat, where: "avattu < :cutoff"}`)
	text = strings.Replace(text, "cases:\n  source: asiat\n", "cases:\n  source: kanta_db\n", 1)
	for _, dsn := range []string{"", "not a connection string"} {
		t.Setenv("KANTAMIG_TEST_UNSET_DSN", dsn)
		m, err := loadText(t, text)
		if err != nil {
			t.Fatal(err)
		}
		problems, warnings := CheckSources(context.Background(), m)
		line, _ := position(text, "kanta_db: {kind")
		if len(problems) != 1 || problems[0].Pos.Line != line || !strings.Contains(problems[0].Msg, "KANTAMIG_TEST_UNSET_DSN") {
			t.Errorf("DSN %q: want one problem naming the variable at line %d, got %v", dsn, line, problems)
		}
		// The condition on the cut-off loses rows with a NULL date: check says so.
		_, col := position(text, `"avattu < :cutoff"`)
		if len(warnings) != 1 || warnings[0].Pos.Column != col || !strings.Contains(warnings[0].Msg, "rows whose date is NULL vanish") {
			t.Errorf("want a warning at the where condition (column %d), got %v", col, warnings)
		}
	}
}

// A file without an id column is keyed by the records' places; a database,
// whose row order is not stable, cannot be.
func TestRecordsKeyedByPosition(t *testing.T) {
	text := strings.Replace(validText(t), "  source: asiakirjat\n  key: \"@id\"\n", "  source: asiakirjat\n  key: $position\n", 1)
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	src, err := extract.Open(m.Of(kanta.EntityDocument)[0].Source)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := extract.ReadAll(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, o := m.Of(kanta.EntityDocument)[0].Document(recs[0]); o.Key != "asiakirjat:1" || o.Reject != nil {
		t.Errorf("key %q, reject %v; want asiakirjat:1", o.Key, o.Reject)
	}
	if problems, _ := CheckSources(context.Background(), m); len(problems) != 0 {
		t.Errorf("check: %v", problems)
	}

	db := withSource(validText(t), `kanta_db: {kind: mysql, dsn_env: X, table: asiat, where: "avattu < :cutoff"}`)
	db = strings.Replace(db, "cases:\n  source: asiat\n  key: id\n", "cases:\n  source: kanta_db\n  key: $position\n", 1)
	_, err = loadText(t, db)
	var errs Errors
	line, _ := position(db, "$position")
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Pos.Line != line || !strings.Contains(errs[0].Msg, "is a mysql database") {
		t.Errorf("want one error at line %d, got %v", line, err)
	}
}

func TestWithoutCaseMistakes(t *testing.T) {
	valid := validText(t)
	at := "  key: \"@id\"\n"
	for _, c := range []struct{ name, option, msg string }{
		{"unknown action", `{action: gather}`, `unknown action "gather"`},
		{"collect without a status", `{action: collect, name_other: Muut}`, "collect needs status"},
		{"collect without name_other", `{action: collect, status: "92"}`, "collect needs name_other"},
		{"a status outside its code set", `{action: collect, name_other: Muut, status: "7"}`, `code "7" is not in code set case-status`},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Replace(valid, at, at+"  without_case: "+c.option+"\n", 1)
			_, err := loadText(t, text)
			line, _ := position(text, "without_case")
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Pos.Line != line || !strings.Contains(errs[0].Msg, c.msg) {
				t.Errorf("want one error at line %d with %q, got %v", line, c.msg, err)
			}
		})
	}
	text := strings.Replace(valid, "  source: asiat\n  key: id\n", "  source: asiat\n  key: id\n  without_case: {action: collect}\n", 1)
	if _, err := loadText(t, text); err == nil || !strings.Contains(err.Error(), "without_case is only for documents") {
		t.Errorf("without_case on cases: %v", err)
	}
	ok := strings.Replace(strings.Replace(valid, at, at+"  without_case: {action: collect, name_other: Muut, status: \"92\"}\n", 1), "    case: s\n", "", 1)
	if m, err := loadText(t, ok); err != nil || m.Of(kanta.EntityDocument)[0].WithoutCase == nil || m.Of(kanta.EntityDocument)[0].WithoutCase.Status != "92" {
		t.Errorf("collecting without a case field: %v", err)
	}
}

// Every unknown key of the file comes back at once, at its position, with the
// nearest known key, at every level: top, organisation, value maps, entity
// blocks (a list of them too), field specs, without_case.
func TestEveryUnknownKeyAtOnce(t *testing.T) {
	text := validText(t)
	for _, r := range [][2]string{
		{"cutoff: 2024-01-01", "cutof: 2024-01-01"},
		{"  oid_root: 1.2.246", "  oid_rot: 1.2.246"},
		{"    fallback: reject", "    falback: reject"},
		{"  source: asiat\n  key: id\n", "  source: asiat\n  key: id\n  feilds_extra: 1\n"},
		{"    given_names: etu", "    given_names: {form: etu}"},
		{"  key: \"@id\"\n", "  key: \"@id\"\n  without_case: {action: collect, nme_other: x, status: \"92\"}\n"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("fixture lacks %q", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	text = asList(t, text, "documents")
	_, err := loadText(t, text)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want mapping errors, got %v", err)
	}
	for _, w := range []struct{ at, key, suggest string }{
		{"cutof:", "cutof", "cutoff"},
		{"oid_rot:", "oid_rot", "oid_root"},
		{"falback:", "falback", "fallback"},
		{"feilds_extra:", "feilds_extra", ""},
		{"form: etu", "form", "from"},
		{"nme_other", "nme_other", "name_other"},
	} {
		line, col := position(text, w.at)
		found := false
		for _, e := range errs {
			if e.Pos.Line == line && e.Pos.Column == col && strings.Contains(e.Msg, fmt.Sprintf("unknown field %q", w.key)) &&
				(w.suggest == "" || strings.Contains(e.Hint, fmt.Sprintf("did you mean %q", w.suggest))) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error for %q at %d:%d; got:\n%v", w.key, line, col, errs)
		}
	}
	if len(errs) != 6 {
		t.Errorf("%d errors, want 6:\n%v", len(errs), errs)
	}
}

// A CSV without a header is checked by its fields' positions, learnt from
// its records.
func TestCheckCSVWithoutHeader(t *testing.T) {
	text := strings.Replace(validText(t), "  asiat: {kind: csv, file: cases.csv, delimiter: \";\"}", "  asiat: {kind: csv, file: cases.csv, delimiter: \";\", no_header: true}", 1)
	text = strings.Replace(text, "  source: asiat\n  key: id\n", "  source: asiat\n  key: \"1\"\n", 1)
	text = strings.Replace(text, "    name: {from: nimi,", "    name: {from: \"33\",", 1)
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	problems, _ := CheckSources(context.Background(), m)
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Msg)
	}
	joined := strings.Join(msgs, "\n")
	// Its key "1" is a column; the names written for a headed file are not.
	if strings.Contains(joined, `column "1"`) || !strings.Contains(joined, `cases.name: source "asiat" has no column "33"`) || strings.Contains(joined, "has no columns at all") {
		t.Errorf("check of a headerless CSV: %v", problems)
	}
}
