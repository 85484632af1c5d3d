"""Live handoff to the staff of a one-stop centre (Trung tâm Phục vụ hành chính công)."""
