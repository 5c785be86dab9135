package pipeline

import (
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// Documents are built beside staging: building one (its display form, its
// structured form checked against its schema, the CDA around them; first,
// for a scan, its PDF/A made and validated, which takes seconds) is the
// larger part of staging a record, and it depends on nothing but the
// record and its identifiers. So the stager hands each build to a goroutine
// of its own, at most builders at once, and goes on to the next record;
// what a build gives is recorded (stage) in the order the records were
// read, by the stager's own goroutine, as if it had been built there. The
// store and the report are written from that goroutine only.
//
// A record that reads what a record still being built would write waits
// for every build before it (drain): one with the key of a record in
// flight (a duplicate), a client with the identity code of one in flight
// (one person, one client), a replacing version or an attachment (they
// read the row of the document they name), and a document collected into a
// case made for documents without a case (the case's dates follow its
// documents: it is built at once). Every step ends with a drain, so the
// next step, and the ledger's count of a source, see every record of the
// one before.

// build is a document being built for a record that is already minted.
type build struct {
	row  *state.Record
	size int64 // about the memory the build holds: its body
	done chan struct{}
	made made
}

// buildBytes bounds the bodies of the builds in flight: a record whose body
// would pass it waits until the builds before it are recorded, so that a
// run of large scans holds about one at a time, as staging did before it
// built beside itself.
const buildBytes = 32 << 20

// made is what building a record's document gave: the document and the
// model stage keeps (a scan's, with its PDF/A), or the transform's error
// (the record is rejected for it), or the finding that refuses the record
// (a scan the PDF/A route cannot carry), or a fault of the tools, which
// stops the run.
type made struct {
	model   any
	out     *transform.Output
	err     error
	refusal *kanta.Finding
	fault   error
}

// record writes what a build made into the record's row.
func (s *stager) record(row *state.Record, m made) error {
	switch {
	case m.fault != nil:
		return m.fault
	case m.refusal != nil:
		return s.refuse(row, state.Rejected, m.refusal)
	case m.err != nil:
		return s.transformFailed(row, m.err)
	}
	return s.stage(row, m.model, m.out)
}

// buildsInFlight is how many builds may wait to be recorded, per builder.
const buildsInFlight = 4

// buildLater starts building a record's document (buildDoc) beside staging;
// without builders to spare, it is built and staged at once. size is about
// the memory the build holds (a document's body).
func (s *stager) buildLater(row *state.Record, size int64, buildDoc func() made) error {
	if s.builders <= 1 {
		return s.record(row, buildDoc())
	}
	for len(s.builds) > 0 && s.buildingBytes+size > buildBytes {
		if err := s.recordBuild(); err != nil {
			return err
		}
	}
	if s.slots == nil {
		s.slots = make(chan struct{}, s.builders)
		s.inFlight, s.persons = map[string]bool{}, map[string]bool{}
	}
	b := &build{row: row, size: size, done: make(chan struct{})}
	s.buildingBytes += size
	s.slots <- struct{}{}
	go func() {
		defer close(b.done)
		defer func() { <-s.slots }()
		b.made = buildDoc()
	}()
	s.builds = append(s.builds, b)
	s.inFlight[row.Entity+"\x00"+row.Key] = true
	if row.Person != "" {
		s.persons[row.Person] = true
	}
	if len(s.builds) >= buildsInFlight*s.builders {
		return s.recordBuild()
	}
	return nil
}

// recordBuild waits for the oldest build and records what it gave.
func (s *stager) recordBuild() error {
	b := s.builds[0]
	s.builds[0] = nil
	s.builds = s.builds[1:]
	<-b.done
	s.buildingBytes -= b.size
	delete(s.inFlight, b.row.Entity+"\x00"+b.row.Key)
	delete(s.persons, b.row.Person)
	return s.record(b.row, b.made)
}

// drain records every build in flight.
func (s *stager) drain() error {
	for len(s.builds) > 0 {
		if err := s.recordBuild(); err != nil {
			return err
		}
	}
	return nil
}

// drainFor waits for the builds before a record when it reads what one of
// them writes: its own key (a duplicate), its person (one person, one
// client: person is "" for records of other entities), or, when reads is
// set, another document's row or a collected case.
func (s *stager) drainFor(e kanta.Entity, key, person string, reads bool) error {
	if len(s.builds) == 0 || !(reads || s.inFlight[string(e)+"\x00"+key] || (person != "" && s.persons[person])) {
		return nil
	}
	return s.drain()
}
