package report

import (
	"encoding/json"
	"fmt"
	"time"
)

// Validation is the account of a `kantamig validate`: each document chosen,
// what the validation service answered, or why it was not sent.
type Validation struct {
	FormatVersion int                `json:"format_version"`
	Service       string             `json:"service"`
	Source        string             `json:"source"`
	Selection     string             `json:"selection"`
	Started       time.Time          `json:"started"`
	Candidates    int                `json:"candidates"`
	Counts        map[string]int     `json:"counts"` // outcome -> documents
	Results       []ValidationResult `json:"results"`
	TimeZone      string             `json:"time_zone,omitempty"`
	// Language is the workbook's (Finnish, English).
	Language string `json:"language,omitempty"`
}

// The outcomes of one document's validation.
const (
	ValidationValid   = "valid"
	ValidationInvalid = "invalid"
	ValidationNotSent = "not sent" // an identity code outside the test range: it never left
	ValidationFailed  = "failed"   // the service did not answer as a validator does
)

// ValidationResult is one document's validation.
type ValidationResult struct {
	OID string `json:"oid"`
	// Locator is the document's record in the legacy source, identity
	// codes masked (from the package's manifest, or the dry-run folder's
	// locators.tsv); "" for documents written before kantamig kept it.
	Locator        string   `json:"locator,omitempty"`
	Kind           string   `json:"kind"`
	Type           string   `json:"type,omitempty"`
	ServiceRequest string   `json:"service_request"`
	Outcome        string   `json:"outcome"`
	Errors         []string `json:"errors,omitempty"`
}

// Add records a result.
func (v *Validation) Add(r ValidationResult) {
	if v.Counts == nil {
		v.Counts = map[string]int{}
	}
	v.Counts[r.Outcome]++
	v.Results = append(v.Results, r)
}

// WriteJSON writes the validation report as JSON.
func (v *Validation) WriteJSON(path string) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the validation report: %w", err)
	}
	return writePrivate(path, append(data, '\n'))
}

// WriteExcel writes the validation report as a workbook: a Summary and one
// row per document with each error the service named.
func (v *Validation) WriteExcel(path string) error {
	set := Settings{TimeZone: v.TimeZone}
	if set.TimeZone == "" {
		set.TimeZone = "Europe/Helsinki" // the archive's, and a mapping's default
	}
	return writeWorkbook(path, v.Language, []sheet{
		{"Summary", func(w *rowWriter) {
			w.title(w.f("Validation of archive documents by %s", v.Service))
			w.head(false, "What was validated", "")
			w.put("Documents of", v.Source)
			w.put("Chosen", v.Selection)
			w.put(w.f("Started (%s)", set.zone()), set.local(v.Started))
			w.put("Candidates", v.Candidates)
			w.put()
			w.head(false, "Outcome", "Documents")
			for _, o := range []string{ValidationValid, ValidationInvalid, ValidationNotSent, ValidationFailed} {
				w.put(o, v.Counts[o])
			}
			w.put()
			w.put("valid: the service found nothing wrong; invalid: it listed errors (Documents sheet); not sent: an identity code outside the test range 900–999, refused before sending; failed: the service did not answer as a validator")
		}, []float64{30, 90}},
		{"Documents", func(w *rowWriter) {
			w.title("Each document chosen and the service's answer")
			w.head(true, "OID", "Legacy record", "Kind", "Type", "Service request", "Outcome", "Errors")
			for _, r := range v.Results {
				errs := ""
				for i, e := range r.Errors {
					if i > 0 {
						errs += "\n"
					}
					errs += e
				}
				w.put(r.OID, r.Locator, r.Kind, r.Type, r.ServiceRequest, r.Outcome, errs)
			}
		}, []float64{40, 44, 18, 8, 16, 12, 90}},
	})
}
