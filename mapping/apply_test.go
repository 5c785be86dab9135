package mapping

import (
	"context"
	"testing"
	"time"

	"github.com/kantamig/kantamig/extract"
)

func TestClientOutcomes(t *testing.T) {
	m, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := extract.Open(m.Clients[0].Source)
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
		{key: "3", warning: "temporary-id"},
		{key: "4", skip: "cutoff"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		rel, o := m.Clients[0].Client(recs[i])
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
		if w.key == "3" && (len(rel.ServiceTasks) != 2 || !rel.Client.TemporaryOnly) {
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
		{"43529", "2019-03-05T00:00:00+02:00"},      // Excel serial day
		{"43651.4375", "2019-07-05T10:30:00+03:00"}, // Excel serial with time of day
	}
	for _, c := range cases {
		got, err := parseTime(c.in, []string{fi}, loc)
		if err != nil {
			t.Errorf("parseTime(%q): %v", c.in, err)
			continue
		}
		if got.Format(time.RFC3339) != c.want {
			t.Errorf("parseTime(%q) = %s, want %s", c.in, got.Format(time.RFC3339), c.want)
		}
	}
	for _, bad := range []string{"31.02.2019", "5/3/19", "eilen"} {
		if _, err := parseTime(bad, []string{fi}, loc); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
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
