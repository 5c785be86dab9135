// Package pipeline is the thin wiring that dry-run and run share: it reads
// each source block in turn (clients, service-task relationships, cases,
// case members, documents; an entity may have several sources), takes every
// record through mapping, resolving (package resolve) and transforming,
// mints its identifiers and records it with its outcome in the state store
// (the stager). A document that gathers records read after its own (a
// relationship and its service tasks, a case and its members, a case made
// for documents without one) is built in a finishing step once they are
// all read. Then it plans the pending documents (load/plan) and signs
// and delivers them (load/deliver). A dry-run does the same into a
// temporary store and a sink that keeps nothing. Each source block's records
// read are counted as they come (and counted again by the source where it
// can) and written to the store's ledger (package ledger); the report's
// outcomes are read back from the store's rows (ledger.Account), so the two
// can disagree and a run stops before delivering when they do. Only
// warnings and unmapped values, which are not outcomes, are noted beside it.
//
// Memory does not grow with the size of the export: what one record needs
// to know of another, it asks the store.
package pipeline
