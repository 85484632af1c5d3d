"""Our Rasa input channels. Every Rasa server we run loads them (credentials.yml), so this is
where the server-side speed fix is installed."""
from bot import rasa_speedups

rasa_speedups.install()
