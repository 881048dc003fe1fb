package search

// SQL is the search query, for tests of its plan.
var SQL = searchSQL
