//! A throwaway PostgreSQL cluster for tests (filled in with the backend).
