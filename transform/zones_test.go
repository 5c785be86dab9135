package transform_test

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// A document drawn up at any time from 1800 to 2100, in any zone, is
// rebuilt for delivery from the staged model exactly as it was staged, and
// shows the legacy system's wall clock. The expected texts are written by
// hand from the zones' histories (the tz database), not by the code.
func TestTimesOfEveryEraRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, zone, at string
		want           string // the effectiveTime written; "" where only the round trip is asserted
	}{
		{"Helsinki mean time, a legacy placeholder", "Europe/Helsinki", "1900-01-01 00:00:00", "19000101000000+0139"},
		{"the last minute of Helsinki mean time", "Europe/Helsinki", "1921-04-30 23:59:00", "19210430235900+0139"},
		{"the first day of Finnish standard time", "Europe/Helsinki", "1921-05-01 12:00:00", "19210501120000+0200"},
		{"a leap day of the mean-time era", "Europe/Helsinki", "1904-02-29 08:30:00", "19040229083000+0139"},
		{"a leap day of 2000", "Europe/Helsinki", "2000-02-29 23:59:59", "20000229235959+0200"},
		{"summer time", "Europe/Helsinki", "2020-07-01 12:00:00", "20200701120000+0300"},
		{"the hour that happens twice", "Europe/Helsinki", "2020-10-25 03:30:00", ""},
		{"the hour that does not happen", "Europe/Helsinki", "2020-03-29 03:30:00", ""},
		{"the last day of 2100", "Europe/Helsinki", "2100-12-31 23:59:59", "21001231235959+0200"},
		{"New York's mean time in 1800", "America/New_York", "1800-01-01 12:00:00", "18000101120000-0456"},
		{"a half-hour zone", "Asia/Kolkata", "2000-02-29 10:00:00", "20000229100000+0530"},
		{"a half-hour summer time", "Australia/Lord_Howe", "2100-12-31 23:59:00", "21001231235900+1100"},
		{"Monrovia's mean time with seconds", "Africa/Monrovia", "1950-06-01 09:00:00", "19500601090000-0044"},
		{"UTC", "UTC", "1800-01-01 00:00:00", "18000101000000+0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			at, err := time.ParseInLocation("2006-01-02 15:04:05", tc.at, loc)
			if err != nil {
				t.Fatal(err)
			}
			tr := transformtest.NewTransformerIn(t, testenv.Sosmeta(), loc)
			doc := transformtest.PlanDocument()
			doc.DrawnUp = at
			ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
			staged, err := tr.Document(doc, ids)
			if err != nil {
				t.Fatal(err)
			}
			data, err := state.Encode(doc)
			if err != nil {
				t.Fatal(err)
			}
			var back kanta.Document
			if err := state.Decode(data, &back); err != nil {
				t.Fatal(err)
			}
			if !back.DrawnUp.Equal(at) {
				t.Errorf("the staged model holds %v, the source %v", back.DrawnUp, at)
			}
			rebuilt, err := tr.Document(back, ids)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(staged.XML, rebuilt.XML) {
				t.Errorf("the document rebuilt for delivery differs from the one staged")
			}
			m := regexp.MustCompile(`<effectiveTime value="([^"]+)"`).FindSubmatch(staged.XML)
			if m == nil {
				t.Fatal("no effectiveTime")
			}
			if tc.want != "" && string(m[1]) != tc.want {
				t.Errorf("effectiveTime %s, want %s", m[1], tc.want)
			}
			if !doc.DrawnUp.Equal(at) || doc.DrawnUp.Location() != loc {
				t.Errorf("encoding changed the caller's model: %v", doc.DrawnUp)
			}
		})
	}
}
