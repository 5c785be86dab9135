// Package extract reads legacy exports as a stream of source records.
//
// Every source kind (CSV, Excel workbook, XML export, MySQL/MariaDB and SQL
// Server queries) registers itself as a Kind, with the options it takes and
// their checks, and yields the same thing: a Record with the fields as read, as strings, and a Locator a
// person can open to find the record in the original (file and line, sheet and
// row, element path and index). Sources read one record at a time, so memory
// does not grow with the size of the export. Nothing is interpreted here: dates,
// codes and character problems are the mapping stage's business, so that a bad
// value becomes a rejected record with a reason rather than a failed run.
//
// Kind's documentation is the checklist for adding a kind; extracttest is
// the conformance suite every kind passes.
package extract
