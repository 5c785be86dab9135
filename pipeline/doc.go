// Package pipeline runs the stages over a whole mapping: it reads each source
// in turn (clients, then cases, then documents), maps every record, resolves
// the references between them (a case's clients, a document's client, case
// and replaced version), transforms what maps, and accounts for every record in
// a report.
//
// It keeps an index of keys (clients, cases, documents) in memory, a few
// dozen bytes per record plus the client's name and identity code, which the
// case and client documents repeat in their headers. Record contents, texts and
// generated documents are never held: memory grows with the number of keys,
// not with the size of the export. The loader's state store (a later stage)
// takes this index to disk.
package pipeline
