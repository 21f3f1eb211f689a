"""The Odnoklassniki channel: Bot API webhook (or long polling), replies via /graph/me/messages."""
