"""Generator Lambda: scheduled batches of streaming events for the producer."""
