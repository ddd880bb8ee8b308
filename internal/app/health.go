package app

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// health serves liveness and readiness. Readiness pings the database on
// every call, so it turns 503 as soon as the database goes away and back to
// 200 by itself when it returns (the pool reconnects).
type health struct {
	db       store.Pinger
	draining *atomic.Bool
}

func (h health) Register(r gin.IRouter) {
	r.GET("/health/alive", h.alive)
	r.GET("/health/ready", h.ready)
}

func (h health) alive(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (h health) ready(c *gin.Context) {
	if h.draining.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.db.Ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "database unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
