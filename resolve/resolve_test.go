package resolve

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/kanta"
)

// records is what staging has kept so far, held in memory for the tests:
// the resolver only asks, through Records.
type records struct {
	rows   map[string]*Staged // entity + "\x00" + key
	people map[string]string  // person hash -> client key
}

func newRecords() *records { return &records{rows: map[string]*Staged{}, people: map[string]string{}} }

func (r *records) Staged(e kanta.Entity, key string) (*Staged, error) {
	return r.rows[string(e)+"\x00"+key], nil
}

func (r *records) SamePerson(person, key string) (*Staged, error) {
	if k, ok := r.people[person]; ok && k != key {
		return r.rows[string(kanta.EntityClient)+"\x00"+k], nil
	}
	return nil, nil
}

// put keeps a record with its model; deliverable unless why is given.
func (r *records) put(e kanta.Entity, key string, model any, why string, mod func(*Staged)) {
	data, _ := json.Marshal(model)
	s := &Staged{Key: key, Locator: "test:" + key, ThisPass: true, Deliverable: why == "", Why: why,
		EntityOID: "1.2.3." + key, DocOID: "1.2.3.9." + key, SetOID: "1.2.3.9." + key, Version: 1,
		Model: func(v any) error { return json.Unmarshal(data, v) }}
	if mod != nil {
		mod(s)
	}
	r.rows[string(e)+"\x00"+key] = s
	if rel, ok := model.(kanta.Relationship); ok && why == "" {
		r.people[PersonHash(rel.Client)] = key
	}
}

var (
	day   = func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	aino  = kanta.Client{IdentityCode: "150467-949T", FamilyName: "Demola", GivenNames: "Aino"}
	eino  = kanta.Client{IdentityCode: "020280-9517", FamilyName: "Toinen", GivenNames: "Eino"}
	unitA = kanta.Organisation{OID: "1.2.246.10.1.10.1", Name: "A"}
)

// fixture: client c1 (Aino) with a relationship in service task 24, client
// c2 rejected, case k1 of c1 in 24, case k2 rejected, document d1 of c1 in
// k1 (version 1), document d2 rejected.
func fixture() *records {
	r := newRecords()
	r.put(kanta.EntityClient, "c1", kanta.Relationship{Client: aino, Start: day("2010-01-01"), End: day("2020-01-01"), Unit: unitA,
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24"}}}, "", nil)
	r.put(kanta.EntityClient, "c2", kanta.Relationship{Client: eino}, "rejected: hetu-check", nil)
	r.put(kanta.EntityCase, "k1", kanta.Case{ServiceTask: "24", Opened: day("2011-01-01"), Closed: day("2012-01-01"),
		Clients: []kanta.CaseClient{{ClientKey: "c1"}}}, "", nil)
	r.put(kanta.EntityCase, "k2", kanta.Case{}, "rejected: unmapped-code", nil)
	r.put(kanta.EntityDocument, "d1", kanta.Document{}, "", func(s *Staged) { s.Version = 2 })
	r.put(kanta.EntityDocument, "d2", kanta.Document{}, "rejected: date", nil)
	r.put(kanta.EntityDocument, "old", kanta.Document{}, "", func(s *Staged) { s.ThisPass = false })
	return r
}

func ruleOf(f *Finding) string {
	if f == nil {
		return ""
	}
	return f.Rule
}

// Finding is kanta's, named here for the tables.
type Finding = kanta.Finding

func TestDocumentReferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  kanta.Document
		rule string
		in   string // in the reason
	}{
		{"all found", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24"}, "", ""},
		{"the client is not in the export", kanta.Document{ClientKey: "c9", CaseKey: "k1", ServiceTask: "24"}, kanta.RuleClientMissing, `client "c9"`},
		{"the client is rejected", kanta.Document{ClientKey: "c2", CaseKey: "k1", ServiceTask: "24"}, kanta.RuleClientNotLoaded, "hetu-check"},
		{"named by an identity code no client has", kanta.Document{ClientIdentity: "010180-950R", CaseKey: "k1", ServiceTask: "24"}, kanta.RuleUnknownClient, "010180*****"},
		{"named by the client's identity code", kanta.Document{ClientIdentity: aino.IdentityCode, CaseKey: "k1", ServiceTask: "24"}, "", ""},
		{"no relationship in the service task", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "10"}, kanta.RuleServiceTaskNotLoaded, "service task 10"},
		{"the case is not in the export", kanta.Document{ClientKey: "c1", CaseKey: "k9", ServiceTask: "24"}, kanta.RuleCaseMissing, `case "k9"`},
		{"the case is rejected", kanta.Document{ClientKey: "c1", CaseKey: "k2", ServiceTask: "24"}, kanta.RuleCaseNotLoaded, "unmapped-code"},
		{"the replaced version is not in the export", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "d9"}, kanta.RuleReplacesMissing, `"d9"`},
		{"the replaced version is of an earlier run only", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "old"}, kanta.RuleReplacesMissing, `"old"`},
		{"the replaced version is rejected", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "d2"}, kanta.RuleReplacesNotLoaded, "date"},
		{"a version not after the replaced one", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "d1", Version: 2}, kanta.RuleVersionOrder, "version 2 is not after the version 2"},
		{"a version after the replaced one", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "d1", Version: 3}, "", ""},
		{"a version left to follow the replaced one", kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "24", ReplacesKey: "d1"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(fixture())
			r.ServiceTasks = true
			d := tc.doc
			refs, f, err := r.Document(&d)
			if err != nil {
				t.Fatal(err)
			}
			if ruleOf(f) != tc.rule || (f != nil && !strings.Contains(f.Reason, tc.in)) {
				t.Fatalf("finding %+v, want rule %q with %q", f, tc.rule, tc.in)
			}
			if tc.rule == "" {
				if refs.Relationship != "1.2.3.c1" || refs.Case != "1.2.3.k1" || d.ClientKey != "c1" || d.Client.FamilyName != "Demola" {
					t.Errorf("refs %+v, document %+v", refs, d)
				}
				if d.ReplacesKey == "d1" && (refs.Replaces != "1.2.3.9.d1" || refs.ReplacesVersion != 2 || refs.Set != "1.2.3.9.d1") {
					t.Errorf("the replaced version's refs %+v", refs)
				}
			}
		})
	}
}

// A document of a client who is not a client of its case: the client's
// own faults come first, then its case's, then the membership.
func TestDocumentOfANonMember(t *testing.T) {
	recs := fixture()
	recs.put(kanta.EntityClient, "c3", kanta.Relationship{Client: kanta.Client{IdentityCode: "010180-950R"}, ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24"}}}, "", nil)
	r := New(recs)
	r.ServiceTasks = true
	d := kanta.Document{ClientKey: "c3", CaseKey: "k1", ServiceTask: "24"}
	if _, f, _ := r.Document(&d); ruleOf(f) != kanta.RuleCaseClient {
		t.Errorf("finding %+v, want case-client", f)
	}
	// Without service-task records, a task the client has not does not matter.
	r.ServiceTasks = false
	d = kanta.Document{ClientKey: "c1", CaseKey: "k1", ServiceTask: "10"}
	if _, f, _ := r.Document(&d); f != nil {
		t.Errorf("without service-task records: %+v", f)
	}
}

func TestCaseClients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		clients []kanta.CaseClient
		task    string
		rule    string
	}{
		{"its client is migrated", []kanta.CaseClient{{ClientKey: "c1"}}, "24", ""},
		{"by identity code", []kanta.CaseClient{{Identity: aino.IdentityCode}}, "24", ""},
		{"one of two clients is missing", []kanta.CaseClient{{ClientKey: "c1"}, {ClientKey: "c9"}}, "24", kanta.RuleClientMissing},
		{"one is rejected", []kanta.CaseClient{{ClientKey: "c2"}}, "24", kanta.RuleClientNotLoaded},
		{"an identity code no client has", []kanta.CaseClient{{Identity: "010180-950R"}}, "24", kanta.RuleUnknownClient},
		{"no relationship in the case's service task", []kanta.CaseClient{{ClientKey: "c1"}}, "10", kanta.RuleServiceTaskNotLoaded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(fixture())
			r.ServiceTasks = true
			c := kanta.Case{ServiceTask: tc.task, Clients: tc.clients}
			f, err := r.CaseClients(&c)
			if err != nil || ruleOf(f) != tc.rule {
				t.Fatalf("finding %+v %v, want %q", f, err, tc.rule)
			}
			if tc.rule == "" && (c.Clients[0].ClientKey != "c1" || c.Clients[0].Client.FamilyName != "Demola") {
				t.Errorf("the client is not filled in: %+v", c.Clients[0])
			}
		})
	}
}

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		name string
		cas  string
		who  kanta.CaseClient
		rule string
	}{
		{"a member", "k1", kanta.CaseClient{ClientKey: "c1", Joined: day("2011-06-01")}, kanta.RuleDuplicateKey},
		{"the case is not in the export", "k9", kanta.CaseClient{ClientKey: "c1"}, kanta.RuleCaseMissing},
		{"the case is rejected", "k2", kanta.CaseClient{ClientKey: "c1"}, kanta.RuleCaseNotLoaded},
		{"the client is rejected", "k1", kanta.CaseClient{ClientKey: "c2"}, kanta.RuleClientNotLoaded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(fixture())
			who := tc.who
			_, f, err := r.Member(tc.cas, &who)
			if err != nil || ruleOf(f) != tc.rule {
				t.Errorf("finding %+v %v, want %q", f, err, tc.rule)
			}
		})
	}
	// A new member gets the case's dates where its own are not given.
	recs := fixture()
	recs.put(kanta.EntityCase, "k3", kanta.Case{ServiceTask: "24", Opened: day("2011-01-01"), Closed: day("2012-01-01")}, "", nil)
	r := New(recs)
	who := kanta.CaseClient{ClientKey: "c1", Left: day("2011-06-30")}
	c, f, err := r.Member("k3", &who)
	if f != nil || err != nil || c == nil || !who.Joined.Equal(day("2011-01-01")) || !who.Left.Equal(day("2011-06-30")) || who.Client.FamilyName != "Demola" {
		t.Errorf("the member %+v (%v %v)", who, f, err)
	}
}

func TestServiceTasksAndOwners(t *testing.T) {
	r := New(fixture())
	who := kanta.CaseClient{ClientKey: "c1"}
	st := kanta.ServiceTaskRelationship{ServiceTask: "10"}
	rel, f, err := r.ServiceTask(&who, &st)
	if f != nil || err != nil || rel == nil || !st.Start.Equal(day("2010-01-01")) || !st.End.Equal(day("2020-01-01")) || st.Unit != unitA {
		t.Errorf("a new service task takes the relationship's dates and unit: %+v (%v %v)", st, f, err)
	}
	who = kanta.CaseClient{Identity: aino.IdentityCode}
	if rel, f, _ := r.Owner(&who); f != nil || rel == nil || who.ClientKey != "c1" {
		t.Errorf("owner by identity code: %+v %+v", who, f)
	}
	who = kanta.CaseClient{ClientKey: "c9"}
	if _, f, _ := r.Owner(&who); ruleOf(f) != kanta.RuleClientMissing {
		t.Errorf("owner missing: %+v", f)
	}
}

// One person, one client: a second client key with the same identity code
// is refused, naming the first; a key read earlier in this pass is a
// duplicate, one from an earlier pass is not.
func TestOnePersonOneClientAndDuplicates(t *testing.T) {
	recs := fixture()
	r := New(recs)
	f, err := r.SamePerson("c7", PersonHash(aino))
	if err != nil || ruleOf(f) != kanta.RuleDuplicatePerson || !strings.Contains(f.Reason, `"c1"`) {
		t.Errorf("same person: %+v %v", f, err)
	}
	if f, _ := r.SamePerson("c1", PersonHash(aino)); f != nil {
		t.Errorf("the client itself is not its own duplicate: %+v", f)
	}
	if PersonHash(aino) == PersonHash(eino) || PersonHash(aino) != PersonHash(kanta.Client{IdentityCode: aino.IdentityCode}) {
		t.Error("a person's hash does not follow the identity code")
	}
	if ruleOf(Duplicate(kanta.EntityDocument, recs.rows["document\x00d1"])) != kanta.RuleDuplicateKey {
		t.Error("a key read earlier in this pass is not a duplicate")
	}
	if Duplicate(kanta.EntityDocument, recs.rows["document\x00old"]) != nil || Duplicate(kanta.EntityDocument, nil) != nil {
		t.Error("a key of an earlier pass, or a new key, is a duplicate")
	}
}

// Periods of one service task: each one that overlaps no other of the same
// task and unit loads; a handover day is no overlap; an open period
// overlaps whatever starts after it; another unit may run at once.
func TestRepeatedPeriods(t *testing.T) {
	unitB := kanta.Organisation{OID: "1.2.246.10.1.10.2", Name: "B"}
	period := func(start, end string, unit kanta.Organisation) kanta.ServiceTaskRelationship {
		p := kanta.ServiceTaskRelationship{ServiceTask: "10", Start: day(start), Unit: unit}
		if end != "" {
			p.End = day(end)
		}
		return p
	}
	for _, tc := range []struct {
		name       string
		have, next kanta.ServiceTaskRelationship
		overlaps   bool
	}{
		{"a later period", period("1998-01-01", "1998-12-31", unitA), period("1999-03-01", "2000-06-30", unitA), false},
		{"an earlier period read later", period("1999-03-01", "2000-06-30", unitA), period("1998-01-01", "1998-12-31", unitA), false},
		{"the next day", period("1998-01-01", "1998-12-31", unitA), period("1999-01-01", "", unitA), false},
		{"a handover on the end day", period("1998-01-01", "1998-12-31", unitA), period("1998-12-31", "", unitA), false},
		{"a day shared beyond the handover", period("1998-01-01", "1998-12-31", unitA), period("1998-12-30", "1999-05-01", unitA), true},
		{"inside another", period("1998-01-01", "1998-12-31", unitA), period("1998-03-01", "1998-04-01", unitA), true},
		{"after an open period", period("1998-01-01", "", unitA), period("2005-01-01", "2006-01-01", unitA), true},
		{"an open period before one read earlier", period("2005-01-01", "2006-01-01", unitA), period("1998-01-01", "", unitA), true},
		{"the same period twice", period("1998-01-01", "1998-12-31", unitA), period("1998-01-01", "1998-12-31", unitA), true},
		{"at the same time in another unit", period("1998-01-01", "1998-12-31", unitA), period("1998-03-01", "1998-04-01", unitB), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := newRecords()
			recs.put(kanta.EntityClient, "c1", kanta.Relationship{Client: aino, Start: day("1990-01-01"), Unit: unitA,
				ServiceTasks: []kanta.ServiceTaskRelationship{tc.have}}, "", nil)
			r := New(recs)
			who, next := kanta.CaseClient{ClientKey: "c1"}, tc.next
			rel, f, err := r.ServiceTask(&who, &next)
			if err != nil {
				t.Fatal(err)
			}
			if got := f != nil; got != tc.overlaps {
				t.Errorf("overlap %v, want %v (%+v)", got, tc.overlaps, f)
			}
			if f != nil && (f.Rule != kanta.RulePeriodOverlap || !strings.Contains(f.Reason, "1998-01-01")) {
				t.Errorf("finding %+v", f)
			}
			if f == nil && rel == nil {
				t.Error("no relationship to add the period to")
			}
		})
	}
}

// A case or document of a service task outside every period of its
// client's relationship in it loads with a warning naming the periods; one
// inside a period, on its first or last day, or in an open period, none.
func TestOutsideEveryPeriod(t *testing.T) {
	helsinki, _ := time.LoadLocation("Europe/Helsinki")
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, helsinki); return t }
	recs := newRecords()
	recs.put(kanta.EntityClient, "c1", kanta.Relationship{Client: aino, Start: day("1998-01-01"), Unit: unitA,
		ServiceTasks: []kanta.ServiceTaskRelationship{
			{ServiceTask: "10", Start: at("1998-01-01 00:00"), End: at("1998-12-31 00:00")},
			{ServiceTask: "10", Start: at("2001-01-01 00:00")},
			{ServiceTask: "24", Start: at("1990-01-01 00:00")}}}, "", nil)
	for _, tc := range []struct {
		drawn string
		warn  bool
	}{
		{"1998-01-01 08:00", false},
		{"1998-12-31 23:30", false}, // the last day, late: still inside
		{"1999-06-01 10:00", true},
		{"1997-12-31 23:59", true},
		{"2030-01-01 10:00", false}, // the open period
	} {
		r := New(recs)
		r.ServiceTasks, r.Location = true, helsinki
		d := kanta.Document{ClientKey: "c1", ServiceTask: "10", DrawnUp: at(tc.drawn)}
		if _, f, err := r.DocumentClient(&d, false); f != nil || err != nil {
			t.Fatalf("%s: %+v %v", tc.drawn, f, err)
		}
		w := r.TakeWarnings()
		if got := len(w) == 1 && w[0].Rule == kanta.RuleOutsidePeriod; got != tc.warn || len(w) > 1 {
			t.Errorf("drawn up %s: warnings %+v, want a warning: %v", tc.drawn, w, tc.warn)
		}
		if tc.warn && !strings.Contains(w[0].Reason, "1998-01-01–1998-12-31, 2001-01-01–") {
			t.Errorf("the warning does not name the periods: %s", w[0].Reason)
		}
		if len(r.TakeWarnings()) != 0 {
			t.Error("warnings not forgotten once taken")
		}
	}
}

// A document without a case or service task takes its client's service
// task when the client has one (a task of several periods counts once);
// a client of two, or a client not migrated, is a reject that says why.
func TestADocumentTakesItsClientsOnlyServiceTask(t *testing.T) {
	recs := fixture()
	recs.put(kanta.EntityClient, "c3", kanta.Relationship{Client: kanta.Client{IdentityCode: "010180-950R"},
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24"}, {ServiceTask: "15"}}}, "", nil)
	recs.put(kanta.EntityClient, "c4", kanta.Relationship{Client: kanta.Client{IdentityCode: "150467-949X"},
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "15", Start: day("2001-01-01")}, {ServiceTask: "15", Start: day("2005-01-01")}}}, "", nil)
	r := New(recs)
	for _, c := range []struct{ client, task, rule string }{
		{"c1", "24", ""}, {"c4", "15", ""}, {"c3", "", kanta.RuleRequired}, {"c2", "", kanta.RuleClientNotLoaded},
	} {
		d := kanta.Document{ClientKey: c.client}
		_, f, err := r.DocumentClient(&d, true)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.rule == "" && (f != nil || d.ServiceTask != c.task):
			t.Errorf("%s: task %q, finding %+v; want %s", c.client, d.ServiceTask, f, c.task)
		case c.rule != "" && (f == nil || f.Rule != c.rule):
			t.Errorf("%s: finding %+v, want rule %s", c.client, f, c.rule)
		case c.client == "c3" && !strings.Contains(f.Reason, "2 service tasks (24, 15)"):
			t.Errorf("c3's reason does not name the tasks: %s", f.Reason)
		}
	}
}
