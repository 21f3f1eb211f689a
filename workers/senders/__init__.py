"""Per-channel senders of replies; the deliver worker picks one by channel."""
