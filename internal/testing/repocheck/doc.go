// Package repocheck holds tests of the repository's shape rather than of its
// behavior: rules of the developers' guide that a reviewer would otherwise
// have to check by eye.
package repocheck
