package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/humblehq/humble/internal/fund"
	"github.com/humblehq/humble/internal/httpapi"
	"github.com/humblehq/humble/internal/search"
	"github.com/humblehq/humble/internal/validate"
)

// registerSearchPages adds the fund's search page: a search box and what
// the reader may read that holds the words, with where each comes from.
func (u *UI) registerSearchPages(e *echo.Echo) {
	e.GET("/funds/:id/search", u.searchPage)
}

// searchPerPage is how many results a page of search shows.
const searchPerPage = 20

type searchData struct {
	Fund     fund.Fund
	Query    string
	Searched bool
	Results  []searchResult
	Total    int64
	// From and To number the results on this page; Prev and Next link
	// to the pages around it.
	From, To   int
	Prev, Next string
}

type searchResult struct {
	search.Result
	KindName string
	Snippet  template.HTML
}

func (u *UI) searchPage(c echo.Context) error {
	f, err := u.visibleFund(c)
	if err != nil {
		return err
	}
	if err := httpapi.Authorize(u.Authz, c, "read", httpapi.SearchResource(f.ID)); err != nil {
		return err
	}
	p := u.newPage(c, "")
	d := searchData{Fund: f, Query: c.QueryParam("q")}
	p.Form["q"] = d.Query
	status := http.StatusOK
	if _, ok := c.QueryParams()["q"]; ok {
		n := httpapi.PageNumber(c)
		v := httpapi.FundViewer(u.Authz, httpapi.CurrentPrincipal(c), f.ID)
		rs, total, err := u.Search.Search(c.Request().Context(), v, d.Query, search.Page{Number: n, Size: searchPerPage})
		if ve, ok := validate.As(err); ok {
			for _, fe := range ve {
				msg := "Say what words to look for."
				if d.Query != "" {
					msg = fmt.Sprintf("Use at most %d characters.", search.MaxQuery)
				}
				p.Errors = append(p.Errors, fieldErr{ID: fe.Field, Message: msg})
			}
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			return err
		} else {
			d.Searched, d.Total = true, total
			for _, r := range rs {
				// SnippetHTML is escaped by internal/search, with only
				// <mark> added.
				d.Results = append(d.Results, searchResult{Result: r, KindName: search.KindNames[r.Kind],
					Snippet: template.HTML(r.SnippetHTML)}) // #nosec G203 -- escaped in internal/search
			}
			d.From, d.To = (n-1)*searchPerPage+1, (n-1)*searchPerPage+len(rs)
			link := func(page int) string {
				return fmt.Sprintf("/funds/%d/search?q=%s&page=%d", f.ID, url.QueryEscape(d.Query), page)
			}
			if n > 1 {
				d.Prev = link(n - 1)
			}
			if int64(n*searchPerPage) < total {
				d.Next = link(n + 1)
			}
		}
	}
	p.Data = d
	return u.render(c, status, "search", p)
}
