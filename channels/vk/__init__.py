"""The VK channel: Callback API webhook (or Bots Long Poll), replies with messages.send."""
