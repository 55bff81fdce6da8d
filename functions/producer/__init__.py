"""Producer Lambda: validates generator batches and writes them to Kinesis, loss-free."""
