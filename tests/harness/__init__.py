"""A protocol-level test harness: Teams-shaped activities in, a fake Bot Connector out."""
