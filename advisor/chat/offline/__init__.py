"""The offline backend: a chat model without a neural network that understands the conversation, plans tool
calls and writes from the templates in `prompts/`."""
