"""Orders pulled from the sales channels: above both server/channels/ and server/orders/."""
