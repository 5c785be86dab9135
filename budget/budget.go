// Package budget is the error budget of a migration: how much may be
// rejected before a run stops, per entity as a count or a share of its
// records, and rules any reject of which stops it. The dry-run reports how
// much of it staging used; a run stops after staging, before it delivers
// anything, when staging used more. Without a budget kantamig reports
// rejects and goes on, as it always did.
package budget

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Limit is how many records of an entity may be rejected: a count, or a
// share of the entity's records.
type Limit struct {
	Count int
	Share float64 // 0..1, when IsShare
	// IsShare says the limit is a share.
	IsShare bool
}

// ParseLimit reads a limit as written in a mapping: a whole number ("20")
// or a percentage ("2%", "0.5%").
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return Limit{}, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
		}
		return Limit{Share: f / 100, IsShare: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Limit{}, fmt.Errorf("%q is neither a count (20) nor a percentage (2%%)", s)
	}
	return Limit{Count: n}, nil
}

func (l Limit) String() string {
	if l.IsShare {
		return strconv.FormatFloat(l.Share*100, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.Count)
}

// allows says whether rejected of total records keep within the limit.
func (l Limit) allows(rejected, total int) bool {
	if l.IsShare {
		return total == 0 || float64(rejected) <= l.Share*float64(total)
	}
	return rejected <= l.Count
}

// Budget is a mapping's error budget; the zero Budget is none.
type Budget struct {
	Rejected map[string]Limit // entity -> limit
	StopOn   []string         // rules any reject of which stops the run
}

// Set says a budget was given.
func (b Budget) Set() bool { return len(b.Rejected) > 0 || len(b.StopOn) > 0 }

// Use is what staging used: per entity, its records and its rejects by rule.
type Use map[string]*EntityUse

// EntityUse is one entity's records and rejects.
type EntityUse struct {
	Records  int
	Rejected map[string]int // rule -> rejects
}

// Add counts one record of an entity, rejected under rule ("" if not).
func (u Use) Add(entity, rule string, rejected bool) {
	e := u[entity]
	if e == nil {
		e = &EntityUse{Rejected: map[string]int{}}
		u[entity] = e
	}
	e.Records++
	if rejected {
		e.Rejected[rule]++
	}
}

// Line is the state of one part of the budget.
type Line struct {
	Entity   string   // the entity, or "" for a stop rule
	Rule     string   // the stop rule, or "" for an entity's limit
	Limit    string   // as written
	Records  int      // the entity's records
	Rejected int      // its rejects (or the rule's)
	Exceeded bool     // used up
	Rules    []string // the rules that used it, most first: "rule (count)"
}

// State lists every part of the budget with what staging used of it.
func (b Budget) State(u Use) []Line {
	var out []Line
	entities := make([]string, 0, len(b.Rejected))
	for e := range b.Rejected {
		entities = append(entities, e)
	}
	sort.Strings(entities)
	for _, e := range entities {
		l := Line{Entity: e, Limit: b.Rejected[e].String()}
		if eu := u[e]; eu != nil {
			l.Records = eu.Records
			for rule, n := range eu.Rejected {
				l.Rejected += n
				l.Rules = append(l.Rules, fmt.Sprintf("%s (%d)", rule, n))
			}
			sort.Slice(l.Rules, func(i, j int) bool {
				return count(l.Rules[i]) > count(l.Rules[j]) || count(l.Rules[i]) == count(l.Rules[j]) && l.Rules[i] < l.Rules[j]
			})
		}
		l.Exceeded = !b.Rejected[e].allows(l.Rejected, l.Records)
		out = append(out, l)
	}
	for _, rule := range b.StopOn {
		l := Line{Rule: rule, Limit: "any reject stops"}
		for _, eu := range u {
			l.Rejected += eu.Rejected[rule]
		}
		l.Exceeded = l.Rejected > 0
		out = append(out, l)
	}
	return out
}

func count(s string) int {
	i := strings.LastIndexByte(s, '(')
	n, _ := strconv.Atoi(strings.TrimSuffix(s[i+1:], ")"))
	return n
}

// ErrExceeded stops a run whose staging used up the error budget.
type ErrExceeded struct {
	Lines  []Line // the parts used up
	Report string // where to look
	// AtDelivery says the archive's refusals used it up while the run
	// delivered: what was delivered stays delivered.
	AtDelivery bool
}

func (e *ErrExceeded) Error() string {
	var parts []string
	for _, l := range e.Lines {
		if l.Rule != "" {
			parts = append(parts, fmt.Sprintf("rule %s, which stops the run at any reject, rejected %d record(s)", l.Rule, l.Rejected))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %d of %d rejected, over the budget of %s (by %s)", l.Entity, l.Rejected, l.Records, l.Limit, strings.Join(l.Rules, ", ")))
	}
	where := "the report"
	if e.Report != "" {
		where = e.Report
	}
	what := "the error budget is used up, so nothing was delivered: "
	if e.AtDelivery {
		what = "the error budget is used up by the archive's refusals (rule " + refusedRule + "), so delivery stopped; what was delivered stays delivered: "
	}
	return what + strings.Join(parts, "; ") +
		". See the Rejects sheet of " + where + " (filter by rule), fix the source or the mapping, or raise error_budget in the mapping if these rejects are acceptable"
}

// refusedRule is kanta.RuleArchiveRejected (budget imports nothing of the
// model).
const refusedRule = "archive-rejected"

// Refused moves one record of an entity, counted as not rejected, to the
// rejects under rule: the archive refused its document.
func (u Use) Refused(entity, rule string) {
	e := u[entity]
	if e == nil {
		e = &EntityUse{Rejected: map[string]int{}}
		u[entity] = e
		e.Records++
	}
	e.Rejected[rule]++
}

// Exceeded returns an *ErrExceeded when staging used up the budget, nil otherwise.
func (b Budget) Exceeded(u Use, report string) error {
	var over []Line
	for _, l := range b.State(u) {
		if l.Exceeded {
			over = append(over, l)
		}
	}
	if len(over) == 0 {
		return nil
	}
	return &ErrExceeded{Lines: over, Report: report}
}
