package report

// Notes is what staging tells of the records beyond their rows in the
// state store: the warnings, the unmapped values and the counts kept with
// them. A run keeps them in the store, so that a resume which does not
// stage again (the sources were read to the end before) still reports them.
type Notes struct {
	Warnings                []Finding        `json:"warnings"`
	WarningsByRule          map[string]int   `json:"warnings_by_rule"`
	Unmapped                []*UnmappedValue `json:"unmapped_values"`
	RemovedCharacters       int              `json:"removed_xml_characters"`
	PlaceholderDocuments    int              `json:"placeholder_documents"`
	InferredServiceRequests int              `json:"inferred_service_requests"`
	Inferences              map[string]int   `json:"inferences,omitempty"`
}

// Notes returns what staging noted in this report.
func (r *Report) Notes() Notes {
	return Notes{Warnings: r.Warnings, WarningsByRule: r.WarningsByRule, Unmapped: r.Unmapped, RemovedCharacters: r.RemovedCharacters,
		PlaceholderDocuments: r.PlaceholderDocuments, InferredServiceRequests: r.InferredServiceRequests, Inferences: r.Inferences}
}

// AddNotes puts into the report what an earlier start's staging noted.
func (r *Report) AddNotes(n Notes) {
	r.Warnings = append(r.Warnings, n.Warnings...)
	for rule, c := range n.WarningsByRule {
		r.WarningsByRule[rule] += c
	}
	for _, u := range n.Unmapped {
		k := [3]string{u.Field, u.Map, u.Value}
		if have := r.unmapped[k]; have != nil {
			have.Count += u.Count
			continue
		}
		r.unmapped[k] = u
		r.Unmapped = append(r.Unmapped, u)
	}
	r.RemovedCharacters += n.RemovedCharacters
	r.PlaceholderDocuments += n.PlaceholderDocuments
	r.InferredServiceRequests += n.InferredServiceRequests
	for name, c := range n.Inferences {
		r.Infer(name, c)
	}
}

// Infer counts n documents resting on an inference.
func (r *Report) Infer(name string, n int) {
	if r.Inferences == nil {
		r.Inferences = map[string]int{}
	}
	r.Inferences[name] += n
}
