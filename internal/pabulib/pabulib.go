// Package pabulib reads participatory-budgeting elections in the Pabulib
// ".pb" format (pabulib.org): a META section of key;value rows, a PROJECTS
// section and a VOTES section, each opened by its name on a line of its own
// and a header row, all semicolon-separated with standard CSV quoting.
//
// The reading follows pabutools (the reference Python library): UTF-8 with
// an optional BOM, CRLF or LF, costs and budget parsed exactly from their
// decimal strings ("," accepted as the decimal point), empty "vote" fields
// kept as empty ballots. A malformed file is reported with its line number.
package pabulib

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/humblehq/humble/internal/allocation"
)

// Project is one row of the PROJECTS section.
type Project struct {
	ID     string
	Cost   *big.Rat
	Fields map[string]string // every column, trimmed, as written
	Line   int
}

// Vote is one row of the VOTES section.
type Vote struct {
	VoterID  string
	Projects []string   // the "vote" column, split on ","; empty for an empty ballot
	Points   []*big.Rat // the "points" column for cumulative and scoring files, else nil
	Line     int
}

// File is a parsed .pb file.
type File struct {
	Meta     map[string]string
	Budget   *big.Rat
	VoteType string // approval, choose-1, cumulative, scoring, ordinal
	Projects []Project
	Votes    []Vote
}

// LineError is a problem in the file, at a 1-based line.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func lineErr(line int, format string, args ...any) error {
	return &LineError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ParseNumber reads an exact rational from a decimal string such as
// "200000.0", "446829,4" or "12".
func ParseNumber(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" || strings.ContainsAny(s, "/eEpPxX_") {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// Parse reads a whole .pb file.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	f := &File{Meta: map[string]string{}}
	section := ""
	var header []string
	col := map[string]int{}
	needHeader := false
	seenProject := map[string]int{}
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, lineErr(pe.Line, "%v", pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 0 {
			continue
		}
		first := strings.ToLower(strings.TrimSpace(rec[0]))
		if first == "meta" || first == "projects" || first == "votes" {
			if len(rec) > 1 && strings.Join(rec[1:], "") != "" {
				return nil, lineErr(line, "section line %q has extra fields", first)
			}
			if seen[first] {
				return nil, lineErr(line, "section %s appears twice", strings.ToUpper(first))
			}
			seen[first] = true
			section, needHeader = first, true
			continue
		}
		if section == "" {
			return nil, lineErr(line, "expected META, PROJECTS or VOTES, found %q", rec[0])
		}
		if needHeader {
			header = header[:0]
			col = map[string]int{}
			for i, h := range rec {
				h = strings.TrimSpace(h)
				header = append(header, h)
				col[h] = i
			}
			needHeader = false
			switch section {
			case "projects":
				if _, ok := col["project_id"]; !ok {
					return nil, lineErr(line, "PROJECTS header has no project_id column")
				}
				if _, ok := col["cost"]; !ok {
					return nil, lineErr(line, "PROJECTS header has no cost column")
				}
			case "votes":
				if _, ok := col["vote"]; !ok {
					return nil, lineErr(line, "VOTES header has no vote column")
				}
			}
			continue
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		switch section {
		case "meta":
			if len(rec) < 2 {
				return nil, lineErr(line, "META row needs a key and a value")
			}
			f.Meta[strings.TrimSpace(rec[0])] = strings.TrimSpace(rec[1])
		case "projects":
			id := get("project_id")
			if id == "" {
				return nil, lineErr(line, "project without an id")
			}
			if prev, dup := seenProject[id]; dup {
				return nil, lineErr(line, "project %q already defined on line %d", id, prev)
			}
			cost, ok := ParseNumber(get("cost"))
			if !ok {
				return nil, lineErr(line, "project %q: cost %q is not a number", id, get("cost"))
			}
			if cost.Sign() < 0 {
				return nil, lineErr(line, "project %q: negative cost", id)
			}
			fields := make(map[string]string, len(header))
			for i, h := range header {
				if i < len(rec) {
					fields[h] = strings.TrimSpace(rec[i])
				}
			}
			seenProject[id] = line
			f.Projects = append(f.Projects, Project{ID: id, Cost: cost, Fields: fields, Line: line})
		case "votes":
			if !seen["projects"] {
				return nil, lineErr(line, "VOTES before PROJECTS")
			}
			v := Vote{Line: line}
			if i, ok := col["voter_id"]; ok && i < len(rec) {
				v.VoterID = strings.TrimSpace(rec[i])
			}
			if s := get("vote"); s != "" {
				for _, p := range strings.Split(s, ",") {
					p = strings.TrimSpace(p)
					if _, ok := seenProject[p]; !ok {
						return nil, lineErr(line, "vote for unknown project %q", p)
					}
					v.Projects = append(v.Projects, p)
				}
			}
			if _, ok := col["points"]; ok {
				if s := get("points"); s != "" || len(v.Projects) > 0 {
					parts := strings.Split(s, ",")
					if len(parts) != len(v.Projects) {
						return nil, lineErr(line, "%d projects but %d points", len(v.Projects), len(parts))
					}
					for _, p := range parts {
						x, ok := ParseNumber(p)
						if !ok || x.Sign() < 0 {
							return nil, lineErr(line, "points %q is not a non-negative number", p)
						}
						v.Points = append(v.Points, x)
					}
				}
			}
			f.Votes = append(f.Votes, v)
		}
	}
	for _, s := range []string{"meta", "projects", "votes"} {
		if !seen[s] {
			return nil, lineErr(lineCount(data), "no %s section", strings.ToUpper(s))
		}
	}
	b, ok := f.Meta["budget"]
	if !ok {
		return nil, lineErr(1, "META has no budget")
	}
	if f.Budget, ok = ParseNumber(b); !ok || f.Budget.Sign() < 0 {
		return nil, lineErr(metaLine(data, "budget"), "budget %q is not a non-negative number", b)
	}
	f.VoteType = strings.ToLower(f.Meta["vote_type"])
	if f.VoteType == "" {
		f.VoteType = "approval"
	}
	switch f.VoteType {
	case "approval", "choose-1", "ordinal":
		for i := range f.Votes {
			f.Votes[i].Points = nil
		}
	case "cumulative", "scoring":
		for _, v := range f.Votes {
			if v.Points == nil && len(v.Projects) > 0 {
				return nil, lineErr(v.Line, "%s ballot without points", f.VoteType)
			}
		}
	default:
		return nil, lineErr(metaLine(data, "vote_type"), "unknown vote_type %q", f.VoteType)
	}
	return f, nil
}

func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }

func metaLine(data []byte, key string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key+";") {
			return i + 1
		}
	}
	return 1
}

// Instance turns the file into the input of the allocation rules. Points
// are kept for cumulative and scoring files (the "points" rules use them;
// the others treat every listed project as approved).
func (f *File) Instance() allocation.Instance {
	inst := allocation.Instance{Budget: f.Budget}
	for _, p := range f.Projects {
		inst.Projects = append(inst.Projects, allocation.Project{ID: p.ID, Cost: p.Cost})
	}
	for _, v := range f.Votes {
		inst.Ballots = append(inst.Ballots, allocation.Ballot{Projects: v.Projects, Points: v.Points})
	}
	return inst
}
