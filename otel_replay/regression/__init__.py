"""Regression cases: an approved replay saved as plain files, rerun and checked in CI."""
