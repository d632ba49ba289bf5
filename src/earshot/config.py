"""All of Earshot's settings, read from EARSHOT_* environment variables and `.env`."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One home for configuration; every field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="EARSHOT_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means a SQLite file in data_dir.",
    )
    secret_key: str = Field(
        default="",
        description="Signs session tokens; empty means a random key kept in data_dir.",
    )
    token_ttl_minutes: int = 60 * 8
    cookie_secure: bool = False
    cors_origins: list[str] = []
    log_level: str = "INFO"
    bus_url: str = Field(default="memory://", description="memory:// for one instance.")

    login_max_failures: int = 5
    login_lockout_seconds: int = 300

    offer_timeout_seconds: float = 15.0
    reconnect_grace_seconds: float = 30.0
    max_message_bytes: int = 64 * 1024

    static_dir: Path | None = Field(
        default=None, description="Built web app; defaults to the copy bundled in the package."
    )

    _secret: str | None = PrivateAttr(default=None)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'earshot.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept beside the database."""
        if self.secret_key:
            return self.secret_key
        if self._secret is not None:
            return self._secret
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        self._secret = key_file.read_text().strip()
        return self._secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
