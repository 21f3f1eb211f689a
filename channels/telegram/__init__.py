"""The Telegram channel: aiogram 3 webhook (or polling), replies with sendMessage."""
