package pipeline

import (
	"fmt"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// goneFromSource deals with the records an earlier pass of the run read and
// this one did not: the source no longer holds them (deleted, or moved out
// of what the mapping selects) since the run was interrupted. One still
// pending is not delivered: it is skipped, keeping its earlier pass (so the
// ledger of this pass, which did not read it, is not touched), and warned
// by name. One delivered already stays in the archive, warned by name.
// mine, when not nil, says which of them this stager answers for: the
// phases and the workers of a sharded run divide them.
func (s *stager) goneFromSource(mine func(*state.Record) (bool, error)) error {
	if s.pass <= 1 {
		return nil
	}
	type ref struct{ entity, key string }
	var gone []ref
	err := s.st.Outcomes(func(r state.Record) error {
		if r.Pass < s.pass && (r.Outcome == state.Pending || r.Outcome == state.Loaded) {
			gone = append(gone, ref{r.Entity, r.Key})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range gone {
		row, err := s.st.Get(g.entity, g.key)
		if err != nil || row == nil {
			return err
		}
		if mine != nil {
			if ok, err := mine(row); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
		}
		source, key := mapping.SplitKey(ledger.StoredKey(row.Key))
		f := report.Finding{Locator: row.Locator, Entity: row.Entity, Source: source, Key: key, Rule: kanta.RuleGoneFromSource}
		if row.Outcome == state.Loaded {
			f.Reason = fmt.Sprintf("delivered in pass %d of this run, but the source no longer holds it (read again in pass %d): the archive keeps it; if it was removed on purpose, correct it in the client system once the migration is done", row.Pass, s.pass)
			s.rep.Warn(f)
			continue
		}
		f.Reason = fmt.Sprintf("read in pass %d of this run, but not in pass %d: the source no longer holds it, so it is not delivered; if it should be, restore it in the source and run again with --restage", row.Pass, s.pass)
		row.Outcome, row.Field, row.Rule, row.Reason, row.Model = state.Skipped, "", f.Rule, f.Reason, nil
		if err := s.st.Put(row); err != nil {
			return err
		}
		s.rep.Warn(f)
	}
	return nil
}
