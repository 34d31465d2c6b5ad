"""/v1/webhooks: subscriptions (secret shown once, rotatable) and deliveries (attempts,
redeliver). Signing and sending: services/webhooks."""
