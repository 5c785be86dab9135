package ledger

import (
	"fmt"
	"strings"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// Account fills a report's reconciliation from the state store: the
// records read per entity and source, as the extraction counted them
// (Blocks), against every row of the pass by outcome and (for documents)
// type and service task, with the rejected and skipped ones listed. A record
// pending or loaded counts as one that loads. It returns how many are
// loaded (delivered). Pass 0 means the store's latest pass.
func Account(st state.Store, rep *report.Report, pass int) (int, error) {
	if pass == 0 {
		var err error
		if pass, err = LatestPass(st); err != nil {
			return 0, err
		}
	}
	loaded := 0
	err := st.Outcomes(func(r state.Record) error {
		if r.Pass != pass {
			return nil // a record of an earlier pass the source no longer has
		}
		e := kanta.Entity(r.Entity)
		source, key := mapping.SplitKey(StoredKey(r.Key))
		f := report.Finding{Locator: r.Locator, Entity: r.Entity, Source: source, Key: key, Field: r.Field, Rule: r.Rule, Reason: r.Reason}
		var outcome string
		switch r.Outcome {
		case state.Loaded:
			loaded++
			outcome = report.OutcomeLoad
		case state.Pending:
			outcome = report.OutcomeLoad
			if r.Rule == kanta.RuleArchiveRejected || r.Rule == kanta.RuleHeldBack {
				rep.Refuse(f)
			}
		case state.Rejected:
			outcome = report.OutcomeReject
			rep.Reject(f)
		case state.Skipped:
			outcome = report.OutcomeSkip
			if r.Rule == kanta.RuleSampledOut {
				// Counted, not listed: a sample leaves out most records,
				// and the report's lists are held in memory.
				rep.SampledOut++
			} else {
				rep.Skip(f)
			}
		default:
			rep.Unaccounted = append(rep.Unaccounted, fmt.Sprintf("%s %s has the outcome %q, which is none of pending, loaded, rejected or skipped", r.Entity, r.Locator, r.Outcome))
			return nil
		}
		if source == mapping.GeneratedSource {
			rep.CountGenerated(e, source, outcome)
		} else {
			rep.Count(e, source, outcome)
		}
		if e == kanta.EntityDocument {
			rep.CountDocument(r.DocType, r.ServiceTask, outcome)
		}
		if outcome == report.OutcomeLoad {
			rep.DocumentsGenerated++
		}
		return nil
	})
	if err != nil {
		return loaded, err
	}
	blocks, ok, err := Blocks(st, pass)
	if err != nil {
		return loaded, err
	}
	if !ok {
		rep.Unaccounted = append(rep.Unaccounted, fmt.Sprintf("the state store holds no count of the records read in pass %d: it was staged by a kantamig that did not keep one, or staging stopped before it finished; stage again (run the same command) to count them", pass))
	}
	for _, b := range blocks {
		how := b.CountedBy
		if b.CountError != "" {
			how = "not counted: " + b.CountError
		}
		rep.Read(b.Entity, b.Source, b.Read, b.SourceCount, how)
	}
	return loaded, nil
}

// StoredKey is the qualified key (source and key) of a record as the store
// keeps it: records without a key, and second records under a key already
// read, are stored under it with their locator after a zero byte.
func StoredKey(k string) string {
	if i := strings.IndexByte(k, 0); i >= 0 {
		return k[:i]
	}
	return k
}
