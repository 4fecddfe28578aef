"""A stack's settings, as users import them: the names of ``stack._settings`` (the validated
type), ``stack._loading`` (stack files and Pulumi config), ``stack._limits`` (what AWS allows),
``stack._modelsettings`` (the artifact's S3 key) and of ``contract`` that a stack's settings
are made of."""

from __future__ import annotations

from contract import (
    API_GATEWAY_TIMEOUT_S,
    AUTHORIZATIONS,
    DEFAULT_RUNTIMES,
    HANDLERS,
    LANGUAGES,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    MODEL_RUNTIMES,
    MODEL_STRATEGIES,
    PROJECT,
    RUNTIMES,
    TIMEOUT_S_MAX,
    model_env,
    ping_event,
)
from stack._errors import SettingsError
from stack._limits import (
    ARCHITECTURES,
    COLD_START_MITIGATIONS,
    FRAMEWORK_RUNTIMES,
    LOG_RETENTION_DAYS,
    SNAPSTART_RUNTIMES,
)
from stack._loading import (
    CONFIG_KEYS,
    from_config,
    list_stacks,
    load_stack,
    load_stack_file,
    parse_settings,
    variant_name,
)
from stack._modelsettings import model_key
from stack._paths import project_root
from stack._settings import StackSettings

#: The project directory (checkout root, or the nearest Pulumi project from the current
#: directory), as ``stack._paths.project_root`` finds it at import.
ROOT = project_root()

__all__ = [
    "API_GATEWAY_TIMEOUT_S",
    "ARCHITECTURES",
    "AUTHORIZATIONS",
    "COLD_START_MITIGATIONS",
    "CONFIG_KEYS",
    "DEFAULT_RUNTIMES",
    "FRAMEWORK_RUNTIMES",
    "HANDLERS",
    "LANGUAGES",
    "LOG_RETENTION_DAYS",
    "MEMORY_MB_MAX",
    "MEMORY_MB_MIN",
    "MODEL_RUNTIMES",
    "MODEL_STRATEGIES",
    "PROJECT",
    "ROOT",
    "RUNTIMES",
    "SNAPSTART_RUNTIMES",
    "TIMEOUT_S_MAX",
    "SettingsError",
    "StackSettings",
    "from_config",
    "list_stacks",
    "load_stack",
    "load_stack_file",
    "model_env",
    "model_key",
    "parse_settings",
    "ping_event",
    "variant_name",
]
