package docs

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Page is what the tests read of one Markdown file.
type Page struct {
	// Anchors are the fragment ids the page defines: one per heading, by
	// GitHub's slug rules, and explicit <a id/name="...">.
	Anchors map[string]bool
	// Links are the destinations of inline links, images and reference
	// definitions outside code, in the order they appear.
	Links []string
	// Blocks are the fenced blocks, each with the <!-- marker --> comment on
	// the line before it, if any.
	Blocks []Block
}

// Block is a fenced code block.
type Block struct {
	Marker string // "config" for <!-- config --> on the line before the fence; "" for none
	Info   string // the fence's info string ("yaml")
	Line   int    // 1-based line of the fence
	Text   string
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```+|~~~+)[ \t]*([^`]*)$")
	markerRe  = regexp.MustCompile(`^<!--\s*([a-z][a-z0-9_-]*)\s*-->$`)
	codeRe    = regexp.MustCompile("`+[^`]*`+")
	// inlineLinkRe: "](dest)" or "](<dest> "title")"; the text before it may
	// hold brackets of its own (images in links, code).
	inlineLinkRe = regexp.MustCompile(`\]\(\s*(?:<([^>]*)>|([^()\s]*))(?:\s+"[^"]*")?\s*\)`)
	refDefRe     = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	htmlAnchorRe = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	htmlTagRe    = regexp.MustCompile(`<[^>]+>`)
	mdLinkRe     = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// ParsePage reads a Markdown page the way GitHub renders it, as far as links,
// anchors and marked blocks go.
func ParsePage(src string) (*Page, error) {
	p := &Page{Anchors: map[string]bool{}}
	slugs := map[string]int{}
	var prose []string // lines outside fenced blocks, with code spans still in
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			fence := m[1]
			start := i
			var body []string
			for i++; i < len(lines) && !closesFence(lines[i], fence); i++ {
				body = append(body, lines[i])
			}
			if i == len(lines) {
				return nil, fmt.Errorf("line %d: the fence %q is never closed", start+1, fence)
			}
			p.Blocks = append(p.Blocks, Block{Marker: markerBefore(lines, start), Info: strings.TrimSpace(m[2]), Line: start + 1, Text: strings.Join(body, "\n") + "\n"})
			prose = append(prose, "")
			continue
		}
		prose = append(prose, line)
		if m := headingRe.FindStringSubmatch(line); m != nil {
			slug := Slug(m[2])
			if n, seen := slugs[slug]; seen {
				slugs[slug] = n + 1
				slug = fmt.Sprintf("%s-%d", slug, n+1)
			} else {
				slugs[slug] = 0
			}
			p.Anchors[slug] = true
		}
		for _, m := range htmlAnchorRe.FindAllStringSubmatch(line, -1) {
			p.Anchors[m[1]] = true
		}
	}
	// Code spans may run over a line break but not over a paragraph.
	for _, para := range strings.Split(strings.Join(prose, "\n"), "\n\n") {
		para = codeRe.ReplaceAllString(para, "")
		for _, m := range inlineLinkRe.FindAllStringSubmatch(para, -1) {
			p.Links = append(p.Links, m[1]+m[2])
		}
		for _, m := range refDefRe.FindAllStringSubmatch(para, -1) {
			p.Links = append(p.Links, m[1])
		}
	}
	return p, nil
}

func closesFence(line, fence string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == ""
}

// markerBefore is the name of the <!-- name --> comment on the line before a
// fence, if any.
func markerBefore(lines []string, fence int) string {
	if fence == 0 {
		return ""
	}
	if m := markerRe.FindStringSubmatch(strings.TrimSpace(lines[fence-1])); m != nil {
		return m[1]
	}
	return ""
}

// Slug is the anchor GitHub gives a heading: the text as rendered (code
// spans, emphasis and links reduced to their text, HTML tags dropped),
// lower-cased, every character that is not a letter, a digit, a mark, "_",
// "-" or a space dropped, and every space made "-". Repeats are numbered by
// ParsePage.
func Slug(heading string) string {
	text := mdLinkRe.ReplaceAllString(heading, "$1")
	text = htmlTagRe.ReplaceAllString(text, "")
	text = strings.NewReplacer("`", "", "*", "").Replace(text)
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
