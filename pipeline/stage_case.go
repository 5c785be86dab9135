package pipeline

// Cases and their members, and the case documents built once they are read.

import (
	"fmt"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// caseRecord stages a case record with its clients resolved, and its case
// document, built beside staging or, when members come apart, once they
// are read.
func (s *stager) caseRecord(em *mapping.EntityMapping, rec extract.Record) error {
	c, o := em.Case(rec)
	if s.sample != nil && !s.sampledCase(c) {
		o.Reject, o.Skip = nil, s.sample.finding()
	}
	s.note(kanta.EntityCase, rec, o)
	if err := s.drainFor(kanta.EntityCase, rowKey(o, rec.Locator), "", false); err != nil {
		return err
	}
	row, dup, err := s.begin(kanta.EntityCase, rec, o)
	if err != nil {
		return err
	}
	if dup != nil {
		return s.duplicate(row, o, dup)
	}
	if o.OK() {
		if o.Reject, err = s.res.CaseClients(&c); err != nil {
			return err
		}
		s.resolveWarnings(kanta.EntityCase, rec, o)
	}
	if ok, err := s.settle(row, o); !ok || err != nil {
		return err
	}
	if f := s.oversized(c, "its case"); f != nil {
		return s.refuse(row, state.Rejected, f)
	}
	if err := s.mint(&row.EntityOID, kindCase); err != nil {
		return err
	}
	if err := s.mint(&row.DocOID, kindDocument); err != nil {
		return err
	}
	if s.m.Carries(kanta.EntityCase) {
		// Its members come apart: its document is built once they are read
		// (finishCases).
		return s.later(row, c)
	}
	row.ClientKey = c.Clients[0].ClientKey
	ids := transform.IDs{Document: row.DocOID, Case: row.EntityOID}
	return s.buildLater(row, 0, func() made {
		out, err := s.tr.Case(c, ids)
		return made{model: c, out: out, err: err}
	})
}

// member stages a case-member record and adds the membership to its case.
func (s *stager) member(em *mapping.EntityMapping, rec extract.Record) error {
	caseKey, cc, o := em.Member(rec)
	return s.stagePart(kanta.EntityMember, rec, o, "", func(key string) (*owner, *kanta.Finding, error) {
		c, f, err := s.res.Member(caseKey, &cc)
		if f != nil || err != nil {
			s.res.TakeWarnings()
			return nil, f, err
		}
		s.resolveWarnings(kanta.EntityMember, rec, o)
		cc.MemberKey = key
		c.Clients = append(c.Clients, cc)
		return &owner{entity: kanta.EntityCase, key: caseKey, clientKey: cc.ClientKey, model: *c}, nil, nil
	})
}

// finishCases builds the document of every case of this pass, now that its
// members are read. A case with no member migrated is rejected; when a case
// cannot be built, its members are rejected with it.
func (s *stager) finishCases() error {
	return s.eachKey(string(kanta.EntityCase), "", func(key string) error {
		row, err := s.st.Get(string(kanta.EntityCase), key)
		if err != nil || row == nil || row.Pass != s.pass || mapping.IsGenerated(key) || (row.Outcome != state.Pending && row.Outcome != state.Loaded) || s.others(row) {
			return err
		}
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			return err
		}
		if len(c.Clients) == 0 {
			return s.refuse(row, state.Rejected, &kanta.Finding{Field: "clients", Rule: kanta.RuleCaseNoClient, Reason: "no client of the case is migrated: it has no member record whose client is"})
		}
		row.ClientKey = c.Clients[0].ClientKey
		out, err := s.tr.Case(c, transform.IDs{Document: row.DocOID, Case: row.EntityOID})
		return s.built(row, c, out, err, plan.CaseParts(c),
			&kanta.Finding{Field: "case", Rule: kanta.RuleCaseNotLoaded, Reason: fmt.Sprintf("its case %q could not be built", key)})
	})
}
