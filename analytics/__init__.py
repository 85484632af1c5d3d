"""Turn records, their summary for the staff dashboard, and retention."""
