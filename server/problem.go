package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/citemap/citemap/layers"
)

// problem is an RFC 9457 problem details body.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
	// Problems names each feature, claim or passage at fault.
	Problems []problemItem `json:"problems,omitempty"`
}

type problemItem struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// statusOf maps a domain error code to an HTTP status: the one place where
// that happens.
func statusOf(err error) int {
	switch layers.ErrorCode(err) {
	case layers.ENOTFOUND:
		return fiber.StatusNotFound
	case layers.EINVALID:
		return fiber.StatusBadRequest
	case layers.ECONFLICT:
		return fiber.StatusConflict
	case layers.ELOCKED:
		return fiber.StatusServiceUnavailable
	case layers.EUNAUTHORIZED:
		return fiber.StatusUnauthorized
	case layers.EFORBIDDEN:
		return fiber.StatusForbidden
	case layers.ESTALE:
		return fiber.StatusPreconditionFailed
	case layers.EUNPROCESSABLE:
		return fiber.StatusUnprocessableEntity
	case layers.ETOOLARGE:
		return fiber.StatusRequestEntityTooLarge
	}
	return fiber.StatusInternalServerError
}

// badRequest is an EINVALID error for a query parameter or path segment.
func badRequest(format string, args ...any) error {
	return layers.Errorf(layers.EINVALID, format, args...)
}

func (s *Server) handleError(c *fiber.Ctx, err error) error {
	p := problem{Type: "about:blank", Instance: c.OriginalURL()}
	var fe *fiber.Error
	var busy *busyError
	switch {
	case errors.As(err, &fe):
		p.Status, p.Detail = fe.Code, fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge && fe.Message == utils.StatusMessage(fe.Code) {
			// Refused by the server before any route saw it: say the limit.
			p.Detail = fmt.Sprintf("the body is over the server's limit of %d bytes (8 MiB)", maxSourceBody)
		}
	case errors.As(err, &busy):
		p.Status, p.Detail = fiber.StatusServiceUnavailable, busy.Error()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(busy.retryAfter.Seconds()))))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// The request's own time ran out while it waited for shared work.
		p.Status, p.Detail = fiber.StatusServiceUnavailable, "the server is busy: this request's time ran out; retry shortly"
		c.Set(fiber.HeaderRetryAfter, "1")
	default:
		p.Status, p.Detail = statusOf(err), layers.ErrorMessage(err)
		var ps layers.Problems
		if errors.As(err, &ps) {
			for _, x := range ps.Errors() {
				p.Problems = append(p.Problems, problemItem{Kind: x.Kind, ID: x.ID, Message: x.Message})
			}
		}
	}
	if p.Status >= 500 {
		s.log.Error("request failed", "path", c.Path(), "err", err)
	}
	p.Title = http.StatusText(p.Status)
	b, _ := json.Marshal(p)
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}
