"""The hand-written baseline the generated project is measured against."""
