"""Tests of the throwaway PostgreSQL server the store tests run against."""
