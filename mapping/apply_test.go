package mapping

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

func TestClientOutcomes(t *testing.T) {
	m, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := extract.Open(m.Of(kanta.EntityClient)[0].Source)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := extract.ReadAll(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, reject, skip, warning string
	}{
		{key: "1"},
		{key: "2", reject: "hetu-check"},
		{key: "3", reject: "old-relationship-identity-code"}, // a temporary identifier only: no old relationship (national rule)
		{key: "4", skip: "cutoff"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		rel, o := m.Of(kanta.EntityClient)[0].Client(recs[i])
		if o.SourceKey != w.key || o.Key != "asiakkaat:"+w.key || o.Source != "asiakkaat" {
			t.Errorf("record %d: key %q (qualified %q, source %q), want %q in source asiakkaat", i, o.SourceKey, o.Key, o.Source, w.key)
		}
		if got := ruleOf(o.Reject); got != w.reject {
			t.Errorf("%s: reject %q, want %q (%+v)", w.key, got, w.reject, o.Reject)
		}
		if got := ruleOf(o.Skip); got != w.skip {
			t.Errorf("%s: skip %q, want %q", w.key, got, w.skip)
		}
		if w.warning != "" && (len(o.Warnings) == 0 || o.Warnings[0].Rule != w.warning) {
			t.Errorf("%s: warnings %+v, want %s", w.key, o.Warnings, w.warning)
		}
		if w.key == "1" {
			if rel.Client.Sex != "2" || rel.Client.BirthDate.Format("2006-01-02") != "1967-04-15" {
				t.Errorf("sex and birth date not taken from the identity code: %+v", rel.Client)
			}
			if rel.Client.CallingName != "Aino" || len(rel.ServiceTasks) != 1 || rel.ServiceTasks[0].ServiceTask != "24" {
				t.Errorf("client 1 mapped wrong: %+v", rel)
			}
			if !rel.Old {
				t.Error("migrated relationships are old relationships (vanha_asiakkuus)")
			}
		}
		if w.key == "3" && !rel.Client.TemporaryOnly {
			t.Errorf("client 3: %+v", rel)
		}
	}
}

func ruleOf(f *Finding) string {
	if f == nil {
		return ""
	}
	return f.Rule
}

func TestParseTime(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	fi, _ := dateLayout("dd.MM.yyyy")
	cases := []struct {
		in   string
		want string
	}{
		{"05.03.2019", "2019-03-05T00:00:00+02:00"},
		{"2019-03-05", "2019-03-05T00:00:00+02:00"},
		{"2019-07-05T10:30:00", "2019-07-05T10:30:00+03:00"},
	}
	for _, c := range cases {
		got, note, err := parseTime(c.in, []string{fi}, loc)
		if err != nil {
			t.Errorf("parseTime(%q): %v", c.in, err)
			continue
		}
		if got.Format(time.RFC3339) != c.want || note != "" {
			t.Errorf("parseTime(%q) = %s, want %s", c.in, got.Format(time.RFC3339), c.want)
		}
	}
	for _, bad := range []string{"31.02.2019", "5/3/19", "eilen", "2020", "43529"} {
		if _, _, err := parseTime(bad, []string{fi}, loc); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
	// Serial day numbers only where the column says it holds them; the
	// expected days are Excel's own (what the cell shows in Excel).
	for _, c := range []struct{ in, want string }{
		{"43529", "2019-03-05T00:00:00+02:00"},
		{"43651.4375", "2019-07-05T10:30:00+03:00"},
		{"1", "1900-01-01T00:00:00+01:39"},
		{"61", "1900-03-01T00:00:00+01:39"}, // after the 29 February 1900 Excel counts
		{"05.03.2019", "2019-03-05T00:00:00+02:00"},
	} {
		got, _, err := parseTime(c.in, []string{ExcelSerial, fi}, loc)
		if err != nil || got.Format(time.RFC3339) != c.want {
			t.Errorf("parseTime(%q, excel) = %s, %v; want %s", c.in, got.Format(time.RFC3339), err, c.want)
		}
	}
}

// A date no pattern reads says what to do: add the pattern that reads it,
// or correct a day that does not exist; nothing for what is no date.
func TestADateNoPatternReadsSaysWhatToDo(t *testing.T) {
	iso, _ := dateLayout("yyyy-MM-dd")
	for _, c := range []struct{ in, want string }{
		{"14.6.1983", `it reads as d.M.yyyy: add that pattern to the field (date: ["d.M.yyyy"]`},
		{"3.4.1978 9.15", "it reads as d.M.yyyy H.mm"},
		{"31.2.2003", "it has the shape d.M.yyyy, but there is no such day: correct it in the source"},
		{"eilen", ""},
	} {
		_, _, err := parseTime(c.in, []string{iso}, time.UTC)
		if err == nil {
			t.Fatalf("%q read as a date", c.in)
		}
		msg := err.Error()
		if c.want == "" && strings.Contains(msg, ";") || c.want != "" && !strings.Contains(msg, c.want) {
			t.Errorf("%q: %s\nwant %q", c.in, msg, c.want)
		}
	}
}

func TestStripForbiddenXML(t *testing.T) {
	in := "a\x07b\tc\x00d\uFFFEe\n"
	got, removed := StripForbiddenXML(in)
	if got != "ab\tcde\n" || len(removed) != 3 {
		t.Errorf("StripForbiddenXML = %q, removed %q", got, removed)
	}
	if s, r := StripForbiddenXML("ääkköset ok"); s != "ääkköset ok" || r != nil {
		t.Errorf("clean text changed: %q %v", s, r)
	}
}

// What the source holds is never silently changed or dropped: a value a
// fallback-none map leaves out is listed; an empty date every record needs
// is a missing-date reject; a sex against the identity code, and a date
// before the client's birth, are warnings that keep the source's value.
func TestNothingSilentlyLostOrChanged(t *testing.T) {
	text := strings.Replace(validText(t), "    service_tasks: {from: palvelut, map: palvelu}", "    service_tasks: {from: palvelut, map: palvelut}\n    sex: sp", 1)
	text = strings.Replace(text, "value_maps:\n", "value_maps:\n  palvelut:\n    code_set: service-task\n    fallback: none\n    values: {LP: \"24\"}\n", 1)
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	client := func(fields map[string]string) (kanta.Relationship, *Outcome) {
		base := map[string]string{"id": "1", "hetu": "150467-946P", "suku": "Testinen", "etu": "Aino", "alku": "01.02.2010", "palvelut": "LP", "sp": ""}
		for k, v := range fields {
			base[k] = v
		}
		return m.Of(kanta.EntityClient)[0].Client(extract.Record{Fields: base, Locator: "t:1"})
	}
	rules := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		return out
	}

	rel, o := client(map[string]string{"palvelut": "LP,XX"})
	if len(rel.ServiceTasks) != 1 || len(o.Unmapped) != 1 || o.Unmapped[0].Value != "XX" || !o.OK() {
		t.Errorf("fallback none: tasks %v, unmapped %v, outcome %+v; want XX listed, the record kept", rel.ServiceTasks, o.Unmapped, o)
	}
	if _, o := client(map[string]string{"alku": ""}); o.Reject == nil || o.Reject.Rule != kanta.RuleMissingDate {
		t.Errorf("empty start: %+v, want missing-date", o.Reject)
	}
	// 150467-946P: individual number 946, even: sex 2.
	rel, o = client(map[string]string{"sp": "1"})
	if rel.Client.Sex != "1" || !o.OK() || !slices.Contains(rules(o.Warnings), kanta.RuleSexCode) {
		t.Errorf("sex against the code: sex %q, warnings %v, outcome %+v; want the source's 1 kept with a sex-code warning", rel.Client.Sex, rules(o.Warnings), o)
	}
	if _, o := client(map[string]string{"sp": "2"}); slices.Contains(rules(o.Warnings), kanta.RuleSexCode) {
		t.Errorf("a sex that agrees is warned of: %v", o.Warnings)
	}
	if _, o := client(map[string]string{"alku": "01.02.1967"}); !o.OK() || !slices.Contains(rules(o.Warnings), kanta.RuleBeforeBirth) {
		t.Errorf("start before birth (15.4.1967): warnings %v, outcome %+v", rules(o.Warnings), o)
	}
	if _, o := client(map[string]string{"hetu": "150467-946p"}); o.Reject == nil || o.Reject.Rule != kanta.RuleHetuFormat {
		t.Errorf("lower-case identity code: %+v, want hetu-format", o.Reject)
	}
	// 22:30 UTC on New Year's Eve is 00:30 on the cut-off day in Helsinki:
	// skipped, and the reason gives the day as the mapping's zone has it.
	if _, o := client(map[string]string{"luotu": "2023-12-31T22:30:00Z"}); o.Skip == nil || o.Skip.Rule != kanta.RuleCutoff ||
		!strings.Contains(o.Skip.Reason, "created 2024-01-01, on or after the cut-off 2024-01-01") {
		t.Errorf("created at the cut-off in the mapping's zone: %+v", o.Skip)
	}
}

// A wall clock in the hour summer time skips, or in the hour that happens
// twice, is read as one named instant with a note; an ordinary one, and one
// whose text names its offset, without.
func TestLocalTimesThatAreNotOneInstant(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	layout, _ := dateLayout("dd.MM.yyyy HH:mm")
	for _, c := range []struct {
		in, want, note string
	}{
		{"29.03.2020 03:30", "2020-03-29T04:30:00+03:00", "does not exist in Europe/Helsinki"},
		{"25.10.2020 03:30", "", "happens twice in Europe/Helsinki"},
		{"25.10.2020 02:30", "2020-10-25T02:30:00+03:00", ""},
		{"25.10.2020 04:30", "2020-10-25T04:30:00+02:00", ""},
		{"01.01.1900 00:00", "1900-01-01T00:00:00+01:39", ""},
		{"2020-03-29T03:30:00+02:00", "2020-03-29T03:30:00+02:00", ""}, // its own offset: as written
	} {
		got, note, err := parseTime(c.in, []string{layout}, loc)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if c.want != "" && got.Format(time.RFC3339) != c.want {
			t.Errorf("%s: read as %s, want %s", c.in, got.Format(time.RFC3339), c.want)
		}
		if c.note == "" && note != "" || !strings.Contains(note, c.note) {
			t.Errorf("%s: note %q, want one saying %q", c.in, note, c.note)
		}
	}
}

// A whole name in one column, split by its stated order; the expected parts
// are written by hand.
func TestNamePart(t *testing.T) {
	for _, c := range []struct{ whole, order, family, given string }{
		{"Virtanen Anna Maria", NameFamilyFirst, "Virtanen", "Anna Maria"},
		{"Anna Maria Virtanen", NameGivenFirst, "Virtanen", "Anna Maria"},
		{"Ahola-Virtanen Anna", NameFamilyFirst, "Ahola-Virtanen", "Anna"},
		{"von Wright, Georg Henrik", NameFamilyFirst, "von Wright", "Georg Henrik"},
		{"von Wright, Georg Henrik", NameGivenFirst, "von Wright", "Georg Henrik"},
		{"  Virtanen   Anna  ", NameFamilyFirst, "Virtanen", "Anna"},
		{"Virtanen", NameGivenFirst, "Virtanen", ""},
		{"", NameFamilyFirst, "", ""},
	} {
		if f, g := NamePart(c.whole, c.order, "family"), NamePart(c.whole, c.order, "given"); f != c.family || g != c.given {
			t.Errorf("%q %s: family %q given %q, want %q %q", c.whole, c.order, f, g, c.family, c.given)
		}
	}
}

// A structured value held as rich text reaches the structured form as
// its plain text; one that cannot be read rejects its record.
func TestStructuredMarkupIsPlainText(t *testing.T) {
	text := strings.Replace(validText(t), "    text: txt\n", "    text: txt\n  structured:\n    kuvaus: {from: txt, markup: rtf}\n", 1)
	m, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	doc := func(txt string) (kanta.Document, *Outcome) {
		return m.Of(kanta.EntityDocument)[0].Document(extract.Record{Fields: map[string]string{"@id": "D1", "a": "1", "s": "S1", "t": "SUUN", "p": "LP", "w": "2020-01-02 10:00", "txt": txt}, Locator: "t:1"})
	}
	d, o := doc(`{\rtf1\ansi\ansicpg1252 Ensimm\'e4inen {\b lihava}\par Toinen\par}`)
	if !o.OK() || d.Structured["kuvaus"] != "Ensimmäinen lihava\n\nToinen" {
		t.Errorf("structured %q, outcome %+v", d.Structured["kuvaus"], o)
	}
	if _, o := doc(`{\rtf1\ansi katkennut`); o.Reject == nil || o.Reject.Rule != kanta.RuleBodyUnreadable {
		t.Errorf("a truncated RTF: %+v, want body-unreadable", o.Reject)
	}
	if _, err := loadText(t, strings.Replace(text, "markup: rtf", "markup: docx", 1)); err == nil || !strings.Contains(err.Error(), "not a rich-text format") {
		t.Errorf("markup docx: %v", err)
	}
	if _, err := loadText(t, strings.Replace(validText(t), "    text: txt\n", "    text: {from: txt, markup: rtf}\n", 1)); err == nil || !strings.Contains(err.Error(), "markup is for structured: values") {
		t.Errorf("markup on text: %v", err)
	}
}
