"""The Teams side: adapter, activity handler, routing, cards, conversation references."""
