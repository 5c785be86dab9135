package pipeline

import (
	"strconv"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// Account fills a report's reconciliation from the state store, the one
// ledger of outcomes: every record of the given pass by entity, outcome and
// (for documents) type and service task, with the rejected and skipped ones
// listed. A record pending or loaded counts as one that loads; Account
// returns how many are loaded (delivered). Pass 0 means the store's latest
// pass.
func Account(st state.Store, rep *report.Report, pass int) (int, error) {
	if pass == 0 {
		p, err := st.Setting("pass")
		if err != nil {
			return 0, err
		}
		pass, _ = strconv.Atoi(p)
	}
	loaded := 0
	err := st.Outcomes(func(r state.Record) error {
		if pass != 0 && r.Pass != pass {
			return nil // a record of an earlier pass the source no longer has
		}
		e := kanta.Entity(r.Entity)
		source, key := mapping.SplitKey(storedKey(r.Key))
		f := report.Finding{Locator: r.Locator, Entity: r.Entity, Source: source, Key: key, Field: r.Field, Rule: r.Rule, Reason: r.Reason}
		var outcome string
		switch r.Outcome {
		case state.Loaded:
			loaded++
			outcome = report.OutcomeLoad
		case state.Pending:
			outcome = report.OutcomeLoad
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
	return loaded, err
}
