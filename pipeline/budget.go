package pipeline

import (
	"errors"

	"github.com/kantamig/kantamig/budget"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// budgetUse counts, from the store, the records of a pass per entity and
// their rejects by rule: what the error budget is measured against.
func budgetUse(st state.Store, pass int) (budget.Use, error) {
	u := budget.Use{}
	err := st.Outcomes(func(r state.Record) error {
		if pass != 0 && r.Pass != pass {
			return nil
		}
		switch {
		case r.Outcome == state.Rejected, r.Outcome == state.Pending && r.Rule == kanta.RuleArchiveRejected:
			u.Add(r.Entity, r.Rule, true) // the archive's refusals count too
		case r.Outcome == state.Loaded, r.Outcome == state.Pending, r.Outcome == state.Skipped:
			u.Add(r.Entity, "", false)
		}
		return nil
	})
	return u, err
}

// checkBudget puts the error budget's state in the report and returns an
// *budget.ErrExceeded when staging used it up.
func (r *Runner) checkBudget(pass int) error {
	b := r.m.Budget
	r.rep.Budget = &report.BudgetState{Set: b.Set()}
	if !b.Set() {
		return nil
	}
	u, err := budgetUse(r.st, pass)
	if err != nil {
		return err
	}
	for _, l := range b.State(u) {
		r.rep.Budget.Lines = append(r.rep.Budget.Lines, report.BudgetLine{Entity: l.Entity, Rule: l.Rule, Limit: l.Limit,
			Records: l.Records, Rejected: l.Rejected, Exceeded: l.Exceeded, Rules: l.Rules})
	}
	r.budgetUse = u
	return b.Exceeded(u, "")
}

// refused counts a document the archive refused against the error budget,
// and returns an *budget.ErrExceeded, which stops the delivery, when that
// used it up.
func (r *Runner) refused(entity string) error {
	b := r.m.Budget
	if !b.Set() || r.budgetUse == nil {
		return nil
	}
	r.budgetUse.Refused(entity, kanta.RuleArchiveRejected)
	err := b.Exceeded(r.budgetUse, "")
	var ex *budget.ErrExceeded
	if errors.As(err, &ex) {
		ex.AtDelivery = true
	}
	return err
}

func isBudget(err error) bool {
	var ex *budget.ErrExceeded
	return errors.As(err, &ex)
}

// stopOnBudget stops a run whose staging used up the error budget, before
// anything is delivered: the report accounts for every record as staged.
func (r *Runner) stopOnBudget(pass int) error {
	err := r.checkBudget(pass)
	if err == nil || !isBudget(err) {
		return err
	}
	if _, aerr := ledger.Account(r.st, r.rep, pass); aerr != nil {
		return aerr
	}
	counts, cerr := r.st.Counts()
	if cerr != nil {
		return cerr
	}
	r.rep.StateCounts = counts
	r.rep.Finish()
	return err
}

// stopUnreconciled stops a run, before anything is delivered, whose staging
// does not account for every record read: delivering then could archive
// less than the source holds while the report says otherwise. The report
// accounts for every record staged.
func (r *Runner) stopUnreconciled(pass int) error {
	err := ledger.Check(r.st, pass)
	if err == nil || !ledger.IsUnreconciled(err) {
		return err
	}
	if _, aerr := ledger.Account(r.st, r.rep, pass); aerr != nil {
		return aerr
	}
	r.rep.Finish()
	return err
}
