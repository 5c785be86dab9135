// Package adopt lets a run with a state store of its own take over an
// archive package another run made (--adopt-package), without trusting that
// the two stores minted the same OIDs: they do not once the staging order or
// the source differs (a record added, a staging killed and resumed).
//
// The package's manifest names each document's record by a keyed hash of its
// entity and source key (sink.Adoptable.SourceID), with its version and the
// hash of what it was made from (plan.ContentID: the mapping and the staged
// record). Adoption matches every document the package holds to this store's
// record by those three, gives the record the OIDs the package holds and
// counts it, and the records carried in its document, as loaded. A record
// the package does not hold keeps the OIDs it was given unless the package
// already uses one; then it is given new ones. Every pending document is then
// rebuilt with the OIDs it now refers to (plan.Options.Rehash).
//
// Anything that does not match exactly refuses the adoption before anything
// is changed, with what differs (*ErrMismatch): a document of a record this
// store does not have, or rejects; one made from other content or of another
// version; a record listed twice; a document listed without an identity (a
// package written before kantamig kept them). So nothing is sent twice, left
// out, or attached to another record's relationship or case.
//
// Adoption is safe to repeat after a kill: a record already given the
// package's OIDs is recognised as adopted, and the package stays bound to its
// old run until the adoption is committed (the caller binds it after).
package adopt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
)

// ErrMismatch refuses an adoption: documents the package holds that do not
// match this store's records exactly.
type ErrMismatch struct {
	Package     string
	Count       int      // how many differences
	Differences []string // the first few, for people
	NoIdentity  bool     // the package lists documents without an identity
}

// shown is how many differences an error names.
const shown = 10

func (e *ErrMismatch) Error() string {
	what := strings.Join(e.Differences, "; ")
	if e.Count > len(e.Differences) {
		what += fmt.Sprintf("; and %d more", e.Count-len(e.Differences))
	}
	do := "Resume with the state file that made the package; or, if the source or the mapping changed since, deliver into a new package folder"
	if e.NoIdentity {
		do = "Its documents were listed by a kantamig that did not record what each was made from, so they cannot be matched exactly: resume with the state file that made the package, or deliver into a new package folder"
	}
	return fmt.Sprintf("the archive package %s cannot be adopted: %d of its documents do not match this run's records exactly (%s). Adopting it would send documents twice, leave some out or attach them to the wrong relationship or case. %s",
		e.Package, e.Count, what, do)
}

// Result is what an adoption did.
type Result struct {
	Adopted  int // documents of the package now counted as this store's, loaded
	Reminted int // records given new OIDs because the package uses theirs
}

// entities are the records with documents of their own.
var entities = []kanta.Entity{kanta.EntityClient, kanta.EntityCase, kanta.EntityDocument}

// Package adopts pkg into st. mapping is the mapping's hash (plan.ContentID);
// tr rebuilds the pending documents once their OIDs are final.
func Package(ctx context.Context, st state.Store, pkg sink.Adoptable, tr *transform.Transformer, mapping string) (*Result, error) {
	ix, err := readListing(pkg)
	if err != nil {
		return nil, err
	}
	a := &adoption{st: st, pkg: pkg, ix: ix, mapping: mapping, res: &Result{}}
	if ix.noIdentity {
		a.differ("documents are listed without what they were made from")
	}
	for _, t := range ix.twice {
		a.differ("%s", t)
	}
	if err := a.walk(ctx, a.match); err != nil {
		return nil, err
	}
	for i, e := range ix.entries {
		if !ix.matched[i] && e.identified {
			a.differ("the package holds %s %s (version %d) of a record this run does not have", e.Kind, e.OID, e.Version)
		}
	}
	if a.count > 0 {
		return nil, &ErrMismatch{Package: pkg.String(), Count: a.count, Differences: a.shown, NoIdentity: ix.noIdentity}
	}
	if err := a.walk(ctx, a.apply); err != nil {
		return nil, err
	}
	if err := plan.EachKey(ctx, st, kanta.EntityDocument, a.fixSet); err != nil {
		return nil, err
	}
	if err := st.Commit(); err != nil {
		return nil, err
	}
	// Every pending document is rebuilt with the OIDs it refers to now.
	if err := plan.New(st, tr.Rebuilder(), plan.Options{Rehash: true, Run: -1}).Walk(ctx, nil); err != nil {
		return nil, err
	}
	return a.res, st.Commit()
}

// listing is the package's manifest, indexed by source: what matching
// needs of each line, kept small (the whole manifest is held while an
// adoption matches; see TestListingMemoryPerDocument).
type listing struct {
	entries    []listed
	bySource   map[[16]byte]int32
	matched    []bool
	used       map[uint64]struct{} // hashes of every OID the package uses (a collision only costs a new OID)
	seed       maphash.Seed
	kinds      map[string]string // one copy of each kind's name
	noIdentity bool
	twice      []string
}

// listed is one manifest line, as matching needs it.
type listed struct {
	OID, SetID, EntityOID, Kind string
	Version                     int32
	identified                  bool // the line has its source and content
	content                     [sha256.Size]byte
}

// sourceKey decodes a line's source (hex) into a map key; false if it is not one.
func sourceKey(source string) ([16]byte, bool) {
	var k [16]byte
	b, err := hex.DecodeString(source)
	if err != nil || len(b) != len(k) {
		return k, false
	}
	copy(k[:], b)
	return k, true
}

func readListing(pkg sink.Adoptable) (*listing, error) {
	ix := &listing{bySource: map[[16]byte]int32{}, used: map[uint64]struct{}{}, seed: maphash.MakeSeed(), kinds: map[string]string{}}
	err := pkg.Listed(func(e sink.ManifestEntry) error {
		for _, oid := range []string{e.OID, e.SetID, e.EntityOID} {
			if oid != "" {
				ix.used[maphash.String(ix.seed, oid)] = struct{}{}
			}
		}
		kind, ok := ix.kinds[e.Kind]
		if !ok {
			kind = e.Kind
			ix.kinds[kind] = kind
		}
		l := listed{OID: e.OID, SetID: e.OID, EntityOID: e.EntityOID, Kind: kind, Version: int32(e.Version)}
		if e.SetID != e.OID {
			l.SetID = e.SetID
		}
		src, okSource := sourceKey(e.Source)
		content, err := hex.DecodeString(e.Content)
		switch {
		case !okSource || err != nil || len(content) != sha256.Size:
			ix.noIdentity = true
		default:
			l.identified = true
			copy(l.content[:], content)
			if first, twice := ix.bySource[src]; twice {
				ix.twice = append(ix.twice, fmt.Sprintf("%s %s and %s are of one record: it is listed twice", e.Kind, ix.entries[first].OID, e.OID))
			} else {
				ix.bySource[src] = int32(len(ix.entries))
			}
		}
		ix.entries = append(ix.entries, l)
		return nil
	})
	ix.matched = make([]bool, len(ix.entries))
	return ix, err
}

func (ix *listing) uses(oid string) bool {
	_, ok := ix.used[maphash.String(ix.seed, oid)]
	return ok
}

type adoption struct {
	st      state.Store
	pkg     sink.Adoptable
	ix      *listing
	mapping string
	res     *Result
	count   int
	shown   []string
}

func (a *adoption) differ(format string, args ...any) {
	a.count++
	if len(a.shown) < shown {
		a.shown = append(a.shown, fmt.Sprintf(format, args...))
	}
}

// walk calls fn with every record that has a document of its own.
func (a *adoption) walk(ctx context.Context, fn func(*state.Record, int, bool) error) error {
	for _, e := range entities {
		err := plan.EachKey(ctx, a.st, e, func(key string) error {
			row, err := a.st.Get(string(e), key)
			if err != nil || row == nil {
				return err
			}
			src, _ := sourceKey(a.pkg.SourceID(row.Entity, row.Key))
			i, found := a.ix.bySource[src]
			return fn(row, int(i), found)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// name is how a difference names a record: entity and locator, identity
// codes masked.
func name(row *state.Record) string {
	return row.Entity + " " + kanta.MaskIdentityCodesIn(row.Locator)
}

// match compares a record with the document the package holds of it.
func (a *adoption) match(row *state.Record, i int, found bool) error {
	if !found {
		if row.Outcome == state.Loaded {
			a.differ("%s is delivered by this run's state but not in the package", name(row))
		}
		return nil
	}
	e := a.ix.entries[i]
	a.ix.matched[i] = true
	switch {
	case row.Outcome == state.Rejected || row.Outcome == state.Skipped:
		a.differ("the package holds %s %s of %s, which this run %s (%s)", e.Kind, e.OID, name(row), row.Outcome, row.Rule)
	case int(e.Version) != row.Version:
		a.differ("the package holds version %d of %s (%s), this run version %d", e.Version, name(row), e.OID, row.Version)
	case hex.EncodeToString(e.content[:]) != plan.ContentID(a.mapping, row.Model):
		a.differ("the package's %s of %s (%s) was made from other content: the source record or the mapping changed", e.Kind, name(row), e.OID)
	case row.Outcome == state.Loaded && row.DocOID != e.OID:
		a.differ("%s is delivered by this run's state as %s, the package holds it as %s", name(row), row.DocOID, e.OID)
	}
	return nil
}

// apply gives a matched record the package's OIDs and counts it loaded, and
// an unmatched one new OIDs where the package uses its own.
func (a *adoption) apply(row *state.Record, i int, found bool) error {
	if row.Outcome != state.Pending && row.Outcome != state.Loaded {
		return nil
	}
	if found {
		e := a.ix.entries[i]
		a.res.Adopted++
		if row.Outcome == state.Loaded { // given the package's OIDs by an earlier, interrupted adoption
			return nil
		}
		row.DocOID, row.SetOID, row.Outcome = e.OID, e.SetID, state.Loaded
		if e.EntityOID != "" {
			row.EntityOID = e.EntityOID
		}
		// The document was built by the other run: a later staging pass has
		// nothing to compare it with.
		row.ContentHash = ""
		if err := a.st.Put(row); err != nil {
			return err
		}
		parts, err := partsOf(row)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := a.st.MarkLoaded(p.Entity, p.Key); err != nil {
				return err
			}
		}
		return nil
	}
	changed := false
	for _, oid := range []*string{&row.DocOID, &row.EntityOID} {
		for *oid != "" && a.ix.uses(*oid) {
			fresh, err := a.remint(*oid)
			if err != nil {
				return err
			}
			*oid, changed = fresh, true
		}
	}
	if !changed {
		return nil
	}
	a.res.Reminted++
	return a.st.Put(row)
}

// remint mints a new OID of the same kind (root.<kind>.<n>) as oid.
func (a *adoption) remint(oid string) (string, error) {
	kindAt := strings.LastIndexByte(oid, '.')
	rootAt := strings.LastIndexByte(oid[:max(kindAt, 0)], '.')
	if kindAt < 0 || rootAt < 0 {
		return "", fmt.Errorf("the OID %s is not one kantamig minted", oid)
	}
	return a.st.Mint(oid[:rootAt], oid[rootAt+1:kindAt])
}

// fixSet gives a pending document the set of the version it replaces, or
// its own OID as its set: either may have changed.
func (a *adoption) fixSet(key string) error {
	row, err := a.st.Get(string(kanta.EntityDocument), key)
	if err != nil || row == nil || row.Outcome != state.Pending {
		return err
	}
	set, err := a.setOf(row, 0)
	if err != nil || set == row.SetOID {
		return err
	}
	row.SetOID = set
	return a.st.Put(row)
}

func (a *adoption) setOf(row *state.Record, depth int) (string, error) {
	if row.Outcome == state.Loaded || depth > 1000 {
		return row.SetOID, nil
	}
	var doc kanta.Document
	if err := state.Decode(row.Model, &doc); err != nil {
		return "", fmt.Errorf("reading document %s from the state store: %w", row.Key, err)
	}
	if doc.ReplacesKey == "" {
		return row.DocOID, nil
	}
	prev, err := a.st.Get(string(kanta.EntityDocument), doc.ReplacesKey)
	if err != nil || prev == nil {
		return row.SetOID, err
	}
	return a.setOf(prev, depth+1)
}

// partsOf lists the records carried in a record's document.
func partsOf(row *state.Record) ([]plan.Part, error) {
	switch kanta.Entity(row.Entity) {
	case kanta.EntityClient:
		var rel kanta.Relationship
		if err := state.Decode(row.Model, &rel); err != nil {
			return nil, fmt.Errorf("reading client %s from the state store: %w", row.Key, err)
		}
		return plan.RelationshipParts(rel), nil
	case kanta.EntityCase:
		var c kanta.Case
		if err := state.Decode(row.Model, &c); err != nil {
			return nil, fmt.Errorf("reading case %s from the state store: %w", row.Key, err)
		}
		return plan.CaseParts(c), nil
	}
	return nil, nil
}
