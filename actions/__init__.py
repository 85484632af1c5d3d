"""rasa-sdk custom actions. Thin: each action reads the tracker, calls a domain module
(knowledge engine, dossier backend), hands the result to the answer composer, and replies."""
