"""Our Rasa input channels (credentials.yml names them: rest.py, socketio.py) and the guards they
share (guard.py). Each channel module installs bot.rasa_speedups, so every Rasa server we run has
that fix; this package itself imports nothing of Rasa, so guard.py is tested without it."""
