"""Tests for the MediaScribe integration, client and simulator."""
