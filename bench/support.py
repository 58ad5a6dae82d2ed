"""A throwaway database for one benchmark: a SQLite file, or PostgreSQL when DATABASE_URL is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class BenchDatabase:
    """Point DATABASE_URL at a fresh database named after the benchmark, and drop it after."""

    name: str
    url: str = ""
    admin_url: str | None = None

    def create(self) -> str:
        """Create the database (replacing a previous run's) and return its URL."""
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            base, _, _ = url.rpartition("/")
            self.admin_url = base + "/postgres"
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS llmops_bench_{self.name} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE llmops_bench_{self.name}")
            self.url = f"{base}/llmops_bench_{self.name}"
        else:
            path = ROOT / "var" / "bench" / f"{self.name}.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = self.url
        return self.url

    def drop(self) -> None:
        """Drop the PostgreSQL database (a SQLite file stays for inspection)."""
        if self.admin_url is None:
            return
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS llmops_bench_{self.name} WITH (FORCE)")
