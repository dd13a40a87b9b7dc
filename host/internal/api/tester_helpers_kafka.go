package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/mockarty-oss/mockarty/host/internal/tester/helpers"
)

// Kafka admin for the API tester (api-reference section 7 "Kafka Admin"),
// with sarama; every broker address goes through the address policy.

func (s *server) testerKafkaRoutes(t fiber.Router) {
	t.Post("/kafka/metadata", s.kafkaMetadata)
	t.Post("/kafka/topics", s.kafkaTopics)
	t.Post("/kafka/topics/create", s.kafkaCreateTopic)
	t.Post("/kafka/topics/delete", s.kafkaDeleteTopic)
	t.Post("/kafka/consumer-groups", s.kafkaGroups)
}

type kafkaBody struct {
	helperBase
	helpers.KafkaTarget
}

func (s *server) kafkaMetadata(c *fiber.Ctx) error {
	var b kafkaBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (*helpers.KafkaMetadataResult, error) {
		return helpers.KafkaMetadata(ctx, g, b.KafkaTarget)
	})
}

func (s *server) kafkaTopics(c *fiber.Ctx) error {
	var b kafkaBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		topics, err := helpers.KafkaTopics(ctx, g, b.KafkaTarget)
		return fiber.Map{"topics": topics}, err
	})
}

func (s *server) kafkaCreateTopic(c *fiber.Ctx) error {
	var b struct {
		kafkaBody
		Topic             string            `json:"topic"`
		Partitions        int32             `json:"partitions"`
		ReplicationFactor int16             `json:"replicationFactor"`
		Configs           map[string]string `json:"configs"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		err := helpers.KafkaCreateTopic(ctx, g, b.KafkaTarget, b.Topic, b.Partitions, b.ReplicationFactor, b.Configs)
		return fiber.Map{"status": "created", "topic": b.Topic, "partitions": max(b.Partitions, 1),
			"replicationFactor": max(b.ReplicationFactor, 1)}, err
	})
}

func (s *server) kafkaDeleteTopic(c *fiber.Ctx) error {
	var b struct {
		kafkaBody
		Topic string `json:"topic"`
	}
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		err := helpers.KafkaDeleteTopic(ctx, g, b.KafkaTarget, b.Topic)
		return fiber.Map{"status": "deleted", "topic": b.Topic}, err
	})
}

func (s *server) kafkaGroups(c *fiber.Ctx) error {
	var b kafkaBody
	return helperCall(s, c, &b, func(ctx context.Context, g *helpers.Guard) (fiber.Map, error) {
		groups, err := helpers.KafkaGroups(ctx, g, b.KafkaTarget)
		return fiber.Map{"groups": groups}, err
	})
}
