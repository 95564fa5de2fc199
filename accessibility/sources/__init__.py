"""Readers: OpenStreetMap files and downloads. They read; they never compute."""
