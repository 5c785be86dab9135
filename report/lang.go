package report

// Languages the workbooks are written in (Settings.Language). The people
// who read them, the project managers and archivists of Finnish wellbeing
// services counties, read Finnish, which is the commands' default (--lang);
// English is for the engineers who write the mapping in it, and the
// report's own zero value.
const (
	Finnish = "fi"
	English = "en"
)

// Languages lists the languages a workbook can be written in.
var Languages = []string{Finnish, English}

// translate gives a workbook's label, template (fmt verbs kept) or a rule's
// meaning in lang: from the table of its language, or the text itself
// (English, and every datum, which no table holds). A test holds the
// Finnish table complete: every label and template of the workbooks and
// every rule's meaning (lang_test.go).
func translate(lang, text string) string {
	if lang == Finnish {
		if t, ok := finnish[text]; ok {
			return t
		}
	}
	return text
}
