package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/edit"
)

const (
	sessionCookie = "citemap_session"
	headerCSRF    = "X-CSRF-Token"
)

// tokenParams are query parameters clients put tokens in; a token in a URL
// ends up in logs and histories, so a request carrying one is refused.
var tokenParams = []string{"access_token", "token", "api_key", "apikey", "key", "session"}

// caller is who made a request: the zero User for an anonymous reader.
type caller struct {
	user   layers.User
	cookie bool   // authenticated by a session cookie
	csrf   []byte // the session's CSRF token hash
}

// noTokenInURL refuses any request with a token in its query string.
func (s *Server) noTokenInURL(c *fiber.Ctx) error {
	for _, p := range tokenParams {
		if c.Context().QueryArgs().Has(p) {
			return badRequest("query parameter %q: tokens are never accepted in URLs; send the header Authorization: Bearer TOKEN", p)
		}
	}
	return c.Next()
}

// who authenticates the request, once: by its Bearer token, else its
// session cookie, else as an anonymous reader. A wrong or revoked token is
// an error, never a silent fall back to anonymous.
func (s *Server) who(c *fiber.Ctx) (caller, error) {
	if v, ok := c.Locals("caller").(caller); ok {
		return v, nil
	}
	var who caller
	if s.cfg.Editor == nil {
		return who, nil
	}
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="citemap"`)
			return who, layers.Errorf(layers.EUNAUTHORIZED, "Authorization must be Bearer TOKEN")
		}
		u, err := s.cfg.Editor.Authenticate(ctx, strings.TrimSpace(token))
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="citemap", error="invalid_token"`)
			return who, err
		}
		who.user = u
	} else if sid := c.Cookies(sessionCookie); sid != "" {
		u, csrf, err := s.cfg.Editor.SessionUser(ctx, sid)
		if err != nil {
			return who, err
		}
		who = caller{user: u, cookie: true, csrf: csrf}
	}
	c.Locals("caller", who)
	return who, nil
}

// require authenticates a write and checks its role: 401 without valid
// credentials, 403 without the role or, for a cookie, without the CSRF
// token the session was given (and from another origin).
func (s *Server) require(c *fiber.Ctx, role string) (layers.User, error) {
	who, err := s.who(c)
	if err != nil {
		return layers.User{}, err
	}
	if who.user.Name == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="citemap"`)
		return layers.User{}, layers.Errorf(layers.EUNAUTHORIZED, "%s %s needs credentials: Authorization: Bearer TOKEN, or a session from POST /session", c.Method(), c.Path())
	}
	if who.cookie && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != s.baseURL(c) {
			return layers.User{}, layers.Errorf(layers.EFORBIDDEN, "a write from origin %s is refused", origin)
		}
		if tok := c.Get(headerCSRF); tok == "" || !layers.SameHash(layers.HashToken(tok), who.csrf) {
			return layers.User{}, layers.Errorf(layers.EFORBIDDEN, "a write with a session cookie needs the %s header POST /session returned", headerCSRF)
		}
	}
	if err := edit.Require(who.user, role); err != nil {
		return layers.User{}, err
	}
	return who.user, nil
}

// handleLogin exchanges a token for a session cookie and a CSRF token.
func (s *Server) handleLogin(c *fiber.Ctx) error {
	token := ""
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, t, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
	} else if len(c.Body()) > 0 {
		var in struct {
			Token string `json:"token"`
		}
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		token = in.Token
	}
	if token == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="citemap"`)
		return layers.Errorf(layers.EUNAUTHORIZED, "POST /session needs the token, as Authorization: Bearer TOKEN")
	}
	u, sid, csrf, err := s.cfg.Editor.Login(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: sid, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: s.secure(c), MaxAge: int(edit.SessionTTL.Seconds()),
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": u.Name, "role": u.Role, "csrf_token": csrf})
}

// handleSession tells a page who its session belongs to, so a reload stays
// signed in: the user, role and CSRF token, or {"user": null} without a
// live session (not an error: the page only asks).
func (s *Server) handleSession(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary(fiber.HeaderCookie)
	sid := c.Cookies(sessionCookie)
	if sid == "" {
		return c.JSON(fiber.Map{"user": nil})
	}
	u, _, err := s.cfg.Editor.SessionUser(c.UserContext(), sid)
	if layers.ErrorCode(err) == layers.EUNAUTHORIZED {
		s.expireSession(c)
		return c.JSON(fiber.Map{"user": nil})
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.Name, "role": u.Role, "csrf_token": edit.CSRFToken(sid)})
}

// handleLogout ends the session.
func (s *Server) handleLogout(c *fiber.Ctx) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	if !who.cookie {
		return layers.Errorf(layers.EUNAUTHORIZED, "no session to end")
	}
	if _, err := s.require(c, layers.RoleEditor); err != nil {
		return err
	}
	if err := s.cfg.Editor.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.expireSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// expireSession tells the browser to delete the session cookie, with a past
// Expires, which every browser honours. A negative MaxAge is not set: it
// would replace Expires with max-age=0 in the header.
func (s *Server) expireSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: s.secure(c), Expires: time.Unix(0, 0)})
}

// secure reports whether cookies must be sent over https only.
func (s *Server) secure(c *fiber.Ctx) bool {
	return strings.HasPrefix(s.cfg.BaseURL, "https://") || c.Protocol() == "https"
}
