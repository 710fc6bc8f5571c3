"""The chat front ends: Telegram, Discord and the terminal, and what they share."""
