// Package docs holds the tests that keep the documentation honest: every
// relative link and anchor of the Markdown pages resolves (markdown.go reads
// the pages: headings, GitHub's anchor slugs, links, marked blocks), every
// receiver configuration marked <!-- config --> loads and validates
// (docs_test.go), and every built-in API has its four parts: a spec, golden
// files, a simulator route and a documentation page (builtin_test.go).
package docs
