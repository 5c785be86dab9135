package pipeline

// Clients and what their relationship documents carry: each client record, its
// service-task relationships, related persons and addresses, and the
// relationship documents built once they are read.

import (
	"fmt"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/resolve"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// client stages a client record: its identity (one person, one client), its
// identifiers, and its relationship document, built beside staging or, when
// records it carries come apart, once they are read.
func (s *stager) client(em *mapping.EntityMapping, rec extract.Record) error {
	rel, o := em.Client(rec)
	if s.sample != nil && o.Key != "" && !s.sample.in(o.Key) {
		o.Reject, o.Skip = nil, s.sample.finding()
	}
	s.note(kanta.EntityClient, rec, o)
	person := ""
	if rel.Client.IdentityCode+rel.Client.TemporaryID != "" {
		person = resolve.PersonHash(rel.Client)
	}
	if err := s.drainFor(kanta.EntityClient, rowKey(o, rec.Locator), person, false); err != nil {
		return err
	}
	row, dup, err := s.begin(kanta.EntityClient, rec, o)
	if err != nil {
		return err
	}
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	// One person, one client: an identity fault, reported before the
	// record's field and date faults (kanta.RuleClass), so it is asked
	// whenever the identity itself is sound.
	if person != "" && (o.Reject == nil || kanta.RuleClass(o.Reject.Rule) > kanta.ClassIdentity) && (o.Skip == nil || o.Skip.Rule != kanta.RuleSampledOut) {
		dup, err := s.samePerson(row.Key, person)
		if err != nil {
			return err
		}
		switch {
		case dup != nil:
			o.Reject, o.Skip = dup, nil
		case o.OK():
			row.Person = person
		}
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(rel, "its client relationship"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	if err := s.mint(&row.EntityOID, kindRelationship); err != nil {
		return err
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	if s.m.Carries(kanta.EntityClient) {
		// Its service-task relationships or related persons come apart: its
		// document is built once they are read (finishRelationships).
		return s.later(row, rel)
	}
	ids := transform.IDs{Document: row.DocOID, Relationship: row.EntityOID}
	return s.buildLater(row, 0, func() made {
		out, err := s.tr.Relationship(rel, ids)
		return made{model: rel, out: out, err: err}
	})
}

// samePerson says whether a client record's person has a client already:
// read before it in this pass, or, for a worker of a sharded run, as the
// census found it across every shard.
func (s *stager) samePerson(key, person string) (*kanta.Finding, error) {
	if s.counted == nil {
		return s.res.SamePerson(key, person)
	}
	if s.counted.PersonKey == "" {
		return nil, nil
	}
	return resolve.SamePersonAs(s.counted.PersonKey, s.counted.PersonLocator), nil
}

// serviceTask stages a service-task relationship record and adds the
// relationship to its client's.
func (s *stager) serviceTask(em *mapping.EntityMapping, rec extract.Record) error {
	who, st, o := em.ServiceTask(rec)
	return s.stagePart(kanta.EntityServiceTask, rec, o, s.label(kanta.SetServiceTask, st.ServiceTask), func(key string) (*owner, *kanta.Finding, error) {
		rel, f, err := s.res.ServiceTask(&who, &st)
		if f != nil || err != nil {
			return nil, f, err
		}
		st.PartKey = key
		rel.ServiceTasks = append(rel.ServiceTasks, st)
		return &owner{entity: kanta.EntityClient, key: who.ClientKey, clientKey: who.ClientKey, model: *rel}, nil, nil
	})
}

// relatedPerson stages a related-person record and adds the person to its
// client's relationship.
func (s *stager) relatedPerson(em *mapping.EntityMapping, rec extract.Record) error {
	who, p, o := em.RelatedPerson(rec)
	return s.stagePart(kanta.EntityRelatedPerson, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		return s.intoRelationship(&who, func(rel *kanta.Relationship) *kanta.Finding {
			p.PartKey = key
			rel.RelatedPersons = append(rel.RelatedPersons, p)
			return nil
		})
	})
}

// address stages a client-address record and adds the address to its
// client's relationship; a client under non-disclosure shows none, so the
// address is skipped, saying so.
func (s *stager) address(em *mapping.EntityMapping, rec extract.Record) error {
	who, addr, o := em.Address(rec)
	return s.stagePart(kanta.EntityAddress, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		return s.intoRelationship(&who, func(rel *kanta.Relationship) *kanta.Finding {
			if rel.Client.NonDisclosure {
				return &kanta.Finding{Field: "client", Rule: kanta.RuleAddressHidden,
					Reason: "the client is under non-disclosure: the client-relationship document shows no address, as the national note on turvakielto says"}
			}
			addr.PartKey = key
			rel.Client.Addresses = append(rel.Client.Addresses, addr)
			return nil
		})
	})
}

// intoRelationship finds the migrated client a part names and lets add put
// the part into its relationship, or say why it does not go there.
func (s *stager) intoRelationship(who *kanta.CaseClient, add func(*kanta.Relationship) *kanta.Finding) (*owner, *kanta.Finding, error) {
	rel, f, err := s.res.Owner(who)
	if f != nil || err != nil {
		return nil, f, err
	}
	if f := add(rel); f != nil {
		return nil, f, nil
	}
	return &owner{entity: kanta.EntityClient, key: who.ClientKey, clientKey: who.ClientKey, model: *rel}, nil, nil
}

// finishRelationships builds the client-relationship document of every
// client of this pass, now that its service-task relationships are read;
// when one cannot be built, its service-task records are rejected with it.
func (s *stager) finishRelationships() error {
	return s.eachKey(string(kanta.EntityClient), "", func(key string) error {
		row, err := s.st.Get(string(kanta.EntityClient), key)
		if err != nil || row == nil || row.Pass != s.pass || (row.Outcome != state.Pending && row.Outcome != state.Loaded) || s.others(row) {
			return err
		}
		var rel kanta.Relationship
		if err := state.Decode(row.Model, &rel); err != nil {
			return err
		}
		if rel.Start.IsZero() { // derive: earliest_period
			if f, outcome := s.deriveStart(&rel); f != nil {
				return s.refuseWithParts(row, outcome, f, plan.RelationshipParts(rel),
					&kanta.Finding{Field: "client", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("its client relationship %q is not migrated (%s)", key, f.Reason)})
			}
		}
		out, err := s.tr.Relationship(rel, transform.IDs{Document: row.DocOID, Relationship: row.EntityOID})
		return s.built(row, rel, out, err, plan.RelationshipParts(rel),
			&kanta.Finding{Field: "client", Rule: kanta.RuleClientNotLoaded, Reason: fmt.Sprintf("its client relationship %q could not be built", key)})
	})
}

// deriveStart gives a relationship without a start of its own the start of
// its earliest service-task period (derive: earliest_period), and applies
// the cut-off to it, as the client record's own start would have been. It
// says why, and how, the client is refused when it cannot.
func (s *stager) deriveStart(rel *kanta.Relationship) (*kanta.Finding, string) {
	for _, st := range rel.ServiceTasks {
		if !st.Start.IsZero() && (rel.Start.IsZero() || st.Start.Before(rel.Start)) {
			rel.Start = st.Start
		}
	}
	switch {
	case rel.Start.IsZero():
		return &kanta.Finding{Field: "relationship_start", Rule: kanta.RuleMissingDate,
			Reason: "the relationship takes its start from its earliest service-task period (derive: earliest_period), and none of its periods is migrated: give the start in the source, or see why its periods were refused"}, state.Rejected
	case !rel.Start.Before(s.m.Cutoff):
		return &kanta.Finding{Field: "relationship_start", Rule: kanta.RuleCutoff,
			Reason: fmt.Sprintf("its earliest service-task period starts %s, on or after the cut-off %s; relationships begun after joining are archived by the client system itself",
				rel.Start.In(s.m.Location).Format("2006-01-02"), s.m.Cutoff.In(s.m.Location).Format("2006-01-02"))}, state.Skipped
	}
	return nil, ""
}

// refuseWithParts refuses a record built in a finishing step, and the
// records carried in it with why.
func (s *stager) refuseWithParts(row *state.Record, outcome string, f *kanta.Finding, parts []plan.Part, why *kanta.Finding) error {
	if err := s.refuse(row, outcome, f); err != nil {
		return err
	}
	for _, p := range parts {
		prow, err := s.st.Get(p.Entity, p.Key)
		if err != nil || prow == nil {
			return err
		}
		if err := s.refuse(prow, outcome, why); err != nil {
			return err
		}
	}
	return nil
}
