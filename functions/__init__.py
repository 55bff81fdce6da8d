"""Lambda function code and the definitions it shares with the stack and the local pipeline."""
