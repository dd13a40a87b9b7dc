package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/tester/helpers"
)

// RabbitMQ admin for the API tester (api-reference section 7 "RabbitMQ
// Admin"), with amqp091-go; listing queues and exchanges needs the
// management API (managementUrl), which AMQP 0-9-1 lacks.

func (s *server) testerRabbitRoutes(t fiber.Router) {
	t.Post("/rabbitmq/publish", s.rabbitPublish)
	t.Post("/rabbitmq/read", s.rabbitRead)
	t.Post("/rabbitmq/metadata", s.rabbitMetadata)
	t.Post("/rabbitmq/queues", s.rabbitQueues)
	t.Post("/rabbitmq/queues/create", s.rabbitCreateQueue)
	t.Post("/rabbitmq/queues/delete", s.rabbitDeleteQueue)
	t.Post("/rabbitmq/queues/purge", s.rabbitPurgeQueue)
	t.Post("/rabbitmq/exchanges", s.rabbitExchanges)
	t.Post("/rabbitmq/exchanges/create", s.rabbitCreateExchange)
	t.Post("/rabbitmq/exchanges/delete", s.rabbitDeleteExchange)
}

type rabbitBody struct {
	helperBase
	helpers.RabbitTarget
}

func (s *server) rabbitPublish(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		helpers.RabbitPublish
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.RabbitPublished, error) {
		return helpers.PublishRabbit(ctx, g, b.RabbitTarget, b.RabbitPublish)
	})
}

func (s *server) rabbitRead(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Queue string `json:"queue"`
		Count int    `json:"count"`
		Ack   bool   `json:"ack"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.RabbitRead, error) {
		return helpers.ReadRabbit(ctx, g, b.RabbitTarget, b.Queue, b.Count, b.Ack)
	})
}

func (s *server) rabbitMetadata(c *fiber.Ctx) error {
	var b rabbitBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.RabbitMetadata, error) {
		return helpers.RabbitServer(ctx, g, b.RabbitTarget)
	})
}

func (s *server) rabbitQueues(c *fiber.Ctx) error {
	var b rabbitBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		list, err := helpers.ListQueues(ctx, g, b.RabbitTarget)
		return fiber.Map{"queues": list}, err
	})
}

func (s *server) rabbitCreateQueue(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Queue      string         `json:"queue"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"autoDelete"`
		Arguments  map[string]any `json:"arguments"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		q, err := helpers.DeclareQueue(ctx, g, b.RabbitTarget, b.Queue, b.Durable, b.AutoDelete, b.Arguments)
		if err != nil {
			return nil, err
		}
		return fiber.Map{"status": "declared", "queue": q.Name, "durable": q.Durable, "autoDelete": q.AutoDelete,
			"messages": q.Messages, "consumers": q.Consumers}, nil
	})
}

func (s *server) rabbitDeleteQueue(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Queue    string `json:"queue"`
		IfUnused bool   `json:"ifUnused"`
		IfEmpty  bool   `json:"ifEmpty"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		n, err := helpers.DeleteQueue(ctx, g, b.RabbitTarget, b.Queue, b.IfUnused, b.IfEmpty)
		return fiber.Map{"status": "deleted", "queue": b.Queue, "messages": n}, err
	})
}

func (s *server) rabbitPurgeQueue(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Queue string `json:"queue"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		n, err := helpers.PurgeQueue(ctx, g, b.RabbitTarget, b.Queue)
		return fiber.Map{"status": "purged", "queue": b.Queue, "messages": n}, err
	})
}

func (s *server) rabbitExchanges(c *fiber.Ctx) error {
	var b rabbitBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		list, err := helpers.ListExchanges(ctx, g, b.RabbitTarget)
		return fiber.Map{"exchanges": list}, err
	})
}

func (s *server) rabbitCreateExchange(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Exchange   string         `json:"exchange"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"autoDelete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		e, err := helpers.DeclareExchange(ctx, g, b.RabbitTarget, helpers.RabbitExchange{Name: b.Exchange, Type: b.Type, Durable: b.Durable,
			AutoDelete: b.AutoDelete, Internal: b.Internal, Arguments: b.Arguments})
		if err != nil {
			return nil, err
		}
		return fiber.Map{"status": "declared", "exchange": e.Name, "type": e.Type, "durable": e.Durable, "autoDelete": e.AutoDelete,
			"internal": e.Internal}, nil
	})
}

func (s *server) rabbitDeleteExchange(c *fiber.Ctx) error {
	var b struct {
		rabbitBody
		Exchange string `json:"exchange"`
		IfUnused bool   `json:"ifUnused"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		err := helpers.DeleteExchange(ctx, g, b.RabbitTarget, b.Exchange, b.IfUnused)
		return fiber.Map{"status": "deleted", "exchange": b.Exchange}, err
	})
}
