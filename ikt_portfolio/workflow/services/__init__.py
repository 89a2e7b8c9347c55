"""The workflow app's business rules: the engine, definitions (validation, versions, fixtures),
delegation and notifications. Views, the API and the Desk call only what is exported here."""

from .definitions import (  # noqa: F401
    DefinitionError,
    export_version,
    import_workflow,
    migrate_documents,
    new_draft,
    publish,
    set_active,
    validate_version,
)
from .delegation import delegate, revoke  # noqa: F401
from .engine import (  # noqa: F401
    ActionOption,
    ActionRefused,
    InvalidActionInput,
    Standing,
    VoteResult,
    WorkflowConflict,
    WorkflowError,
    act,
    active_version,
    available_actions,
    copy_engine_fields,
    current_state,
    graph_of,
    history,
    may_edit,
    perform,
    standings,
    start,
    tally,
    vote,
)
from .inbox import inbox  # noqa: F401
from .notifications import Message, deliver_pending, notify_many, run_deadlines  # noqa: F401
